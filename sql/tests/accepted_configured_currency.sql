-- severity: warn
-- description: amounts are in the configured currency (the report and the workbook write them in it; set currency: in the config to the exports' code)
SELECT o.currency, count(*) AS opportunities, p.currency AS configured
FROM staging.opportunities o, intermediate.params p
WHERE NOT o.is_deleted AND o.currency IS NOT NULL AND p.currency IS NOT NULL
  AND upper(trim(o.currency)) <> p.currency
GROUP BY ALL
