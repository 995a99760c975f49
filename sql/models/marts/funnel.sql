-- The cohort funnel: the leads created in each month, and how many of them
-- have, as of the build, an mql_at, an sql_at, a converted opportunity that
-- exists, and a converted opportunity that is won.
SELECT
    m.month                                                          AS cohort_month,
    count(DISTINCT l.key)                                            AS leads,
    count(DISTINCT l.key) FILTER (WHERE l.mql_at IS NOT NULL)        AS mqls,
    count(DISTINCT l.key) FILTER (WHERE l.sql_at IS NOT NULL)        AS sqls,
    count(DISTINCT l.key) FILTER (WHERE o.key IS NOT NULL)           AS opportunities,
    count(DISTINCT l.key) FILTER (WHERE o.is_won)                    AS won
FROM intermediate.months m
LEFT JOIN intermediate.int_leads l ON l.created_month = m.month
LEFT JOIN intermediate.int_opportunities o ON o.key = l.converted_opportunity_key
GROUP BY ALL
ORDER BY cohort_month
