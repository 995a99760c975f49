-- Opportunities with a marketing touch in the influence window (default 90
-- days) before their creation, by the lead converted into them (or the
-- contact it became) or by any person of their account. A marketing touch
-- is a campaign response, or an activity of a configured marketing type
-- (form fill, e-mail click, event attendance by default).
--
-- Touches are attached to accounts and to converted opportunities first, so
-- the work grows with the touches, not with opportunities times contacts.
WITH touches AS (                      -- marketing touches of each person
    SELECT coalesce(m.lead_key, m.contact_key) AS person_key,
           coalesce(date_start(m.first_responded_date, p.reporting_tz), m.created_at) AS touched_at
    FROM staging.campaign_members m CROSS JOIN intermediate.params p
    WHERE m.has_responded AND NOT m.is_deleted
    UNION ALL
    SELECT m.contact_key, coalesce(date_start(m.first_responded_date, p.reporting_tz), m.created_at)
    FROM staging.campaign_members m CROSS JOIN intermediate.params p
    WHERE m.has_responded AND NOT m.is_deleted AND m.lead_key IS NOT NULL AND m.contact_key IS NOT NULL
    UNION ALL
    SELECT a.who_key, a.occurred_at
    FROM intermediate.int_activities a
    WHERE a.marketing_touch
    UNION ALL                          -- an activity touching a converted lead touches the contact it became
    SELECT l.converted_contact_key, a.occurred_at
    FROM intermediate.int_activities a JOIN intermediate.int_leads l ON l.key = a.who_key
    WHERE a.marketing_touch AND l.converted_contact_key IS NOT NULL
), account_touches AS (                -- touches by people of an account
    SELECT DISTINCT c.account_key, t.touched_at
    FROM touches t
    JOIN staging.contacts c ON c.key = t.person_key
    WHERE NOT c.is_deleted AND c.account_key IS NOT NULL
), opportunity_touches AS (            -- touches by the lead converted into an opportunity
    SELECT l.converted_opportunity_key AS opportunity_key, t.touched_at
    FROM intermediate.int_leads l JOIN touches t ON t.person_key = l.key
    WHERE l.converted_opportunity_key IS NOT NULL
    UNION ALL
    SELECT l.converted_opportunity_key, t.touched_at
    FROM intermediate.int_leads l JOIN touches t ON t.person_key = l.converted_contact_key
    WHERE l.converted_opportunity_key IS NOT NULL
), opportunity_accounts AS (          -- an opportunity of several accounts has each
    SELECT o.key, a.account_key
    FROM intermediate.int_opportunities o, unnest(o.account_keys) AS a(account_key)
), windows AS (                       -- in epoch microseconds: days of 24 hours
    SELECT o.id, o.key, o.created_month, o.amount,
           epoch_us(o.created_at) AS ends_us,
           epoch_us(o.created_at) - p.influence_days * 86400000000 AS starts_us
    FROM intermediate.int_opportunities o CROSS JOIN intermediate.params p
)
SELECT w.id, w.key, w.created_month, w.amount
FROM windows w
WHERE EXISTS (SELECT 1 FROM opportunity_touches t
              WHERE t.opportunity_key = w.key AND epoch_us(t.touched_at) BETWEEN w.starts_us AND w.ends_us)
   OR EXISTS (SELECT 1 FROM opportunity_accounts oa JOIN account_touches t ON t.account_key = oa.account_key
              WHERE oa.key = w.key AND epoch_us(t.touched_at) BETWEEN w.starts_us AND w.ends_us)
