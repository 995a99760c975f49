-- severity: warn
-- description: every opportunity has a creation date (one without is left out of every metric)
SELECT source, id FROM staging.opportunities WHERE created_at IS NULL AND NOT is_deleted
