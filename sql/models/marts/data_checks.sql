-- What the build found in the data that a reader of the numbers should
-- know, one row per check, source and object that found records (the pack's
-- data_checks.csv adds the data tests that found rows). examples holds up
-- to five of the records' ids, or for unmapped_stage the stages to map.
--
-- unmapped_stage: opportunities whose stage is in no list of the source's
-- stages (nor decided by the export's own flags) and that look closed: a
-- probability of 0 or 100% where exported, else a close date already past.
-- They count as open (or as lost where the export's own closed flag says
-- closed, since no won flag says won); the stage must be added to a list,
-- never guessed.
-- identity_conflict: marketing records joined by the CRM id they carry
-- while their e-mail names another CRM person. identity_ambiguous_email:
-- marketing records left unjoined because their e-mail is shared (by
-- several marketing records, or by several CRM people); each counts as a
-- person of its own.
-- unknown_value: rows whose column mapped with values: and not: holds a
-- value in neither list (the flag is left empty, never guessed); examples
-- name the field and the value.
-- merged_away: records the warehouse still holds that their tool merged
-- into another (an older drop has them): they count as their winner's
-- person, not as people of their own.
-- duplicate_id: records that appear more than once in one source's current
-- state (a snapshot that lists a record twice); the unique tests stop the
-- build on them, and this names them.
WITH unmapped AS (
    SELECT o.source, o.id, coalesce(o.pipeline || ': ', '') || o.stage AS stage
    FROM staging.opportunities o CROSS JOIN intermediate.params p
    WHERE NOT o.is_deleted AND o.stage_status IS NULL AND nullif(trim(o.stage), '') IS NOT NULL
      AND CASE WHEN o.probability IS NOT NULL THEN o.probability IN (0, 1, 100)
               ELSE o.close_date < CAST(timezone(p.reporting_tz, p.as_of) AS DATE) END
), duplicates AS (
    SELECT 'lead' AS object, source, id FROM staging.leads GROUP BY ALL HAVING count(*) > 1
    UNION ALL
    SELECT 'contact', source, id FROM staging.contacts GROUP BY ALL HAVING count(*) > 1
    UNION ALL
    SELECT 'opportunity', source, id FROM staging.opportunities GROUP BY ALL HAVING count(*) > 1
    UNION ALL
    SELECT 'person', source, id FROM staging.persons GROUP BY ALL HAVING count(*) > 1
)
SELECT 'unmapped_stage' AS "check", source, 'opportunity' AS object, count(*) AS records,
       examples(list_distinct(list(stage))) AS examples
FROM unmapped GROUP BY ALL
UNION ALL
SELECT 'duplicate_id', source, object, count(*), examples(list(id))
FROM duplicates GROUP BY ALL
UNION ALL
SELECT 'identity_conflict', source, 'person', count(*), examples(list(id))
FROM intermediate.int_person_records WHERE conflict GROUP BY ALL
UNION ALL
SELECT 'unknown_value', source, object, count(DISTINCT key), examples(list(DISTINCT value))
FROM staging.unknown_values GROUP BY ALL
UNION ALL
SELECT 'merged_away', source, object, count(*), examples(list(loser_id))
FROM intermediate.int_merges WHERE present GROUP BY ALL
UNION ALL
SELECT 'identity_ambiguous_email', source, 'person', count(*), examples(list(id))
FROM intermediate.int_person_records WHERE ambiguous GROUP BY ALL
