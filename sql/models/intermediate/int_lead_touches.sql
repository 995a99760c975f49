-- Touches of each lead: activities (Salesforce tasks and events, by their
-- CreatedDate) whose who-id is the lead, or the contact it was converted
-- into. Deleted activities and those after the as-of do not count.
SELECT l.id AS lead_id, a.occurred_at, a.type
FROM intermediate.int_leads l
JOIN intermediate.int_activities a ON a.who_id = l.id AND a.source = l.source
UNION ALL
SELECT l.id AS lead_id, a.occurred_at, a.type
FROM intermediate.int_leads l
JOIN intermediate.int_activities a ON a.who_id = l.converted_contact_id AND a.source = l.source
