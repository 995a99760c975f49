-- severity: error
-- description: each source's newest drop is younger than its error_after at the as-of (when one is set)
SELECT s.source, max(d.modified_at) AS newest_drop, s.error_after_hours
FROM intermediate.source_params s CROSS JOIN intermediate.params p
LEFT JOIN meta.drops d ON d.source = s.source
WHERE s.error_after_hours IS NOT NULL
GROUP BY ALL
HAVING max(d.modified_at) IS NULL OR epoch(any_value(p.as_of) - max(d.modified_at)) / 3600 > any_value(s.error_after_hours)
