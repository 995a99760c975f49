-- severity: warn
-- description: an activity's who-id is a lead or contact the metrics know (the others are orphans: touches of deleted, purged or unexported people)
WITH whos AS (
    SELECT source, who_id, count(*) AS activities FROM intermediate.int_activities GROUP BY ALL
), known AS (
    SELECT source, id FROM intermediate.int_leads
    UNION ALL
    SELECT source, id FROM staging.contacts WHERE NOT is_deleted
)
SELECT w.source, w.who_id, w.activities
FROM whos w
ANTI JOIN known k ON k.id = w.who_id AND k.source = w.source
ORDER BY w.activities DESC, w.who_id
