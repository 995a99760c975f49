-- Activities as the metrics read them: not deleted, with a person touched,
-- and not after the as-of. One row per activity and person: an activity
-- associated with several people (HubSpot's Associated Contact IDs) touches
-- each of them, and key stays the activity's own, so that activities are
-- counted by distinct key, never doubled. who_key is the touched person's
-- key (source and id).
--
-- A marketing tool's activity touches the person its record joined
-- (int_person_records), so that who_key is the person's key.
--
-- sales_touch: what counts as sales' follow-up of an MQL. Every CRM activity
-- is one (a task, an event, a call, a meeting, an e-mail sent) except a
-- note, which records no contact, and an e-mail the person sent in; a
-- marketing tool's never is. marketing_touch: a marketing tool's activity
-- of a type configured as a touch, or any activity whose type is in
-- influence.touch_types.
--
-- Materialised once, with only the columns the models use: staging's view
-- over millions of activities is costly to evaluate at every reference.
SELECT a.source, a.key, a.who_id, coalesce(r.person_key, a.who_key) AS who_key, a.occurred_at, a.type, a.drop_id,
       coalesce(s.role, 'crm') = 'crm' AND coalesce(lower(a.kind), '') <> 'note'
           AND coalesce(lower(a.direction), '') NOT LIKE 'incoming%'              AS sales_touch,
       coalesce(a.is_marketing_touch, list_contains(p.touch_types, a.type))     AS marketing_touch
FROM (
    SELECT a.source, a.key, a.occurred_at, a.type, a.drop_id, a.kind, a.direction, a.is_marketing_touch,
           unnest(CASE WHEN a.who_ids IS NULL THEN [a.who_id] ELSE a.who_ids END)  AS who_id,
           unnest(CASE WHEN a.who_ids IS NULL THEN [a.who_key] ELSE a.who_keys END) AS who_key
    FROM staging.activities a
    CROSS JOIN intermediate.params p
    WHERE NOT a.is_deleted AND a.occurred_at <= p.as_of AND (a.who_id IS NOT NULL OR a.who_ids IS NOT NULL)
) a
CROSS JOIN intermediate.params p
LEFT JOIN intermediate.source_params s ON s.source = a.source
LEFT JOIN intermediate.int_person_records r ON r.record_key = a.who_key
