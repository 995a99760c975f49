package main

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestPack_TwoSourcesWithCollidingIDs: two sources that export the same
// records with the same ids (two portals, a CRM and a tool with numeric
// ids) are different records. Loading pack_edges twice, as crm and crm2,
// must double every count and sum, neither merging the two (x1) nor
// fanning them out (x4), and leave every ratio, median and mean as it was.
func TestPack_TwoSourcesWithCollidingIDs(t *testing.T) {
	dir := copyCase(t, "pack_edges")
	config := filepath.Join(dir, "coxswain.yaml")
	if err := os.CopyFS(filepath.Join(dir, "exports", "crm2"), os.DirFS(filepath.Join(dir, "exports", "crm"))); err != nil {
		t.Fatal(err)
	}
	// The copies keep the drops' export times (copyCase set them).
	for _, d := range []string{"2026-11-01", "2026-11-02"} {
		fi, err := os.Stat(filepath.Join(dir, "exports", "crm", d))
		if err != nil {
			t.Fatal(err)
		}
		files, _ := filepath.Glob(filepath.Join(dir, "exports", "crm2", d, "*"))
		for _, f := range append(files, filepath.Join(dir, "exports", "crm2", d)) {
			os.Chtimes(f, fi.ModTime(), fi.ModTime())
		}
	}
	editConfig(t, config, "    warn_after: 10000h\n", "    warn_after: 10000h\n  - name: crm2\n    preset: salesforce\n    path: exports/crm2\n    warn_after: 10000h\n")
	mustRun(t, "build", "--config", config, "--as-of", "2026-11-03T12:00:00Z")
	packs := filepath.Join(dir, "packs")
	mustRun(t, "report", "--config", config, "--month", "2026-11", "--out", packs)
	want := filepath.Join("..", "..", "testdata", "pack_edges", "expected")

	kinds := map[string]string{}
	for _, line := range readLines(t, filepath.Join(want, "kpis_2026-08_to_2026-11.csv"))[1:] {
		kinds[strings.Split(line, ",")[1]] = ""
	}
	// How each metric of one source becomes the metric of two identical
	// ones. The spend plan is not per source, so what divides by it halves.
	factor := func(metric string) float64 {
		switch metric {
		case "marketing_spend", "lead_to_mql_rate", "mql_to_sql_rate", "win_rate", "avg_deal_size", "sales_cycle_days",
			"sla_compliance", "first_touch_hours_median":
			return 1
		case "cost_per_lead", "cost_per_mql", "cac":
			return 0.5
		}
		return 2
	}
	got := readLines(t, filepath.Join(packs, "2026-11", "kpis.csv"))
	single := readLines(t, filepath.Join(want, "kpis_2026-08_to_2026-11.csv"))
	got = append(got[:1:1], got[1+9*29:]...)
	if len(got) != len(single) {
		t.Fatalf("kpis.csv has %d lines for 2026-08 to 2026-11, want %d", len(got), len(single))
	}
	for i := 1; i < len(single); i++ {
		w, g := strings.Split(single[i], ","), strings.Split(got[i], ",")
		if w[0] != g[0] || w[1] != g[1] {
			t.Fatalf("line %d: %s, want %s", i+1, got[i], single[i])
		}
		if w[2] == "" || g[2] == "" {
			if w[2] != g[2] {
				t.Errorf("%s %s = %q, want %q", g[0], g[1], g[2], w[2])
			}
			continue
		}
		wv, _ := strconv.ParseFloat(w[2], 64)
		gv, _ := strconv.ParseFloat(g[2], 64)
		if math.Abs(gv-wv*factor(w[1])) > 0.006 {
			t.Errorf("%s %s = %s with two sources, want %g (%s x %g)", g[0], g[1], g[2], wv*factor(w[1]), w[2], factor(w[1]))
		}
	}

	// The funnel's cohorts double too.
	gotF := readLines(t, filepath.Join(packs, "2026-11", "funnel.csv"))
	for i, line := range readLines(t, filepath.Join(want, "funnel.csv")) {
		if i == 0 {
			continue
		}
		w, g := strings.Split(line, ","), strings.Split(gotF[i], ",")
		for j := 1; j < len(w); j++ {
			wv, err1 := strconv.Atoi(w[j])
			gv, err2 := strconv.Atoi(g[j])
			if err1 == nil && (err2 != nil || gv != 2*wv) {
				t.Errorf("funnel %s column %d = %s, want %d", g[0], j+1, g[j], 2*wv)
			}
		}
	}
}
