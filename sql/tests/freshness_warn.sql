-- severity: warn
-- description: each source's newest drop is younger than its warn_after (default 48h) at the as-of
SELECT s.source, max(d.modified_at) AS newest_drop, s.warn_after_hours
FROM intermediate.source_params s CROSS JOIN intermediate.params p
LEFT JOIN meta.drops d ON d.source = s.source
GROUP BY ALL
HAVING max(d.modified_at) IS NULL OR epoch(any_value(p.as_of) - max(d.modified_at)) / 3600 > any_value(s.warn_after_hours)
