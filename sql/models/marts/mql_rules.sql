-- Where each source's MQL date comes from, in words: the report's glossary
-- prints it beside the mqls definition. A person's mql_at is the earliest
-- instant any of its records' sources gives.
SELECT source, mql_rule AS rule
FROM intermediate.source_params
WHERE mql_rule IS NOT NULL
ORDER BY source
