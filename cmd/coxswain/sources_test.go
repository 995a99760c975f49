package main

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"coxswain"
)

// TestPack_TwoSourcesWithCollidingIDs: two sources that write the same ids
// (two portals, a CRM and a tool with numeric ids) hold different records.
// crm is pack_edges; crm2 has the same leads, contacts, accounts and
// campaign members under the same ids, but no activities and no
// opportunities of its own. Every count and sum of the two sources built
// together must be the sum of each built alone: a join on bare ids would
// let crm2's leads take crm's touches (SLA), crm's opportunities
// (marketing-sourced, funnel) and crm's wins (new customers), and a count of
// distinct ids would merge the two.
func TestPack_TwoSourcesWithCollidingIDs(t *testing.T) {
	// crm alone: the hand-worked case.
	_, alone := builtCase(t, "pack_edges")
	a := packOf(t, alone)

	// crm2 alone, and both together.
	_, only2 := twoSourceCase(t, false)
	b := packOf(t, only2)
	_, both := twoSourceCase(t, true)
	c := packOf(t, both)

	catalog, err := coxswain.LoadCatalog(coxswain.SQL)
	if err != nil {
		t.Fatal(err)
	}
	// Counts and sums add up across sources; ratios, means, medians and
	// what divides by the spend plan (which is not per source) do not.
	additive := func(metric string) bool {
		m, _ := catalog.Metric(metric)
		switch metric {
		case "avg_deal_size", "marketing_spend", "cost_per_lead", "cost_per_mql", "cac":
			return false
		}
		return m.Kind == "count" || m.Kind == "money"
	}
	checked := 0
	for k, cv := range c.kpis {
		month, metric, _ := strings.Cut(k, " ")
		if month < "2026-08" || !additive(metric) {
			continue
		}
		want := a.kpis[k] + b.kpis[k]
		if math.Abs(cv-want) > 0.001 {
			t.Errorf("%s %s = %g with both sources, want %g (crm %g + crm2 %g)", month, metric, cv, want, a.kpis[k], b.kpis[k])
		}
		checked++
	}
	if checked < 60 {
		t.Fatalf("only %d KPI values compared", checked)
	}
	for k, cv := range c.funnel {
		if want := a.funnel[k] + b.funnel[k]; cv != want {
			t.Errorf("funnel %s = %g with both sources, want %g", k, cv, want)
		}
	}
	// The case must tell bare ids from keys: crm2 alone differs from crm.
	if b.kpis["2026-10 sla_met"] == a.kpis["2026-10 sla_met"] || b.kpis["2026-10 opportunities_created"] != 0 {
		t.Errorf("crm2 alone should have no touches and no opportunities: sla_met %g (crm %g), opportunities %g",
			b.kpis["2026-10 sla_met"], a.kpis["2026-10 sla_met"], b.kpis["2026-10 opportunities_created"])
	}
}

// twoSourceCase is pack_edges with a second source crm2 (the same records
// without activities and opportunities); with both false, crm2 alone.
func twoSourceCase(t *testing.T, both bool) (dir, config string) {
	t.Helper()
	dir = copyCase(t, "pack_edges")
	config = filepath.Join(dir, "coxswain.yaml")
	crm, crm2 := filepath.Join(dir, "exports", "crm"), filepath.Join(dir, "exports", "crm2")
	if err := os.CopyFS(crm2, os.DirFS(crm)); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"Task.csv", "Opportunity.csv"} {
		if err := os.Remove(filepath.Join(crm2, "2026-11-02", f)); err != nil {
			t.Fatal(err)
		}
	}
	// The copies keep the drops' export times, which copyCase set.
	for _, d := range []string{"2026-11-01", "2026-11-02"} {
		at := mustTime(t, d).Add(6 * time.Hour)
		files, _ := filepath.Glob(filepath.Join(crm2, d, "*"))
		for _, f := range append(files, filepath.Join(crm2, d)) {
			os.Chtimes(f, at, at)
		}
	}
	second := "  - name: crm2\n    preset: salesforce\n    path: exports/crm2\n    warn_after: 10000h\n"
	if both {
		editConfig(t, config, "    warn_after: 10000h\n", "    warn_after: 10000h\n"+second)
	} else {
		editConfig(t, config, "  - name: crm\n    preset: salesforce\n    path: exports/crm\n    warn_after: 10000h\n", second)
	}
	mustRun(t, "build", "--config", config, "--as-of", "2026-11-03T12:00:00Z")
	return dir, config
}

func mustTime(t *testing.T, date string) time.Time {
	t.Helper()
	at, err := time.Parse("2006-01-02", date)
	if err != nil {
		t.Fatal(err)
	}
	return at
}

// packNumbers is a November 2026 pack's numbers: kpis by "month metric", funnel
// cells by "cohort column".
type packNumbers struct {
	kpis, funnel map[string]float64
}

func packOf(t *testing.T, config string) packNumbers {
	t.Helper()
	out := filepath.Join(t.TempDir(), "packs")
	mustRun(t, "report", "--config", config, "--month", "2026-11", "--out", out)
	p := packNumbers{kpis: map[string]float64{}, funnel: map[string]float64{}}
	for _, line := range readLines(t, filepath.Join(out, "2026-11", "kpis.csv"))[1:] {
		f := strings.Split(line, ",")
		if v, err := strconv.ParseFloat(f[2], 64); err == nil {
			p.kpis[f[0]+" "+f[1]] = v
		}
	}
	lines := readLines(t, filepath.Join(out, "2026-11", "funnel.csv"))
	header := strings.Split(lines[0], ",")
	for _, line := range lines[1:] {
		f := strings.Split(line, ",")
		for j := 1; j < len(f); j++ {
			if v, err := strconv.ParseFloat(f[j], 64); err == nil {
				p.funnel[f[0]+" "+header[j]] = v
			}
		}
	}
	return p
}
