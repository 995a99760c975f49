-- Volume metrics by channel (the lead's or the opportunity's lead source;
-- '(none)' when empty), those the catalog marks by_channel: every month and every channel seen, 0 where nothing
-- happened, so that a spreadsheet can pivot it without gaps.
WITH channels AS (
    SELECT channel FROM intermediate.int_leads
    UNION SELECT channel FROM intermediate.int_opportunities
), counts AS (
    SELECT created_month AS month, channel, 'leads_created' AS metric, count(DISTINCT key)::DOUBLE AS value
    FROM intermediate.int_leads GROUP BY ALL
    UNION ALL
    SELECT mql_month, channel, 'mqls', count(DISTINCT key) FROM intermediate.int_leads WHERE mql_at IS NOT NULL GROUP BY ALL
    UNION ALL
    SELECT sql_month, channel, 'sqls', count(DISTINCT key) FROM intermediate.int_leads WHERE sql_at IS NOT NULL GROUP BY ALL
    UNION ALL
    SELECT created_month, channel, 'opportunities_created', count(DISTINCT key) FROM intermediate.int_opportunities GROUP BY ALL
    UNION ALL
    SELECT created_month, channel, 'pipeline_created', round(sum(amount), 2) FROM intermediate.int_opportunities GROUP BY ALL
    UNION ALL
    SELECT close_month, channel, 'closed_won', count(*) FROM intermediate.int_opportunities WHERE is_won GROUP BY ALL
    UNION ALL
    SELECT close_month, channel, 'bookings', round(sum(amount), 2) FROM intermediate.int_opportunities WHERE is_won GROUP BY ALL
), grid AS (
    SELECT m.month, c.channel, d.metric, d.position, d.kind
    FROM intermediate.months m
    CROSS JOIN channels c
    CROSS JOIN marts.metric_definitions d
    WHERE d.by_channel
)
SELECT g.month, g.channel, g.metric, coalesce(c.value, 0) AS value, g.position, g.kind
FROM grid g
LEFT JOIN counts c USING (month, channel, metric)
ORDER BY g.month, g.channel, g.position
