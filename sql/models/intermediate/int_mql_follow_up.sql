-- Sales' follow-up of each marketing qualified lead. The first touch is the
-- earliest touch at or after mql_at (a touch before it is not follow-up).
-- The window is follow_up_hours of wall-clock time, or of working time when
-- business hours are on. An MQL with no touch is breached once its window
-- has ended before the as-of, pending until then.
WITH first_touch AS (
    SELECT lead_id AS id, min(occurred_at) AS first_touch_at
    FROM intermediate.int_mql_touches
    GROUP BY lead_id
), measured AS (
    SELECT
        l.id, l.source, l.owner, l.mql_at, l.mql_month, f.first_touch_at, p.follow_up_hours,
        epoch(f.first_touch_at - l.mql_at) / 3600.0 AS first_touch_hours,
        CASE WHEN p.business_hours
             THEN working_hours_between(l.mql_at, f.first_touch_at, p.reporting_tz, p.workday_start, p.workday_end, p.workdays, p.holidays)
             ELSE epoch(f.first_touch_at - l.mql_at) / 3600.0 END AS touch_window_hours,
        CASE WHEN p.business_hours
             THEN working_hours_between(l.mql_at, p.as_of, p.reporting_tz, p.workday_start, p.workday_end, p.workdays, p.holidays)
             ELSE epoch(p.as_of - l.mql_at) / 3600.0 END AS elapsed_window_hours,
        l.mql_at + INTERVAL (p.untouched_days) DAY < p.as_of AS untouched_period_over,
        f.first_touch_at IS NULL OR f.first_touch_at > l.mql_at + INTERVAL (p.untouched_days) DAY AS untouched_in_period
    FROM intermediate.int_leads l
    CROSS JOIN intermediate.params p
    LEFT JOIN first_touch f ON f.id = l.id
    WHERE l.mql_at IS NOT NULL
)
SELECT
    id, source, owner, mql_at, mql_month, first_touch_at, first_touch_hours,
    CASE WHEN first_touch_at IS NOT NULL AND touch_window_hours <= follow_up_hours THEN 'met'
         WHEN first_touch_at IS NOT NULL THEN 'breached'
         WHEN elapsed_window_hours > follow_up_hours THEN 'breached'
         ELSE 'pending' END AS sla_status,
    untouched_period_over AND untouched_in_period AS untouched_30d
FROM measured
