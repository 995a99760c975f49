-- severity: error
-- description: the KPI marts compute exactly the metrics of the metric catalog (sql/metrics.yaml): every metric of marts.kpis is in it and every catalog metric is computed; marts.kpis_by_channel computes exactly those marked by_channel
SELECT DISTINCT metric, 'computed in marts.kpis but missing from sql/metrics.yaml' AS problem
FROM marts.kpis WHERE position IS NULL
UNION ALL
SELECT metric, 'in sql/metrics.yaml but computed by no column of sql/models/marts/kpis.sql'
FROM marts.metric_definitions d
WHERE NOT EXISTS (SELECT 1 FROM marts.kpis k WHERE k.metric = d.metric)
UNION ALL
SELECT DISTINCT metric, 'computed in marts.kpis_by_channel but not marked by_channel in sql/metrics.yaml'
FROM marts.kpis_by_channel WHERE position IS NULL
UNION ALL
-- (an org with no lead and no opportunity has no channel, and no row to check)
SELECT metric, 'marked by_channel in sql/metrics.yaml but computed by no column of sql/models/marts/kpis_by_channel.sql'
FROM marts.metric_definitions d
WHERE d.by_channel AND EXISTS (SELECT 1 FROM marts.kpis_by_channel)
  AND NOT EXISTS (SELECT 1 FROM marts.kpis_by_channel k WHERE k.metric = d.metric)
