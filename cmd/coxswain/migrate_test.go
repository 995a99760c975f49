package main

import (
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestBuild_MigratesPreviousWarehouse: a warehouse made by the release
// before recorded migrations (testdata/warehouse_v0.1.0) is migrated by the
// next build, loads nothing twice, and gives the hand-worked pack.
func TestBuild_MigratesPreviousWarehouse(t *testing.T) {
	dir := copyCase(t, "pack_edges")
	config := filepath.Join(dir, "coxswain.yaml")
	gz, err := os.Open(filepath.Join("..", "..", "testdata", "warehouse_v0.1.0", "pack_edges.duckdb.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer gz.Close()
	zr, err := gzip.NewReader(gz)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(filepath.Join(dir, "warehouse.duckdb"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(f, zr); err != nil {
		t.Fatal(err)
	}
	f.Close()
	wh := filepath.Join(dir, "warehouse.duckdb")
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
