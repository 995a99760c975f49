-- severity: warn
-- description: no opportunity closes before it was created, beyond tests.close_date_slack_days
SELECT o.source, o.id, o.created_local_date, o.close_date FROM intermediate.int_opportunities o
CROSS JOIN intermediate.params p
WHERE o.close_date < o.created_local_date - p.close_date_slack_days
