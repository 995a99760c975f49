-- Which person each marketing-automation record is (docs/metrics.md,
-- "People joined across sources"). A record carrying a CRM id joins the
-- CRM person that id belongs to: a lead, the lead converted into a contact
-- (for a contact id), or a contact no lead became. Else its normalised
-- e-mail joins, when it is unique among the marketing records and among
-- the CRM people. Else the record is a person of its own.
--
-- A record merged into another in its tool (int_merges) is the person its
-- winner is, and a CRM lead merged into another is listed too, with the
-- winner's key: neither counts as a person of its own.
--
-- person_key is the CRM lead's or contact's key, or the record's own.
-- how: crm_id, email, none or merged. conflict: joined by CRM id while its
-- e-mail names another CRM person, or while its lead id and contact id name
-- two (the contact's wins). ambiguous: its e-mail is shared (by marketing
-- records or by CRM people) and no CRM id joined it.
WITH RECURSIVE merge_steps AS (         -- one winner per merged-away record
    SELECT loser_key, min(winner_key) AS winner_key FROM intermediate.int_merges GROUP BY ALL
), chain(loser_key, winner_key, depth) AS (  -- A merged into B, B into C: A is C (at most 20 steps: no cycle runs forever)
    SELECT loser_key, winner_key, 1 FROM merge_steps
    UNION ALL
    SELECT c.loser_key, m.winner_key, c.depth + 1
    FROM chain c JOIN merge_steps m ON m.loser_key = c.winner_key
    WHERE c.depth < 20
), merged AS (                         -- each merged-away record's final winner
    SELECT loser_key, arg_max(winner_key, depth) AS winner_key FROM chain GROUP BY ALL
), persons AS (                        -- crm_source: the CRM its records' ids belong to (NULL: any)
    SELECT p.source, p.id, p.key, p.crm_lead_id, p.crm_contact_id, nullif(lower(trim(p.email)), '') AS email_norm,
           g.loser_key IS NOT NULL AS merged_away, s.crm_source
    FROM staging.persons p
    LEFT JOIN merged g ON g.loser_key = p.key
    LEFT JOIN intermediate.source_params s ON s.source = p.source
    WHERE NOT p.is_deleted AND p.created_at IS NOT NULL
), leads AS (                          -- CRM leads, less those merged into others
    SELECT l.source, l.id, l.key, l.converted_contact_id, l.converted_contact_key, nullif(lower(trim(l.email)), '') AS email_norm
    FROM staging.leads l
    ANTI JOIN merged g ON g.loser_key = l.key
    WHERE NOT l.is_deleted AND l.created_at IS NOT NULL
), wanted AS (                         -- the ids and e-mails marketing records carry: only those CRM records matter
    SELECT crm_lead_id AS v FROM persons WHERE crm_lead_id IS NOT NULL
    UNION SELECT crm_contact_id FROM persons WHERE crm_contact_id IS NOT NULL
    UNION SELECT email_norm FROM persons WHERE email_norm IS NOT NULL
), all_crm_people AS (                 -- the CRM records a marketing record can join, with the person each belongs to
    SELECT source, id, 'lead' AS kind, key AS person_key, email_norm FROM leads
    UNION ALL                          -- a contact a lead became is that lead, by its id and its own e-mail
    SELECT l.source, l.converted_contact_id, 'contact', l.key, nullif(lower(trim(c.email)), '')
    FROM leads l LEFT JOIN staging.contacts c ON c.key = l.converted_contact_key AND NOT c.is_deleted
    WHERE l.converted_contact_id IS NOT NULL
    UNION ALL
    SELECT c.source, c.id, 'contact', c.key, nullif(lower(trim(c.email)), '')
    FROM staging.contacts c
    ANTI JOIN (SELECT converted_contact_key FROM leads WHERE converted_contact_key IS NOT NULL) v ON v.converted_contact_key = c.key
    WHERE NOT c.is_deleted
), crm_people AS (
    SELECT * FROM all_crm_people
    WHERE id IN (SELECT v FROM wanted) OR email_norm IN (SELECT v FROM wanted)
), by_id AS (
    SELECT p.key AS record_key, coalesce(rc.person_key, rl.person_key) AS person_key,
           coalesce(rc.person_key <> rl.person_key, false) AS ids_disagree   -- its lead id and contact id are two people
    FROM persons p
    LEFT JOIN crm_people rc ON rc.kind = 'contact' AND rc.id = p.crm_contact_id AND rc.source = coalesce(p.crm_source, rc.source)
    LEFT JOIN crm_people rl ON rl.kind = 'lead' AND rl.id = p.crm_lead_id AND rl.source = coalesce(p.crm_source, rl.source)
    WHERE rc.person_key IS NOT NULL OR rl.person_key IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY p.key ORDER BY rc.person_key, rl.person_key) = 1
), ma_emails AS (                      -- a record merged away does not make its winner's e-mail shared
    SELECT email_norm, count(*) AS n FROM persons WHERE email_norm IS NOT NULL AND NOT merged_away GROUP BY ALL
), crm_emails AS (
    SELECT email_norm, min(person_key) AS person_key, count(DISTINCT person_key) AS n
    FROM crm_people
    WHERE email_norm IN (SELECT email_norm FROM persons)
    GROUP BY ALL
), by_email AS (
    SELECT p.key AS record_key, c.person_key, m.n = 1 AND c.n = 1 AS unique_match
    FROM persons p JOIN ma_emails m USING (email_norm) JOIN crm_emails c USING (email_norm)
    WHERE NOT p.merged_away
), joined AS (
    SELECT p.source, p.id, p.key AS record_key,
           coalesce(i.person_key, CASE WHEN e.unique_match THEN e.person_key END, p.key) AS person_key,
           CASE WHEN i.person_key IS NOT NULL THEN 'crm_id' WHEN e.unique_match THEN 'email' ELSE 'none' END AS how,
           coalesce(i.ids_disagree OR i.person_key IS NOT NULL AND e.unique_match AND e.person_key <> i.person_key, false) AS conflict,
           i.person_key IS NULL AND p.email_norm IS NOT NULL AND NOT p.merged_away
               AND (coalesce(m.n, 0) > 1 OR coalesce(e.unique_match, true) = false) AS ambiguous
    FROM persons p
    LEFT JOIN by_id i ON i.record_key = p.key
    LEFT JOIN by_email e ON e.record_key = p.key
    LEFT JOIN ma_emails m ON m.email_norm = p.email_norm
)
SELECT j.source, j.id, j.record_key,
       CASE WHEN g.loser_key IS NOT NULL THEN coalesce(w.person_key, g.winner_key) ELSE j.person_key END AS person_key,
       CASE WHEN g.loser_key IS NOT NULL THEN 'merged' ELSE j.how END AS how,
       j.conflict AND g.loser_key IS NULL AS conflict,
       j.ambiguous AND g.loser_key IS NULL AS ambiguous
FROM joined j
LEFT JOIN merged g ON g.loser_key = j.record_key
LEFT JOIN joined w ON w.record_key = g.winner_key
UNION ALL
SELECT l.source, l.id, l.key, g.winner_key, 'merged', false, false   -- CRM leads merged into others
FROM staging.leads l JOIN merged g ON g.loser_key = l.key
