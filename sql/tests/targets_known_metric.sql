-- severity: warn
-- description: every target names a metric of the contract (a misspelt metric never gets an actual)
SELECT month, metric FROM plans.targets t
WHERE NOT EXISTS (SELECT 1 FROM marts.metric_definitions d WHERE d.metric = t.metric)
