//go:build bench

package main

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/duckdb/duckdb-go/v2"
)

// TestBenchOrg times a full build (load, models, data tests, Parquet feed)
// and a report on a large sample org, with each command's peak memory, as
// separate processes with DuckDB's memory_limit set from the config. The
// org is generated once into BENCH_DIR (default ../../bench) and reused.
func TestBenchOrg(t *testing.T) {
	leads := benchInt("BENCH_ORG_LEADS", 2_000_000)
	extra := benchInt("BENCH_ORG_EXTRA_ACTIVITIES", 8_500_000)
	dir, _ := filepath.Abs(benchStr("BENCH_DIR", "../../bench"))
	org := filepath.Join(dir, fmt.Sprintf("org-%d-%d", leads, extra))
	bin := filepath.Join(dir, "coxswain")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if _, err := os.Stat(filepath.Join(org, "exports")); err != nil {
		start := time.Now()
		os.RemoveAll(org)
		cmd := exec.Command(bin, "sample", "--dir", org, "--leads", strconv.Itoa(leads), "--extra-activities", strconv.Itoa(extra), "--single-drop")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("sample: %v\n%s", err, out)
		}
		t.Logf("generated %s in %.0fs", org, time.Since(start).Seconds())
	}
	config := filepath.Join(org, "bench.yaml")
	os.WriteFile(config, []byte(`timezone: America/New_York
warehouse: warehouse.duckdb
duckdb: { memory_limit: 3GB }
sources:
  - { name: crm, preset: salesforce, path: exports/salesforce, warn_after: 100000h }
plans: { spend: plans/spend.csv, targets: plans/targets.csv }
`), 0o644)
	var size int64
	files, _ := filepath.Glob(filepath.Join(org, "exports", "salesforce", "*", "*.csv"))
	for _, f := range files {
		fi, _ := os.Stat(f)
		size += fi.Size()
	}

	for _, p := range []string{"warehouse.duckdb", "warehouse.duckdb.wal", "export", "packs"} {
		os.RemoveAll(filepath.Join(org, p))
	}
	buildSecs, buildRSS := timed(t, bin, "build", "--quiet", "--config", config, "--as-of", "2026-11-15T06:00:00Z")
	reportSecs, reportRSS := timed(t, bin, "report", "--config", config, "--month", "2026-10", "--out", filepath.Join(org, "packs"))

	counts := map[string]int64{}
	connector, err := duckdb.NewConnector(filepath.Join(org, "warehouse.duckdb")+"?access_mode=read_only", nil)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(connector)
	for _, table := range []string{"leads", "activities", "opportunities"} {
		var n int64
		db.QueryRowContext(context.Background(), "SELECT count(*) FROM staging."+table).Scan(&n)
		counts[table] = n
	}
	db.Close()

	fmt.Printf("\norg benchmark: %d leads, %d activities, %d opportunities; %.0f MB of CSV in one drop\n",
		counts["leads"], counts["activities"], counts["opportunities"], float64(size)/1e6)
	fmt.Printf("  coxswain build (load, models, tests, parquet): %6.1f s   peak RSS %5.0f MB   (goals: < 60 s, < 4096 MB)\n", buildSecs, buildRSS)
	fmt.Printf("  coxswain report --month 2026-10:               %6.2f s   peak RSS %5.0f MB   (goal: < 2 s)\n", reportSecs, reportRSS)
	fmt.Println("  duckdb memory_limit: 3GB (from the config)")
}

// timed runs the binary and returns its wall time and peak resident memory.
func timed(t *testing.T, bin string, args ...string) (float64, float64) {
	t.Helper()
	start := time.Now()
	cmd := exec.Command(bin, args...)
	out, err := cmd.CombinedOutput()
	secs := time.Since(start).Seconds()
	if err != nil {
		t.Fatalf("%v: %v\n%s", args, err, out)
	}
	ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	return secs, float64(ru.Maxrss) / 1024 // Linux reports KiB
}

func benchInt(k string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(k)); err == nil {
		return v
	}
	return def
}

func benchStr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
