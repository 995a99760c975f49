-- The kind of record a file holds where an export writes one kind per file
-- (HubSpot's calls, meetings, e-mails, tasks, notes), told by its header.
ALTER TABLE meta.files ADD COLUMN kind VARCHAR;
