-- severity: warn
-- description: an activity's who-id is a lead or contact the metrics know (the others are orphans: touches of deleted, purged or unexported people)
WITH whos AS (
    SELECT source, who_id, who_key, count(*) AS activities FROM intermediate.int_activities GROUP BY ALL
), known AS (
    SELECT key FROM intermediate.int_leads
    UNION ALL
    SELECT key FROM staging.contacts WHERE NOT is_deleted
)
SELECT w.source, w.who_id, w.activities
FROM whos w
ANTI JOIN known k ON k.key = w.who_key
ORDER BY w.activities DESC, w.who_id
