package warehouse

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"coxswain"
)

// TestOpen_MigratesOnce: each migration runs once and is recorded; a
// second open runs none.
func TestOpen_MigratesOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.duckdb")
	for range 2 {
		w, err := Open(context.Background(), path, coxswain.DuckDB{Threads: 1})
		if err != nil {
			t.Fatal(err)
		}
		var n, distinct int
		if err := w.DB.QueryRow(`SELECT count(*), count(DISTINCT version) FROM meta.schema_migrations`).Scan(&n, &distinct); err != nil {
			t.Fatal(err)
		}
		all, _ := Migrations(coxswain.SQL)
		if n != len(all) || distinct != n {
			t.Errorf("%d migrations recorded (%d distinct), want %d once each", n, distinct, len(all))
		}
		w.Close()
	}
}

// TestOpen_RefusesAnEditedMigration: a migration whose file changed after
// the warehouse ran it is an error that says to add a new one.
func TestOpen_RefusesAnEditedMigration(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.duckdb")
	w, err := Open(context.Background(), path, coxswain.DuckDB{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.DB.Exec(`UPDATE meta.schema_migrations SET sha256 = 'edited' WHERE version = 1`); err != nil {
		t.Fatal(err)
	}
	w.Close()
	_, err = Open(context.Background(), path, coxswain.DuckDB{Threads: 1})
	if err == nil || !strings.Contains(err.Error(), "sql/migrations/0001_meta.sql was changed after this warehouse ran it") {
		t.Errorf("got %v", err)
	}
}

func TestMigrations_Names(t *testing.T) {
	for _, tc := range []struct {
		files []string
		want  string
	}{
		{[]string{"0001_a.sql", "0002_b.sql"}, ""},
		{[]string{"0001_a.sql", "1_b.sql"}, "have the same number"},
		{[]string{"meta.sql"}, "a migration is named NNNN_what.sql"},
		{[]string{"0003_a.txt"}, "a migration is named NNNN_what.sql"},
	} {
		fsys := fstest.MapFS{}
		for _, f := range tc.files {
			fsys["sql/migrations/"+f] = &fstest.MapFile{Data: []byte("SELECT 1")}
		}
		ms, err := Migrations(fsys)
		switch {
		case tc.want == "" && (err != nil || len(ms) != len(tc.files) || ms[0].Version != 1):
			t.Errorf("%v: %v, %+v", tc.files, err, ms)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%v: got %v, want %q", tc.files, err, tc.want)
		}
	}
}

// TestOpen_RefusesANewerWarehouse: a warehouse migrated by a newer release
// is not opened by an older one, which would not know its shape.
func TestOpen_RefusesANewerWarehouse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "w.duckdb")
	w, err := Open(context.Background(), path, coxswain.DuckDB{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.DB.Exec(`INSERT INTO meta.schema_migrations (version, name, sha256, applied_at) VALUES (9999, 'future', 'x', now())`); err != nil {
		t.Fatal(err)
	}
	w.Close()
	_, err = Open(context.Background(), path, coxswain.DuckDB{Threads: 1})
	if err == nil || !strings.Contains(err.Error(), "was migrated by a newer coxswain (migration 9999") {
		t.Errorf("got %v", err)
	}
}
