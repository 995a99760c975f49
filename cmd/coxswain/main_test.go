package main

import (
	"bufio"
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/duckdb/duckdb-go/v2"

	"coxswain"
)

// TestMain lets a test run the command in a child process that it can kill:
// with COXSWAIN_TEST_CHILD set, the test binary is coxswain.
func TestMain(m *testing.M) {
	if os.Getenv("COXSWAIN_TEST_CHILD") == "1" {
		// As main does: a stop signal cancels the context.
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := Run(ctx, os.Args[1:], os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// startChild runs coxswain (this test binary, as TestMain arranges) in a
// child process, with its stderr to read.
func startChild(t *testing.T, args ...string) (*exec.Cmd, io.ReadCloser) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "COXSWAIN_TEST_CHILD=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, stderr
}

func run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = Run(context.Background(), args, &out, &errOut)
	return out.String(), errOut.String(), code
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, code := run(t, args...)
	if code != 0 {
		t.Fatalf("coxswain %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// mustSay checks that out contains each of wants.
func mustSay(t *testing.T, what, out string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(out, w) {
			t.Errorf("%s does not say %q:\n%s", what, w, out)
		}
	}
}

func sample(t *testing.T, leads string) (dir, config string) {
	t.Helper()
	dir = filepath.Join(t.TempDir(), "org")
	mustRun(t, "sample", "--dir", dir, "--leads", leads)
	return dir, filepath.Join(dir, "coxswain.yaml")
}

func TestRun_SampleBuildStatus(t *testing.T) {
	_, config := sample(t, "400")
	out, log, code := run(t, "build", "--config", config, "--as-of", "2026-11-15T06:00:00Z")
	if code != 0 {
		t.Fatalf("build: exit %d\n%s%s", code, out, log)
	}
	mustSay(t, "build log", log,
		`msg="loading crm/2026-11-08/Lead.csv (lead, cp1252)" event=file_start file=crm/2026-11-08/Lead.csv object=lead encoding=cp1252`,
		"loading crm/2026-11-15_WE_00D5g000004SAMPL_1.ZIP/Lead.csv (lead, utf-8)")
	mustSay(t, "build output", out,
		"build 1 as of 2026-11-15T06:00:00Z: 2 drops loaded (",
		"0 rows quarantined), 0 drops already loaded",
	)
	out = mustRun(t, "build", "--config", config, "--as-of", "2026-11-16")
	if !strings.Contains(out, "build 2 as of 2026-11-16T00:00:00Z: 0 drops loaded (0 rows, 0 rows quarantined), 2 drops already loaded") {
		t.Errorf("second build is not a no-op:\n%s", out)
	}
	if slices.Contains(feedFolders, "iceberg") {
		// Where an engine that registers one metadata file is pointed.
		mustSay(t, "build output", out, "iceberg feed: ", "  coxswain.kpis: coxswain/kpis/metadata/v", "  coxswain.targets: coxswain/targets/metadata/v")
	} else {
		mustSay(t, "build output", out, "iceberg feed: not written (this coxswain was built with -tags noiceberg)")
	}
	out = mustRun(t, "status", "--config", config)
	mustSay(t, "status", out,
		"crm     salesforce  exports/salesforce  0              2             2026-11-15_WE_00D5g000004SAMPL_1.ZIP  fresh (0s old)",
		"build 2: ok;",
		"as of 2026-11-16T00:00:00Z",
		"0 drops loaded, 2 drops already loaded",
		"Data tests (last run: 16,",
	)
}

func TestRun_Errors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"unknown command", []string{"bulid"}, 2, []string{`Error: unknown command "bulid"`, "Try: coxswain help"}},
		{"missing config", []string{"build", "--config", filepath.Join(t.TempDir(), "none.yaml")}, 2, []string{"Error: config", "no such file or directory", "Hint: name your configuration with --config"}},
		{"bad as-of", []string{"build", "--as-of", "yesterday"}, 2, []string{`Error: --as-of "yesterday" is not a time`}},
		{"unknown flag", []string{"status", "--verbose"}, 2, []string{"Error: status: unknown flag --verbose"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, errOut, code := run(t, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d", code, tc.code)
			}
			mustSay(t, "stderr", errOut, tc.want...)
		})
	}
}

func TestRun_FailedDropNamesFileAndHint(t *testing.T) {
	dir, config := sample(t, "200")
	// A later drop whose Lead file went through Excel.
	bad := filepath.Join(dir, "exports", "salesforce", "2026-11-22")
	os.MkdirAll(bad, 0o755)
	os.WriteFile(filepath.Join(bad, "Lead.csv"), []byte("Id,CreatedDate\n00Q5g0000000001EAA,11/20/26 09:15 AM\n"), 0o644)
	out, errOut, code := run(t, "build", "--config", config)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", code, out, errOut)
	}
	mustSay(t, "stderr", errOut,
		"Error: drop crm/2026-11-22 was not loaded (the warehouse keeps its previous state):",
		"crm/2026-11-22/Lead.csv: 1 of 1 rows (100.0%) could not be read, more than the 1% allowed",
		`line 2, column CreatedDate: Could not convert string "11/20/26 09:15 AM" to a date and time`,
		`Hint: the datetimes look like "11/20/26 09:15 AM": set sources[0].formats.timestamp: "%m/%d/%y %I:%M %p"`,
	)
	if !strings.Contains(out, "2 drops loaded") {
		t.Errorf("the good drops before it were not loaded:\n%s", out)
	}
}

// TestRun_KilledBuild kills a build while a drop's transaction is open; the
// next build must load everything exactly once.
func TestRun_KilledBuild(t *testing.T) {
	dir, config := sample(t, "30000")
	cmd, stderr := startChild(t, "build", "--config", config, "--as-of", "2026-11-15T06:00:00Z")
	killed := false
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		// The first drop's transaction is open, with files loaded and more to come.
		if strings.Contains(sc.Text(), `msg="loading crm/2026-11-08/Lead.csv`) {
			cmd.Process.Signal(syscall.SIGKILL)
			killed = true
			break
		}
	}
	cmd.Wait()
	if !killed {
		t.Fatal("the child build ended before it could be killed")
	}
	wh := filepath.Join(dir, "warehouse.duckdb")
	if got := queryInt(t, wh, "SELECT count(*) FROM meta.drops"); got != 0 {
		t.Fatalf("after the kill %d drops are loaded; the kill came too late to test anything", got)
	}

	// The killed build left its transcoded drop behind (the first drop is
	// ISO-8859-1); the next build removes it.
	litter := func() []string {
		m, _ := filepath.Glob(filepath.Join(dir, "warehouse.duckdb.tmp", "drop-*"))
		return m
	}
	if len(litter()) == 0 {
		t.Fatal("the kill left no temporary folder: the test no longer sees litter")
	}
	out := mustRun(t, "build", "--config", config, "--as-of", "2026-11-15T06:00:00Z")
	if !strings.Contains(out, "2 drops loaded") {
		t.Fatalf("the next build did not complete the load:\n%s", out)
	}
	if l := litter(); len(l) > 0 {
		t.Errorf("the killed build's temporary folders are still there: %v", l)
	}
	// Every row of each drop is there exactly once: the state as of each
	// drop holds the rows its files recorded, and no (drop, id) repeats.
	for _, q := range []string{
		"SELECT count(*) FROM meta.builds WHERE outcome = 'killed'",
		"SELECT count(*) FROM meta.drops",
	} {
		if got := queryInt(t, wh, q); got != map[bool]int64{true: 1, false: 2}[strings.Contains(q, "killed")] {
			t.Errorf("%s = %d", q, got)
		}
	}
	if got := queryInt(t, wh, `SELECT count(*) FROM (SELECT _drop_id, "Id" FROM raw.crm__lead GROUP BY ALL HAVING count(*) > 1)`); got != 0 {
		t.Errorf("%d leads are doubled", got)
	}
	if got := queryInt(t, wh, `SELECT count(*) FROM meta.drops d
		WHERE (SELECT sum(rows_loaded) FROM meta.files f WHERE f.drop_id = d.drop_id AND object = 'lead')
		   <> (SELECT count(*) FROM raw_as_of('raw.crm__lead', d.drop_id))`); got != 0 {
		t.Errorf("the raw leads as of %d drops differ from the manifest", got)
	}
}

// openDuckDB opens the DuckDB file at dsn (a path, with its settings).
func openDuckDB(t *testing.T, dsn string) *sql.DB {
	t.Helper()
	connector, err := duckdb.NewConnector(dsn, nil)
	if err != nil {
		t.Fatal(err)
	}
	return sql.OpenDB(connector)
}

// queryOne runs q, of one row and one column, on the warehouse at path.
func queryOne[T any](t *testing.T, path, q string) T {
	t.Helper()
	db := openDuckDB(t, path+"?access_mode=read_only")
	defer db.Close()
	var v T
	if err := db.QueryRow(q).Scan(&v); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return v
}

// queryEach runs q on the warehouse at path and calls scan on each row.
func queryEach(t *testing.T, path, q string, scan func(*sql.Rows) error) {
	t.Helper()
	db := openDuckDB(t, path+"?access_mode=read_only")
	defer db.Close()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			t.Fatal(err)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

func queryInt(t *testing.T, path, q string) int64 {
	t.Helper()
	return queryOne[int64](t, path, q)
}

func TestRun_BuildLoadOnly(t *testing.T) {
	dir, config := sample(t, "300")
	out := mustRun(t, "build", "--load-only", "--config", config, "--as-of", "2026-11-15T06:00:00Z")
	mustSay(t, "build output", out, "2 drops loaded", "models not rebuilt (--load-only)")
	if strings.Contains(out, "models:") {
		t.Errorf("--load-only ran the models:\n%s", out)
	}
	for _, feed := range []string{"export", "iceberg"} {
		if _, err := os.Stat(filepath.Join(dir, feed)); err == nil {
			t.Errorf("--load-only wrote the feed %s/", feed)
		}
	}
	// The next full build models what was loaded.
	out = mustRun(t, "build", "--config", config, "--as-of", "2026-11-15T06:00:00Z")
	mustSay(t, "build output", out, "0 drops loaded", "models: ")
}

// TestRun_SecondBuildIsRefused: while one build runs in another process, a
// second fails at once, naming the first's process and start.
func TestRun_SecondBuildIsRefused(t *testing.T) {
	_, config := sample(t, "30000")
	cmd, stderr := startChild(t, "build", "--config", config, "--as-of", "2026-11-15T06:00:00Z")
	sc := bufio.NewScanner(stderr)
	for sc.Scan() && !strings.Contains(sc.Text(), `msg="loading `) {
	}
	_, errOut, code := run(t, "build", "--config", config)
	go io.Copy(io.Discard, stderr)
	if err := cmd.Wait(); err != nil {
		t.Errorf("the first build failed: %v", err)
	}
	if code != 1 {
		t.Fatalf("the second build exited %d", code)
	}
	mustSay(t, "stderr", errOut, "is in use by coxswain build (pid "+strconv.Itoa(cmd.Process.Pid), "only one command may use it at a time",
		"Hint: wait for it to finish")
	// Once the first is done, the lock is free again.
	mustRun(t, "build", "--config", config, "--load-only")
}

func TestRun_History(t *testing.T) {
	dir, config := sample(t, "300")
	mustRun(t, "build", "--config", config, "--as-of", "2026-11-15T06:00:00Z")
	mustRun(t, "report", "--config", config, "--month", "2026-10", "--out", filepath.Join(dir, "packs"))
	run(t, "report", "--config", config, "--month", "2030-01", "--out", filepath.Join(dir, "packs")) // fails
	out := mustRun(t, "runs", "--config", config)
	mustSay(t, "runs", out, "build", "report   2026-10", "ok", "report   2030-01", "failed", "the warehouse has the months")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 { // header and three runs
		t.Errorf("runs printed %d lines:\n%s", len(lines), out)
	}
	mustSay(t, "status", mustRun(t, "status", "--config", config), "Last runs (coxswain runs; log ")
	if got := queryInt(t, filepath.Join(dir, "warehouse.duckdb"), "SELECT count(*) FROM meta.runs WHERE command IN ('build', 'report')"); got != 3 {
		t.Errorf("meta.runs has %d build and report runs, want 3", got)
	}
}

func TestFreshness(t *testing.T) {
	now := time.Date(2026, 11, 22, 12, 0, 0, 0, time.UTC)
	src := coxswain.Source{WarnAfter: "24h", ErrorAfter: "72h"}
	for _, tc := range []struct {
		newest time.Time
		want   string
	}{
		{now.Add(-2 * time.Hour), "fresh (2h0m0s old)"},
		{now.Add(-30 * time.Hour), "stale: 30h0m0s old, over warn_after 24h0m0s"},
		{now.Add(-100 * time.Hour), "STALE: 100h0m0s old, over error_after 72h0m0s (builds fail)"},
		{time.Time{}, "STALE: nothing loaded"},
	} {
		if got := freshnessOf(src, tc.newest, now).String(); got != tc.want {
			t.Errorf("freshness(%s) = %q, want %q", tc.newest, got, tc.want)
		}
	}
}

func TestRun_BuildLogsJSON(t *testing.T) {
	_, config := sample(t, "300")
	_, log, code := run(t, "build", "--config", config, "--log-format", "json", "--as-of", "2026-11-15T06:00:00Z")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, log)
	}
	var files int
	for _, line := range strings.Split(strings.TrimSpace(log), "\n") {
		var ev map[string]any
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			t.Fatalf("not a JSON line: %s", line)
		}
		if ev["event"] == "file_read" {
			files++
			if _, ok := ev["rows"].(float64); !ok {
				t.Errorf("file_read without rows: %s", line)
			}
		}
	}
	if files != 18 { // nine files in each of the two drops
		t.Errorf("%d file_read events, want 18", files)
	}
}

// TestRun_BuildRefusedByAReader: a build turned away because a reader has
// the DuckDB file open says so, and does not name itself as the holder.
func TestRun_BuildRefusedByAReader(t *testing.T) {
	dir, config := sample(t, "300")
	mustRun(t, "build", "--config", config, "--as-of", "2026-11-15T06:00:00Z")
	// This test process reads the warehouse; the build runs in a child.
	connector, err := duckdb.NewConnector(filepath.Join(dir, "warehouse.duckdb")+"?access_mode=read_only", nil)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	if err := db.Ping(); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "build", "--config", config)
	cmd.Env = append(os.Environ(), "COXSWAIN_TEST_CHILD=1")
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatalf("the build ran while a reader held the warehouse:\n%s", out)
	}
	mustSay(t, "build output", string(out), "is open for reading in another process", "Hint: run the build again once that process has finished")
	if strings.Contains(string(out), "in use by coxswain build") {
		t.Errorf("the build names itself as the holder:\n%s", out)
	}
}
