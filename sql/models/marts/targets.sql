-- Targets against actuals. attainment = actual / target. projected is the
-- run-rate forecast of a month not yet over at the as-of: the actual so far
-- divided by the share of the month elapsed (in the reporting zone); it is
-- empty for months that are over or not begun. Only metrics that add up
-- over a month (counts and money) are projected.
WITH p AS (SELECT * FROM intermediate.params),
bounds AS (
    SELECT t.month, t.metric, t.target,
           timezone(p.reporting_tz, strptime(t.month, '%Y-%m'))                      AS starts_at,
           timezone(p.reporting_tz, strptime(t.month, '%Y-%m') + INTERVAL 1 MONTH)   AS ends_at,
           p.as_of
    FROM plans.targets t CROSS JOIN p
)
SELECT
    b.month, b.metric, b.target,
    k.value AS actual,
    round(k.value / nullif(b.target, 0), 4) AS attainment,
    CASE WHEN b.as_of > b.starts_at AND b.as_of < b.ends_at AND d.kind IN ('count', 'money')
         THEN round(k.value / (epoch(b.as_of - b.starts_at) / epoch(b.ends_at - b.starts_at)), 2) END AS projected,
    d.kind
FROM bounds b
LEFT JOIN marts.kpis k ON k.month = b.month AND k.metric = b.metric
LEFT JOIN marts.metric_definitions d ON d.metric = b.metric
ORDER BY b.month, coalesce(d.position, 999), b.metric
