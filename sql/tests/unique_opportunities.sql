-- severity: error
-- description: an opportunity appears once per source in the models (an export that lists a record twice would double pipeline and bookings)
WITH doubled AS (
    SELECT key, source, id, count(*) AS rows FROM intermediate.int_opportunities GROUP BY ALL HAVING count(*) > 1
)
-- The files that list it, so that the export at fault can be found.
SELECT d.source, d.id, d.rows,
       (SELECT string_agg(DISTINCT s.drop_name || '/' || s.source_file, ', ') FROM staging.opportunities s WHERE s.key = d.key) AS files
FROM doubled d
ORDER BY d.rows DESC, d.id
