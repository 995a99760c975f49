package build

import (
	"context"
	"database/sql"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"coxswain"
	"coxswain/pipelines/ingest"
	"coxswain/pipelines/runlog"
	"coxswain/pipelines/sampleorg"
	"coxswain/pipelines/warehouse"
)

var asOf = time.Date(2026, 11, 15, 6, 0, 0, 0, time.UTC)

// org writes a small sample org and returns its configuration.
func org(t *testing.T) *coxswain.Config {
	t.Helper()
	dir := t.TempDir()
	o := sampleorg.DefaultOptions()
	o.Leads = 300
	if _, err := sampleorg.Generate(dir, o); err != nil {
		t.Fatal(err)
	}
	cfg, err := coxswain.LoadConfig(filepath.Join(dir, "coxswain.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func opts() Options {
	return Options{AsOf: asOf, Now: func() time.Time { return asOf }}
}

func query(t *testing.T, cfg *coxswain.Config, q string) []string {
	t.Helper()
	w, err := warehouse.OpenReadOnly(context.Background(), cfg.WarehousePath(), cfg.DuckDB)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	rows, err := w.DB.Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s sql.NullString
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s.String)
	}
	return out
}

func equal(t *testing.T, what string, got, want []string) {
	t.Helper()
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("%s:\ngot  %q\nwant %q", what, got, want)
	}
}

// TestRun_StepsInOrder: a build loads, models and exports, and records
// itself in meta.builds and the run log; the next, with nothing new, skips
// the drops and rebuilds the models from what is there.
func TestRun_StepsInOrder(t *testing.T) {
	cfg := org(t)
	res, err := Run(context.Background(), cfg, opts())
	if err != nil {
		t.Fatal(err)
	}
	if loaded, _, rows, _ := res.Counts(); res.BuildID != 1 || loaded != 2 || rows == 0 || res.Models == nil {
		t.Fatalf("first build: id %d, %d drops, %d rows, models %v", res.BuildID, loaded, rows, res.Models != nil)
	}
	if _, err := os.Stat(filepath.Join(cfg.ExportPath(), "kpis")); err != nil {
		t.Errorf("no Parquet feed: %v", err)
	}
	res, err = Run(context.Background(), cfg, opts())
	if err != nil {
		t.Fatal(err)
	}
	if loaded, skipped, _, _ := res.Counts(); loaded != 0 || skipped != 2 || res.Models == nil {
		t.Errorf("second build loaded %d, skipped %d, models %v", loaded, skipped, res.Models != nil)
	}
	equal(t, "meta.builds", query(t, cfg, `SELECT concat_ws('|', build_id, outcome, drops_loaded, drops_skipped, as_of) FROM meta.builds ORDER BY build_id`),
		[]string{"1|ok|2|0|2026-11-15 06:00:00+00", "2|ok|0|2|2026-11-15 06:00:00+00"})
	equal(t, "meta.runs", query(t, cfg, `SELECT concat_ws('|', command, outcome) FROM meta.runs ORDER BY run_id`), []string{"build|ok", "build|ok"})
	runs, err := runlog.Tail(cfg.Resolve(cfg.RunLog), 10)
	if err != nil || len(runs) != 2 || runs[1].Counts["build_id"] != 2 {
		t.Errorf("run log: %+v, %v", runs, err)
	}
}

// TestRun_FailedDropKeepsTheMarts: a drop that fails fails the build,
// which says what to run after the fix; the models are not rebuilt over a
// partial load, so the marts stay those of the last good build.
func TestRun_FailedDropKeepsTheMarts(t *testing.T) {
	cfg := org(t)
	if _, err := Run(context.Background(), cfg, opts()); err != nil {
		t.Fatal(err)
	}
	before := query(t, cfg, `SELECT count(*) FROM marts.kpis`)
	bad := filepath.Join(cfg.Resolve(cfg.Sources[0].Path), "2026-11-16")
	if err := os.MkdirAll(bad, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bad, "Lead.csv"), []byte("Id,Name\n00Q000000000001AAA,x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	later := opts()
	later.AsOf = asOf.Add(24 * time.Hour)
	res, err := Run(context.Background(), cfg, later)
	var de *ingest.DropError
	if !errors.As(err, &de) || res == nil || res.Models != nil {
		t.Fatalf("build over a bad drop: %v (models rebuilt: %v)", err, res != nil && res.Models != nil)
	}
	var says []string
	for _, h := range coxswain.Hints(err) {
		says = append(says, h.String())
	}
	if !slices.Contains(says, "coxswain build") || len(says) < 2 {
		t.Errorf("hints %q: want the mapping advice and the build to run again after the fix", says)
	}
	equal(t, "last build", query(t, cfg, `SELECT outcome FROM meta.builds ORDER BY build_id DESC LIMIT 1`), []string{"failed"})
	equal(t, "marts", query(t, cfg, `SELECT count(*) FROM marts.kpis`), before)
	equal(t, "as of the marts", query(t, cfg, `SELECT strftime(as_of, '%Y-%m-%d') FROM intermediate.params`), []string{"2026-11-15"})
}

// TestRun_LoadOnly loads and stages, and leaves the models alone.
func TestRun_LoadOnly(t *testing.T) {
	cfg := org(t)
	o := opts()
	o.LoadOnly = true
	res, err := Run(context.Background(), cfg, o)
	if err != nil {
		t.Fatal(err)
	}
	if res.Models != nil {
		t.Error("--load-only rebuilt the models")
	}
	equal(t, "marts", query(t, cfg, `SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'marts'`), []string{"0"})
	if got := query(t, cfg, `SELECT count(*) > 0 FROM staging.leads`); got[0] != "true" {
		t.Error("staging is empty after --load-only")
	}
}

// TestRun_Refused: a build turned away by the lock is recorded as failed,
// names the holder, and leaves the warehouse alone.
func TestRun_Refused(t *testing.T) {
	cfg := org(t)
	if _, err := Run(context.Background(), cfg, opts()); err != nil {
		t.Fatal(err)
	}
	lock, err := warehouse.AcquireLock(cfg.WarehousePath(), "report", asOf)
	if err != nil {
		t.Fatal(err)
	}
	_, err = Run(context.Background(), cfg, opts())
	lock.Release()
	var le *warehouse.LockedError
	if !errors.As(err, &le) || le.Holder == nil || le.Holder.Command != "report" {
		t.Fatalf("got %v, want the warehouse in use by report", err)
	}
	runs, _ := runlog.Tail(cfg.Resolve(cfg.RunLog), 10)
	if len(runs) != 2 || runs[1].Outcome != "failed" {
		t.Errorf("run log %+v: want the refused build recorded as failed", runs)
	}
	equal(t, "meta.builds", query(t, cfg, `SELECT count(*) FROM meta.builds`), []string{"1"})
}

// TestRun_CancelledThenCompleted: a build cancelled part way (the
// scheduler's second signal) leaves the warehouse as it was and is recorded
// as failed; the next build loads everything.
func TestRun_CancelledThenCompleted(t *testing.T) {
	cfg := org(t)
	ctx, cancel := context.WithCancel(context.Background())
	o := opts()
	o.OnFile = func(drop, file string, done, total int) {
		if done == 1 { // the second file of the first drop is about to load
			cancel()
		}
	}
	_, err := Run(ctx, cfg, o)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled build: %v", err)
	}
	equal(t, "builds", query(t, cfg, `SELECT outcome FROM meta.builds`), []string{"failed"})
	equal(t, "drops", query(t, cfg, `SELECT count(*) FROM meta.drops`), []string{"0"})
	equal(t, "raw", query(t, cfg, `SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'raw' AND estimated_size > 0`), []string{"0"})

	res, err := Run(context.Background(), cfg, opts())
	if err != nil {
		t.Fatal(err)
	}
	if loaded, _, _, _ := res.Counts(); loaded != 2 || res.Models == nil {
		t.Errorf("the next build loaded %d drops, models %v; want both drops and the models", loaded, res.Models != nil)
	}
}
