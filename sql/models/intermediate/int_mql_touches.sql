-- Follow-up touches of each marketing qualified lead: activities (Salesforce
-- tasks and events, by their CreatedDate) at or after its mql_at whose
-- who-id is the lead, or the contact it was converted into. A touch before
-- the MQL is not follow-up.
SELECT l.id AS lead_id, a.occurred_at
FROM intermediate.int_leads l
JOIN intermediate.int_activities a ON a.who_id = l.id AND a.source = l.source AND a.occurred_at >= l.mql_at
WHERE l.mql_at IS NOT NULL
UNION ALL
SELECT l.id AS lead_id, a.occurred_at
FROM intermediate.int_leads l
JOIN intermediate.int_activities a ON a.who_id = l.converted_contact_id AND a.source = l.source AND a.occurred_at >= l.mql_at
WHERE l.mql_at IS NOT NULL
