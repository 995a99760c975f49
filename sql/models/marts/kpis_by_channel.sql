-- Volume and spend metrics by channel (the lead's or the opportunity's lead
-- source; '(none)' when empty; a spend plan row's channel, compared as
-- written, trimmed): every month and every channel seen, 0 where nothing
-- happened, so that a spreadsheet can pivot it without gaps. A new customer
-- counts for the channel of its first won opportunity. Spend-based values
-- are empty where the plan has no row for the month and channel. Every column of
-- wide but the month and the channel is a metric; the data test
-- kpis_match_catalog fails the build unless they are exactly the metrics
-- the catalog (sql/metrics.yaml) marks by_channel.
WITH channels AS (
    SELECT channel FROM intermediate.int_leads
    UNION SELECT channel FROM intermediate.int_opportunities
    UNION SELECT coalesce(nullif(trim(channel), ''), '(none)') FROM plans.spend
), leads AS (
    SELECT created_month AS month, channel, count(DISTINCT key) AS leads_created
    FROM intermediate.int_leads GROUP BY ALL
), mqls AS (
    SELECT mql_month AS month, channel, count(DISTINCT key) AS mqls
    FROM intermediate.int_leads WHERE mql_at IS NOT NULL GROUP BY ALL
), sqls AS (
    SELECT sql_month AS month, channel, count(DISTINCT key) AS sqls
    FROM intermediate.int_leads WHERE sql_at IS NOT NULL GROUP BY ALL
), opps AS (
    SELECT created_month AS month, channel, count(DISTINCT key) AS opportunities_created, round(sum(amount), 2) AS pipeline_created
    FROM intermediate.int_opportunities GROUP BY ALL
), won AS (
    SELECT close_month AS month, channel, count(*) AS closed_won, round(sum(amount), 2) AS bookings
    FROM intermediate.int_opportunities WHERE is_won GROUP BY ALL
), new_customers AS (
    SELECT month, channel, count(*) AS new_customers FROM intermediate.int_first_wins GROUP BY ALL
), spend AS (
    SELECT month, coalesce(nullif(trim(channel), ''), '(none)') AS channel, sum(amount) AS marketing_spend
    FROM plans.spend GROUP BY ALL
), wide AS (
    SELECT
        m.month,
        c.channel,
        coalesce(leads.leads_created, 0)::DOUBLE        AS leads_created,
        coalesce(mqls.mqls, 0)::DOUBLE                  AS mqls,
        coalesce(sqls.sqls, 0)::DOUBLE                  AS sqls,
        coalesce(opps.opportunities_created, 0)::DOUBLE AS opportunities_created,
        coalesce(opps.pipeline_created, 0)::DOUBLE      AS pipeline_created,
        coalesce(won.closed_won, 0)::DOUBLE             AS closed_won,
        coalesce(won.bookings, 0)::DOUBLE               AS bookings,
        coalesce(nc.new_customers, 0)::DOUBLE           AS new_customers,
        round(spend.marketing_spend, 2)::DOUBLE                                            AS marketing_spend,
        round(spend.marketing_spend::DOUBLE / nullif(coalesce(leads.leads_created, 0), 0), 2) AS cost_per_lead,
        round(spend.marketing_spend::DOUBLE / nullif(coalesce(mqls.mqls, 0), 0), 2)          AS cost_per_mql,
        round(spend.marketing_spend::DOUBLE / nullif(coalesce(nc.new_customers, 0), 0), 2)   AS cac
    FROM intermediate.months m
    CROSS JOIN channels c
    LEFT JOIN leads USING (month, channel)
    LEFT JOIN mqls USING (month, channel)
    LEFT JOIN sqls USING (month, channel)
    LEFT JOIN opps USING (month, channel)
    LEFT JOIN won USING (month, channel)
    LEFT JOIN new_customers nc USING (month, channel)
    LEFT JOIN spend USING (month, channel)
)
SELECT u.month, u.channel, u.metric, u.value, d.position, d.kind
FROM wide UNPIVOT INCLUDE NULLS (value FOR metric IN (COLUMNS(* EXCLUDE (month, channel)))) AS u
LEFT JOIN marts.metric_definitions d ON d.metric = u.metric AND d.by_channel
ORDER BY u.month, u.channel, d.position
