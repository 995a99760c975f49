-- severity: warn
-- description: an activity's who-id is a lead or contact the metrics know (the others are orphans: touches of deleted, purged or unexported people)
SELECT a.source, a.id, a.who_id FROM intermediate.int_activities a
WHERE NOT EXISTS (SELECT 1 FROM intermediate.int_leads l WHERE l.id = a.who_id AND l.source = a.source)
  AND NOT EXISTS (SELECT 1 FROM staging.contacts c WHERE c.id = a.who_id AND c.source = a.source)
