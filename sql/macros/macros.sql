-- Record ids as metrics compare them.

-- One character of a Salesforce id's checksum suffix: bit i is set when the
-- i-th of the five characters is an upper-case letter.
CREATE OR REPLACE MACRO sf_id_chunk(s) AS
    substr('ABCDEFGHIJKLMNOPQRSTUVWXYZ012345',
           (1 + list_sum([CASE WHEN ascii(substr(s, i, 1)) BETWEEN 65 AND 90 THEN 1 << (i - 1) ELSE 0 END
                          FOR i IN range(1, 6)]))::BIGINT,
           1);

-- A Salesforce id in its 18-character form: 15-character ids (case-sensitive)
-- get their checksum suffix; 18-character ids keep their first 15 characters
-- and an upper-cased suffix (the suffix is case-insensitive). The dummy id
-- 000000000000000AAA (its suffix in any case) and empty values are null.
-- The first branch is the common case (an export's 18-character id), tested
-- before anything costly.
CREATE OR REPLACE MACRO sf_id_trimmed(t) AS
    CASE
        WHEN t IN ('', '000000000000000') OR upper(t) = '000000000000000AAA' THEN NULL
        WHEN length(t) = 15 THEN t || sf_id_chunk(substr(t, 1, 5)) || sf_id_chunk(substr(t, 6, 5)) || sf_id_chunk(substr(t, 11, 5))
        WHEN length(t) = 18 THEN substr(t, 1, 15) || upper(substr(t, 16, 3))
        ELSE t
    END;

CREATE OR REPLACE MACRO sf_id(x) AS
    CASE
        WHEN length(x) = 18 AND NOT starts_with(x, '000000000000000') AND x NOT LIKE ' %' AND x NOT LIKE '% '
            THEN substr(x, 1, 15) || upper(substr(x, 16, 3))
        ELSE sf_id_trimmed(trim(x))
    END;

-- Any other tool's id: trimmed, empty is null; a number written as 123.0 is 123.
CREATE OR REPLACE MACRO plain_id(x) AS
    nullif(regexp_replace(trim(x), '^(\d+)\.0+$', '\1'), '');

-- A CRM id written by another tool (a marketing tool's sfdcLeadId,
-- crm_lead_fid): a Salesforce id in its 18-character form where it looks
-- like one (15 or 18 letters and digits), else as plain_id.
CREATE OR REPLACE MACRO crm_id(x) AS
    CASE WHEN regexp_full_match(trim(x), '[A-Za-z0-9]{15}|[A-Za-z0-9]{18}') THEN sf_id(x) ELSE plain_id(x) END;

-- The ids of a ;-joined list (HubSpot's Associated Contact IDs), in order,
-- empty entries left out, NULL when there is none; commas are read as
-- separators too (some tools re-save the lists with them).
CREATE OR REPLACE MACRO id_list(x) AS
    nullif(list_filter(list_transform(regexp_split_to_array(x, '[;,]'), e -> plain_id(e)), e -> e IS NOT NULL), []::VARCHAR[]);

-- The first id of such a list.
CREATE OR REPLACE MACRO first_id(x) AS
    id_list(x)[1];

-- A calendar date as the instant it starts in the reporting zone, so that a
-- date-only value (Salesforce ConvertedDate) falls in its own month whatever
-- the zone: a date is never shifted.
CREATE OR REPLACE MACRO date_start(d, tz) AS
    timezone(tz, d::TIMESTAMP);

-- Working hours between two instants, counted in the reporting zone: the
-- overlap of [a, b] with each working day's [start_h, end_h), on the ISO
-- weekdays listed and not on the holidays listed.
CREATE OR REPLACE MACRO working_hours_between(a, b, tz, start_h, end_h, days, holidays) AS
    coalesce(list_sum([
        greatest(0, epoch(least(timezone(tz, b), d + to_hours(end_h))
                          - greatest(timezone(tz, a), d + to_hours(start_h)))) / 3600.0
        FOR d IN range(date_trunc('day', timezone(tz, a)), date_trunc('day', timezone(tz, b)) + INTERVAL 1 DAY, INTERVAL 1 DAY)
        IF list_contains(days, isodow(d)) AND NOT list_contains(holidays, d::DATE)
    ]), 0);

-- One attribute of an activity's JSON attributes (Marketo: {"New Value":
-- "MQL", ...}) as text; NULL when the attributes are not JSON or lack it.
CREATE OR REPLACE MACRO attribute(attributes, name) AS
    CASE WHEN json_valid(attributes) THEN json_extract_string(attributes, '$."' || replace(name, '"', '\"') || '"') END;

-- The examples column of data_checks.csv: up to five of the values, sorted,
-- joined by ';' (docs/metrics.md, section 5).
CREATE OR REPLACE MACRO examples(xs) AS
    array_to_string(list_sort(xs)[1:5], ';');

-- A raw table as it stood once drop d was loaded: the versions valid then
-- (pipelines/ingest/history.go). SELECT * FROM raw_as_of('raw.crm__lead', 12).
-- The current state is the rows with _valid_to IS NULL (raw_as_of of the
-- drop loaded last).
CREATE OR REPLACE MACRO raw_as_of(tbl, d) AS TABLE
    SELECT * FROM query_table(tbl) WHERE _drop_id <= d AND (_valid_to IS NULL OR _valid_to > d);
