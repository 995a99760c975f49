package main

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/duckdb/duckdb-go/v2"

	"coxswain/pipelines/runlog"
)

// tryLines are the commands an error output says to try.
func tryLines(stderr string) []string {
	var out []string
	for _, m := range regexp.MustCompile(`(?m)^Try: (.*)$`).FindAllStringSubmatch(stderr, -1) {
		out = append(out, m[1])
	}
	return out
}

// runAsPrinted runs a Try line the way a shell would: "&&" chains commands;
// arguments are split on spaces (the tests use paths without spaces).
func runAsPrinted(t *testing.T, line string) {
	t.Helper()
	for _, part := range strings.Split(line, " && ") {
		args := strings.Fields(part)
		if args[0] != "coxswain" {
			t.Fatalf("Try line %q is not a coxswain command", line)
		}
		if out, errOut, code := run(t, args[1:]...); code != 0 {
			t.Fatalf("Try: %s\nexit %d\n%s%s", line, code, out, errOut)
		}
	}
}

// TestRun_TryLinesRunAsPrinted follows an analyst who runs each printed
// Try line as it stands, from a folder other than the config's: each one
// works and leads to the next step.
func TestRun_TryLinesRunAsPrinted(t *testing.T) {
	dir, config := sample(t, "300")
	t.Chdir(t.TempDir()) // packs must follow the config, not the working folder

	_, errOut, code := run(t, "report", "--config", config, "--month", "2026-10")
	if code != 1 {
		t.Fatalf("report before any build: exit %d\n%s", code, errOut)
	}
	mustSay(t, "report before build", errOut, "no warehouse at", "Try: coxswain build --config "+config)
	for _, l := range tryLines(errOut) {
		runAsPrinted(t, l)
	}

	_, errOut, code = run(t, "send", "--config", config, "--month", "2026-10", "--dry-run")
	if code != 1 {
		t.Fatalf("send before the pack: exit %d\n%s", code, errOut)
	}
	want := "coxswain report --month 2026-10 --config " + config
	if got := tryLines(errOut); len(got) != 1 || got[0] != want {
		t.Fatalf("send before the pack says Try %q, want %q\n%s", got, want, errOut)
	}
	runAsPrinted(t, want)
	if _, err := os.Stat(filepath.Join(dir, "packs", "2026-10", "manifest.json")); err != nil {
		t.Errorf("report without --out did not write into the config's packs folder: %v", err)
	}
	out := mustRun(t, "send", "--config", config, "--month", "2026-10", "--dry-run")
	mustSay(t, "send --dry-run", out, filepath.Join(dir, "packs", "2026-10.eml"))

	// The refused report is in the run history too.
	runs, err := runlog.Tail(filepath.Join(dir, "coxswain-runs.jsonl"), 100)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range runs {
		got = append(got, r.Command+" "+r.Outcome)
	}
	if len(got) < 2 || got[0] != "report failed" || got[1] != "build ok" {
		t.Errorf("run history = %v, want the failed report first, then the build", got)
	}
}

// TestRun_BadConfigLeavesNothing: a configuration with problems is refused
// with all of them, exit 2, before anything is created.
func TestRun_BadConfigLeavesNothing(t *testing.T) {
	dir, config := sample(t, "300")
	data, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(data), "fields: { mql_at: MQL_Date__c }", "fields: { mql_at: MQL_Date__c, lead.no_such_field: X }", 1)
	bad = strings.Replace(bad, "sla: { follow_up_hours: 24,", "sla: { folow_up_hours: 24,", 1)
	if err := os.WriteFile(config, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range []string{"build", "status", "runs", "schedule"} {
		_, errOut, code := run(t, cmd, "--config", config)
		if code != 2 {
			t.Errorf("%s with a bad config: exit %d, want 2\n%s", cmd, code, errOut)
		}
		mustSay(t, cmd+" stderr", errOut, "sources[0].fields.lead.no_such_field", "sla.folow_up_hours", "did you mean follow_up_hours?")
	}
	for _, f := range []string{"warehouse.duckdb", "coxswain-runs.jsonl", "warehouse.duckdb.lock"} {
		if _, err := os.Stat(filepath.Join(dir, f)); err == nil {
			t.Errorf("a refused config left %s behind", f)
		}
	}
}

// TestRun_JSONOutputs: status --json and runs --json are what scripts read.
func TestRun_JSONOutputs(t *testing.T) {
	_, config := sample(t, "300")
	mustRun(t, "build", "--config", config, "--as-of", "2026-11-15T06:00:00Z")
	var st statusReport
	if err := json.Unmarshal([]byte(mustRun(t, "status", "--config", config, "--json")), &st); err != nil {
		t.Fatalf("status --json is not one JSON object: %v", err)
	}
	if len(st.Sources) != 1 || st.Sources[0].Name != "crm" || st.Sources[0].DropsLoaded != 2 || st.Sources[0].Freshness.State == "" {
		t.Errorf("status --json sources = %+v", st.Sources)
	}
	if st.LastBuild == nil || st.LastBuild.ID != 1 || st.LastBuild.Outcome != "ok" || len(st.Drops) != 2 {
		t.Errorf("status --json last build %+v, %d drops", st.LastBuild, len(st.Drops))
	}
	lines := strings.Split(strings.TrimSpace(mustRun(t, "runs", "--config", config, "--json")), "\n")
	if len(lines) != 1 {
		t.Fatalf("runs --json printed %d lines, want 1 (the build)", len(lines))
	}
	var r runlog.Run
	if err := json.Unmarshal([]byte(lines[0]), &r); err != nil || r.Command != "build" || r.Outcome != "ok" {
		t.Errorf("runs --json line %q: %+v, %v", lines[0], r, err)
	}
}

// TestBuild_PrintSQL: build --print-sql prints the staging views and the
// models as one script, which runs as it stands on the warehouse.
func TestBuild_PrintSQL(t *testing.T) {
	dir, config := sample(t, "300")
	mustRun(t, "build", "--config", config, "--as-of", "2026-11-15T06:00:00Z")
	script := mustRun(t, "build", "--config", config, "--print-sql")
	mustSay(t, "build --print-sql", script, `CREATE OR REPLACE VIEW staging."crm__leads" AS`, "CREATE OR REPLACE VIEW staging.leads AS",
		"-- sql/models/marts/kpis.sql\nCREATE OR REPLACE TABLE marts.kpis AS")
	connector, err := duckdb.NewConnector(filepath.Join(dir, "warehouse.duckdb"), nil)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	if _, err := db.Exec(script); err != nil {
		t.Fatalf("the printed SQL does not run on the warehouse: %v", err)
	}
}

// TestRun_FilesAreNotWorldReadable: the warehouse, the run log, the feeds
// and the pack hold a company's pipeline: owner and group only.
func TestRun_FilesAreNotWorldReadable(t *testing.T) {
	dir, config := sample(t, "300")
	mustRun(t, "build", "--config", config, "--as-of", "2026-11-15T06:00:00Z")
	mustRun(t, "report", "--config", config, "--month", "2026-10")
	mustRun(t, "send", "--config", config, "--month", "2026-10", "--dry-run")
	var checked int
	for _, root := range append([]string{"warehouse.duckdb", "coxswain-runs.jsonl", "packs"}, feedFolders...) {
		filepath.WalkDir(filepath.Join(dir, root), func(p string, d os.DirEntry, err error) error {
			if err != nil {
				t.Error(err)
				return nil
			}
			fi, _ := d.Info()
			if fi.Mode().Perm()&0o007 != 0 {
				t.Errorf("%s is %v: others may read it", p, fi.Mode().Perm())
			}
			checked++
			return nil
		})
	}
	if checked < 10 {
		t.Errorf("only %d files checked", checked)
	}
}

func TestPresets_ListAndPrint(t *testing.T) {
	out := mustRun(t, "presets")
	for _, name := range []string{"generic", "hubspot", "marketo", "pardot", "salesforce"} {
		if !strings.Contains(out, name+" ") {
			t.Errorf("presets does not list %s:\n%s", name, out)
		}
	}
	mustSay(t, "presets marketo", mustRun(t, "presets", "marketo"), "name: marketo", "marketoGUID", "activity_types:")
	_, errOut, code := run(t, "presets", "marketto")
	if code != 2 || !strings.Contains(errOut, "did you mean marketo?") {
		t.Errorf("an unknown preset: exit %d, %s", code, errOut)
	}
}

// TestStatus_SweepsLitter: status removes the temporary folders killed runs
// left (an extracted drop, half a feed, half a pack) once their process is
// gone, and says so; it leaves a set-aside pack alone.
func TestStatus_SweepsLitter(t *testing.T) {
	dir, config := sample(t, "2000")
	mustRun(t, "build", "--config", config, "--as-of", "2026-11-15T06:00:00Z")
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Skip("no true here:", err)
	}
	pid := dead.Process.Pid
	litter := []string{
		filepath.Join(dir, "warehouse.duckdb.tmp", fmt.Sprintf("drop-%d-1", pid)),
		filepath.Join(dir, fmt.Sprintf(".export-%d-1", pid)),
		filepath.Join(dir, "packs", fmt.Sprintf(".2026-10.tmp-%d-1", pid)),
		filepath.Join(dir, "packs", fmt.Sprintf(".2026-09.tmp-%d-1", pid)),
	}
	kept := filepath.Join(dir, "packs", fmt.Sprintf(".2026-10.old-%d-1", pid))
	for _, d := range append(litter, kept) {
		if err := os.MkdirAll(d, 0o750); err != nil {
			t.Fatal(err)
		}
	}
	out := mustRun(t, "status", "--config", config)
	mustSay(t, "status", out, "removed 4 temporary folder(s) left by killed runs")
	for _, d := range litter {
		if _, err := os.Stat(d); !os.IsNotExist(err) {
			t.Errorf("%s is still there", d)
		}
	}
	if _, err := os.Stat(kept); err != nil {
		t.Errorf("the set-aside pack was removed: %v", err)
	}
}
