package models

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io/fs"
	"regexp"
	"runtime/debug"
	"strings"
	"time"

	"coxswain"
	"coxswain/pipelines/warehouse"
)

// Incremental says how a model is kept up to date between full rebuilds,
// as dbt's incremental models with a unique key are: a build deletes the
// rows of the records that can have changed and inserts them again, and
// leaves the others as they are. Its file's first lines say
//
//	-- incremental: by KEY over staging.OBJECTS
//	-- compares: intermediate.MODEL   (optional, one per line)
//
// KEY is the model's column holding the key of the staging.OBJECTS record
// each row comes from; every row must come from one record of that view.
// Beside the model, NAME.changes.sql selects the rows of staging.OBJECTS
// to recompute (SELECT a.* FROM staging.OBJECTS a WHERE ...). Besides the
// intermediate and staging relations (a model as this build makes it), it
// may read these:
//
//	since            one row: drop_id, file_id, as_of of the model's last build
//	changed_records  key: the records of OBJECTS with a version that a drop
//	                 since then opened, closed or repeated
//	previous_MODEL   MODEL's rows as the last build left them (compares:)
//
// The changes SQL must select every row of changed_records' keys (the
// build deletes their rows) and every record whose rows another input
// (the as-of, another model, another object) can have changed. The build
// adds the other rows of the keys selected for another reason (a full
// snapshot may list a record twice), and replaces the model's rows of
// changed_records and of the keys selected with the model's SQL run over
// the rows selected in place of staging.OBJECTS. build --full-refresh
// rebuilds the model whole and must give the same rows.
type Incremental struct {
	Key      string          // the model's column of the record key
	Over     string          // the staging view its rows come from: "staging.activities"
	Object   coxswain.Object // that view's object
	Compares []string        // models whose previous rows the changes SQL reads
	Changes  string          // NAME.changes.sql
}

var (
	incrementalRe = regexp.MustCompile(`(?m)^-- incremental: by ([a-z_][a-z0-9_]*) over (staging\.([a-z_]+))\s*$`)
	comparesRe    = regexp.MustCompile(`(?m)^-- compares: ((?:intermediate|marts)\.[a-z_][a-z0-9_]*)\s*$`)
)

// changesSuffix names the file beside an incremental model that selects the
// rows to recompute.
const changesSuffix = ".changes.sql"

// readIncremental reads an incremental model's header and its changes SQL.
// It returns nil for a model built whole at every build.
func readIncremental(fsys fs.FS, dir string, m Model) (*Incremental, error) {
	h := incrementalRe.FindStringSubmatch(m.SQL)
	if h == nil {
		if strings.Contains(m.SQL, "-- incremental:") {
			return nil, fmt.Errorf("sql/models/%s/%s.sql: write the incremental line as \"-- incremental: by KEY over staging.OBJECTS\"", m.Layer, m.Name)
		}
		return nil, nil
	}
	inc := &Incremental{Key: h[1], Over: h[2]}
	for _, obj := range coxswain.Objects {
		if obj.Plural() == h[3] {
			inc.Object = obj
		}
	}
	if inc.Object == "" {
		return nil, fmt.Errorf("sql/models/%s/%s.sql: %s is not a staging view of an object", m.Layer, m.Name, h[2])
	}
	for _, c := range comparesRe.FindAllStringSubmatch(m.SQL, -1) {
		inc.Compares = append(inc.Compares, c[1])
	}
	name := dir + "/" + m.Name + changesSuffix
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		return nil, fmt.Errorf("%s: an incremental model needs the SQL that selects the rows to recompute: %w", name, err)
	}
	inc.Changes = strings.TrimRight(strings.TrimSpace(string(data)), ";")
	return inc, nil
}

// previousRe finds the references of a changes SQL to a compared model's
// previous rows (previous_MODEL).
var previousRe = regexp.MustCompile(`\bprevious_([a-z_][a-z0-9_]*)\b`)

// modelState is what meta.model_state says an incremental model was last
// built from.
type modelState struct {
	fingerprint     string
	dropID, fileID  int64
	asOf            time.Time
	found, hasTable bool
}

// fingerprint hashes everything besides the drops and the as-of that an
// incremental model's rows depend on: the release, its commit and DuckDB's version,
// the SQL of sql/ (macros, models, tests, catalog), the staging views as
// this build made them (the sources' mappings and raw columns), and the
// parameters. A model built with another fingerprint is rebuilt whole.
func fingerprint(ctx context.Context, conn *sql.Conn, fsys fs.FS) (string, error) {
	h := sha256.New()
	var duckdb string
	if err := conn.QueryRowContext(ctx, `SELECT version()`).Scan(&duckdb); err != nil {
		return "", err
	}
	fmt.Fprintf(h, "version %s, commit %s, DuckDB %s\n", coxswain.Version, commit(), duckdb)
	err := fs.WalkDir(fsys, "sql", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(fsys, path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "file %s %d\n%s\n", path, len(data), data)
		return nil
	})
	if err != nil {
		return "", err
	}
	rows, err := conn.QueryContext(ctx, `SELECT view_name, sql FROM duckdb_views() WHERE schema_name = 'staging' AND NOT internal ORDER BY view_name`)
	if err != nil {
		return "", err
	}
	defer rows.Close()
	for rows.Next() {
		var name, text string
		if err := rows.Scan(&name, &text); err != nil {
			return "", err
		}
		fmt.Fprintf(h, "view %s %d\n%s\n", name, len(text), text)
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	// The parameters as the models read them, but the as-of: the rows the
	// build wrote (writeParams), by value.
	for _, q := range []string{
		`SELECT CAST(p AS VARCHAR) FROM (SELECT * EXCLUDE (as_of) FROM intermediate.params__next) p`,
		`SELECT coalesce(string_agg(CAST(s AS VARCHAR), ';' ORDER BY s.source), '') FROM intermediate.source_params__next s`,
	} {
		var text string
		if err := conn.QueryRowContext(ctx, q).Scan(&text); err != nil {
			return "", err
		}
		fmt.Fprintf(h, "params %d\n%s\n", len(text), text)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// commit is the commit the binary was built from, as far as it knows:
// make build's, or go build's own VCS stamp.
func commit() string {
	if coxswain.Commit != "" {
		return coxswain.Commit
	}
	var c string
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" || s.Key == "vcs.modified" {
				c += s.Key + "=" + s.Value + " "
			}
		}
	}
	return c
}

// loadState reads what meta.model_state says of model id.
func loadState(ctx context.Context, conn *sql.Conn, id string) (modelState, error) {
	var s modelState
	var err error
	schema, name, _ := strings.Cut(id, ".")
	if s.hasTable, err = warehouse.HasTable(ctx, conn, schema, name); err != nil {
		return s, err
	}
	err = conn.QueryRowContext(ctx, `SELECT fingerprint, drop_id, file_id, as_of FROM meta.model_state WHERE model = ?`, id).
		Scan(&s.fingerprint, &s.dropID, &s.fileID, &s.asOf)
	if err == sql.ErrNoRows {
		return s, nil
	}
	s.found = err == nil
	return s, err
}

// saveState records that model id now holds the rows of every drop and file
// loaded so far, as of p.AsOf.
func saveState(ctx context.Context, conn *sql.Conn, id, fp string, p Params, buildID int64) error {
	_, err := conn.ExecContext(ctx, `INSERT OR REPLACE INTO meta.model_state (model, fingerprint, drop_id, file_id, as_of, build_id)
		SELECT ?, ?, (SELECT coalesce(max(drop_id), 0) FROM meta.drops), (SELECT coalesce(max(file_id), 0) FROM meta.files), ?, ?`,
		id, fp, p.AsOf, buildID)
	return err
}

// selectChanges selects the rows of staging m must recompute since state
// s into the temporary table incremental_rows, beside changed_records and
// since, which applyChanges reads, and returns how many. They are
// committed tables (made before m's transaction), whose row counts
// DuckDB's optimizer knows. ids are the tables the build makes, which m
// reads under their next names (next.go).
func selectChanges(ctx context.Context, conn *sql.Conn, m Model, s modelState, ids map[string]bool) (recomputed int64, err error) {
	inc := m.Incremental
	// A compared model's previous rows are its table in place: the one m
	// was last built with, since m's state is not pending (next.go). Its
	// rows of this build are its next table.
	changes := previousRe.ReplaceAllStringFunc(nextRefs(inc.Changes, ids), func(ref string) string {
		name := strings.TrimPrefix(ref, "previous_")
		for _, c := range inc.Compares {
			if strings.HasSuffix(c, "."+name) {
				return c
			}
		}
		return ref
	})
	steps := []struct {
		what string
		sql  string
		args []any
	}{
		{"since", `CREATE OR REPLACE TEMP TABLE since AS SELECT ?::INTEGER AS drop_id, ?::INTEGER AS file_id, ?::TIMESTAMPTZ AS as_of`,
			[]any{s.dropID, s.fileID, s.asOf}},
		{"changed_records", `CREATE OR REPLACE TEMP TABLE changed_records AS
			SELECT DISTINCT key FROM staging.record_versions
			WHERE object = ? AND key IS NOT NULL AND (valid_from > ? OR valid_to > ? OR seen_file > ?)`,
			[]any{string(inc.Object), s.dropID, s.dropID, s.fileID}},
		{m.Name + changesSuffix, "CREATE OR REPLACE TEMP TABLE incremental_rows AS\n" + changes, nil},
	}
	for _, st := range steps {
		if _, err := conn.ExecContext(ctx, st.sql, st.args...); err != nil {
			return 0, fmt.Errorf("%s: %w", st.what, err)
		}
	}
	// The build deletes every row of a key it recomputes, so it must
	// recompute every staging row of the key. A key has two when a full
	// snapshot lists the record twice, and a condition of the changes (the
	// as-of, say) may have selected one of them. The changed records are
	// selected whole already; the rows of other keys are read again.
	var others int64
	if err := conn.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT key FROM incremental_rows EXCEPT SELECT key FROM changed_records)`).Scan(&others); err != nil {
		return 0, err
	}
	if others > 0 {
		for _, q := range []string{
			`ALTER TABLE incremental_rows RENAME TO incremental_selected`,
			fmt.Sprintf(`CREATE TEMP TABLE incremental_rows AS
				SELECT * FROM incremental_selected WHERE key IN (SELECT key FROM changed_records)
				UNION ALL BY NAME
				SELECT * FROM %s WHERE key IN (SELECT key FROM incremental_selected EXCEPT SELECT key FROM changed_records)`, inc.Over),
			`DROP TABLE incremental_selected`,
		} {
			if _, err := conn.ExecContext(ctx, q); err != nil {
				return 0, fmt.Errorf("the other rows of the keys selected: %w", err)
			}
		}
	}
	err = conn.QueryRowContext(ctx, `SELECT count(*) FROM incremental_rows`).Scan(&recomputed)
	return recomputed, err
}

// applyChanges replaces m's rows of changed_records and of the keys
// selected (selectChanges) with m's SQL run over incremental_rows, and
// returns how many rows of m it deleted.
func applyChanges(ctx context.Context, conn *sql.Conn, m Model, ids map[string]bool) (deleted int64, err error) {
	inc := m.Incremental
	res, err := conn.ExecContext(ctx, fmt.Sprintf(`DELETE FROM %s WHERE %s IN (SELECT key FROM changed_records UNION ALL SELECT key FROM incremental_rows)`,
		m.ID(), inc.Key))
	if err != nil {
		return 0, err
	}
	deleted, _ = res.RowsAffected()
	over := regexp.MustCompile(`(?i)\b` + regexp.QuoteMeta(inc.Over) + `\b`)
	_, err = conn.ExecContext(ctx, fmt.Sprintf("INSERT INTO %s BY NAME SELECT * FROM (\n%s\n)", m.ID(), over.ReplaceAllString(nextRefs(m.SQL, ids), "incremental_rows")))
	return deleted, err
}

// dropChanges drops the temporary tables of selectChanges.
func dropChanges(ctx context.Context, conn *sql.Conn) error {
	for _, q := range []string{`DROP TABLE IF EXISTS incremental_rows`, `DROP TABLE IF EXISTS changed_records`, `DROP TABLE IF EXISTS since`} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}
