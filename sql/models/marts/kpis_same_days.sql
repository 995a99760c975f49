-- The month before the as-of's, up to the same point: the report compares
-- a month not yet over with "the same days of last month" (a month-to-date
-- figure against the whole previous month would read as a collapse). One
-- row per metric that adds up over days, counted as marts.kpis counts it.
-- The cut-off is the as-of's local time one month earlier (the 31st of a
-- 30-day month is its last day); close dates are dates, cut off at that
-- local date.
WITH p AS (
    SELECT as_of, reporting_tz, timezone(reporting_tz, as_of) AS local_as_of FROM intermediate.params
), w AS (
    SELECT strftime(local_as_of, '%Y-%m')                                    AS month,
           strftime(local_as_of - INTERVAL 1 MONTH, '%Y-%m')                 AS prev_month,
           timezone(reporting_tz, local_as_of - INTERVAL 1 MONTH)            AS cutoff,
           CAST(local_as_of - INTERVAL 1 MONTH AS DATE)                      AS cutoff_date
    FROM p
), leads AS (
    SELECT count(DISTINCT l.key) FILTER (WHERE l.created_month = w.prev_month AND l.created_at <= w.cutoff) AS leads_created,
           count(DISTINCT l.key) FILTER (WHERE l.mql_month = w.prev_month AND l.mql_at <= w.cutoff)         AS mqls,
           count(DISTINCT l.key) FILTER (WHERE l.sql_month = w.prev_month AND l.sql_at <= w.cutoff)         AS sqls
    FROM intermediate.int_leads l, w
), opps AS (
    SELECT count(DISTINCT o.key) FILTER (WHERE o.created_month = w.prev_month AND o.created_at <= w.cutoff)             AS opportunities_created,
           coalesce(sum(o.amount) FILTER (WHERE o.created_month = w.prev_month AND o.created_at <= w.cutoff), 0)      AS pipeline_created,
           count(*) FILTER (WHERE o.is_won AND o.close_month = w.prev_month AND o.close_date <= w.cutoff_date)        AS closed_won,
           coalesce(sum(o.amount) FILTER (WHERE o.is_won AND o.close_month = w.prev_month AND o.close_date <= w.cutoff_date), 0) AS bookings
    FROM intermediate.int_opportunities o, w
)
SELECT w.month, w.prev_month, x.metric, round(x.value, 2) AS value
FROM w, (
              SELECT 1 AS position, 'leads_created' AS metric, leads_created::DOUBLE AS value FROM leads
    UNION ALL SELECT 2, 'mqls', mqls FROM leads
    UNION ALL SELECT 3, 'sqls', sqls FROM leads
    UNION ALL SELECT 4, 'opportunities_created', opportunities_created FROM opps
    UNION ALL SELECT 5, 'pipeline_created', pipeline_created FROM opps
    UNION ALL SELECT 6, 'closed_won', closed_won FROM opps
    UNION ALL SELECT 7, 'bookings', bookings FROM opps
) x
ORDER BY x.position
