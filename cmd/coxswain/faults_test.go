//go:build faults && linux

package main

// TestFaults is make faults: the long kill test of the README's first
// guarantee. A SIGKILL at any point of a build or a report changes no number,
// doubles no row, leaves nothing on disk that the next run does not remove,
// and leaves a warehouse that the next commands use.
//
// It runs the sample org once without kills (the reference), then, for each
// kill point, a fresh copy of the org in the state the point starts from (as
// generated; built; built and reported): it starts the command in a child
// process, SIGKILLs it when the point's event is seen, runs build and report
// to completion, and checks that status and verify succeed, that the pack is
// the reference's byte for byte (but for the build's number and the list of
// last runs in report.html and the manifest), that the Parquet feed is the
// reference's byte for byte, that each Iceberg table's current snapshot
// names the reference's data files (named after their rows), that no raw row is doubled within a drop, that
// each file's raw rows are the rows meta.files recorded and the raw tables'
// content is the reference's, that the build the kill left running is marked
// killed, and that the folder holds exactly the reference's files (no
// litter). It prints a table of the outcomes.
//
// Kill points are events, never timers. The build logs each file it loads and
// each drop it ends (log/slog on stderr), so the load is targeted by its log
// lines, and by the count of lines for points spread along the whole log. The
// transcoding and extraction of a drop, the models step, the feeds and
// the report log nothing: those points are file-system events the child
// causes, seen through inotify on the org folder (the Nth file created in a
// drop's temporary folder, in the feed's or the pack's; a rename; the run log
// written; the warehouse file written by the checkpoint; the WAL grown past a
// size measured in the reference run, for a drop's commit and the models'
// transaction). A kill lands a moment after its event, as a kill from outside
// does; the table shows what each kill left behind.
//
// FAULTS_PARALLEL sets how many points run at a time (default 2);
// FAULTS_DIR keeps every folder there for a post-mortem.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog/hadoop"
	"github.com/apache/iceberg-go/table"
	"github.com/duckdb/duckdb-go/v2"
	"github.com/xuri/excelize/v2"

	feedpkg "coxswain/pipelines/feed"
	"coxswain/reports/workbook"
)

const (
	faultLeads = "30000" // a build of about five seconds on two cores
	faultAsOf  = "2026-11-15T06:00:00Z"
	faultMonth = "2026-10"
	faultDrop1 = "crm/2026-11-08"                           // a folder drop in ISO-8859-1: transcoded
	faultDrop2 = "crm/2026-11-15_WE_00D5g000004SAMPL_1.ZIP" // a ZIP drop: extracted
	walName    = "warehouse.duckdb.wal"
)

// The setups a point starts from: the sample org as generated, after the
// reference build, and after the reference build and report.
const (
	setupFresh    = "fresh"
	setupBuilt    = "built"
	setupReported = "reported"
)

// fev is one event of a child run: a log line or a file-system event.
type fev struct {
	at   time.Duration // since the child started
	log  bool
	line string // the log line's message
	op   string // create, write, modify, delete, from, to (a rename's two names), overflow
	path string // relative to the org folder, with slashes
	wal  int64  // the WAL's size when the event was seen; -1 when not looked at
}

func (e fev) String() string {
	if e.log {
		return fmt.Sprintf("log %q", e.line)
	}
	return e.op + " " + e.path
}

// step is one condition of a kill point; a point's steps are met in order.
type step struct {
	what  string
	match func(fev) bool
	n     int   // met at the n-th matching event
	grow  int64 // instead: met when the WAL has grown by this much since the previous step
}

func onLine(sub string, n int) step {
	return step{what: fmt.Sprintf("log line %q #%d", sub, n), n: n,
		match: func(e fev) bool { return e.log && strings.Contains(e.line, sub) }}
}

func afterLines(n int) step {
	return step{what: fmt.Sprintf("log line #%d", n), n: n, match: func(e fev) bool { return e.log }}
}

func onFile(op, glob string, n int) step {
	return step{what: fmt.Sprintf("%s %s #%d", op, glob, n), n: n,
		match: func(e fev) bool {
			ok, _ := path.Match(glob, e.path)
			return !e.log && e.op == op && ok
		}}
}

func walGrown(b int64) step {
	return step{what: fmt.Sprintf("WAL grown by %d bytes", b), grow: b}
}

type trigger struct {
	steps    []step
	i, count int
	base     int64 // the WAL's size when the current step began
}

// feed says whether e completes the last step.
func (t *trigger) feed(e fev) bool {
	if t.i >= len(t.steps) {
		return false
	}
	s := t.steps[t.i]
	hit := false
	if s.grow > 0 {
		hit = e.wal >= 0 && e.wal-t.base >= s.grow
	} else if s.match(e) {
		t.count++
		hit = t.count >= s.n
	}
	if !hit {
		return false
	}
	t.i, t.count = t.i+1, 0
	if e.wal >= 0 {
		t.base = e.wal
	}
	return t.i == len(t.steps)
}

func describe(steps []step) string {
	var s []string
	for _, st := range steps {
		s = append(s, st.what)
	}
	return strings.Join(s, ", then ")
}

// faultPoint is one kill point: the command killed, the state it starts
// from, and the event it is killed at.
type faultPoint struct {
	name, phase string
	setup       string
	cmd         string // build or report
	json        bool   // --log-format json
	steps       []step
}

func (p faultPoint) args(config string) []string {
	if p.cmd == "report" {
		return []string{"report", "--config", config, "--month", faultMonth}
	}
	a := []string{"build", "--config", config, "--as-of", faultAsOf}
	if p.json {
		a = append(a, "--log-format", "json")
	}
	return a
}

// stream is a reference run's events.
type stream struct {
	events  []fev
	elapsed time.Duration
}

func (s stream) find(steps []step) (fev, bool) {
	tr := &trigger{steps: steps}
	for _, e := range s.events {
		if tr.feed(e) {
			return e, true
		}
	}
	return fev{}, false
}

func streamKey(setup, cmd string) string { return setup + " " + cmd }

// faultRef is the reference: what every point must come back to.
type faultRef struct {
	dirs    map[string]string // setup -> a folder in that state
	streams map[string]stream // setup+cmd -> the reference run's events
	pack    map[string]string
	feed    map[string]string
	listing []string
	facts   map[string]string
}

func TestFaults(t *testing.T) {
	started := time.Now()
	work := os.Getenv("FAULTS_DIR") // set to keep every folder for a post-mortem
	if work == "" {
		work = t.TempDir()
	} else if err := os.MkdirAll(work, 0o755); err != nil {
		t.Fatal(err)
	}
	parallel := 2
	if v, err := strconv.Atoi(os.Getenv("FAULTS_PARALLEL")); err == nil && v > 0 {
		parallel = v
	}

	ref := faultReference(t, work)
	points := faultPoints(t, ref)
	if len(points) < 30 {
		t.Fatalf("only %d kill points", len(points))
	}

	fmt.Printf("\nKill points (reference: build %.1fs, report %.1fs; \"ref\" is when the point's event came in the reference run):\n",
		ref.streams[streamKey(setupFresh, "build")].elapsed.Seconds(), ref.streams[streamKey(setupBuilt, "report")].elapsed.Seconds())
	var runnable []int
	for i, p := range points {
		s := ref.streams[streamKey(p.setup, p.cmd)]
		e, ok := s.find(p.steps)
		if !ok {
			t.Errorf("point %s: its event never comes in the reference run (%s)", p.name, describe(p.steps))
			continue
		}
		runnable = append(runnable, i)
		cmd := p.cmd
		if p.json {
			cmd += " (json log)"
		}
		fmt.Printf("  %-16s %-8s %-17s from %-8s at %s  (ref %.2fs of %.2fs: %s)\n", p.name, p.phase, cmd, p.setup, describe(p.steps),
			e.at.Seconds(), s.elapsed.Seconds(), e)
	}

	results := make([]pointResult, len(points))
	sem := make(chan struct{}, parallel)
	t.Run("points", func(t *testing.T) {
		for _, i := range runnable {
			t.Run(points[i].name, func(t *testing.T) {
				t.Parallel()
				sem <- struct{}{}
				defer func() { <-sem }()
				results[i] = runPoint(t, work, i, points[i], ref)
				for _, p := range results[i].problems {
					t.Error(p)
				}
			})
		}
	})

	tw := tabwriter.NewWriter(os.Stdout, 0, 0, 1, ' ', tabwriter.Debug)
	fmt.Println()
	fmt.Fprintln(tw, "point\tphase\tkilled?\tleft by the kill\trecovered\tpack identical\tlitter removed\tseconds\t")
	killed, failed, ran := 0, 0, 0
	for _, i := range runnable {
		r := results[i]
		if r.point.name == "" {
			continue // not run (go test -run), or stopped before it ended
		}
		ran++
		k := "yes"
		if !r.killed {
			k = "NO (ended first)"
		} else {
			killed++
		}
		if len(r.problems) > 0 {
			failed++
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.1f\t\n", r.point.name, r.point.phase, k, r.left, r.recovered, r.identical, r.litter, r.seconds)
	}
	tw.Flush()
	fmt.Printf("\n%d points, %d killed, %d failed, %.0fs in all (%d at a time)\n", ran, killed, failed, time.Since(started).Seconds(), parallel)
	if ran == len(points) && killed < 30 {
		t.Errorf("only %d points were killed (at least 30 must be)", killed)
	}
}

// faultReference generates the sample org, builds and reports it without
// kills, recording each run's events, and keeps a copy of each state. A second
// build and report of the reference must give the same pack, feed and
// warehouse, or the comparison would be too strict to mean anything.
func faultReference(t *testing.T, work string) *faultRef {
	ref := &faultRef{dirs: map[string]string{}, streams: map[string]stream{}}
	sampleDir := filepath.Join(work, "sample")
	os.RemoveAll(sampleDir)
	mustRun(t, "sample", "--dir", sampleDir, "--leads", faultLeads)
	ref.dirs[setupFresh] = sampleDir

	dir := filepath.Join(work, "reference", "org")
	copyTree(t, sampleDir, dir)
	config := filepath.Join(dir, "coxswain.yaml")
	record := func(setup, cmd string, args []string) {
		out := runUntil(t, dir, args, nil, true)
		if out.killed || out.code != 0 {
			t.Fatalf("reference %s: exit %d\n%s%s", strings.Join(args, " "), out.code, out.stdout, out.stderr)
		}
		ref.streams[streamKey(setup, cmd)] = stream{events: out.events, elapsed: out.elapsed}
	}
	snapshot := func(setup string) {
		ref.dirs[setup] = filepath.Join(work, "setup-"+setup)
		os.RemoveAll(ref.dirs[setup])
		copyTree(t, dir, ref.dirs[setup])
	}
	buildArgs := faultPoint{cmd: "build"}.args(config)
	reportArgs := faultPoint{cmd: "report"}.args(config)
	record(setupFresh, "build", buildArgs)
	snapshot(setupBuilt)
	record(setupBuilt, "report", reportArgs)
	snapshot(setupReported)
	// The second build loads nothing, rebuilds the models and replaces the
	// feed; the second report replaces the pack.
	record(setupReported, "build", buildArgs)
	record(setupReported, "report", reportArgs)

	var problems []string
	ref.pack, ref.feed, ref.listing, ref.facts, problems = observe(t, dir)
	if len(problems) > 0 {
		t.Fatalf("the reference itself fails the checks:\n%s", strings.Join(problems, "\n"))
	}
	// The same checks on the state after the first build and report.
	check := filepath.Join(work, "reference-check")
	os.RemoveAll(check)
	copyTree(t, ref.dirs[setupReported], check)
	pack, feed, listing, facts, problems := observe(t, check)
	problems = append(problems, compare(ref, pack, feed, listing, facts)...)
	if len(problems) > 0 {
		t.Fatalf("two reference runs differ; the comparison is too strict:\n%s", strings.Join(problems, "\n"))
	}
	os.RemoveAll(check)
	return ref
}

// faultPoints lists the kill points. The models' points use the growth of the
// WAL in the reference run: the plans and staging commits, then the models,
// each committed beside the table in place (int_activities in place, its
// state pending), and the data tests, then the swap that puts them in place.
// The points at a third and two thirds of that growth land among the
// models' commits.
func faultPoints(t *testing.T, ref *faultRef) []faultPoint {
	b1 := ref.streams[streamKey(setupFresh, "build")]
	b2 := ref.streams[streamKey(setupReported, "build")]
	lastDrop := "loaded " + faultDrop2
	arm := slices.IndexFunc(b1.events, func(e fev) bool { return e.log && strings.Contains(e.line, lastDrop) })
	if arm < 0 {
		t.Fatalf("the reference build never logged %q", lastDrop)
	}
	staged, models := walPhases(t, b1.events, arm)
	staged2, models2 := walPhases(t, b2.events, -1)
	// A drop commits after its last file is read: the WAL grows between
	// that line and the drop's.
	commit1 := walBetween(t, b1.events, onLine("User.csv: ", 1), onLine("loaded "+faultDrop1, 1))
	commit2 := walBetween(t, b1.events, onLine("User.csv: ", 2), onLine(lastDrop, 1))

	fresh := func(name, phase string, steps ...step) faultPoint {
		return faultPoint{name: name, phase: phase, setup: setupFresh, cmd: "build", steps: steps}
	}
	load1 := func(file string) step { return onLine("loading "+faultDrop1+"/"+file, 1) }
	load2 := func(file string) step { return onLine("loading "+faultDrop2+"/"+file, 1) }
	tmp := "warehouse.duckdb.tmp/drop-*"
	armed := onLine(lastDrop, 1)
	points := []faultPoint{
		// The first drop, a folder in ISO-8859-1: its files are transcoded
		// into the build's temporary folder before any is loaded.
		fresh("x1-scratch", "extract", onFile("create", tmp, 1)),
		fresh("x1-lead", "extract", onFile("create", tmp+"/utf8-Lead.csv", 1)),
		fresh("x1-user", "extract", onFile("create", tmp+"/utf8-User.csv", 1)),
		// Its files load in one transaction.
		fresh("l1-account", "load", load1("Account.csv")),
		fresh("l1-lead", "load", load1("Lead.csv")),
		fresh("l1-lead-read", "load", onLine("Lead.csv: ", 1)),
		fresh("l1-checks", "load", onLine("User.csv: ", 1)),
		fresh("l1-commit", "load", onLine("User.csv: ", 1), walGrown(commit1/2)),
		// Between the drops: the first is committed, the ZIP is opened and
		// extracted.
		fresh("between", "between", onLine("loaded "+faultDrop1, 1)),
		fresh("x2-scratch", "extract", onFile("create", tmp, 2)),
		fresh("x2-lead", "extract", onFile("create", tmp+"/Lead.csv", 1)),
		fresh("x2-user", "extract", onFile("create", tmp+"/User.csv", 1)),
		fresh("l2-account", "load", load2("Account.csv")),
		fresh("l2-lead", "load", load2("Lead.csv")),
		fresh("l2-task", "load", load2("Task.csv")),
		fresh("l2-checks", "load", onLine("User.csv: ", 2)),
		fresh("l2-commit", "load", onLine("User.csv: ", 2), walGrown(commit2/2)),
		// Plans, staging views, then the models (committed one by one
		// beside the tables in place) and data tests, then the swap.
		fresh("m-plans", "models", armed),
		fresh("m-staging", "models", armed, walGrown(1)),
		fresh("m-running", "models", armed, walGrown(staged)),
		fresh("m-commit-1/3", "models", armed, walGrown(staged+models/3)),
		fresh("m-commit-2/3", "models", armed, walGrown(staged+2*models/3)),
		// The Parquet feed, written beside export/ and swapped in.
		fresh("e-scratch", "export", onFile("create", ".export-*", 1)),
		fresh("e-kpis", "export", onFile("create", ".export-*/kpis/*/*.parquet", 12)),
		fresh("e-channel", "export", onFile("create", ".export-*/kpis_by_channel/*/*.parquet", 1)),
		fresh("e-funnel", "export", onFile("create", ".export-*/funnel/*/*.parquet", 13)),
		fresh("e-targets", "export", onFile("create", ".export-*/targets/*/*.parquet", 1)),
		fresh("e-swapped", "export", onFile("to", "export", 1)),
		// The Iceberg feed: a month's file being written for the second
		// table; the fourth table created, its first snapshot being
		// committed (its manifest list written).
		fresh("i-data", "iceberg", onFile("create", "iceberg/coxswain/kpis_by_channel/data/*/.writing-*", 3)),
		fresh("i-commit", "iceberg", onFile("create", "iceberg/coxswain/funnel/metadata/snap-*", 1)),
		// The build's records, then DuckDB's checkpoint as it closes.
		fresh("f-runlog", "finish", onFile("write", "coxswain-runs.jsonl", 1)),
		fresh("f-checkpoint", "finish", onFile("write", "coxswain-runs.jsonl", 1), onFile("modify", "warehouse.duckdb", 1)),
	}
	// Points spread evenly along the whole log, with JSON logs, each on a
	// line no other point is killed at.
	at := map[time.Duration]bool{}
	for _, p := range points {
		if f, ok := b1.find(p.steps); ok && f.log {
			at[f.at] = true
		}
	}
	var logged []fev
	targeted := map[int]bool{}
	for _, e := range b1.events {
		if e.log {
			logged = append(logged, e)
			targeted[len(logged)] = at[e.at]
		}
	}
	for k := 1; k <= 5; k++ {
		n := k * len(logged) / 6
		for targeted[n] && n < len(logged) {
			n++
		}
		targeted[n] = true
		phase := "load" // the line of a file
		switch line := logged[n-1].line; {
		case strings.HasPrefix(line, "loaded "):
			phase = "between" // the line of a drop
		case strings.HasPrefix(line, "building the models"):
			phase = "models"
		case strings.HasPrefix(line, "models and data tests done"):
			phase = "export"
		case strings.HasPrefix(line, "Parquet feed exported"):
			phase = "iceberg"
		case strings.HasPrefix(line, "Iceberg feed"):
			phase = "finish"
		}
		p := fresh(fmt.Sprintf("line-%d/%d", n, len(logged)), phase, afterLines(n))
		p.json = true
		points = append(points, p)
	}
	// A second build over a built, reported warehouse: the models replace
	// the marts, the feed replaces the previous one.
	again := func(name, phase string, steps ...step) faultPoint {
		return faultPoint{name: name, phase: phase, setup: setupReported, cmd: "build", steps: steps}
	}
	points = append(points,
		again("b2-running", "models", walGrown(staged2)),
		again("b2-commit", "models", walGrown(staged2+models2/2)),
		again("b2-export", "export", onFile("create", ".export-*/kpis_by_channel/*/*.parquet", 1)),
		again("b2-set-aside", "export", onFile("to", "export.old", 1)),
		again("b2-checkpoint", "finish", onFile("write", "coxswain-runs.jsonl", 1), onFile("modify", "warehouse.duckdb", 1)),
	)
	// The report: its pack is written beside packs/2026-10 and renamed in;
	// then the run is recorded in the run log and meta.runs.
	report := func(name, setup string, steps ...step) faultPoint {
		return faultPoint{name: name, phase: "report", setup: setup, cmd: "report", steps: steps}
	}
	ptmp := "packs/." + faultMonth + ".tmp-*"
	points = append(points,
		report("r-scratch", setupBuilt, onFile("create", ptmp, 1)),
		report("r-files", setupBuilt, onFile("create", ptmp+"/*", 4)),
		report("r-placed", setupBuilt, onFile("to", "packs/"+faultMonth, 1)),
		report("r-runlog", setupBuilt, onFile("write", "coxswain-runs.jsonl", 1)),
		report("r-record", setupBuilt, onFile("write", "coxswain-runs.jsonl", 1), onFile("modify", walName, 1)),
		report("r-checkpoint", setupBuilt, onFile("write", "coxswain-runs.jsonl", 1), onFile("modify", "warehouse.duckdb", 1)),
		report("r2-files", setupReported, onFile("create", ptmp+"/*", 9)),
		report("r2-set-aside", setupReported, onFile("to", "packs/."+faultMonth+".old-*", 1)),
	)
	return points
}

// walPhases reads, from a reference build's events after arm (-1: from the
// start), how much the WAL grows before the models run (plans, staging
// views) and how much their commit adds before the feed is written. The
// models and data tests are the longest stretch without a WAL write.
func walPhases(t *testing.T, events []fev, arm int) (staged, models int64) {
	base := int64(0)
	if arm >= 0 {
		base = events[arm].wal
	}
	type sample struct {
		at  time.Duration
		wal int64
	}
	var ss []sample
	last, atExport := base, int64(-1)
	for _, e := range events[arm+1:] {
		if ok, _ := path.Match(".export-*", e.path); ok && !e.log && e.op == "create" {
			atExport = e.wal
			break
		}
		if e.wal >= 0 && e.wal != last {
			ss = append(ss, sample{e.at, e.wal})
			last = e.wal
		}
	}
	gap := -1
	for i := 0; i+1 < len(ss); i++ {
		if gap < 0 || ss[i+1].at-ss[i].at > ss[gap+1].at-ss[gap].at {
			gap = i
		}
	}
	if gap < 0 || atExport < 0 {
		t.Fatalf("the reference build's WAL did not show the models step (%d sizes seen)", len(ss))
	}
	staged, models = ss[gap].wal-base, atExport-ss[gap].wal
	if staged <= 0 || models <= 0 {
		t.Fatalf("the reference build's WAL: %d bytes before the models, %d for them", staged, models)
	}
	return staged, models
}

// walBetween is how much the WAL grows in a reference run between the
// events that complete from and to.
func walBetween(t *testing.T, events []fev, from, to step) int64 {
	s := stream{events: events}
	a, ok1 := s.find([]step{from})
	b, ok2 := s.find([]step{to})
	if !ok1 || !ok2 || b.wal-a.wal <= 0 {
		t.Fatalf("the reference build's WAL did not grow between %s and %s", from.what, to.what)
	}
	return b.wal - a.wal
}

type pointResult struct {
	point     faultPoint
	killed    bool
	left      string
	recovered string
	identical string
	litter    string
	seconds   float64
	problems  []string
}

// runPoint kills the point's command at its event, runs build and report to
// completion, and checks the result against the reference.
func runPoint(t *testing.T, work string, i int, p faultPoint, ref *faultRef) pointResult {
	res := pointResult{point: p}
	start := time.Now()
	root := filepath.Join(work, "points", fmt.Sprintf("%02d-%s", i+1, strings.ReplaceAll(p.name, "/", "of")))
	os.RemoveAll(root)
	dir := filepath.Join(root, "org")
	copyTree(t, ref.dirs[p.setup], dir)
	config := filepath.Join(dir, "coxswain.yaml")
	fail := func(format string, args ...any) {
		res.problems = append(res.problems, fmt.Sprintf(format, args...))
	}

	out := runUntil(t, dir, p.args(config), p.steps, false)
	res.killed = out.killed
	if !out.killed && out.code != 0 {
		fail("the command to be killed failed by itself: exit %d\n%s", out.code, out.stderr)
	}
	litterBefore := litterOf(dir)
	var running int64
	res.left, running = leftBehind(dir, litterBefore)

	// The next runs, to completion.
	recovered := true
	for _, args := range [][]string{
		{"build", "--config", config, "--as-of", faultAsOf},
		{"report", "--config", config, "--month", faultMonth},
		{"status", "--config", config},
		{"verify", filepath.Join(dir, "packs", faultMonth)},
	} {
		stdout, stderr, code := runChild(t, args...)
		if code != 0 {
			recovered = false
			fail("after the kill, coxswain %s: exit %d\n%s%s", args[0], code, stdout, stderr)
			if args[0] == "build" || args[0] == "report" {
				break
			}
		}
	}
	if stdout, _, code := runChild(t, "status", "--config", config, "--json"); code != 0 || !json.Valid([]byte(stdout)) {
		recovered = false
		fail("after the kill, coxswain status --json: exit %d, valid JSON %v", code, json.Valid([]byte(stdout)))
	}

	pack, feed, listing, facts, problems := observe(t, dir)
	// A build the kill left running is marked killed, and no other.
	if n, err := countKilled(filepath.Join(dir, "warehouse.duckdb")); err != nil || n != running {
		problems = append(problems, fmt.Sprintf("%d builds are marked killed after a kill that left %d running (%v)", n, running, err))
	}
	diffs := compare(ref, pack, feed, listing, facts)
	res.problems = append(res.problems, problems...)
	res.problems = append(res.problems, diffs...)
	if len(problems) > 0 || slices.ContainsFunc(diffs, func(d string) bool { return !strings.HasPrefix(d, "pack") && !strings.HasPrefix(d, "litter") }) {
		recovered = false
	}
	res.recovered = map[bool]string{true: "yes", false: "NO"}[recovered]
	res.identical = "yes"
	if slices.ContainsFunc(diffs, func(d string) bool { return strings.HasPrefix(d, "pack") }) {
		res.identical = "NO"
	}
	left := litterOf(dir)
	extra := slices.ContainsFunc(diffs, func(d string) bool { return strings.HasPrefix(d, "litter") })
	switch {
	case len(left) > 0 || extra:
		res.litter = "NO"
	case len(litterBefore) > 0:
		res.litter = fmt.Sprintf("yes (%d)", len(litterBefore))
	default:
		res.litter = "none left"
	}
	res.seconds = time.Since(start).Seconds()
	if len(res.problems) == 0 && os.Getenv("FAULTS_DIR") == "" {
		os.RemoveAll(root)
	}
	return res
}

// litterGlobs are the temporary files and folders a killed run may leave:
// a drop's transcoded or extracted files, half a feed, the feed set aside,
// half a pack, the pack set aside, and the lock's holder note.
var litterGlobs = []string{
	"warehouse.duckdb.tmp/drop-*", ".export-*", "export.old",
	"packs/.*.tmp-*", "packs/.*.old-*", "warehouse.duckdb.holder",
}

func litterOf(dir string) []string {
	var found []string
	for _, g := range litterGlobs {
		m, _ := filepath.Glob(filepath.Join(dir, g))
		for _, p := range m {
			rel, _ := filepath.Rel(dir, p)
			found = append(found, rel)
		}
	}
	return found
}

// leftBehind says what the kill left: the warehouse as the next command
// finds it (drops committed, marts there, a build still marked running) and
// the temporary files.
func leftBehind(dir string, litter []string) (string, int64) {
	var parts []string
	var running int64
	wh := filepath.Join(dir, "warehouse.duckdb")
	if _, err := os.Stat(wh); err != nil {
		parts = append(parts, "no warehouse")
	} else if db, err := openReadOnly(wh); err != nil {
		parts = append(parts, "warehouse unreadable")
	} else {
		var drops, marts int64
		db.QueryRow("SELECT count(*) FROM meta.drops").Scan(&drops)
		db.QueryRow("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'marts'").Scan(&marts)
		db.QueryRow("SELECT count(*) FROM meta.builds WHERE outcome = 'running'").Scan(&running)
		db.Close()
		parts = append(parts, fmt.Sprintf("%d drops", drops))
		if marts == 0 {
			parts = append(parts, "no marts")
		}
		if running > 0 {
			parts = append(parts, "build running")
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, walName)); err == nil && fi.Size() > 0 {
		parts = append(parts, "WAL")
	}
	// A kill between a swap's two renames leaves the previous feed or pack
	// only under its set-aside name.
	if _, err := os.Stat(filepath.Join(dir, "export")); err != nil && slices.Contains(litter, "export.old") {
		parts = append(parts, "no export/")
	}
	if _, err := os.Stat(filepath.Join(dir, "packs", faultMonth)); err != nil &&
		slices.ContainsFunc(litter, func(l string) bool { return strings.Contains(l, ".old-") }) {
		parts = append(parts, "no packs/"+faultMonth)
	}
	short := map[string]bool{}
	var names []string
	for _, l := range litter {
		s := l
		switch {
		case strings.HasPrefix(l, "warehouse.duckdb.tmp/"):
			s = "drop-*"
		case strings.HasPrefix(l, ".export-"):
			s = ".export-*"
		case strings.Contains(l, ".tmp-"):
			s = "pack .tmp-*"
		case strings.Contains(l, ".old-"):
			s = "pack .old-*"
		case strings.HasSuffix(l, ".holder"):
			s = "holder"
		}
		if !short[s] {
			short[s] = true
			names = append(names, s)
		}
	}
	return strings.Join(append(parts, names...), ", "), running
}

func countKilled(wh string) (int64, error) {
	db, err := openReadOnly(wh)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var n int64
	err = db.QueryRow("SELECT count(*) FROM meta.builds WHERE outcome = 'killed'").Scan(&n)
	return n, err
}

// observe reads what the checks compare: the pack (report.html and the
// manifest without the build's number and the list of last runs), the
// feed's files, the folder's listing and the warehouse's facts; problems are
// what is wrong whatever the reference.
func observe(t *testing.T, dir string) (pack, feed map[string]string, listing []string, facts map[string]string, problems []string) {
	pack = map[string]string{}
	packDir := filepath.Join(dir, "packs", faultMonth)
	entries, _ := os.ReadDir(packDir)
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(packDir, e.Name()))
		if err != nil {
			problems = append(problems, err.Error())
			continue
		}
		switch e.Name() {
		case "manifest.json":
			data = normalManifest(data)
		case "report.html":
			data = normalReport(data)
		case "pack.xlsx":
			data = normalWorkbook(t, data)
		}
		pack[e.Name()] = digest(data)
	}
	feed = map[string]string{}
	exportDir := filepath.Join(dir, "export")
	filepath.WalkDir(exportDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := os.ReadFile(p)
			rel, _ := filepath.Rel(exportDir, p)
			feed[rel] = digest(data)
		}
		return nil
	})
	// The Iceberg tables: the data files of each one's current snapshot,
	// named after their rows. Its metadata's file names hold random ids
	// and are left out of the listing.
	for _, e := range feedpkg.Exported {
		feed["iceberg:"+e.Mart] = icebergFiles(filepath.Join(dir, "iceberg"), e.Mart)
	}
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		rel, _ := filepath.Rel(dir, p)
		if err != nil || rel == "." {
			return nil
		}
		if rel == "exports" || rel == "plans" {
			return filepath.SkipDir
		}
		if ok, _ := filepath.Match("iceberg/coxswain/*/metadata", filepath.ToSlash(rel)); ok {
			return filepath.SkipDir
		}
		listing = append(listing, filepath.ToSlash(rel))
		return nil
	})
	facts, more := warehouseFacts(filepath.Join(dir, "warehouse.duckdb"))
	return pack, feed, listing, facts, append(problems, more...)
}

// icebergFiles lists the data files of the table's current snapshot,
// relative to the table's folder, or says why it cannot.
func icebergFiles(dir, mart string) string {
	ctx := context.Background()
	cat, err := hadoop.NewCatalog("faults", dir, iceberg.Properties{})
	if err != nil {
		return err.Error()
	}
	tbl, err := cat.LoadTable(ctx, table.Identifier{feedpkg.Namespace, mart})
	if err != nil {
		return err.Error()
	}
	tasks, err := tbl.Scan().PlanFiles(ctx)
	if err != nil {
		return err.Error()
	}
	var files []string
	for _, task := range tasks {
		// From the table's folder: a copy's metadata names the folder it
		// was copied from until a build writes the table again.
		_, rel, _ := strings.Cut(task.File.FilePath(), "/"+feedpkg.Namespace+"/"+mart+"/")
		files = append(files, rel)
	}
	slices.Sort(files)
	return strings.Join(files, " ")
}

// warehouseFacts checks the raw layer (no row doubled within a drop, every
// file's rows as the manifest recorded them, no row of an unrecorded file)
// and the builds, and returns what must equal the reference: the drops, the
// files, and each raw table's rows and content.
func warehouseFacts(wh string) (map[string]string, []string) {
	facts := map[string]string{}
	var problems []string
	db, err := openReadOnly(wh)
	if err != nil {
		return nil, []string{"the warehouse does not open: " + err.Error()}
	}
	defer db.Close()
	str := func(q string, args ...any) string {
		var s sql.NullString
		if err := db.QueryRow(q, args...).Scan(&s); err != nil {
			problems = append(problems, fmt.Sprintf("%s: %v", q, err))
		}
		return s.String
	}
	num := func(q string, args ...any) int64 {
		n, _ := strconv.ParseInt(str(q, args...), 10, 64)
		return n
	}
	facts["drops"] = str("SELECT string_agg(source || '/' || name || ':' || files || ':' || rows_loaded || ':' || rows_rejected, ' ' ORDER BY name) FROM meta.drops")
	facts["files"] = str("SELECT string_agg(name || ':' || object || ':' || rows_read || ':' || rows_loaded || ':' || sha256, ' ' ORDER BY drop_id, name) FROM meta.files")
	if n := num("SELECT count(*) FROM meta.builds WHERE outcome = 'running'"); n > 0 {
		problems = append(problems, fmt.Sprintf("%d builds are still marked running", n))
	}
	if o := str("SELECT outcome FROM meta.builds ORDER BY build_id DESC LIMIT 1"); o != "ok" {
		problems = append(problems, fmt.Sprintf("the last build's outcome is %q", o))
	}
	rows, err := db.Query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw' ORDER BY 1")
	if err != nil {
		return facts, append(problems, err.Error())
	}
	var tables []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		tables = append(tables, s)
	}
	rows.Close()
	facts["raw tables"] = strings.Join(tables, " ")
	for _, table := range tables {
		source, object, _ := strings.Cut(table, "__")
		q := `raw."` + table + `"`
		if n := num(`SELECT count(*) FROM (SELECT _drop_id, "Id" FROM ` + q + ` GROUP BY ALL HAVING count(*) > 1)`); n > 0 {
			problems = append(problems, fmt.Sprintf("raw.%s: %d ids doubled within a drop", table, n))
		}
		// The history's state as of each drop is the drop's rows (the
		// sample org's drops are full snapshots loaded in order).
		if s := str(`SELECT string_agg(d.name || ' recorded ' || f.n || ', raw has ' || (SELECT count(*) FROM raw_as_of('`+q+`', d.drop_id)), '; ')
			FROM meta.drops d JOIN (SELECT drop_id, sum(rows_loaded) AS n FROM meta.files WHERE source = ? AND object = ? GROUP BY 1) f USING (drop_id)
			WHERE f.n <> (SELECT count(*) FROM raw_as_of('`+q+`', d.drop_id))`, source, object); s != "" {
			problems = append(problems, fmt.Sprintf("raw.%s differs from meta.files: %s", table, s))
		}
		if n := num(`SELECT count(*) FROM ` + q + ` r WHERE NOT EXISTS (SELECT 1 FROM meta.files f WHERE f.file_id = r._file_id)`); n > 0 {
			problems = append(problems, fmt.Sprintf("raw.%s: %d rows of no recorded file", table, n))
		}
		// Ids of drops and files are not compared (a killed load may have
		// used some up); the drop that closed a version is, by name.
		facts["raw."+table] = str(`SELECT count(*) || ' rows, content ' || coalesce(sum(hash(t))::VARCHAR, '') FROM (
			SELECT * EXCLUDE (_drop_id, _file_id, _valid_to, _seen_file), (SELECT name FROM meta.drops d WHERE d.drop_id = r._valid_to) AS closed_by FROM ` + q + ` r) t`)
	}
	return facts, problems
}

// compare names what differs from the reference: "pack ..." for the pack,
// "litter ..." for files the reference does not have, and the rest.
func compare(ref *faultRef, pack, feed map[string]string, listing []string, facts map[string]string) []string {
	var diffs []string
	for _, name := range mapKeys(ref.pack, pack) {
		switch {
		case pack[name] == "":
			diffs = append(diffs, "pack: "+name+" is missing")
		case ref.pack[name] == "":
			diffs = append(diffs, "pack: "+name+" is extra")
		case pack[name] != ref.pack[name]:
			diffs = append(diffs, "pack: "+name+" differs from the reference")
		}
	}
	var feedDiff []string
	for _, name := range mapKeys(ref.feed, feed) {
		if feed[name] != ref.feed[name] {
			feedDiff = append(feedDiff, name)
		}
	}
	if len(feedDiff) > 0 {
		diffs = append(diffs, fmt.Sprintf("feed: %d files differ from the reference, first %s", len(feedDiff), feedDiff[0]))
	}
	var extra, missing []string
	for _, p := range listing {
		if !slices.Contains(ref.listing, p) {
			extra = append(extra, p)
		}
	}
	for _, p := range ref.listing {
		if !slices.Contains(listing, p) {
			missing = append(missing, p)
		}
	}
	if len(extra) > 0 {
		diffs = append(diffs, "litter left: "+strings.Join(extra, ", "))
	}
	if len(missing) > 0 {
		diffs = append(diffs, "missing: "+strings.Join(missing, ", "))
	}
	for _, k := range mapKeys(ref.facts, facts) {
		if facts[k] != ref.facts[k] {
			diffs = append(diffs, fmt.Sprintf("warehouse %s: %q, the reference has %q", k, facts[k], ref.facts[k]))
		}
	}
	return diffs
}

func mapKeys(a, b map[string]string) []string {
	var keys []string
	for k := range a {
		keys = append(keys, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys
}

// normalManifest drops what legitimately differs from run to run: the
// build's number and the size and checksum of report.html and pack.xlsx
// (both name the build).
func normalManifest(data []byte) []byte {
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		return data
	}
	delete(m, "build_id")
	if files, ok := m["files"].([]any); ok {
		m["files"] = slices.DeleteFunc(files, func(f any) bool {
			e, _ := f.(map[string]any)
			return e["name"] == "report.html" || e["name"] == "pack.xlsx"
		})
	}
	out, _ := json.Marshal(m)
	return out
}

var reportBuild = regexp.MustCompile(`build \d+\.`)

func normalReport(data []byte) []byte {
	return reportBuild.ReplaceAll(data, []byte("build N."))
}

// normalWorkbook is the workbook's every cell, sheet by sheet, with the
// About sheet's build number left out: the one thing that differs from
// run to run (TestPack_HandWorkedEdges holds its bytes to one build's).
func normalWorkbook(t *testing.T, data []byte) []byte {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		return data // differs from the reference's digest, and says so there
	}
	defer f.Close()
	var out bytes.Buffer
	for _, sheet := range f.GetSheetList() {
		rows, err := f.GetRows(sheet)
		if err != nil {
			return data
		}
		for _, r := range rows {
			if sheet == workbook.AboutSheet && len(r) > 1 && r[0] == "Build" {
				r = []string{"Build", "N"}
			}
			fmt.Fprintf(&out, "%s\t%q\n", sheet, r)
		}
	}
	return out.Bytes()
}

func digest(data []byte) string {
	s := sha256.Sum256(data)
	return hex.EncodeToString(s[:])
}

func openReadOnly(path string) (*sql.DB, error) {
	connector, err := duckdb.NewConnector(path+"?access_mode=read_only", nil)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(connector)
	if err := db.Ping(); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// runChild runs coxswain to completion in a child process.
func runChild(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append(os.Environ(), "COXSWAIN_TEST_CHILD=1")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatalf("coxswain %s: %v", strings.Join(args, " "), err)
		}
	}
	return out.String(), errOut.String(), cmd.ProcessState.ExitCode()
}

type childRun struct {
	killed  bool
	code    int
	events  []fev
	elapsed time.Duration
	stdout  string
	stderr  string
}

// runUntil runs coxswain in a child process with dir watched, and SIGKILLs
// it as soon as the events complete steps (none: it runs to its end). With
// record, it returns every event.
func runUntil(t *testing.T, dir string, args []string, steps []step, record bool) childRun {
	t.Helper()
	w, err := watchTree(dir)
	if err != nil {
		t.Fatalf("watch %s: %v", dir, err)
	}
	defer w.close()
	walPath := filepath.Join(dir, walName)
	var tr *trigger
	if len(steps) > 0 {
		tr = &trigger{steps: steps, base: fileSize(walPath)}
	}
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "COXSWAIN_TEST_CHILD=1")
	var stdout, stderr bytes.Buffer
	cmd.Stdout = &stdout
	pipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// A safety net, not a kill point: a child that hangs is stopped.
	guard := time.AfterFunc(10*time.Minute, func() { cmd.Process.Kill() })
	defer guard.Stop()
	lines := make(chan string, 256)
	go func() {
		sc := bufio.NewScanner(pipe)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			stderr.WriteString(sc.Text() + "\n")
			lines <- sc.Text()
		}
		close(lines)
	}()

	var run childRun
	fired := false
	handle := func(e fev) {
		e.at = time.Since(start)
		e.wal = -1
		if e.log || e.op != "modify" || e.path == walName {
			e.wal = fileSize(walPath)
		}
		if record {
			run.events = append(run.events, e)
		}
		if tr != nil && !fired && tr.feed(e) {
			fired = true
			cmd.Process.Signal(syscall.SIGKILL)
		}
	}
	for open := true; open; {
		select {
		case l, ok := <-lines:
			if !ok {
				open = false
				continue
			}
			handle(fev{log: true, line: logMsg(l)})
		case e := <-w.out:
			handle(e)
		}
	}
	cmd.Wait()
	run.elapsed = time.Since(start)
	if record {
		// Every event of the child is queued before this marker's.
		marker := ".faults-barrier"
		os.WriteFile(filepath.Join(dir, marker), nil, 0o600)
		for e := range w.out {
			if e.path == marker {
				break
			}
			handle(e)
		}
		os.Remove(filepath.Join(dir, marker))
	}
	ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
	run.killed = ws.Signaled() && ws.Signal() == syscall.SIGKILL
	run.code = cmd.ProcessState.ExitCode()
	run.stdout, run.stderr = stdout.String(), stderr.String()
	return run
}

// logMsg is a log line's message, in text or JSON format.
func logMsg(line string) string {
	if strings.HasPrefix(line, "{") {
		var r struct {
			Msg string `json:"msg"`
		}
		if json.Unmarshal([]byte(line), &r) == nil && r.Msg != "" {
			return r.Msg
		}
	}
	if _, rest, ok := strings.Cut(line, " msg="); ok {
		if q, err := strconv.QuotedPrefix(rest); err == nil {
			if s, err := strconv.Unquote(q); err == nil {
				return s
			}
		}
		msg, _, _ := strings.Cut(rest, " ")
		return msg
	}
	return line
}

func fileSize(p string) int64 {
	fi, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return fi.Size()
}

// treeWatch reports the file-system events under a folder (but its input
// folders, exports/ and plans/) through inotify, adding a watch on each
// folder as it appears. A file created in a new folder before its watch was
// added is found by listing the folder, so no creation is missed or told
// twice.
type treeWatch struct {
	root string
	fd   int
	f    *os.File
	dirs map[int32]string
	seen map[string]bool
	out  chan fev
	stop chan struct{}
	done chan struct{}
	once sync.Once
}

const watchMask = syscall.IN_CREATE | syscall.IN_CLOSE_WRITE | syscall.IN_MODIFY | syscall.IN_DELETE |
	syscall.IN_MOVED_FROM | syscall.IN_MOVED_TO | syscall.IN_ONLYDIR | syscall.IN_DONT_FOLLOW

func watchTree(root string) (*treeWatch, error) {
	fd, err := syscall.InotifyInit1(syscall.IN_CLOEXEC | syscall.IN_NONBLOCK)
	if err != nil {
		return nil, err
	}
	w := &treeWatch{root: root, fd: fd, f: os.NewFile(uintptr(fd), "inotify"), dirs: map[int32]string{}, seen: map[string]bool{},
		out: make(chan fev, 1<<14), stop: make(chan struct{}), done: make(chan struct{})}
	if err := w.add("", false); err != nil {
		w.f.Close()
		return nil, err
	}
	go w.loop()
	return w, nil
}

func (w *treeWatch) close() {
	w.once.Do(func() {
		close(w.stop)
		w.f.Close()
		<-w.done
	})
}

func (w *treeWatch) send(e fev) {
	select {
	case w.out <- e:
	case <-w.stop:
	}
}

func (w *treeWatch) skipped(rel string) bool { return rel == "exports" || rel == "plans" }

// add watches root/rel and the folders in it; with emit, what is already
// there is reported as created.
func (w *treeWatch) add(rel string, emit bool) error {
	wd, err := syscall.InotifyAddWatch(w.fd, filepath.Join(w.root, rel), watchMask)
	if err != nil {
		return err
	}
	w.dirs[int32(wd)] = rel
	entries, _ := os.ReadDir(filepath.Join(w.root, rel))
	for _, e := range entries {
		p := path.Join(rel, e.Name())
		if w.skipped(p) {
			continue
		}
		if !w.seen[p] {
			w.seen[p] = true
			if emit {
				w.send(fev{op: "create", path: p})
			}
		}
		if e.IsDir() {
			w.add(p, emit)
		}
	}
	return nil
}

func (w *treeWatch) forget(p string) {
	for k := range w.seen {
		if k == p || strings.HasPrefix(k, p+"/") {
			delete(w.seen, k)
		}
	}
}

func (w *treeWatch) loop() {
	defer close(w.done)
	buf := make([]byte, 256<<10)
	for {
		n, err := w.f.Read(buf)
		if err != nil {
			return
		}
		for off := 0; off+syscall.SizeofInotifyEvent <= n; {
			wd := int32(binary.NativeEndian.Uint32(buf[off:]))
			mask := binary.NativeEndian.Uint32(buf[off+4:])
			size := int(binary.NativeEndian.Uint32(buf[off+12:]))
			name := strings.TrimRight(string(buf[off+syscall.SizeofInotifyEvent:off+syscall.SizeofInotifyEvent+size]), "\x00")
			off += syscall.SizeofInotifyEvent + size
			w.handle(wd, mask, name)
		}
	}
}

func (w *treeWatch) handle(wd int32, mask uint32, name string) {
	if mask&syscall.IN_Q_OVERFLOW != 0 {
		w.send(fev{op: "overflow"})
		return
	}
	if mask&syscall.IN_IGNORED != 0 {
		delete(w.dirs, wd)
		return
	}
	dir, ok := w.dirs[wd]
	if !ok || name == "" {
		return
	}
	p := path.Join(dir, name)
	if w.skipped(p) {
		return
	}
	isDir := mask&syscall.IN_ISDIR != 0
	switch {
	case mask&syscall.IN_CREATE != 0:
		if !w.seen[p] {
			w.seen[p] = true
			w.send(fev{op: "create", path: p})
		}
		if isDir {
			w.add(p, true)
		}
	case mask&syscall.IN_MOVED_TO != 0:
		w.seen[p] = true
		w.send(fev{op: "to", path: p})
		if isDir {
			w.add(p, false) // its files keep their watches, now under this name
		}
	case mask&syscall.IN_MOVED_FROM != 0:
		w.forget(p)
		w.send(fev{op: "from", path: p})
	case mask&syscall.IN_DELETE != 0:
		w.forget(p)
		w.send(fev{op: "delete", path: p})
	case mask&syscall.IN_CLOSE_WRITE != 0:
		w.send(fev{op: "write", path: p})
	case mask&syscall.IN_MODIFY != 0:
		w.send(fev{op: "modify", path: p})
	}
}

// copyTree copies a folder with its files' modes and times (a drop's files
// are recognised by path, size and time).
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	type stamp struct {
		path string
		mod  time.Time
	}
	var dirs []stamp
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			dirs = append(dirs, stamp{target, info.ModTime()})
			return os.MkdirAll(target, info.Mode().Perm())
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if err := os.WriteFile(target, data, info.Mode().Perm()); err != nil {
			return err
		}
		return os.Chtimes(target, info.ModTime(), info.ModTime())
	})
	if err != nil {
		t.Fatalf("copy %s: %v", src, err)
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		os.Chtimes(dirs[i].path, dirs[i].mod, dirs[i].mod)
	}
}
