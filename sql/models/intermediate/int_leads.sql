-- Leads as the metrics count them: the people of the org, each once, with
-- the month of each lifecycle instant in the reporting zone, the channel,
-- and the owner's name. Lifecycle instants after the as-of are not yet
-- known to the build. (Purged records are already gone from staging's
-- current state.) Records are known by their key, which carries their
-- source: ids of two sources may collide.
--
-- The people of the org (docs/metrics.md, "People joined across
-- sources"): the CRM's leads, the contacts no lead became that a
-- marketing-automation record joined, and the marketing records that joined
-- nothing. A person's created_at is the earliest of its records'; its
-- mql_at the earliest qualifying instant of any of them, each source by its
-- rule (a CRM's MQL date field; a marketing tool's MQL date field, or the
-- first activity changing its status to a configured value or its score to
-- a configured threshold); its channel the CRM record's where it has one,
-- else the marketing tool's; its owner, sql_at and converted opportunity
-- the CRM's only. A lead's converted opportunity is the one it names, else,
-- where opportunities name their person (lead_id), that person's first
-- opportunity by creation. Records flagged deleted, and records merged into others
-- in their tool, are left out as people of their own.
WITH records AS (
    SELECT r.person_key, r.record_key, p.source, p.created_at, p.mql_at, nullif(trim(p.lead_source), '') AS lead_source
    FROM intermediate.int_person_records r JOIN staging.persons p ON p.key = r.record_key
), activity_mql AS (                   -- by the source's mql: rule
    SELECT a.who_key AS record_key, min(a.occurred_at) AS mql_at
    FROM staging.activities a
    JOIN intermediate.source_params s ON s.source = a.source
    WHERE s.role = 'marketing' AND NOT a.is_deleted AND a.who_key IS NOT NULL AND (
             (len(s.mql_status) > 0 AND a.type_id = s.status_type
              AND (len(s.status_detail) = 0 OR list_contains(s.status_detail, lower(trim(a.detail))))
              AND list_contains(s.mql_status, lower(trim(attribute(a.attributes, s.status_value)))))
          OR (s.mql_score IS NOT NULL AND a.type_id = s.score_type
              AND TRY_CAST(attribute(a.attributes, s.score_value) AS DOUBLE) >= s.mql_score))
    GROUP BY ALL
), marketing AS (                      -- what a person's marketing records say
    SELECT r.person_key,
           min(r.created_at)                                                  AS created_at,
           least(min(r.mql_at), min(m.mql_at))                                AS mql_at,
           arg_min(r.lead_source, r.created_at) FILTER (WHERE r.lead_source IS NOT NULL) AS lead_source,
           arg_min(r.source, r.created_at)                                    AS source
    FROM records r LEFT JOIN activity_mql m ON m.record_key = r.record_key
    GROUP BY r.person_key
), named_by_opportunity AS (          -- where opportunities name their person: each person's first, by creation (then key)
    SELECT o.lead_key, arg_min(o.key, (o.created_at, o.key)) AS opportunity_key
    FROM staging.opportunities o
    ANTI JOIN (SELECT converted_opportunity_key FROM staging.leads
               WHERE NOT is_deleted AND converted_opportunity_key IS NOT NULL) c ON c.converted_opportunity_key = o.key
    WHERE NOT o.is_deleted AND o.lead_key IS NOT NULL AND o.created_at IS NOT NULL
    GROUP BY o.lead_key
), people AS (
    SELECT l.source, l.id, l.key, l.drop_id,
           least(l.created_at, m.created_at) AS created_at,
           least(l.mql_at, m.mql_at)         AS mql_at,
           l.sql_at, coalesce(l.converted_opportunity_key, o.opportunity_key) AS converted_opportunity_key, l.converted_contact_key,
           coalesce(nullif(trim(l.lead_source), ''), m.lead_source) AS lead_source,
           l.owner_id, l.owner_key, l.owner_name
    FROM staging.leads l
    LEFT JOIN marketing m ON m.person_key = l.key
    LEFT JOIN named_by_opportunity o ON o.lead_key = l.key
    ANTI JOIN (SELECT record_key FROM intermediate.int_person_records WHERE how = 'merged') g ON g.record_key = l.key
    WHERE NOT l.is_deleted AND l.created_at IS NOT NULL
    UNION ALL
    SELECT c.source, c.id, c.key, c.drop_id,
           least(c.created_at, m.created_at), m.mql_at,
           NULL, NULL, NULL,
           coalesce(nullif(trim(c.lead_source), ''), m.lead_source),
           c.owner_id, c.owner_key, NULL
    FROM marketing m JOIN staging.contacts c ON c.key = m.person_key
    WHERE NOT c.is_deleted
    UNION ALL
    SELECT p.source, p.id, p.key, p.drop_id,
           m.created_at, m.mql_at,
           NULL, NULL, NULL,
           m.lead_source,
           NULL, NULL, NULL
    FROM marketing m JOIN staging.persons p ON p.key = m.person_key
    WHERE NOT p.is_deleted
)
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
FROM people l
CROSS JOIN intermediate.params p
LEFT JOIN staging.users u ON u.key = l.owner_key
WHERE l.created_at IS NOT NULL
