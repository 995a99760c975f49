-- severity: warn
-- description: an activity's who-id is a known lead or contact (the others are orphans: they touch no one the metrics know)
SELECT a.source, a.id, a.who_id FROM intermediate.int_activities a
WHERE NOT EXISTS (SELECT 1 FROM staging.leads l WHERE l.id = a.who_id AND l.source = a.source)
  AND NOT EXISTS (SELECT 1 FROM staging.contacts c WHERE c.id = a.who_id AND c.source = a.source)
