-- The month before the as-of's, up to the same point: the report compares
-- a month not yet over with "the same days of last month" (a month-to-date
-- figure against the whole previous month would read as a collapse). One
-- row per metric that adds up over days, counted as marts.kpis counts it.
-- The same point is the same share of the month's time as the as-of has
-- reached of its own (in the reporting zone), so that 30.6 days of March
-- meet 27.6 of February, as the run rate assumes; close dates are dates,
-- cut off at the local date of that point.
WITH p AS (
    SELECT as_of, reporting_tz,
           timezone(reporting_tz, date_trunc('month', timezone(reporting_tz, as_of)))                       AS month_start,
           timezone(reporting_tz, date_trunc('month', timezone(reporting_tz, as_of)) + INTERVAL 1 MONTH)    AS month_end,
           timezone(reporting_tz, date_trunc('month', timezone(reporting_tz, as_of)) - INTERVAL 1 MONTH)    AS prev_start
    FROM intermediate.params
), w AS (
    SELECT strftime(timezone(reporting_tz, as_of), '%Y-%m')                                     AS month,
           strftime(timezone(reporting_tz, prev_start), '%Y-%m')                                AS prev_month,
           to_timestamp(epoch(prev_start) + (epoch(month_start) - epoch(prev_start))
                        * (epoch(as_of) - epoch(month_start)) / (epoch(month_end) - epoch(month_start)))  AS cutoff
    FROM p
), w2 AS (
    SELECT w.*, CAST(timezone(p.reporting_tz, w.cutoff) AS DATE) AS cutoff_date FROM w, p
), leads AS (
    SELECT count(DISTINCT l.key) FILTER (WHERE l.created_month = w.prev_month AND l.created_at <= w.cutoff) AS leads_created,
           count(DISTINCT l.key) FILTER (WHERE l.mql_month = w.prev_month AND l.mql_at <= w.cutoff)         AS mqls,
           count(DISTINCT l.key) FILTER (WHERE l.sql_month = w.prev_month AND l.sql_at <= w.cutoff)         AS sqls
    FROM intermediate.int_leads l, w2 AS w
), opps AS (
    SELECT count(DISTINCT o.key) FILTER (WHERE o.created_month = w.prev_month AND o.created_at <= w.cutoff)             AS opportunities_created,
           coalesce(sum(o.amount) FILTER (WHERE o.created_month = w.prev_month AND o.created_at <= w.cutoff), 0)      AS pipeline_created,
           count(*) FILTER (WHERE o.is_won AND o.close_month = w.prev_month AND o.close_date <= w.cutoff_date)        AS closed_won,
           coalesce(sum(o.amount) FILTER (WHERE o.is_won AND o.close_month = w.prev_month AND o.close_date <= w.cutoff_date), 0) AS bookings
    FROM intermediate.int_opportunities o, w2 AS w
)
SELECT w.month, w.prev_month, x.metric, round(x.value, 2) AS value
FROM w2 AS w, (
              SELECT 1 AS position, 'leads_created' AS metric, leads_created::DOUBLE AS value FROM leads
    UNION ALL SELECT 2, 'mqls', mqls FROM leads
    UNION ALL SELECT 3, 'sqls', sqls FROM leads
    UNION ALL SELECT 4, 'opportunities_created', opportunities_created FROM opps
    UNION ALL SELECT 5, 'pipeline_created', pipeline_created FROM opps
    UNION ALL SELECT 6, 'closed_won', closed_won FROM opps
    UNION ALL SELECT 7, 'bookings', bookings FROM opps
) x
ORDER BY x.position
