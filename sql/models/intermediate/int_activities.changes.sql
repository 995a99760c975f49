-- The activities whose rows of intermediate.int_activities a build must
-- recompute (pipelines/models/incremental.go): every row of those a drop
-- since the last build changed (changed_records: the build deletes their
-- rows), and those whose rows read something else that changed: the as-of,
-- the person a record joins, the person an opportunity names. build
-- --full-refresh must give the same rows.
WITH person_changes AS (               -- records that now join another person, or none
    (SELECT record_key, person_key FROM previous_int_person_records
     EXCEPT ALL SELECT record_key, person_key FROM intermediate.int_person_records)
    UNION
    (SELECT record_key, person_key FROM intermediate.int_person_records
     EXCEPT ALL SELECT record_key, person_key FROM previous_int_person_records)
), opportunity_changes AS (            -- opportunities an activity linked to nothing else takes its person from
    SELECT v.key FROM staging.record_versions v, since s
    WHERE v.object = 'opportunity' AND (v.valid_from > s.drop_id OR v.valid_to > s.drop_id OR v.seen_file > s.file_id)
    UNION
    SELECT o.key FROM staging.opportunities o SEMI JOIN person_changes c ON c.record_key = o.lead_key
)
SELECT a.*
FROM staging.activities a, since s, intermediate.params p
WHERE a.key IN (SELECT key FROM changed_records)
   OR a.occurred_at > least(s.as_of, p.as_of) AND a.occurred_at <= greatest(s.as_of, p.as_of)  -- the as-of moved over it
   OR a.who_key IN (SELECT record_key FROM person_changes)
   OR list_has_any(a.who_keys, (SELECT list(record_key) FROM person_changes))
   OR a.what_key IN (SELECT key FROM opportunity_changes)
