-- severity: error
-- description: every metric the KPI marts compute is in the metric catalog (sql/metrics.yaml), and every catalog metric is computed
SELECT DISTINCT metric, 'computed in marts.kpis but missing from sql/metrics.yaml' AS problem
FROM marts.kpis WHERE position IS NULL
UNION ALL
SELECT metric, 'in sql/metrics.yaml but computed by no column of sql/models/marts/kpis.sql'
FROM marts.metric_definitions d
WHERE NOT EXISTS (SELECT 1 FROM marts.kpis k WHERE k.metric = d.metric)
