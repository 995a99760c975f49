-- Activities as the metrics read them: not deleted, with a who-id, and not
-- after the as-of. who_key is the touched person's key (source and id). Materialised once, with only the columns the models use:
-- staging's view over millions of activities is costly to evaluate at
-- every reference, and so is writing what nobody reads.
SELECT a.source, a.who_id, a.who_key, a.occurred_at, a.type, a.drop_id
FROM staging.activities a
CROSS JOIN intermediate.params p
WHERE NOT a.is_deleted AND a.who_id IS NOT NULL AND a.occurred_at <= p.as_of
