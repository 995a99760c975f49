-- The metrics of the contract (docs/metrics.md, section 4), from the metric
-- catalog sql/metrics.yaml (which the runner writes to
-- intermediate.metric_catalog): their order, how their values are written
-- (count: plain integer; money, hours and days: 2 decimals; ratio and
-- multiple: a fraction with 4 decimals), their definitions, which every
-- report prints as its glossary, their labels, which direction is good news,
-- and whether they are also computed per channel.
SELECT position, metric, kind, definition, label, good, by_channel
FROM intermediate.metric_catalog
