-- severity: error
-- description: an opportunity appears once per source in the models
SELECT source, id, count(*) AS rows FROM intermediate.int_opportunities GROUP BY ALL HAVING count(*) > 1
