-- severity: warn
-- description: a lead's converted opportunity exists (otherwise it cannot count as marketing-sourced)
SELECT l.source, l.id, l.converted_opportunity_key FROM intermediate.int_leads l
WHERE l.converted_opportunity_key IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM intermediate.int_opportunities o WHERE o.key = l.converted_opportunity_key)
