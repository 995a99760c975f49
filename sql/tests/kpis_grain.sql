-- severity: error
-- description: the KPI mart has exactly one row per month and metric
SELECT month, metric, count(*) AS rows FROM marts.kpis GROUP BY ALL HAVING count(*) <> 1
