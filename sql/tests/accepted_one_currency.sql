-- severity: warn
-- description: amounts are in one currency (sums would mix currencies; conversion is not applied)
SELECT currency, count(*) AS opportunities FROM staging.opportunities
WHERE NOT is_deleted AND currency IS NOT NULL
GROUP BY ALL
HAVING (SELECT count(DISTINCT currency) FROM staging.opportunities WHERE NOT is_deleted) > 1
