-- Touches of each lead: activities (Salesforce tasks and events, by their
-- CreatedDate) whose who-id is the lead, or the contact it was converted
-- into. Deleted activities and those after the as-of do not count.
WITH activities AS (
    SELECT a.source, a.who_id, a.occurred_at, a.type
    FROM staging.activities a
    CROSS JOIN intermediate.params p
    WHERE NOT a.is_deleted AND a.who_id IS NOT NULL AND a.occurred_at <= p.as_of
)
SELECT l.id AS lead_id, a.occurred_at, a.type
FROM intermediate.int_leads l
JOIN activities a ON a.who_id = l.id AND a.source = l.source
UNION ALL
SELECT l.id AS lead_id, a.occurred_at, a.type
FROM intermediate.int_leads l
JOIN activities a ON a.who_id = l.converted_contact_id AND a.source = l.source
