-- Opportunities with a marketing touch in the influence window (default 90
-- days) before their creation, by the lead converted into them (or the
-- contact it became) or by any person of their account. A marketing touch
-- is a campaign response, or an activity of a configured marketing type
-- (form fill, e-mail click, event attendance by default).
--
-- Touches are attached to accounts and to converted opportunities first, so
-- the work grows with the touches, not with opportunities times contacts.
WITH touches AS (                      -- marketing touches of each person
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
    FROM intermediate.int_activities a CROSS JOIN intermediate.params p
    WHERE list_contains(p.touch_types, a.type)
), account_touches AS (                -- touches by people of an account
    SELECT DISTINCT c.account_id, t.touched_at
    FROM touches t
    JOIN staging.contacts c ON c.id = t.person_id
    WHERE NOT c.is_deleted AND c.account_id IS NOT NULL
), opportunity_touches AS (            -- touches by the lead converted into an opportunity
    SELECT l.converted_opportunity_id AS opportunity_id, t.touched_at
    FROM intermediate.int_leads l JOIN touches t ON t.person_id = l.id
    WHERE l.converted_opportunity_id IS NOT NULL
    UNION ALL
    SELECT l.converted_opportunity_id, t.touched_at
    FROM intermediate.int_leads l JOIN touches t ON t.person_id = l.converted_contact_id
    WHERE l.converted_opportunity_id IS NOT NULL
), windows AS (                       -- in epoch microseconds: days of 24 hours
    SELECT o.id, o.account_id, o.created_month, o.amount,
           epoch_us(o.created_at) AS ends_us,
           epoch_us(o.created_at) - p.influence_days * 86400000000 AS starts_us
    FROM intermediate.int_opportunities o CROSS JOIN intermediate.params p
)
SELECT w.id, w.created_month, w.amount
FROM windows w
WHERE EXISTS (SELECT 1 FROM opportunity_touches t
              WHERE t.opportunity_id = w.id AND epoch_us(t.touched_at) BETWEEN w.starts_us AND w.ends_us)
   OR EXISTS (SELECT 1 FROM account_touches t
              WHERE t.account_id = w.account_id AND epoch_us(t.touched_at) BETWEEN w.starts_us AND w.ends_us)
