-- Leads as the metrics count them: the people of the org (int_people: the
-- CRM's leads, joined with what marketing tools know of them, and the
-- people only a marketing tool knows), with the month of each lifecycle
-- instant in the reporting zone, the channel, and the owner's name.
-- Lifecycle instants after the as-of are not yet known to the build.
-- (Purged records are already gone from staging's current state.) Records
-- are known by their key, which carries their source: ids of two sources
-- may collide.
SELECT
    l.source,
    l.id,
    l.key,
    l.drop_id,
    l.created_at,
    CASE WHEN l.mql_at <= p.as_of THEN l.mql_at END                          AS mql_at,
    CASE WHEN l.sql_at <= p.as_of THEN l.sql_at END                          AS sql_at,
    l.converted_opportunity_key,
    l.converted_contact_key,
    coalesce(nullif(trim(l.lead_source), ''), '(none)')                     AS channel,
    coalesce(u.name, nullif(trim(l.owner_name), ''), l.owner_id, '(none)')  AS owner,
    strftime(timezone(p.reporting_tz, l.created_at), '%Y-%m')               AS created_month,
    strftime(timezone(p.reporting_tz, CASE WHEN l.mql_at <= p.as_of THEN l.mql_at END), '%Y-%m') AS mql_month,
    strftime(timezone(p.reporting_tz, CASE WHEN l.sql_at <= p.as_of THEN l.sql_at END), '%Y-%m') AS sql_month
FROM intermediate.int_people l
CROSS JOIN intermediate.params p
LEFT JOIN staging.users u ON u.key = l.owner_key
WHERE l.created_at IS NOT NULL
