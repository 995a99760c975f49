-- severity: error
-- description: a lead appears once per source in the models (an export that lists a record twice, or a model that fans out rows, would double every count)
WITH doubled AS (
    SELECT key, source, id, count(*) AS rows FROM intermediate.int_leads GROUP BY ALL HAVING count(*) > 1
)
-- The files that list it, so that the export at fault can be found.
SELECT d.source, d.id, d.rows,
       (SELECT string_agg(DISTINCT s.drop_name || '/' || s.source_file, ', ') FROM staging.leads s WHERE s.key = d.key) AS files
FROM doubled d
ORDER BY d.rows DESC, d.id
