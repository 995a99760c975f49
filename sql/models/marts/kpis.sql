-- The shared KPIs: one row per month and metric (section 4 of the contract).
-- Counts are of distinct records, by key (source and id: ids of two sources
-- may collide); sums treat an empty amount as 0; a ratio
-- whose denominator is 0 is NULL (an empty cell), never 0 or NaN. Values are
-- rounded here, half away from zero, to the decimals their kind is written with.
WITH
leads AS (
    SELECT created_month AS month, count(DISTINCT key) AS leads_created,
           count(DISTINCT key) FILTER (WHERE mql_at IS NOT NULL) AS cohort_with_mql
    FROM intermediate.int_leads GROUP BY ALL
), mqls AS (
    SELECT mql_month AS month, count(DISTINCT key) AS mqls,
           count(DISTINCT key) FILTER (WHERE sql_at IS NOT NULL) AS mqls_with_sql
    FROM intermediate.int_leads WHERE mql_at IS NOT NULL GROUP BY ALL
), sqls AS (
    SELECT sql_month AS month, count(DISTINCT key) AS sqls
    FROM intermediate.int_leads WHERE sql_at IS NOT NULL GROUP BY ALL
), opps AS (
    SELECT created_month AS month, count(DISTINCT key) AS opportunities_created, sum(amount) AS pipeline_created
    FROM intermediate.int_opportunities GROUP BY ALL
), sourced AS (
    SELECT o.created_month AS month, count(*) AS n, sum(o.amount) AS amount
    FROM intermediate.int_opportunities o
    WHERE EXISTS (SELECT 1 FROM intermediate.int_leads l
                  WHERE l.converted_opportunity_key = o.key AND l.mql_at <= o.created_at)
    GROUP BY ALL
), influenced AS (
    SELECT created_month AS month, count(*) AS n, sum(amount) AS amount
    FROM intermediate.int_influenced_opportunities GROUP BY ALL
), closed AS (
    SELECT close_month AS month,
           count(*) FILTER (WHERE is_won)                      AS closed_won,
           sum(amount) FILTER (WHERE is_won)                   AS bookings,
           count(*) FILTER (WHERE is_closed AND NOT is_won)    AS closed_lost,
           avg(close_date - created_local_date) FILTER (WHERE is_won) AS sales_cycle_days
    FROM intermediate.int_opportunities WHERE is_closed GROUP BY ALL
), new_customers AS (
    SELECT month, count(*) AS new_customers FROM intermediate.int_first_wins GROUP BY ALL
), sla AS (
    SELECT mql_month AS month,
           count(*) FILTER (WHERE sla_status = 'met')      AS sla_met,
           count(*) FILTER (WHERE sla_status = 'breached') AS sla_breached,
           count(*) FILTER (WHERE sla_status = 'pending')  AS sla_pending,
           median(first_touch_hours)                       AS first_touch_hours_median,
           count(*) FILTER (WHERE untouched_30d)           AS mqls_untouched_30d
    FROM intermediate.int_mql_follow_up GROUP BY ALL
), spend AS (
    SELECT month, sum(amount) AS marketing_spend FROM plans.spend GROUP BY ALL
), base AS (
    SELECT
        m.month,
        coalesce(leads.leads_created, 0)          AS leads_created,
        coalesce(leads.cohort_with_mql, 0)        AS cohort_with_mql,
        coalesce(mqls.mqls, 0)                    AS mqls,
        coalesce(mqls.mqls_with_sql, 0)           AS mqls_with_sql,
        coalesce(sqls.sqls, 0)                    AS sqls,
        coalesce(opps.opportunities_created, 0)   AS opportunities_created,
        coalesce(opps.pipeline_created, 0)        AS pipeline_created,
        coalesce(sourced.n, 0)                    AS sourced_n,
        coalesce(sourced.amount, 0)               AS sourced_amount,
        coalesce(influenced.n, 0)                 AS influenced_n,
        coalesce(influenced.amount, 0)            AS influenced_amount,
        coalesce(closed.closed_won, 0)            AS closed_won,
        coalesce(closed.bookings, 0)              AS bookings,
        coalesce(closed.closed_lost, 0)           AS closed_lost,
        closed.sales_cycle_days,
        coalesce(new_customers.new_customers, 0)  AS new_customers,
        coalesce(sla.sla_met, 0)                  AS sla_met,
        coalesce(sla.sla_breached, 0)             AS sla_breached,
        coalesce(sla.sla_pending, 0)              AS sla_pending,
        sla.first_touch_hours_median,
        coalesce(sla.mqls_untouched_30d, 0)       AS mqls_untouched_30d,
        spend.marketing_spend
    FROM intermediate.months m
    LEFT JOIN leads USING (month)
    LEFT JOIN mqls USING (month)
    LEFT JOIN sqls USING (month)
    LEFT JOIN opps USING (month)
    LEFT JOIN sourced USING (month)
    LEFT JOIN influenced USING (month)
    LEFT JOIN closed USING (month)
    LEFT JOIN new_customers USING (month)
    LEFT JOIN sla USING (month)
    LEFT JOIN spend USING (month)
), wide AS (
    SELECT
        month,
        leads_created::DOUBLE                                                 AS leads_created,
        mqls::DOUBLE                                                          AS mqls,
        sqls::DOUBLE                                                          AS sqls,
        round(cohort_with_mql / nullif(leads_created, 0), 4)                  AS lead_to_mql_rate,
        round(mqls_with_sql / nullif(mqls, 0), 4)                             AS mql_to_sql_rate,
        opportunities_created::DOUBLE                                         AS opportunities_created,
        round(pipeline_created, 2)::DOUBLE                                    AS pipeline_created,
        sourced_n::DOUBLE                                                     AS marketing_sourced_opportunities,
        round(sourced_amount, 2)::DOUBLE                                      AS marketing_sourced_pipeline,
        influenced_n::DOUBLE                                                  AS marketing_influenced_opportunities,
        round(influenced_amount, 2)::DOUBLE                                   AS marketing_influenced_pipeline,
        closed_won::DOUBLE                                                    AS closed_won,
        round(bookings, 2)::DOUBLE                                            AS bookings,
        closed_lost::DOUBLE                                                   AS closed_lost,
        round(closed_won / nullif(closed_won + closed_lost, 0), 4)            AS win_rate,
        round(bookings::DOUBLE / nullif(closed_won, 0), 2)                    AS avg_deal_size,
        round(sales_cycle_days, 2)                                            AS sales_cycle_days,
        new_customers::DOUBLE                                                 AS new_customers,
        sla_met::DOUBLE                                                       AS sla_met,
        sla_breached::DOUBLE                                                  AS sla_breached,
        sla_pending::DOUBLE                                                   AS sla_pending,
        round(sla_met / nullif(sla_met + sla_breached, 0), 4)                 AS sla_compliance,
        round(first_touch_hours_median, 2)                                    AS first_touch_hours_median,
        mqls_untouched_30d::DOUBLE                                            AS mqls_untouched_30d,
        round(marketing_spend, 2)::DOUBLE                                     AS marketing_spend,
        round(marketing_spend::DOUBLE / nullif(leads_created, 0), 2)          AS cost_per_lead,
        round(marketing_spend::DOUBLE / nullif(mqls, 0), 2)                   AS cost_per_mql,
        round(marketing_spend::DOUBLE / nullif(new_customers, 0), 2)          AS cac,
        round(sourced_amount::DOUBLE / nullif(marketing_spend, 0), 4)         AS pipeline_roi
    FROM base
)
-- Every column of wide but the month is a metric: the catalog
-- (sql/metrics.yaml) says how each is written. A metric missing from the
-- catalog keeps an empty position, and the data test kpis_match_catalog
-- fails the build on it (and on a catalog metric computed nowhere).
SELECT u.month, u.metric, u.value, d.position, d.kind
FROM wide UNPIVOT INCLUDE NULLS (value FOR metric IN (COLUMNS(* EXCLUDE (month)))) AS u
LEFT JOIN marts.metric_definitions d USING (metric)
ORDER BY u.month, d.position
