-- Opportunities with a marketing touch in the influence window (default 90
-- days) before their creation, by the lead converted into them or by any
-- person of their account. A marketing touch is a campaign response, or an
-- activity of a configured marketing type (form fill, e-mail click, event
-- attendance by default).
WITH people AS (                       -- who belongs to each opportunity
    SELECT o.id AS opportunity_id, l.id AS person_id
    FROM intermediate.int_opportunities o
    JOIN intermediate.int_leads l ON l.converted_opportunity_id = o.id
    UNION
    SELECT o.id, l.converted_contact_id
    FROM intermediate.int_opportunities o
    JOIN intermediate.int_leads l ON l.converted_opportunity_id = o.id
    WHERE l.converted_contact_id IS NOT NULL
    UNION
    SELECT o.id, c.id
    FROM intermediate.int_opportunities o
    JOIN staging.contacts c ON c.account_id = o.account_id AND NOT c.is_deleted
    WHERE o.account_id IS NOT NULL
), touches AS (                        -- marketing touches of each person
    SELECT coalesce(m.lead_id, m.contact_id) AS person_id,
           coalesce(date_start(m.first_responded_date, p.reporting_tz), m.created_at) AS touched_at
    FROM staging.campaign_members m CROSS JOIN intermediate.params p
    WHERE m.has_responded AND NOT m.is_deleted
    UNION ALL
    SELECT m.contact_id, coalesce(date_start(m.first_responded_date, p.reporting_tz), m.created_at)
    FROM staging.campaign_members m CROSS JOIN intermediate.params p
    WHERE m.has_responded AND NOT m.is_deleted AND m.lead_id IS NOT NULL AND m.contact_id IS NOT NULL
    UNION ALL
    SELECT a.who_id, a.occurred_at
    FROM staging.activities a CROSS JOIN intermediate.params p
    WHERE NOT a.is_deleted AND list_contains(p.touch_types, a.type)
)
SELECT DISTINCT o.id, o.created_month, o.amount
FROM intermediate.int_opportunities o
CROSS JOIN intermediate.params p
JOIN people pe ON pe.opportunity_id = o.id
JOIN touches t ON t.person_id = pe.person_id
WHERE t.touched_at <= o.created_at
  AND t.touched_at >= o.created_at - INTERVAL (p.influence_days) DAY
