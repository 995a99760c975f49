package ingest

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"coxswain"
	"coxswain/pipelines/plans"
	"coxswain/pipelines/staging"
	"coxswain/pipelines/warehouse"
)

// testEnv is a source folder and a warehouse file in a temp dir.
type testEnv struct {
	tb   testing.TB
	dir  string
	yaml string // the sources block and anything else
	wh   *warehouse.Warehouse
	// builds counts the builds run, to number them as the runner would.
	builds int64
	// accept are the drops the next build accepts (--accept-drop).
	accept []string
	// insertWhole loads snapshots the reference way (Options.insertWhole).
	insertWhole bool
	log         *slog.Logger // the loads' events (nil: none)
}

// warehouse opens the env's warehouse once; it closes when the test ends.
func (e *testEnv) warehouse() *warehouse.Warehouse {
	e.tb.Helper()
	if e.wh == nil {
		cfg := e.config()
		w, err := warehouse.Open(context.Background(), cfg.WarehousePath(), cfg.DuckDB)
		if err != nil {
			e.tb.Fatal(err)
		}
		e.wh = w
		e.tb.Cleanup(func() { w.Close() })
	}
	return e.wh
}

func newEnv(tb testing.TB, configYAML string) *testEnv {
	tb.Helper()
	dir := tb.TempDir()
	for _, sub := range []string{"exports/crm", "exports/hs", "exports/gen"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			tb.Fatal(err)
		}
	}
	if configYAML == "" {
		configYAML = "sources:\n  - {name: crm, preset: salesforce, path: exports/crm}\n"
	}
	return &testEnv{tb: tb, dir: dir, yaml: "warehouse: wh.duckdb\ntimezone: America/New_York\n" + configYAML}
}

// drop writes files (name to content) as a folder drop of a source.
func (e *testEnv) drop(source, name string, files map[string]string) string {
	e.tb.Helper()
	d := filepath.Join(e.dir, "exports", source, name)
	if err := os.MkdirAll(d, 0o755); err != nil {
		e.tb.Fatal(err)
	}
	for n, content := range files {
		if err := os.WriteFile(filepath.Join(d, n), []byte(content), 0o644); err != nil {
			e.tb.Fatal(err)
		}
	}
	return d
}

// zipDrop writes files as a ZIP drop.
func (e *testEnv) zipDrop(source, name string, files map[string]string) string {
	e.tb.Helper()
	p := filepath.Join(e.dir, "exports", source, name)
	f, err := os.Create(p)
	if err != nil {
		e.tb.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for n, content := range files {
		w, err := zw.Create(n)
		if err != nil {
			e.tb.Fatal(err)
		}
		w.Write([]byte(content))
	}
	if err := zw.Close(); err != nil {
		e.tb.Fatal(err)
	}
	f.Close()
	return p
}

func (e *testEnv) config() *coxswain.Config {
	e.tb.Helper()
	cfg, err := coxswain.ParseConfig(strings.NewReader(e.yaml), e.dir)
	if err != nil {
		e.tb.Fatalf("config: %v", err)
	}
	return cfg
}

var testAsOf = time.Date(2026, 11, 15, 6, 0, 0, 0, time.UTC)

// build runs a build and returns its result and error.
// build does what pipelines/build's runner does with the raw layer: load
// the new drops, the plans and the staging views (the runner's own tests
// cover the rest).
func (e *testEnv) build() (*Result, error) {
	e.tb.Helper()
	ctx := context.Background()
	cfg := e.config()
	mappings, err := Mappings(cfg)
	if err != nil {
		return nil, err
	}
	conn, err := e.warehouse().DB.Conn(ctx)
	if err != nil {
		e.tb.Fatal(err)
	}
	defer conn.Close()
	e.builds++
	res, err := Load(ctx, conn, cfg, e.warehouse().Path, mappings, Options{BuildID: e.builds, Now: func() time.Time { return testAsOf }, AcceptDrops: e.accept, insertWhole: e.insertWhole, Log: e.log})
	errs := []error{err}
	errs = append(errs, plans.Load(ctx, conn, cfg))
	if err := staging.Refresh(ctx, conn, cfg, mappings); err != nil {
		errs = append(errs, err)
	}
	return res, errors.Join(errs...)
}

// mustBuild runs a build that must succeed.
func (e *testEnv) mustBuild() *Result {
	e.tb.Helper()
	res, err := e.build()
	if err != nil {
		e.tb.Fatalf("build: %v", err)
	}
	return res
}

// query runs a query on the warehouse and returns its rows as strings
// (NULL as "NULL"), each row's columns joined with "|".
func (e *testEnv) query(q string, args ...any) []string {
	e.tb.Helper()
	// Render instants in UTC whatever the machine's zone: a pinned
	// connection, since the build sets the zone on its own.
	conn, err := e.warehouse().DB.Conn(context.Background())
	if err != nil {
		e.tb.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), "SET TimeZone = 'UTC'"); err != nil {
		e.tb.Fatal(err)
	}
	rows, err := conn.QueryContext(context.Background(), q, args...)
	if err != nil {
		e.tb.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			e.tb.Fatal(err)
		}
		parts := make([]string, len(vals))
		for i, v := range vals {
			parts[i] = render(v)
		}
		out = append(out, strings.Join(parts, "|"))
	}
	if err := rows.Err(); err != nil {
		e.tb.Fatal(err)
	}
	return out
}

func render(v any) string {
	switch x := v.(type) {
	case nil:
		return "NULL"
	case time.Time:
		if x.Hour() == 0 && x.Minute() == 0 && x.Second() == 0 && x.Location() == time.UTC {
			return x.Format("2006-01-02")
		}
		return x.UTC().Format("2006-01-02 15:04:05")
	case []byte:
		return string(x)
	}
	return strings.TrimSpace(strings.ReplaceAll(fmtAny(v), "\n", `\n`))
}

func equalRows(tb testing.TB, what string, got, want []string) {
	tb.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		tb.Errorf("%s:\n got:\n  %s\nwant:\n  %s", what, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func fmtAny(v any) string { return fmt.Sprint(v) }
