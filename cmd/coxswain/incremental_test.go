package main

import (
	"bytes"
	"database/sql"
	"encoding/csv"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// afterwards are the nights after a case's own drops: drops of random
// churn in the people (leads, contacts, persons, opportunities...) or in
// the activities, a re-run as of the activities' median instant, and a
// night with no new drop.
var afterwards = []string{"people", "activities", "median", "", "people"}

// TestBuild_IncrementalMatchesFullRefresh: night after night, a warehouse
// whose incremental models are brought up to date gives the same models
// and the same pack, byte for byte, as one rebuilt whole (build
// --full-refresh) from the same drops as of the same instants. The drops
// are a case's own, over two nights, then nights of random churn made
// from each source's latest drop: records deleted, values moved between
// records (owners, people, e-mails, dates, flags, merges), records added.
// The as-of moves on each night, and back over half the activities once.
func TestBuild_IncrementalMatchesFullRefresh(t *testing.T) {
	// Two cases, for the time of make test: a CRM and a marketing tool
	// joined, and a CRM whose activities take their person from deals.
	// (HubSpot's lists of people are TestBuild_IncrementalFollowsJoins'.)
	for i, c := range []string{"ma_edges", "pipedrive_edges"} {
		t.Run(c, func(t *testing.T) {
			t.Parallel()
			inc, full := copyCase(t, c), copyCase(t, c)
			for _, dir := range []string{inc, full} {
				// The cases' drops are small: a few records deleted are a
				// large share of them.
				path := filepath.Join(dir, "coxswain.yaml")
				data, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				data = regexp.MustCompile(`(?m)^load:.*\n`).ReplaceAll(data, nil)
				if err := os.WriteFile(path, append(data, "load: { max_delete_share: 0.9 }\n"...), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			pending := takeDrops(t, inc, full)
			rng := rand.New(rand.NewPCG(uint64(i), 13))
			day := latestDropDay(pending)
			// The case's drops arrive over two nights, then come nights of
			// churn.
			nights := [][]pendingDrop{pending[:len(pending)/2], pending[len(pending)/2:]}
			var upToDate int
			wh := filepath.Join(inc, "warehouse.duckdb")
			for night := range len(nights) + len(afterwards) {
				asOf := day.AddDate(0, 0, 1).Add(6 * time.Hour)
				switch after := night - len(nights); {
				case after < 0:
					for _, d := range nights[night] {
						for _, dir := range []string{inc, full} {
							copyDir(t, d.path, filepath.Join(dir, "exports", d.rel), nil)
						}
					}
				case afterwards[after] == "median":
					// A re-run as of an earlier instant, then the usual one:
					// the as-of moves back and forth over half the activities.
					asOf = queryOne[time.Time](t, wh, `SELECT quantile_disc(occurred_at, 0.5) FROM staging.activities`).UTC()
				case afterwards[after] != "":
					day = day.AddDate(0, 0, 1)
					asOf = day.AddDate(0, 0, 1).Add(6 * time.Hour)
					churn(t, rng, wh, inc, full, day.Format("2006-01-02"), afterwards[after] == "activities")
				}
				at := asOf.Format(time.RFC3339)
				incOut, incErr, incCode := run(t, "build", "--config", filepath.Join(inc, "coxswain.yaml"), "--as-of", at, "--quiet")
				fullOut, fullErr, fullCode := run(t, "build", "--config", filepath.Join(full, "coxswain.yaml"), "--as-of", at, "--quiet", "--full-refresh")
				what := fmt.Sprintf("night %d (as of %s)", night+1, at)
				if incCode != fullCode {
					t.Fatalf("%s: the incremental build exited %d, the full refresh %d\n%s%s\n%s%s", what, incCode, fullCode, incOut, incErr, fullOut, fullErr)
				}
				switch {
				case incCode != 0:
					t.Errorf("%s: both builds failed:\n%s", what, incErr)
				case strings.Contains(incOut, "intermediate.int_activities brought up to date"):
					upToDate++
				case night >= len(nights):
					// The drops of churn have the columns of those before
					// them: nothing asks for a whole rebuild.
					t.Errorf("%s: int_activities was not brought up to date:\n%s", what, incOut)
				}
				activities := `SELECT * FROM intermediate.int_activities`
				diffLines(t, what+": intermediate.int_activities", queryLines(t, filepath.Join(inc, "warehouse.duckdb"), activities),
					queryLines(t, filepath.Join(full, "warehouse.duckdb"), activities))
				// The packs, on the nights that change most (a pack takes
				// as long as a build to write).
				if after := night - len(nights); after < 0 || afterwards[after] != "activities" && afterwards[after] != "median" && after != len(afterwards)-1 {
					continue
				}
				month := asOf.Format("2006-01")
				_, incErr, incCode = run(t, "report", "--config", filepath.Join(inc, "coxswain.yaml"), "--month", month, "--out", filepath.Join(inc, "packs"))
				_, fullErr, fullCode = run(t, "report", "--config", filepath.Join(full, "coxswain.yaml"), "--month", month, "--out", filepath.Join(full, "packs"))
				if incCode != 0 || fullCode != 0 {
					t.Fatalf("%s: report exited %d and %d:\n%s\n%s", what, incCode, fullCode, incErr, fullErr)
				}
				samePack(t, what, filepath.Join(inc, "packs", month), filepath.Join(full, "packs", month))
			}
			if upToDate < len(afterwards) {
				t.Errorf("int_activities was brought up to date on %d nights only", upToDate)
			}
		})
	}
}

// pendingDrop is a drop of a case waiting to be delivered: its folder
// under exports (source/name) and where its files are meanwhile.
type pendingDrop struct{ rel, path string }

// takeDrops moves every drop of the case copied into inc out of exports,
// removes them from full, and returns them in order of their names.
func takeDrops(t *testing.T, inc, full string) []pendingDrop {
	t.Helper()
	held := t.TempDir()
	var drops []pendingDrop
	sources, _ := os.ReadDir(filepath.Join(inc, "exports"))
	for _, s := range sources {
		names, _ := os.ReadDir(filepath.Join(inc, "exports", s.Name()))
		for _, n := range names {
			rel := filepath.Join(s.Name(), n.Name())
			path := filepath.Join(held, rel)
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(filepath.Join(inc, "exports", rel), path); err != nil {
				t.Fatal(err)
			}
			if err := os.RemoveAll(filepath.Join(full, "exports", rel)); err != nil {
				t.Fatal(err)
			}
			drops = append(drops, pendingDrop{rel, path})
		}
	}
	slices.SortStableFunc(drops, func(a, b pendingDrop) int { return strings.Compare(filepath.Base(a.rel), filepath.Base(b.rel)) })
	return drops
}

// latestDropDay is the day the last of the drops is named after.
func latestDropDay(drops []pendingDrop) time.Time {
	day := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for _, d := range drops {
		if t, err := time.Parse("2006-01-02", filepath.Base(d.rel)); err == nil && t.After(day) {
			day = t
		}
	}
	return day
}

// churn writes, for each source of inc, a drop named name made from its
// latest drop, into inc and full alike. It changes the activities' files,
// or else the other objects' files; a full snapshot's other files are
// copied as they are, and an incremental source's left out, so that the
// records of the objects not changed are not delivered again.
func churn(t *testing.T, rng *rand.Rand, wh, inc, full, name string, activities bool) {
	t.Helper()
	objects := queryPairs(t, wh, `SELECT DISTINCT source || '/' || name, object FROM meta.files`) // source/file name: object
	snapshot := queryPairs(t, wh, `SELECT source, snapshot::VARCHAR FROM intermediate.source_params`)
	sources, _ := os.ReadDir(filepath.Join(inc, "exports"))
	for _, s := range sources {
		drops, _ := os.ReadDir(filepath.Join(inc, "exports", s.Name()))
		if len(drops) == 0 {
			continue
		}
		latest := filepath.Join(inc, "exports", s.Name(), drops[len(drops)-1].Name())
		files, _ := os.ReadDir(latest)
		for _, f := range files {
			data, err := os.ReadFile(filepath.Join(latest, f.Name()))
			if err != nil {
				t.Fatal(err)
			}
			switch object := objects[s.Name()+"/"+f.Name()]; {
			case (object == "activity") == activities:
				data = churnCSV(rng, data, 0.4)
			case snapshot[s.Name()] != "true":
				continue
			}
			for _, dir := range []string{inc, full} {
				path := filepath.Join(dir, "exports", s.Name(), name, f.Name())
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
}

// churnCSV changes an export's records at random: each column, with
// probability shuffle, has its values shuffled among the records; then a
// few records are deleted, a quarter take a value from another record's
// same column (or have it emptied), and now and then a record is copied
// under a new id. A column named like an id whose values are all distinct
// is the record id, and kept. A file that does not parse as CSV is
// returned as it is.
func churnCSV(rng *rand.Rand, data []byte, shuffle float64) []byte {
	comma := ','
	if first, _, _ := bytes.Cut(data, []byte("\n")); bytes.Count(first, []byte(";")) > bytes.Count(first, []byte(",")) {
		comma = ';'
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma, r.FieldsPerRecord = comma, -1
	rows, err := r.ReadAll()
	if err != nil || len(rows) < 3 {
		return data
	}
	header, records := rows[0], rows[1:]
	ids := map[int]bool{}
	for j, h := range header {
		if !strings.Contains(strings.ToLower(h), "id") {
			continue
		}
		seen := map[string]bool{}
		for _, rec := range records {
			if j >= len(rec) || rec[j] == "" || seen[rec[j]] {
				seen = nil
				break
			}
			seen[rec[j]] = true
		}
		ids[j] = seen != nil
	}
	for j := range header {
		if ids[j] || rng.Float64() >= shuffle {
			continue
		}
		var with []int // the records that have the column
		for i, rec := range records {
			if j < len(rec) {
				with = append(with, i)
			}
		}
		for n, i := range rng.Perm(len(with)) {
			records[with[n]][j], records[with[i]][j] = records[with[i]][j], records[with[n]][j]
		}
	}
	var out [][]string
	for _, rec := range records {
		rec = slices.Clone(rec)
		switch x := rng.Float64(); {
		case x < 0.04:
			continue // deleted
		case x < 0.3:
			for range 1 + rng.IntN(2) {
				j := rng.IntN(len(header))
				other := records[rng.IntN(len(records))]
				if ids[j] || j >= len(rec) || j >= len(other) {
					continue
				}
				if rng.IntN(5) == 0 {
					rec[j] = ""
				} else {
					rec[j] = other[j]
				}
			}
		case x < 0.36:
			out = append(out, rec)
			rec = slices.Clone(rec)
			for j := range rec {
				if ids[j] && len(rec[j]) > 0 {
					k := len(rec[j]) / 2
					rec[j] = rec[j][:k] + string(rune('B'+rng.IntN(20))) + rec[j][k+1:]
				}
			}
		}
		out = append(out, rec)
	}
	var b bytes.Buffer
	w := csv.NewWriter(&b)
	w.Comma = comma
	w.Write(header)
	w.WriteAll(out)
	return b.Bytes()
}

// samePack fails unless the packs in got and want hold the same files with
// the same bytes.
func samePack(t *testing.T, what, got, want string) {
	t.Helper()
	files := func(dir string) map[string][]byte {
		m := map[string][]byte{}
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(dir, p)
			m[rel], err = os.ReadFile(p)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	g, w := files(got), files(want)
	if len(w) == 0 {
		t.Fatalf("%s: the full refresh's pack %s is empty", what, want)
	}
	for name, data := range w {
		if !bytes.Equal(g[name], data) {
			if strings.HasSuffix(name, ".csv") || strings.HasSuffix(name, ".json") {
				diffLines(t, what+": pack "+name, strings.Split(string(g[name]), "\n"), strings.Split(string(data), "\n"))
			} else {
				t.Errorf("%s: pack %s differs from the full refresh's", what, name)
			}
		}
	}
	for name := range g {
		if _, ok := w[name]; !ok {
			t.Errorf("%s: pack %s is not in the full refresh's pack", what, name)
		}
	}
}

// queryPairs runs q, of two text columns, on the warehouse at path, and
// returns its rows as a map from the first to the second.
func queryPairs(t *testing.T, path, q string) map[string]string {
	t.Helper()
	m := map[string]string{}
	queryEach(t, path, q, func(rows *sql.Rows) error {
		var k, v string
		err := rows.Scan(&k, &v)
		m[k] = v
		return err
	})
	return m
}

// TestBuild_FailedBuildLeavesNothingBeside: a build writes its models
// beside the tables in place and puts them in place at its end. One that
// an error test stops leaves no table of its own behind and changes no
// mart; int_activities, which it changed in place, is rebuilt whole by the
// next build, whose models are those of a build that never failed. What a
// killed build left beside (a model's next table) is dropped by the next.
func TestBuild_FailedBuildLeavesNothingBeside(t *testing.T) {
	dir, config := builtCase(t, "pack_edges")
	wh := filepath.Join(dir, "warehouse.duckdb")
	editConfig(t, config, "warn_after: 10000h", "warn_after: 24h\n    error_after: 72h")
	// As of the activities' median instant the source is fresh, and half
	// the activities are yet to come.
	good := queryOne[time.Time](t, wh, `SELECT quantile_disc(occurred_at, 0.5) FROM staging.activities`).UTC().Format(time.RFC3339)
	mustRun(t, "build", "--config", config, "--as-of", good)
	activities, kpis := `SELECT * FROM intermediate.int_activities ORDER BY ALL`, `SELECT * FROM marts.kpis ORDER BY ALL`
	wantActivities, wantKPIs := queryLines(t, wh, activities), queryLines(t, wh, kpis)
	beside := `SELECT count(*) FROM duckdb_tables() WHERE suffix(table_name, '__next')`

	// As of a week after its drop the source is stale: freshness_error stops
	// the build, after int_activities took in the other half.
	out, errOut, code := run(t, "build", "--config", config, "--as-of", "2026-11-10T12:00:00Z")
	if code != 1 {
		t.Fatalf("build with a stale source exited %d\n%s%s", code, out, errOut)
	}
	mustSay(t, "stdout", out, "intermediate.int_activities brought up to date")
	if n := queryInt(t, wh, beside); n != 0 {
		t.Errorf("the failed build left %d tables beside the models", n)
	}
	diffLines(t, "marts.kpis after the failed build", queryLines(t, wh, kpis), wantKPIs)
	if got := queryLines(t, wh, activities); slices.Equal(got, wantActivities) {
		t.Errorf("the failed build did not change int_activities: the test no longer covers a model changed in place")
	}

	// A build killed after writing a model beside (one since removed from
	// sql/models, so that no build writes it again): its table is there.
	db := openDuckDB(t, wh)
	if _, err := db.Exec(`CREATE TABLE marts.kpis_retired__next AS SELECT * FROM marts.kpis LIMIT 1`); err != nil {
		t.Fatal(err)
	}
	db.Close()
	out = mustRun(t, "build", "--config", config, "--as-of", good)
	mustSay(t, "stdout", out, "intermediate.int_activities rebuilt whole: the last build that changed it stopped before it put the other models in place")
	if n := queryInt(t, wh, beside); n != 0 {
		t.Errorf("the next build left %d tables beside the models", n)
	}
	diffLines(t, "int_activities after the next build", queryLines(t, wh, activities), wantActivities)
	diffLines(t, "marts.kpis after the next build", queryLines(t, wh, kpis), wantKPIs)
	// And the one after brings it up to date again.
	out = mustRun(t, "build", "--config", config, "--as-of", good)
	mustSay(t, "stdout", out, "intermediate.int_activities brought up to date")
}
