-- incremental: by key over staging.activities
-- compares: intermediate.int_person_records
--
-- Activities as the metrics read them: not deleted, with a person touched,
-- and not after the as-of. One row per activity and person: an activity
-- associated with several people (HubSpot's Associated Contact IDs) touches
-- each of them; key is the activity's. who_key is the touched person's key
-- (source and id).
--
-- A marketing tool's activity touches the person its record joined
-- (int_person_records), so that who_key is the person's key.
--
-- sales_touch: what counts as sales' follow-up of an MQL. Every CRM activity
-- is one (a task, an event, a call, a meeting, an e-mail sent) except a
-- note, which records no contact, an e-mail the person sent in, and an
-- activity only planned (is_done false); a marketing tool's never is. marketing_touch: a marketing tool's activity
-- of a type configured as a touch, or any activity whose type is in
-- influence.touch_types.
--
-- drop_id: the drop an incremental export's row last came in, for
-- marts.export_files. A full snapshot's rows are all in its latest drop,
-- which export_files lists anyway; they leave it null, so that a row does
-- not change with each new snapshot.
--
-- Materialised once, with only the columns the models use: staging's view
-- over millions of activities is costly to evaluate at every reference.
-- And kept up to date incrementally (pipelines/models/incremental.go): a
-- nightly recomputes only the activities int_activities.changes.sql
-- selects, a few percent of them, instead of writing millions of rows.
WITH one AS (                          -- the common case: one person (Salesforce's WhoId)
    SELECT a.source, a.key, a.occurred_at, a.type, a.drop_id, a.kind, a.direction, a.is_marketing_touch, a.is_done, a.who_id, a.who_key
    FROM staging.activities a CROSS JOIN intermediate.params p
    WHERE NOT a.is_deleted AND a.occurred_at <= p.as_of AND a.who_ids IS NULL AND a.who_id IS NOT NULL
), by_opportunity AS (                -- linked to an opportunity only: the person the opportunity names
    SELECT a.source, a.key, a.occurred_at, a.type, a.drop_id, a.kind, a.direction, a.is_marketing_touch, a.is_done, o.lead_id AS who_id, o.lead_key AS who_key
    FROM staging.activities a
    JOIN staging.opportunities o ON o.key = a.what_key AND o.lead_key IS NOT NULL
    CROSS JOIN intermediate.params p
    WHERE NOT a.is_deleted AND a.occurred_at <= p.as_of AND a.who_ids IS NULL AND a.who_id IS NULL
), many AS (                           -- several (HubSpot's Associated Contact IDs): a row for each
    SELECT a.source, a.key, a.occurred_at, a.type, a.drop_id, a.kind, a.direction, a.is_marketing_touch, a.is_done,
           unnest(a.who_ids) AS who_id, unnest(a.who_keys) AS who_key
    FROM staging.activities a CROSS JOIN intermediate.params p
    WHERE NOT a.is_deleted AND a.occurred_at <= p.as_of AND a.who_ids IS NOT NULL
)
SELECT a.source, a.key, a.who_id, coalesce(r.person_key, a.who_key) AS who_key, a.occurred_at, a.type,
       CASE WHEN NOT s.snapshot THEN a.drop_id END AS drop_id,
       coalesce(s.role, 'crm') = 'crm' AND coalesce(lower(a.kind), '') <> 'note'
           AND coalesce(lower(a.direction), '') NOT LIKE 'incoming%' AND coalesce(a.is_done, true) AS sales_touch,
       coalesce(a.is_marketing_touch, list_contains(p.touch_types, a.type)) AND coalesce(a.is_done, true) AS marketing_touch
FROM (SELECT * FROM one UNION ALL SELECT * FROM by_opportunity UNION ALL SELECT * FROM many) a
CROSS JOIN intermediate.params p
LEFT JOIN intermediate.source_params s ON s.source = a.source
LEFT JOIN intermediate.int_person_records r ON r.record_key = a.who_key
