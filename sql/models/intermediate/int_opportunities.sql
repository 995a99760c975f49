-- Opportunities as the metrics count them: not deleted; an empty amount
-- counts as 0 in sums; the close date is a calendar date, bucketed by its
-- own month and never shifted by a zone.
SELECT
    o.source,
    o.id,
    o.key,
    o.drop_id,
    o.account_key,
    -- Every account of the opportunity (HubSpot deals can have several).
    CASE WHEN o.account_keys IS NOT NULL THEN o.account_keys
         WHEN o.account_key IS NOT NULL THEN [o.account_key] END AS account_keys,
    o.created_at,
    o.close_date,
    coalesce(o.amount, 0)                                     AS amount,
    coalesce(o.is_closed, false) OR coalesce(o.is_won, false) AS is_closed,
    coalesce(o.is_won, false)                                 AS is_won,
    coalesce(nullif(trim(o.lead_source), ''), '(none)')       AS channel,
    strftime(timezone(p.reporting_tz, o.created_at), '%Y-%m') AS created_month,
    strftime(o.close_date, '%Y-%m')                           AS close_month,
    -- The local date of creation, for sales_cycle_days.
    CAST(timezone(p.reporting_tz, o.created_at) AS DATE)      AS created_local_date
FROM staging.opportunities o
CROSS JOIN intermediate.params p
WHERE NOT o.is_deleted
  AND o.created_at IS NOT NULL
