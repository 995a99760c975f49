-- severity: warn
-- description: every lead has a creation date (a lead without one is left out of every metric)
SELECT source, id FROM staging.leads WHERE created_at IS NULL AND NOT is_deleted
