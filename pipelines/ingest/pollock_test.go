//go:build pollock

package ingest

import (
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"coxswain/pipelines/warehouse"
)

// The Pollock benchmark (github.com/HPI-Information-Systems/Pollock): 2,289
// polluted versions of one CSV file, each with its clean table and its
// dialect. POLLOCK names its polluted_files folder; `make pollock` runs
// these. They are measurements, not assertions: they print figures.

// TestPollockDialects measures the dialect detection against Pollock's
// annotations: delimiter, quote, escape, preamble lines and header rows.
func TestPollockDialects(t *testing.T) {
	dir := pollockDir(t)
	files, _ := filepath.Glob(filepath.Join(dir, "csv", "*.csv"))
	misses := map[string][]string{}
	var n int
	right := map[string]int{}
	for _, f := range files {
		var want struct {
			Delimiter, Quotechar, Escapechar string
			HeaderLines                      int `json:"header_lines"`
			PreambleLines                    int `json:"preamble_lines"`
		}
		b, err := os.ReadFile(filepath.Join(dir, "parameters", filepath.Base(f)+"_parameters.json"))
		if err != nil {
			continue
		}
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(f)
		l := detectLayout(string(data), true, "", 0)
		n++
		check := func(what string, ok bool, got, exp any) {
			if ok {
				right[what]++
			} else {
				misses[what] = append(misses[what], fmt.Sprintf("%s: got %q want %q", filepath.Base(f), got, exp))
			}
		}
		esc := want.Escapechar
		check("delimiter", string(l.delimiter) == want.Delimiter, string(l.delimiter), want.Delimiter)
		check("quote", string(l.quote) == want.Quotechar, string(l.quote), want.Quotechar)
		check("escape", string(l.escape) == esc || esc == "" && l.escape == l.quote, string(l.escape), esc)
		check("preamble", l.preamble == want.PreambleLines, l.preamble, want.PreambleLines)
		check("header", l.headerRows == want.HeaderLines, l.headerRows, want.HeaderLines)
	}
	for _, k := range []string{"delimiter", "quote", "escape", "preamble", "header"} {
		fmt.Printf("%-10s %4d of %d right\n", k, right[k], n)
		for i, m := range misses[k] {
			if i == 5 {
				fmt.Printf("   … %d more\n", len(misses[k])-5)
				break
			}
			fmt.Println("   " + m)
		}
	}
}

// TestPollockTables loads every polluted file two ways and scores the
// tables against the clean ones with Pollock's measures (success; header,
// record and cell precision, recall and F1; their sum is the "simple"
// score, out of 10): as `coxswain inspect --csv-dir` writes it, and as
// DuckDB's own sniffer reads it (read_csv with auto_detect, all_varchar,
// strict_mode off, ignore_errors and null_padding, the options of
// Pollock's DuckDB run). Cells are compared as written: Pollock's own
// evaluator also normalises numbers and dates in records, which neither
// loader here changes (both read every value as text).
func TestPollockTables(t *testing.T) {
	dir := pollockDir(t)
	ctx := context.Background()
	files, _ := filepath.Glob(filepath.Join(dir, "csv", "*.csv"))
	out := t.TempDir()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var weights map[string]float64
	if b, err := os.ReadFile(filepath.Join(dir, "pollock_weights.json")); err == nil {
		json.Unmarshal(b, &weights)
	}
	systems := []string{"coxswain", "duckdb"}
	sum := map[string]*[10]float64{}
	weighted := map[string]float64{}
	subsets := map[string]*regexp.Regexp{
		"table":        regexp.MustCompile(`file_double.*|file_header.*|file_no.*|file_one.*|file_multi.*|file_preamble.*`),
		"inconsistent": regexp.MustCompile(`row_less.*|row_more`),
		"structural":   regexp.MustCompile(`file_field.*|row_field.*|file_quote.*|file_record_delimiter.*|row_extra_quote.*|file_escape.*`),
	}
	bySubset := map[string]map[string]float64{}
	subsetN := map[string]int{}
	var totalWeight float64
	for _, s := range systems {
		sum[s] = &[10]float64{}
		bySubset[s] = map[string]float64{}
	}
	worst := map[string][]string{}
	for _, f := range files {
		name := filepath.Base(f)
		clean := readTable(filepath.Join(dir, "clean", name))
		if clean == nil {
			continue
		}
		w := weights[name]
		totalWeight += w
		for sub, re := range subsets {
			if re.MatchString(name) {
				subsetN[sub]++
			}
		}
		for _, s := range systems {
			dst := filepath.Join(out, s+"-"+name+"_converted.csv")
			switch s {
			case "coxswain":
				in, err := Inspect(ctx, f, out)
				if err == nil {
					err = in.WriteTable(ctx, dst)
				}
				if err != nil {
					WriteFailure(dst, err)
				}
			case "duckdb":
				_, err := db.ExecContext(ctx, fmt.Sprintf(`COPY (SELECT * FROM read_csv(%s, auto_detect = true, all_varchar = true, strict_mode = false, ignore_errors = true, null_padding = true)) TO %s (FORMAT csv, HEADER true)`,
					warehouse.QuoteString(f), warehouse.QuoteString(dst)))
				if err != nil {
					WriteFailure(dst, err)
				}
			}
			m := pollockMeasures(clean, dst)
			var total float64
			for i, v := range m {
				sum[s][i] += v
				total += v
			}
			weighted[s] += w * total
			for sub, re := range subsets {
				if re.MatchString(name) {
					bySubset[s][sub] += total
				}
			}
			if total < 9.5 {
				worst[s] = append(worst[s], fmt.Sprintf("%s %.2f", name, total))
			}
		}
	}
	n := float64(len(files))
	fmt.Printf("%-9s %7s %7s %7s %7s %7s %9s %9s   %s\n", "", "success", "header", "record", "cell", "simple", "weighted", "", "per file, out of 10: table / inconsistent / structural")
	for _, s := range systems {
		m := sum[s]
		var simple float64
		for _, v := range m {
			simple += v / n
		}
		fmt.Printf("%-9s %7.4f %7.4f %7.4f %7.4f %7.3f %9.3f %9s   %.3f / %.3f / %.3f\n", s, m[0]/n, m[3]/n, m[6]/n, m[9]/n, simple, weighted[s]/totalWeight, "",
			bySubset[s]["table"]/float64(subsetN["table"]), bySubset[s]["inconsistent"]/float64(subsetN["inconsistent"]), bySubset[s]["structural"]/float64(subsetN["structural"]))
	}
	for _, s := range systems {
		fmt.Printf("%s: %d files under 9.5 of 10: %s\n", s, len(worst[s]), strings.Join(first(worst[s], 12), ", "))
	}
}

func first(s []string, n int) []string {
	if len(s) > n {
		return append(s[:n:n], fmt.Sprintf("… %d more", len(s)-n))
	}
	return s
}

func pollockDir(t *testing.T) string {
	dir := os.Getenv("POLLOCK")
	if dir == "" {
		t.Skip("POLLOCK is not set: the folder polluted_files of the Pollock benchmark")
	}
	return dir
}

func readTable(path string) [][]string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(b), "\uFEFF")))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	var rows [][]string
	for {
		rec, err := r.Read()
		if err != nil {
			if err.Error() == "EOF" {
				break
			}
			continue
		}
		rows = append(rows, rec)
	}
	if rows == nil {
		rows = [][]string{}
	}
	return rows
}

// pollockMeasures scores a loaded table against the clean one as Pollock's
// metrics.py does: success, then header, record and cell precision, recall
// and F1, over multisets.
func pollockMeasures(clean [][]string, loadedPath string) [10]float64 {
	b, _ := os.ReadFile(loadedPath)
	if strings.HasPrefix(string(b), "Application Error") {
		return [10]float64{}
	}
	loaded := readTable(loadedPath)
	var m [10]float64
	m[0] = 1
	if len(clean) == 0 {
		for i := range m {
			m[i] = 1
		}
		return m
	}
	prf := func(src, got []string) (p, r, f float64) {
		if len(src) == 0 {
			return 1, 1, 1
		}
		counts := map[string]int{}
		for _, s := range src {
			counts[s]++
		}
		inter := 0
		for _, g := range got {
			if counts[g] > 0 {
				counts[g]--
				inter++
			}
		}
		if inter == 0 {
			return 0, 0, 0
		}
		p, r = float64(inter)/float64(len(src)), float64(inter)/float64(len(got))
		return p, r, 2 * p * r / (p + r)
	}
	var lh []string
	if len(loaded) > 0 {
		lh = loaded[0]
	}
	if len(loaded) == 0 && len(clean[0]) > 0 {
		m[1], m[2], m[3] = 0, 0, 0
	} else {
		m[1], m[2], m[3] = prf(clean[0], lh)
	}
	join := func(rows [][]string) []string {
		var out []string
		for _, r := range rows {
			out = append(out, strings.Join(r, ""))
		}
		return out
	}
	var lr [][]string
	if len(loaded) > 1 {
		lr = loaded[1:]
	}
	m[4], m[5], m[6] = prf(join(clean[1:]), join(lr))
	var sc, lc []string
	for _, r := range clean {
		sc = append(sc, r...)
	}
	for _, r := range loaded {
		lc = append(lc, r...)
	}
	m[7], m[8], m[9] = prf(sc, lc)
	return m
}
