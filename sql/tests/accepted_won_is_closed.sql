-- severity: warn
-- description: a won opportunity is closed (the export says won but open; metrics treat it as closed)
SELECT source, id, stage FROM staging.opportunities WHERE is_won AND NOT coalesce(is_closed, false) AND NOT is_deleted
