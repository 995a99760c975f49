-- severity: error
-- description: a lead appears once per source in the models (a model that fans out rows would double every count)
SELECT source, id, count(*) AS rows FROM intermediate.int_leads GROUP BY ALL HAVING count(*) > 1
