-- The export files that fed the build: every file of the drop each
-- source's object is currently read from (a full snapshot's latest drop),
-- and the object's files of every drop with rows in the current state
-- (incremental sources).
WITH latest AS (
    SELECT source, object, arg_max(drop_id, (drop_name, modified_at)) AS drop_id
    FROM (SELECT f.source, f.object, f.drop_id, d.name AS drop_name, d.modified_at
          FROM meta.files f JOIN meta.drops d USING (drop_id))
    GROUP BY ALL
), current_rows AS (               -- the big objects from their materialised models (int_activities keeps incremental rows' drops only)
    SELECT DISTINCT 'lead' AS object, drop_id FROM intermediate.int_leads
    UNION SELECT DISTINCT 'opportunity', drop_id FROM intermediate.int_opportunities
    UNION SELECT DISTINCT 'activity', drop_id FROM intermediate.int_activities
    UNION SELECT DISTINCT 'contact', drop_id FROM staging.contacts
    UNION SELECT DISTINCT 'user', drop_id FROM staging.users
    UNION SELECT DISTINCT 'account', drop_id FROM staging.accounts
    UNION SELECT DISTINCT 'campaign', drop_id FROM staging.campaigns
    UNION SELECT DISTINCT 'campaign_member', drop_id FROM staging.campaign_members
)
SELECT f.source, f.object, d.name AS drop_name, f.name AS file_name, d.name || '/' || f.name AS file,
       f.sha256, f.bytes, f.rows_read, f.rows_loaded, f.rows_rejected, f.first_error, f.file_id
FROM meta.files f
JOIN meta.drops d USING (drop_id)
WHERE EXISTS (SELECT 1 FROM latest l WHERE l.drop_id = f.drop_id AND l.object = f.object)
   OR EXISTS (SELECT 1 FROM current_rows c WHERE c.drop_id = f.drop_id AND c.object = f.object)
ORDER BY f.source, f.object, d.name, f.name
