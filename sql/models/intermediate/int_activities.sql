-- Activities as the metrics read them: not deleted, with a person touched,
-- and not after the as-of. One row per activity and person: an activity
-- associated with several people (HubSpot's Associated Contact IDs) touches
-- each of them, and key stays the activity's own, so that activities are
-- counted by distinct key, never doubled. who_key is the touched person's
-- key (source and id).
--
-- sales_touch: what counts as sales' follow-up of an MQL. Every CRM activity
-- is one (a task, an event, a call, a meeting, an e-mail sent) except a
-- note, which records no contact, and an e-mail the person sent in.
--
-- Materialised once, with only the columns the models use: staging's view
-- over millions of activities is costly to evaluate at every reference.
SELECT source, key, who_id, who_key, occurred_at, type, drop_id,
       coalesce(lower(kind), '') <> 'note' AND coalesce(lower(direction), '') NOT LIKE 'incoming%' AS sales_touch
FROM (
    SELECT a.source, a.key, a.occurred_at, a.type, a.drop_id, a.kind, a.direction,
           unnest(CASE WHEN a.who_ids IS NULL THEN [a.who_id] ELSE a.who_ids END)  AS who_id,
           unnest(CASE WHEN a.who_ids IS NULL THEN [a.who_key] ELSE a.who_keys END) AS who_key
    FROM staging.activities a
    CROSS JOIN intermediate.params p
    WHERE NOT a.is_deleted AND a.occurred_at <= p.as_of AND (a.who_id IS NOT NULL OR a.who_ids IS NOT NULL)
)
