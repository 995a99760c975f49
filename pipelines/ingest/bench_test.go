//go:build bench

package ingest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"coxswain"
	"coxswain/pipelines/presets"
	"coxswain/pipelines/sampleorg"
	"coxswain/pipelines/warehouse"
)

// TestBenchLoad compares `coxswain build` loading one big Salesforce Lead
// export with DuckDB's own CREATE TABLE AS SELECT ... FROM read_csv(...) on
// the same file with the same column types. Run it with make bench; the
// export is generated once into BENCH_DIR (default ../../bench) and reused.
func TestBenchLoad(t *testing.T) {
	leads := envInt("BENCH_LEADS", 2_000_000)
	dir, err := filepath.Abs(envStr("BENCH_DIR", "../../bench"))
	if err != nil {
		t.Fatal(err)
	}
	org := filepath.Join(dir, fmt.Sprintf("leads-%d", leads))
	lead := filepath.Join(org, "exports", "salesforce", "2026-11-15", "Lead.csv")
	if _, err := os.Stat(lead); err != nil {
		start := time.Now()
		o := sampleorg.DefaultOptions()
		o.Leads, o.LeadsOnly = leads, true
		os.RemoveAll(org)
		if _, err := sampleorg.Generate(org, o); err != nil {
			t.Fatal(err)
		}
		t.Logf("generated %s in %.1fs", lead, time.Since(start).Seconds())
	}
	fi, err := os.Stat(lead)
	if err != nil {
		t.Fatal(err)
	}
	cfgPath := filepath.Join(org, "coxswain.yaml")
	os.WriteFile(cfgPath, []byte("warehouse: warehouse.duckdb\nsources:\n  - {name: crm, preset: salesforce, path: exports/salesforce}\n"), 0o644)

	bin := filepath.Join(dir, "coxswain")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/coxswain").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	runs := envInt("BENCH_RUNS", 5)
	var buildSecs, ctasSecs []float64
	for i := 0; i < runs; i++ {
		// Alternate, so that neither side always has the warmer page cache.
		os.Remove(filepath.Join(org, "warehouse.duckdb"))
		os.Remove(filepath.Join(org, "warehouse.duckdb.wal"))
		start := time.Now()
		cmd := exec.Command(bin, "build", "--load-only", "--quiet", "--config", cfgPath, "--as-of", "2026-11-15T06:00:00Z")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("coxswain build: %v\n%s", err, out)
		}
		buildSecs = append(buildSecs, time.Since(start).Seconds())

		ctasSecs = append(ctasSecs, baselineCTAS(t, lead, filepath.Join(org, "baseline.duckdb")))
	}
	b, c := median(buildSecs), median(ctasSecs)
	fmt.Printf("\nload benchmark: %s, %d rows, %.0f MB (median of %d runs)\n", lead, leads, float64(fi.Size())/1e6, runs)
	fmt.Printf("  coxswain build --load-only:      %6.2f s  (runs: %s)\n", b, fmtRuns(buildSecs))
	fmt.Printf("  DuckDB CTAS from read_csv:       %6.2f s  (runs: %s)\n", c, fmtRuns(ctasSecs))
	fmt.Printf("  ratio build / CTAS:              %6.2f   (goal: at most 1.25)\n", b/c)
	fmt.Printf("  build throughput:                %6.0f MB/s\n", float64(fi.Size())/1e6/b)
}

// baselineCTAS times DuckDB loading the file by itself, with the column
// types the salesforce preset declares, into a fresh database file.
func baselineCTAS(t *testing.T, path, db string) float64 {
	t.Helper()
	os.Remove(db)
	os.Remove(db + ".wal")
	ctx := context.Background()
	m, err := presets.Resolve(coxswain.Source{Name: "crm", Preset: "salesforce"}, "sources[0]")
	if err != nil {
		t.Fatal(err)
	}
	sc, err := scanFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dia, err := sniff(path, sc, "auto", 0)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := planFile(m.Objects[coxswain.Lead], m, dia.header, nil, "sources[0]")
	if err != nil {
		t.Fatal(err)
	}
	var cols []string
	for _, c := range plan.columns {
		cols = append(cols, warehouse.QuoteString(c.name)+": "+warehouse.QuoteString(c.rawType))
	}
	q := fmt.Sprintf(`CREATE TABLE lead AS SELECT * FROM read_csv(%s, header = true, auto_detect = false, delim = ',', quote = '"', escape = '"', columns = {%s})`,
		warehouse.QuoteString(path), strings.Join(cols, ", "))

	start := time.Now()
	connector, err := duckdb.NewConnector(db, nil)
	if err != nil {
		t.Fatal(err)
	}
	sdb := sql.OpenDB(connector)
	if _, err := sdb.ExecContext(ctx, q); err != nil {
		t.Fatal(err)
	}
	if _, err := sdb.ExecContext(ctx, "CHECKPOINT"); err != nil {
		t.Fatal(err)
	}
	sdb.Close()
	return time.Since(start).Seconds()
}

func median(xs []float64) float64 {
	s := append([]float64(nil), xs...)
	for i := range s {
		for j := i + 1; j < len(s); j++ {
			if s[j] < s[i] {
				s[i], s[j] = s[j], s[i]
			}
		}
	}
	return s[len(s)/2]
}

func fmtRuns(xs []float64) string {
	var s []string
	for _, x := range xs {
		s = append(s, strconv.FormatFloat(x, 'f', 2, 64))
	}
	return strings.Join(s, ", ")
}

func envInt(k string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(k)); err == nil {
		return v
	}
	return def
}

func envStr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
