-- The cohort funnel: the leads created in each month, and how many of them
-- have, as of the build, an mql_at, an sql_at, a converted opportunity that
-- exists, and a converted opportunity that is won.
SELECT
    m.month                                                          AS cohort_month,
    count(DISTINCT l.id)                                             AS leads,
    count(DISTINCT l.id) FILTER (WHERE l.mql_at IS NOT NULL)         AS mqls,
    count(DISTINCT l.id) FILTER (WHERE l.sql_at IS NOT NULL)         AS sqls,
    count(DISTINCT l.id) FILTER (WHERE o.id IS NOT NULL)             AS opportunities,
    count(DISTINCT l.id) FILTER (WHERE o.is_won)                     AS won
FROM intermediate.months m
LEFT JOIN intermediate.int_leads l ON l.created_month = m.month
LEFT JOIN intermediate.int_opportunities o ON o.id = l.converted_opportunity_id
GROUP BY ALL
ORDER BY cohort_month
