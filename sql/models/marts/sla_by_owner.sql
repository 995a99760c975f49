-- The follow-up commitment per lead owner (the owner's name where known,
-- else the id) and month of MQL.
SELECT
    mql_month AS month,
    owner,
    count(*)                                          AS mqls,
    count(*) FILTER (WHERE sla_status = 'met')        AS sla_met,
    count(*) FILTER (WHERE sla_status = 'breached')   AS sla_breached,
    count(*) FILTER (WHERE sla_status = 'pending')    AS sla_pending,
    round(count(*) FILTER (WHERE sla_status = 'met')
          / nullif(count(*) FILTER (WHERE sla_status IN ('met', 'breached')), 0), 4) AS sla_compliance,
    round(median(first_touch_hours), 2)               AS first_touch_hours_median
FROM intermediate.int_mql_follow_up
GROUP BY ALL
ORDER BY month, owner
