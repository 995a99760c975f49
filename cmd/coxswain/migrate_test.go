package main

import (
	"compress/gzip"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestBuild_MigratesPreviousWarehouse: a warehouse made by the release
// before recorded migrations (testdata/warehouse_v0.1.0) is migrated by the
// next build, loads nothing twice, and gives the hand-worked pack.
func TestBuild_MigratesPreviousWarehouse(t *testing.T) {
	dir := copyCase(t, "pack_edges")
	config := filepath.Join(dir, "coxswain.yaml")
	wh := filepath.Join(dir, "warehouse.duckdb")
	gunzip(t, filepath.Join("..", "..", "testdata", "warehouse_v0.1.0", "pack_edges.duckdb.gz"), wh)
	if n := queryInt(t, wh, `SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'meta' AND table_name = 'schema_migrations'`); n != 0 {
		t.Fatal("the old warehouse already records migrations: it is not the old release's")
	}

	// An analyst who upgrades and writes a pack before the next build gets
	// the old marts' numbers, not an error.
	early := filepath.Join(dir, "early")
	mustRun(t, "report", "--config", config, "--month", "2026-11", "--out", early)
	want := filepath.Join("..", "..", "testdata", "pack_edges", "expected")
	diffLines(t, "funnel.csv before the first new build", readLines(t, filepath.Join(early, "2026-11", "funnel.csv")), readLines(t, filepath.Join(want, "funnel.csv")))

	out := mustRun(t, "build", "--config", config, "--as-of", "2026-11-03T12:00:00Z")
	mustSay(t, "build on the old warehouse", out, ": 0 drops loaded (0 rows, 0 rows quarantined), 2 drops already loaded")
	if n := queryInt(t, wh, `SELECT count(*) FROM meta.schema_migrations WHERE version = 1`); n != 1 {
		t.Errorf("migration 1 recorded %d times, want once", n)
	}
	mustRun(t, "build", "--config", config, "--as-of", "2026-11-03T12:00:00Z")
	if n := queryInt(t, wh, `SELECT count(*) FROM meta.schema_migrations`); n < 1 {
		t.Error("no migration recorded")
	}

	packs := filepath.Join(dir, "packs")
	mustRun(t, "report", "--config", config, "--month", "2026-11", "--out", packs)
	for _, f := range []string{"funnel.csv", "sla_by_owner.csv", "targets.csv"} {
		diffLines(t, f, readLines(t, filepath.Join(packs, "2026-11", f)), readLines(t, filepath.Join(want, f)))
	}
	kpis := readLines(t, filepath.Join(packs, "2026-11", "kpis.csv"))
	diffLines(t, "kpis.csv (2026-08 to 2026-11)", append(kpis[:1:1], kpis[1+9*29:]...), readLines(t, filepath.Join(want, "kpis_2026-08_to_2026-11.csv")))
}

// gunzip writes the gzipped file src to dst.
func gunzip(t *testing.T, src, dst string) {
	t.Helper()
	gz, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer gz.Close()
	zr, err := gzip.NewReader(gz)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := io.Copy(f, zr); err != nil {
		t.Fatal(err)
	}
}

// historyViews are the staging views of testdata/history_edges.
var historyViews = []string{"crm__leads", "crm__opportunities", "crm__activities", "hs__leads"}

// queryLines runs q on the warehouse at path and returns its rows as
// sorted lines of "column=value" pairs.
func queryLines(t *testing.T, path, q string) []string {
	t.Helper()
	var out []string
	queryEach(t, path, q, func(rows *sql.Rows) error {
		cols, err := rows.Columns()
		if err != nil {
			return err
		}
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		var b strings.Builder
		for i, v := range vals {
			fmt.Fprintf(&b, "%s=%v ", cols[i], v)
		}
		out = append(out, b.String())
		return nil
	})
	slices.Sort(out)
	return out
}

// stagingRows reads a staging view of the warehouse at path, every row and
// column, sorted.
func stagingRows(t *testing.T, path, view string) []string {
	t.Helper()
	return queryLines(t, path, `SELECT * FROM staging.`+view)
}

// buildHistoryEdges builds testdata/history_edges in dir as the fixture
// warehouse was built: its first drops, then the rest, two of them late.
func buildHistoryEdges(t *testing.T, dir string) {
	t.Helper()
	config := filepath.Join(dir, "coxswain.yaml")
	later := filepath.Join(dir, "later")
	second := []string{"crm/2026-10-12", "crm/2026-10-22", "hs/2026-10-03", "hs/2026-10-09"}
	for _, d := range second {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(later, d)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(filepath.Join(dir, "exports", d), filepath.Join(later, d)); err != nil {
			t.Fatal(err)
		}
	}
	mustRun(t, "build", "--config", config, "--as-of", "2026-10-16T06:00:00Z")
	for _, d := range second {
		if err := os.Rename(filepath.Join(later, d), filepath.Join(dir, "exports", d)); err != nil {
			t.Fatal(err)
		}
	}
	mustRun(t, "build", "--config", config, "--as-of", "2026-10-23T06:00:00Z")
}

// TestBuild_MigratesToVersions: a warehouse of the release that kept every
// drop's rows whole (testdata/warehouse_before_versions) is turned into
// versions by the next build: its staging reads what that release read,
// and so does a new warehouse loaded from the same drops in the same
// order, late drops included; their packs are the same bytes.
func TestBuild_MigratesToVersions(t *testing.T) {
	old := copyCase(t, "history_edges")
	wh := filepath.Join(old, "warehouse.duckdb")
	gunzip(t, filepath.Join("..", "..", "testdata", "warehouse_before_versions", "history_edges.duckdb.gz"), wh)
	want := map[string][]string{}
	for _, v := range historyViews {
		want[v] = stagingRows(t, wh, v)
		if len(want[v]) == 0 {
			t.Fatalf("the old warehouse's %s is empty", v)
		}
	}
	rowsBefore := queryInt(t, wh, `SELECT count(*) FROM raw.crm__lead`)

	out := mustRun(t, "build", "--config", filepath.Join(old, "coxswain.yaml"), "--as-of", "2026-10-23T06:00:00Z")
	mustSay(t, "build on the old warehouse", out, ": 0 drops loaded (0 rows, 0 rows quarantined), 9 drops already loaded")
	rowsAfter := queryInt(t, wh, `SELECT count(*) FROM raw.crm__lead`)
	if rowsAfter >= rowsBefore {
		t.Errorf("raw.crm__lead kept %d rows of %d: repeated content is still stored", rowsAfter, rowsBefore)
	}

	fresh := copyCase(t, "history_edges")
	buildHistoryEdges(t, fresh)
	freshWH := filepath.Join(fresh, "warehouse.duckdb")
	for _, v := range historyViews {
		diffLines(t, "migrated staging."+v, stagingRows(t, wh, v), want[v])
		diffLines(t, "new staging."+v, stagingRows(t, freshWH, v), want[v])
	}
	// The migration replays the drops as they were loaded: its versions are
	// the new warehouse's, and the state as of every drop has each record
	// at most once. (Hashes are compared for current versions only: a new
	// warehouse hashed a closed one before a later file added a column.)
	for table, id := range map[string]string{"crm__lead": `"Id"`, "crm__activity": `"Id"`, "hs__lead": `coalesce("Record ID", "Contact ID")`} {
		versions := `SELECT ` + id + ` AS id, _drop_id, _valid_to, _seen_file, CASE WHEN _valid_to IS NULL THEN _hash END AS hash FROM raw.` + table
		diffLines(t, "raw."+table+" versions", queryLines(t, wh, versions), queryLines(t, freshWH, versions))
		for _, path := range []string{wh, freshWH} {
			if n := queryInt(t, path, `SELECT count(*) FROM meta.drops d, LATERAL (SELECT `+id+` AS id FROM raw_as_of('raw.`+table+`', d.drop_id)
				GROUP BY ALL HAVING count(*) > 1)`); n != 0 {
				t.Errorf("%s: raw.%s as of some drop has %d records twice", filepath.Base(filepath.Dir(path)), table, n)
			}
		}
	}
	mustRun(t, "report", "--config", filepath.Join(old, "coxswain.yaml"), "--month", "2026-10", "--out", filepath.Join(old, "packs"))
	mustRun(t, "report", "--config", filepath.Join(fresh, "coxswain.yaml"), "--month", "2026-10", "--out", filepath.Join(fresh, "packs"))
	for _, f := range []string{"kpis.csv", "funnel.csv", "data_quality.csv", "data_checks.csv", "sla_by_owner.csv"} {
		diffLines(t, f, readLines(t, filepath.Join(old, "packs", "2026-10", f)), readLines(t, filepath.Join(fresh, "packs", "2026-10", f)))
	}
}

// TestBuild_MigratesOddWarehouses: the migration to versions copes with
// what a warehouse may hold besides the usual: a drop whose manifest lists
// none of the table's files (its rows are kept), file columns named like
// the new bookkeeping ones (renamed to free names), and a DuckDB version
// recorded before an unversioned table was migrated.
func TestBuild_MigratesOddWarehouses(t *testing.T) {
	old := func(t *testing.T, change ...string) (config, wh string) {
		dir := copyCase(t, "history_edges")
		wh = filepath.Join(dir, "warehouse.duckdb")
		gunzip(t, filepath.Join("..", "..", "testdata", "warehouse_before_versions", "history_edges.duckdb.gz"), wh)
		db := openDuckDB(t, wh)
		defer db.Close()
		for _, q := range change {
			if _, err := db.Exec(q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		return filepath.Join(dir, "coxswain.yaml"), wh
	}
	build := func(config string) { mustRun(t, "build", "--config", config, "--as-of", "2026-10-23T06:00:00Z") }

	t.Run("a drop listing none of the table's files", func(t *testing.T) {
		config, wh := old(t, `UPDATE meta.files SET object = 'opportunity' WHERE source = 'crm' AND object = 'lead' AND drop_id = 1`)
		build(config)
		if n := queryInt(t, wh, `SELECT count(*) FROM raw.crm__lead WHERE _drop_id = 1`); n != 4 {
			t.Errorf("%d of the drop's 4 leads kept", n)
		}
	})
	t.Run("columns named like the bookkeeping", func(t *testing.T) {
		config, wh := old(t, `ALTER TABLE raw.crm__lead ADD COLUMN "_hash" VARCHAR`, `ALTER TABLE raw.crm__lead ADD COLUMN "_hash_2" VARCHAR`)
		build(config)
		if n := queryInt(t, wh, `SELECT count(*) FROM duckdb_columns() WHERE table_name = 'crm__lead' AND column_name IN ('_hash', '_hash_2', '_hash_3')`); n != 3 {
			t.Errorf("%d of _hash, _hash_2 and _hash_3", n)
		}
	})
	t.Run("a DuckDB version recorded before the migration", func(t *testing.T) {
		config, _ := old(t, `ALTER TABLE raw.hs__lead ADD COLUMN "_hash" VARCHAR`,
			`CREATE TABLE meta.history_hash (duckdb_version VARCHAR NOT NULL, hashed_at TIMESTAMPTZ NOT NULL)`,
			`INSERT INTO meta.history_hash VALUES ('v0.9.0', now())`)
		build(config)
	})
}
