-- severity: warn
-- description: no opportunity has a negative amount
SELECT source, id, amount FROM staging.opportunities WHERE amount < 0 AND NOT is_deleted
