{{- /*
The staging view of one source's object: the current state of each record,
renamed and cast into the canonical fields (dbt's staging convention:
rename and cast, nothing more). A Go text/template: coxswain fills it from
the source's preset and the raw table's columns; coxswain build --print-sql
prints what it makes, and testdata/staging holds it for every preset.

The raw table holds the records' versions (pipelines/ingest/history.go): the
current state is the versions not closed yet, whatever kind of export.

  .Source    the source's name       .Raw      its raw table
  .Object    the canonical object    .Snapshot full snapshots: every current record is in the latest drop
  .Fields    the canonical fields: {Name, Expr}, the Expr renames and casts a raw column
  .Keys      the record keys: {Name, Field}, a field's value prefixed with the source
  .ListKeys  the key lists of associations with several ids: {Name, Field}, each id prefixed
*/ -}}
SELECT *
{{- range .Keys}},
       {{quote (print $.Source ":")}} || {{ident .Field}} AS {{.Name}}
{{- end}}
{{- range .ListKeys}},
       list_transform({{ident .Field}}, x -> {{quote (print $.Source ":")}} || x) AS {{.Name}}
{{- end}} FROM (
    SELECT {{quote .Source}} AS source, d.drop_id, d.name AS drop_name, {{if .Snapshot}}coalesce(lf.name, f.name){{else}}f.name{{end}} AS source_file
{{- range .Fields}},
           {{.Expr}} AS {{ident .Name}}
{{- end}}
    FROM {{.Raw}} r
{{- if .Snapshot}}
    -- A full snapshot: every current version is in the object's latest drop,
    -- in its file of the object (or of the version's file's name, if it has several).
    JOIN meta.files f ON f.file_id = r._file_id
    JOIN meta.drops d ON d.drop_id = (SELECT d2.drop_id FROM meta.drops d2 JOIN meta.files f2 ON f2.drop_id = d2.drop_id
                                      WHERE f2.source = {{quote .Source}} AND f2.object = {{quote .Object}}
                                      ORDER BY d2.name DESC, d2.modified_at DESC LIMIT 1)
    LEFT JOIN (SELECT drop_id, name, count(*) OVER (PARTITION BY drop_id) AS files
               FROM (SELECT DISTINCT drop_id, name FROM meta.files WHERE source = {{quote .Source}} AND object = {{quote .Object}})) lf
           ON lf.drop_id = d.drop_id AND (lf.files = 1 OR lf.name = f.name)   -- at most one: names are distinct
{{- else}}
    -- Incremental exports: the file that last delivered the record as it is.
    JOIN meta.files f ON f.file_id = coalesce(r._seen_file, r._file_id)
    JOIN meta.drops d ON d.drop_id = f.drop_id
{{- end}}
    WHERE r._valid_to IS NULL AND r._invalid_column IS NULL
)
WHERE id IS NOT NULL
