{{- /*
The staging view of one source's object: the current state of each record,
renamed and cast into the canonical fields (dbt's staging convention:
rename and cast, nothing more). A Go text/template: coxswain fills it from
the source's preset and the raw table's columns; coxswain build --print-sql
prints what it makes, and testdata/staging holds it for every preset.

  .Source    the source's name       .Raw      its raw table
  .Object    the canonical object    .Snapshot full snapshots: only the latest drop counts
  .Fields    the canonical fields: {Name, Expr}, the Expr renames and casts a raw column
  .Keys      the record keys: {Name, Field}, a field's value prefixed with the source
  .ListKeys  the key lists of associations with several ids: {Name, Field}, each id prefixed
*/ -}}
SELECT * EXCLUDE (_drop_order, _drop_time, _file_order)
{{- range .Keys}},
       {{quote (print $.Source ":")}} || {{ident .Field}} AS {{.Name}}
{{- end}}
{{- range .ListKeys}},
       list_transform({{ident .Field}}, x -> {{quote (print $.Source ":")}} || x) AS {{.Name}}
{{- end}} FROM (
    SELECT {{quote .Source}} AS source, r._drop_id AS drop_id, d.name AS drop_name, f.name AS source_file
{{- range .Fields}},
           {{.Expr}} AS {{ident .Name}}
{{- end}},
           d.name AS _drop_order, d.modified_at AS _drop_time, r._file_id AS _file_order
    FROM {{.Raw}} r
    JOIN meta.drops d ON d.drop_id = r._drop_id
    JOIN meta.files f ON f.file_id = r._file_id
    WHERE r._invalid_column IS NULL
{{- if .Snapshot}}
      -- A full snapshot: a record missing from the object's latest drop is gone.
      AND r._drop_id = (SELECT d2.drop_id FROM meta.drops d2 JOIN meta.files f2 ON f2.drop_id = d2.drop_id
                        WHERE f2.source = {{quote .Source}} AND f2.object = {{quote .Object}}
                        ORDER BY d2.name DESC, d2.modified_at DESC LIMIT 1)
{{- end}}
)
WHERE id IS NOT NULL
{{- if not .Snapshot}}
-- Incremental exports: each record's row from its latest drop. (A full
-- snapshot lists each record once: the window would cost half the view on
-- millions of rows, and the models' unique tests stop a build that has a
-- record twice.)
QUALIFY row_number() OVER (PARTITION BY id ORDER BY _drop_order DESC, _drop_time DESC, _file_order DESC) = 1
{{- end}}
