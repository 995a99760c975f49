//go:build pollock

package ingest

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestPollockDialects measures the dialect detection against the Pollock
// benchmark's annotations (github.com/HPI-Information-Systems/Pollock,
// polluted_files/): delimiter, quote, escape, preamble lines and header
// rows of each of its 2,289 files. POLLOCK names the polluted_files folder.
func TestPollockDialects(t *testing.T) {
	dir := os.Getenv("POLLOCK")
	if dir == "" {
		t.Skip("POLLOCK is not set: the folder polluted_files of the Pollock benchmark")
	}
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
	var keys []string
	for k := range right {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range []string{"delimiter", "quote", "escape", "preamble", "header"} {
		fmt.Printf("%-10s %4d of %d right\n", k, right[k], n)
		m := misses[k]
		if len(m) > 8 {
			m = m[:8]
		}
		if len(m) > 0 {
			fmt.Println("   " + strings.Join(m, "\n   "))
		}
	}
}
