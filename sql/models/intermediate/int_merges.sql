-- Records merged into others in their tool: gone there, though an older
-- drop of an incremental export may still hold them, which would count a
-- person twice. A HubSpot contact lists the contacts merged into it
-- (merged_ids); a Marketo winner has a Merge Leads activity whose
-- attribute lists the leads merged into it. loser_key is the merged-away
-- record's key; present says the warehouse still holds it.
WITH merges AS (
    SELECT l.source, 'lead' AS object, m.id AS loser_id, l.key AS winner_key
    FROM staging.leads l, unnest(id_list(l.merged_ids)) AS m(id)
    WHERE NOT l.is_deleted AND l.merged_ids IS NOT NULL
    UNION ALL
    SELECT p.source, 'person', m.id, p.key
    FROM staging.persons p, unnest(id_list(p.merged_ids)) AS m(id)
    WHERE NOT p.is_deleted AND p.merged_ids IS NOT NULL
    UNION ALL
    SELECT a.source, 'person', m.id, a.who_key
    FROM staging.activities a
    JOIN intermediate.source_params s ON s.source = a.source AND s.role = 'marketing' AND a.type_id = s.merge_type,
         unnest(regexp_extract_all(attribute(a.attributes, s.merge_value), '[A-Za-z0-9_-]+')) AS m(id)
    WHERE NOT a.is_deleted AND a.who_key IS NOT NULL
)
SELECT DISTINCT g.source, g.object, g.loser_id, g.source || ':' || g.loser_id AS loser_key, g.winner_key,
       g.object = 'lead' AND EXISTS (SELECT 1 FROM staging.leads l WHERE l.key = g.source || ':' || g.loser_id)
       OR g.object = 'person' AND EXISTS (SELECT 1 FROM staging.persons p WHERE p.key = g.source || ':' || g.loser_id) AS present
FROM merges g
WHERE g.source || ':' || g.loser_id <> g.winner_key
