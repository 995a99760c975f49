-- Sales' follow-up of each marketing qualified lead. A touch is a sales
-- activity (Salesforce tasks and events, by their CreatedDate; HubSpot
-- calls, meetings, tasks and e-mails sent, not notes) whose who-id is the
-- lead or the contact it was converted into; the first touch is the
-- earliest at or after mql_at (a touch before it is not follow-up). The
-- window is follow_up_hours of wall-clock time, or of working time when
-- business hours are on. An MQL with no touch is breached once its window
-- has ended before the as-of, pending until then.
--
-- Durations are differences of epoch microseconds, and the 30 days are
-- 30 x 24 hours: interval arithmetic on instants goes through the
-- calendar of the session's zone, a hundred times slower on millions of rows.
WITH mqls AS (
    SELECT source, id, key, owner, mql_at, mql_month, converted_contact_key FROM intermediate.int_leads WHERE mql_at IS NOT NULL
), who AS (                            -- the people whose touch follows up an MQL
    SELECT key AS who_key, key AS lead_key, mql_at FROM mqls
    UNION ALL
    SELECT converted_contact_key, key, mql_at FROM mqls WHERE converted_contact_key IS NOT NULL
), first_touch AS (
    SELECT w.lead_key AS key, min(a.occurred_at) AS first_touch_at
    FROM intermediate.int_activities a
    JOIN who w ON w.who_key = a.who_key AND a.occurred_at >= w.mql_at
    WHERE a.sales_touch
    GROUP BY w.lead_key
), measured AS (
    SELECT
        l.id, l.key, l.source, l.owner, l.mql_at, l.mql_month, f.first_touch_at, p.follow_up_hours,
        (epoch_us(f.first_touch_at) - epoch_us(l.mql_at)) / 3.6e9 AS first_touch_hours,
        CASE WHEN p.business_hours
             THEN working_hours_between(l.mql_at, f.first_touch_at, p.reporting_tz, p.workday_start, p.workday_end, p.workdays, p.holidays)
             ELSE (epoch_us(f.first_touch_at) - epoch_us(l.mql_at)) / 3.6e9 END AS touch_window_hours,
        CASE WHEN p.business_hours
             THEN working_hours_between(l.mql_at, p.as_of, p.reporting_tz, p.workday_start, p.workday_end, p.workdays, p.holidays)
             ELSE (epoch_us(p.as_of) - epoch_us(l.mql_at)) / 3.6e9 END AS elapsed_window_hours,
        epoch_us(l.mql_at) + p.untouched_days * 86400000000 AS untouched_until_us,
        epoch_us(p.as_of) AS as_of_us
    FROM mqls l
    CROSS JOIN intermediate.params p
    LEFT JOIN first_touch f ON f.key = l.key
)
SELECT
    id, key, source, owner, mql_at, mql_month, first_touch_at, first_touch_hours,
    CASE WHEN first_touch_at IS NOT NULL AND touch_window_hours <= follow_up_hours THEN 'met'
         WHEN first_touch_at IS NOT NULL THEN 'breached'
         WHEN elapsed_window_hours > follow_up_hours THEN 'breached'
         ELSE 'pending' END AS sla_status,
    untouched_until_us < as_of_us
        AND (first_touch_at IS NULL OR epoch_us(first_touch_at) > untouched_until_us) AS untouched_30d
FROM measured
