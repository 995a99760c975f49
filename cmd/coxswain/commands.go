package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"coxswain"
	"coxswain/pipelines/build"
	"coxswain/pipelines/feed"
	"coxswain/pipelines/ingest"
	"coxswain/pipelines/models"
	"coxswain/pipelines/presets"
	"coxswain/pipelines/runlog"
	"coxswain/pipelines/sampleorg"
	"coxswain/pipelines/staging"
	"coxswain/pipelines/warehouse"
	"coxswain/reports/pack"
)

// checkPresets resolves every source's preset and overrides (fields,
// files), so that their problems are reported with the file's others.
func checkPresets(cfg *coxswain.Config) error {
	var errs []error
	for i, s := range cfg.Sources {
		if s.Preset == "" {
			continue // Validate says it is required
		}
		if _, err := presets.Resolve(s, fmt.Sprintf("sources[%d]", i)); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// runVersion prints the version, the commit it was built from and the
// DuckDB engine linked in: what a bug report needs.
func runVersion(ctx context.Context, args []string, stdout, _ io.Writer) error {
	if err := parseFlags(newFlags("version"), args); err != nil {
		return err
	}
	commit := "unknown"
	if info, ok := debug.ReadBuildInfo(); ok && coxswain.Commit == "" {
		var modified bool
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				commit = s.Value
			case "vcs.modified":
				modified = s.Value == "true"
			}
		}
		if modified && commit != "unknown" {
			commit += " (with uncommitted changes)"
		}
	}
	if coxswain.Commit != "" {
		commit = coxswain.Commit
	}
	engine, err := warehouse.EngineVersion(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "coxswain %s\ncommit %s\nDuckDB %s\n", coxswain.Version, commit, engine)
	return nil
}

func runBuild(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("build")
	config := fs.String("config", "coxswain.yaml", "configuration file")
	asOf := fs.String("as-of", "", "the build instant (default: now)")
	quiet := fs.Bool("quiet", false, "print only the summary and warnings")
	logFormat := fs.String("log-format", "text", "how progress is logged on stderr: text or json")
	loadOnly := fs.Bool("load-only", false, "load new drops and refresh staging, but leave the models and the Parquet feed as they are")
	fullRefresh := fs.Bool("full-refresh", false, "rebuild every model whole, the incremental ones too, instead of recomputing only what the new drops changed")
	printSQL := fs.Bool("print-sql", false, "print the SQL the build runs (the staging views for the warehouse's raw tables, then the models in order) and build nothing")
	var accept []string
	fs.Func("accept-drop", "load this held full snapshot although it deletes more records than max_delete_share allows (repeatable)", func(v string) error {
		accept = append(accept, v)
		return nil
	})
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *printSQL {
		return printBuildSQL(ctx, *config, stdout)
	}
	if *fullRefresh && *loadOnly {
		return usageError{"build: --full-refresh rebuilds the models, which --load-only leaves as they are: give one of them"}
	}
	opt := build.Options{Now: time.Now, LoadOnly: *loadOnly, AcceptDrops: accept, FullRefresh: *fullRefresh}
	// On a terminal, a bar over each drop's files stands for the per-file
	// lines; warnings still print.
	bar := *logFormat == "text" && !*quiet && isTerminal(stderr)
	lvl := slog.LevelInfo
	if *quiet || bar {
		lvl = slog.LevelWarn
	}
	var err error
	if opt.Log, err = newLogger("build", *logFormat, stderr, lvl); err != nil {
		return err
	}
	if bar {
		var pb *progressbar.ProgressBar
		opt.OnFile = func(drop, file string, done, total int) {
			if pb == nil || done == 0 {
				pb = progressbar.NewOptions(total, progressbar.OptionSetWriter(stderr), progressbar.OptionShowCount(), progressbar.OptionClearOnFinish())
			}
			pb.Describe(drop + " " + file)
			pb.Set(done)
			if done == total {
				pb.Finish()
			}
		}
	}
	if *asOf != "" {
		t, err := parseTime("as-of", *asOf)
		if err != nil {
			return err
		}
		opt.AsOf = t
	}
	cfg, err := loadConfig(*config)
	if err != nil {
		return err
	}
	res, buildErr := build.Run(ctx, cfg, opt)
	if res != nil {
		printBuild(stdout, res, cfg)
		if res.Models != nil {
			printModels(stdout, res.Models, cfg)
		}
	}
	if *loadOnly {
		fmt.Fprintln(stdout, "models not rebuilt (--load-only): the marts are those of the last full build")
	}
	return buildErr
}

// printBuildSQL prints, as one script, the staging views the warehouse's
// raw tables give with the current configuration, and the models in the
// order the build runs them: what dbt calls compiling.
func printBuildSQL(ctx context.Context, config string, stdout io.Writer) error {
	cfg, err := loadConfig(config)
	if err != nil {
		return err
	}
	if _, err := os.Stat(cfg.WarehousePath()); err != nil {
		return coxswain.WithCommand(fmt.Errorf("no warehouse at %s yet: the staging views depend on the columns the loaded files had", cfg.WarehousePath()), "build")
	}
	mappings, err := ingest.Mappings(cfg)
	if err != nil {
		return err
	}
	w, err := warehouse.OpenReadOnly(ctx, cfg.WarehousePath(), cfg.DuckDB)
	if err != nil {
		return err
	}
	views, err := staging.Views(ctx, w.DB, cfg, mappings)
	w.Close()
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "-- The SQL of coxswain build for %s (staging from sql/staging/source_view.sql).\n", config)
	for _, v := range views {
		fmt.Fprintf(stdout, "\nCREATE OR REPLACE VIEW %s AS\n%s;\n", v.Name, strings.TrimSpace(v.SQL))
	}
	ms, err := models.Load(coxswain.SQL)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "\n-- The models, in the order they run (intermediate.params and the metric catalog are written by the build).\n-- A build writes each beside the table in place (marts.kpis__next, its references rewritten alike) and renames them all into place at its end.")
	for _, m := range ms {
		fmt.Fprintf(stdout, "\n-- sql/models/%s/%s.sql\nCREATE OR REPLACE TABLE %s AS\n%s;\n", m.Layer, m.Name, m.ID(), m.SQL)
		if m.Incremental != nil {
			// Commented out: it reads the temporary tables a build makes
			// (since, changed_records) and the model it compares as it was
			// (previous_*: the table in place, beside this build's).
			fmt.Fprintf(stdout, "\n-- sql/models/%s/%s.changes.sql: a build that brings %s up to date recomputes these rows of %s\n-- %s\n",
				m.Layer, m.Name, m.ID(), m.Incremental.Over, strings.ReplaceAll(m.Incremental.Changes, "\n", "\n-- "))
		}
	}
	return nil
}

func printBuild(w io.Writer, res *build.Result, cfg *coxswain.Config) {
	loaded, skipped, rows, rejected := res.Counts()
	for _, d := range res.Drops {
		for _, f := range d.Files {
			switch {
			case f.Ignored:
				fmt.Fprintf(w, "  %s/%s/%s: ignored: %s\n", d.Source, d.Name, f.Name, f.Reason)
			case f.Rejected > 0:
				fmt.Fprintf(w, "  %s/%s/%s: %s quarantined (first: %s)\n", d.Source, d.Name, f.Name, plural(f.Rejected, "row"), f.FirstError)
			}
			if len(f.Alternates) > 0 {
				fmt.Fprintf(w, "  %s/%s/%s: read %s\n", d.Source, d.Name, f.Name, strings.Join(f.Alternates, ", "))
			}
			for _, warning := range f.Warnings {
				fmt.Fprintf(w, "  warning: %s/%s/%s: %s\n", d.Source, d.Name, f.Name, warning)
			}
		}
		if d.Accepted != "" {
			fmt.Fprintf(w, "  %s/%s: snapshot accepted with --accept-drop: %s\n", d.Source, d.Name, d.Accepted)
		}
		if d.Status == "empty" {
			fmt.Fprintf(w, "  %s/%s: no export file in it yet: left waiting\n", d.Source, d.Name)
		}
	}
	fmt.Fprintf(w, "build %d as of %s: %s loaded (%s, %s quarantined), %s already loaded\n",
		res.BuildID, res.AsOf.UTC().Format(time.RFC3339), plural(int64(loaded), "drop"), plural(rows, "row"),
		plural(rejected, "row"), plural(int64(skipped), "drop"))
	fmt.Fprintf(w, "warehouse: %s\n", cfg.WarehousePath())
}

func printModels(w io.Writer, res *models.Result, cfg *coxswain.Config) {
	failing := res.Failing()
	var whole, incremental []models.ModelRun
	for _, m := range res.Models {
		if m.Incremental {
			incremental = append(incremental, m)
		} else {
			whole = append(whole, m)
		}
	}
	fmt.Fprintf(w, "models: %d rebuilt, %d brought up to date, %d data tests run, %d found rows (%.1fs)\n",
		len(whole), len(incremental), len(res.Tests), len(failing), res.Elapsed.Seconds())
	for _, m := range incremental {
		fmt.Fprintf(w, "  %s brought up to date: %s recomputed, in place of %s (%.1fs)\n", m.ID, plural(m.Recomputed, "staging row"), plural(m.Deleted, "row"), m.Elapsed.Seconds())
	}
	for _, m := range whole {
		if m.WhyWhole != "" {
			fmt.Fprintf(w, "  %s rebuilt whole: %s\n", m.ID, m.WhyWhole)
		}
	}
	for _, t := range failing {
		fmt.Fprintf(w, "  %s %s: %s: %s\n", t.Severity, t.Name, plural(t.Failures, "row"), t.Description)
		for _, s := range t.Sample {
			fmt.Fprintf(w, "      %s\n", s)
		}
	}
	// The slowest steps, so that a slow nightly build says where it spends.
	type step struct {
		name string
		d    time.Duration
	}
	var steps []step
	for _, m := range res.Models {
		steps = append(steps, step{"model " + m.ID, m.Elapsed})
	}
	for _, t := range res.Tests {
		steps = append(steps, step{"test " + t.Name, t.Elapsed})
	}
	sort.Slice(steps, func(i, j int) bool { return steps[i].d > steps[j].d })
	for _, s := range steps[:min(3, len(steps))] {
		if s.d > time.Second {
			fmt.Fprintf(w, "  slowest: %s %.1fs\n", s.name, s.d.Seconds())
		}
	}
	fmt.Fprintf(w, "parquet feed: %s\n", cfg.ExportPath())
	if !feed.IcebergBuiltIn {
		fmt.Fprintf(w, "iceberg feed: not written (this coxswain was built with -tags noiceberg)\n")
		return
	}
	fmt.Fprintf(w, "iceberg feed: %s\n", cfg.IcebergPath())
	// The metadata file an engine that registers one (Snowflake, BigQuery,
	// Trino) is pointed at after this build.
	for _, e := range feed.Exported {
		hint, err := os.ReadFile(filepath.Join(cfg.IcebergPath(), feed.Namespace, e.Mart, "metadata", "version-hint.text"))
		if err == nil {
			fmt.Fprintf(w, "  %s.%s: %s/%s/metadata/v%s.metadata.json\n", feed.Namespace, e.Mart, feed.Namespace, e.Mart, strings.TrimSpace(string(hint)))
		}
	}
}

// statusReport is what status shows, and what status --json prints.
type statusReport struct {
	Warehouse string                 `json:"warehouse"`
	Timezone  string                 `json:"timezone"`
	Sources   []sourceStatus         `json:"sources"`
	Drops     []ingest.LoadedDrop    `json:"drops"`
	Rejects   []ingest.RejectSummary `json:"rejects"`
	Tests     []ingest.TestSummary   `json:"tests"`
	RunLog    string                 `json:"run_log"`
	LastRuns  []runlog.Run           `json:"last_runs"`
	LastBuild *ingest.BuildRecord    `json:"last_build"`
	// Swept are the temporary folders of killed runs this status removed.
	Swept []string `json:"swept,omitempty"`
}

// sourceStatus is one source: its drops waiting and loaded, and how fresh
// its newest export is.
type sourceStatus struct {
	Name         string     `json:"name"`
	Preset       string     `json:"preset"`
	Path         string     `json:"path"`
	DropsWaiting int        `json:"drops_waiting"`
	DropsLoaded  int        `json:"drops_loaded"`
	NewestDrop   string     `json:"newest_drop,omitempty"`
	NewestAt     *time.Time `json:"newest_exported_at,omitempty"`
	Freshness    freshness  `json:"freshness"`
}

func runStatus(ctx context.Context, args []string, stdout, _ io.Writer) error {
	fs := newFlags("status")
	config := fs.String("config", "coxswain.yaml", "configuration file")
	asJSON := fs.Bool("json", false, "print the status as one JSON object, for scripts and monitoring")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*config)
	if err != nil {
		return err
	}
	if _, err := os.Stat(cfg.WarehousePath()); err != nil {
		return coxswain.WithCommand(fmt.Errorf("no warehouse at %s yet", cfg.WarehousePath()), "build")
	}
	rep, err := readStatus(ctx, cfg, time.Now())
	if err != nil {
		return err
	}
	if rep.Swept, err = sweepLitter(cfg); err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(rep)
	}
	printStatus(stdout, rep)
	return nil
}

// sweepLitter removes what killed runs left on disk (extracted drops, half
// a Parquet feed, half a pack) once their process is gone: status does it
// as any run does when it starts.
func sweepLitter(cfg *coxswain.Config) ([]string, error) {
	drops, err := ingest.SweepDrops(cfg.DuckDB.TempDir(cfg.WarehousePath()))
	if err != nil {
		return drops, err
	}
	feeds, err := feed.SweepExport(cfg.ExportPath())
	removed := append(drops, feeds...)
	if err != nil {
		return removed, err
	}
	packs, err := pack.SweepPacks(cfg.Resolve(cfg.Packs))
	return append(removed, packs...), err
}

func readStatus(ctx context.Context, cfg *coxswain.Config, now time.Time) (*statusReport, error) {
	w, err := warehouse.OpenReadOnly(ctx, cfg.WarehousePath(), cfg.DuckDB)
	if err != nil {
		return nil, err
	}
	defer w.Close()
	st, err := ingest.ReadStatus(ctx, w.DB)
	if err != nil {
		return nil, err
	}
	rep := &statusReport{Warehouse: cfg.WarehousePath(), Timezone: cfg.Timezone, Drops: st.Drops, Rejects: st.Rejects,
		Tests: st.Tests, RunLog: cfg.Resolve(cfg.RunLog), LastBuild: st.LastBuild}
	for _, s := range cfg.Sources {
		waiting, err := ingest.Waiting(ctx, w.DB, s.Name, cfg.Resolve(s.Path))
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", s.Name, err)
		}
		ss := sourceStatus{Name: s.Name, Preset: s.Preset, Path: s.Path, DropsWaiting: len(waiting)}
		for _, d := range st.Drops {
			if d.Source == s.Name {
				ss.DropsLoaded++
				ss.NewestDrop = d.Name
				if ss.NewestAt == nil || d.Modified.After(*ss.NewestAt) {
					m := d.Modified
					ss.NewestAt = &m
				}
			}
		}
		var newest time.Time
		if ss.NewestAt != nil {
			newest = *ss.NewestAt
		}
		ss.Freshness = freshnessOf(s, newest, now)
		rep.Sources = append(rep.Sources, ss)
	}
	if rep.LastRuns, err = runlog.Tail(rep.RunLog, 5); err != nil {
		return nil, err
	}
	return rep, nil
}

func printStatus(stdout io.Writer, rep *statusReport) {
	fmt.Fprintf(stdout, "warehouse %s (reporting zone %s)\n", rep.Warehouse, rep.Timezone)
	if len(rep.Swept) > 0 {
		fmt.Fprintf(stdout, "removed %d temporary folder(s) left by killed runs: %s\n", len(rep.Swept), strings.Join(rep.Swept, ", "))
	}
	fmt.Fprintf(stdout, "\nSources\n")
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  source\tpreset\tfolder\tdrops waiting\tdrops loaded\tnewest loaded\tfreshness")
	for _, s := range rep.Sources {
		newest := s.NewestDrop
		if newest == "" {
			newest = "-"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\t%d\t%s\t%s\n", s.Name, s.Preset, s.Path, s.DropsWaiting, s.DropsLoaded, newest, s.Freshness)
	}
	tw.Flush()

	fmt.Fprintln(stdout, "\nDrops loaded")
	tw = tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  source\tdrop\tkind\tloaded at (UTC)\tfiles\trows\trejected")
	for _, d := range rep.Drops {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%d\t%d\t%d\n", d.Source, d.Name, d.Kind, d.LoadedAt.UTC().Format("2006-01-02 15:04:05"), d.Files, d.Rows, d.Rejected)
	}
	tw.Flush()
	if len(rep.Drops) == 0 {
		fmt.Fprintln(stdout, "  (none yet)")
	}

	if len(rep.Rejects) > 0 {
		fmt.Fprintln(stdout, "\nQuarantined rows (in meta.rejects)")
		for _, r := range rep.Rejects {
			fmt.Fprintf(stdout, "  %s/%s/%s: %s; first: %s\n", r.Source, r.Drop, r.File, plural(r.Rows, "row"), r.First)
		}
	}

	if len(rep.Tests) > 0 {
		failing := 0
		for _, t := range rep.Tests {
			if t.Failures > 0 {
				failing++
			}
		}
		fmt.Fprintf(stdout, "\nData tests (last run: %d, %d found rows; in meta.test_results)\n", len(rep.Tests), failing)
		for _, t := range rep.Tests {
			if t.Failures > 0 {
				fmt.Fprintf(stdout, "  %s %s: %s: %s\n", t.Severity, t.Name, plural(t.Failures, "row"), t.Description)
			}
		}
	}

	fmt.Fprintf(stdout, "\nLast runs (coxswain runs; log %s)\n", rep.RunLog)
	printRuns(stdout, rep.LastRuns)

	fmt.Fprintln(stdout, "\nLast build")
	if b := rep.LastBuild; b == nil {
		fmt.Fprintln(stdout, "  none yet")
	} else {
		finished := "-"
		if b.FinishedAt != nil {
			finished = b.FinishedAt.UTC().Format(time.RFC3339)
		}
		fmt.Fprintf(stdout, "  build %d: %s; started %s, finished %s, as of %s\n", b.ID, b.Outcome,
			b.StartedAt.UTC().Format(time.RFC3339), finished, b.AsOf.UTC().Format(time.RFC3339))
		fmt.Fprintf(stdout, "  %s loaded, %s already loaded; %s, %s quarantined (coxswain %s)\n",
			plural(int64(b.DropsLoaded), "drop"), plural(int64(b.Skipped), "drop"), plural(b.RowsLoaded, "row"), plural(b.Rejected, "row"), b.Version)
		if b.Error != "" {
			fmt.Fprintf(stdout, "  error: %s\n", strings.ReplaceAll(b.Error, "\n", "\n  "))
		}
	}
}

// isTerminal says whether w is a terminal (a progress bar makes sense).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// freshness is how old a source's newest loaded drop is against its
// warn_after and error_after.
type freshness struct {
	// State is fresh, stale (over warn_after), failing (over error_after:
	// builds fail) or empty (nothing loaded yet).
	State           string  `json:"state"`
	AgeHours        float64 `json:"age_hours"`
	WarnAfterHours  float64 `json:"warn_after_hours"`
	ErrorAfterHours float64 `json:"error_after_hours,omitempty"`
}

func freshnessOf(s coxswain.Source, newest, now time.Time) freshness {
	warn, fail := s.Freshness()
	f := freshness{State: "fresh", WarnAfterHours: warn.Hours(), ErrorAfterHours: fail.Hours()}
	if newest.IsZero() {
		f.State = "empty"
		return f
	}
	age := now.Sub(newest).Round(time.Hour)
	f.AgeHours = age.Hours()
	switch {
	case fail > 0 && age > fail:
		f.State = "failing"
	case age > warn:
		f.State = "stale"
	}
	return f
}

func (f freshness) String() string {
	age := time.Duration(f.AgeHours * float64(time.Hour))
	switch f.State {
	case "empty":
		return "STALE: nothing loaded"
	case "failing":
		return fmt.Sprintf("STALE: %s old, over error_after %s (builds fail)", age, time.Duration(f.ErrorAfterHours*float64(time.Hour)))
	case "stale":
		return fmt.Sprintf("stale: %s old, over warn_after %s", age, time.Duration(f.WarnAfterHours*float64(time.Hour)))
	}
	return fmt.Sprintf("fresh (%s old)", age)
}

func runSample(_ context.Context, args []string, stdout, _ io.Writer) error {
	def := sampleorg.DefaultOptions()
	fs := newFlags("sample")
	dir := fs.String("dir", "demo", "folder to write the sample org into")
	leads := fs.Int("leads", def.Leads, "leads over the whole history")
	leadsOnly := fs.Bool("leads-only", false, "write one drop with only Lead.csv (for load benchmarks)")
	extra := fs.Int("extra-activities", 0, "add this many prospecting activities (for volume benchmarks)")
	single := fs.Bool("single-drop", false, "write only the latest export, as a UTF-8 folder")
	seed := fs.Uint64("seed", def.Seed, "random seed: the same seed gives the same files")
	end := fs.String("end", def.End.Format(time.RFC3339), "the export instant of the latest drop")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	o := def
	o.Leads, o.LeadsOnly, o.Seed, o.ExtraActivities, o.SingleDrop = *leads, *leadsOnly, *seed, *extra, *single
	t, err := parseTime("end", *end)
	if err != nil {
		return err
	}
	o.End = t
	if _, err := os.Stat(filepath.Join(*dir, "exports")); err == nil {
		return fmt.Errorf("%s already holds a sample org (exports/); choose another --dir or remove it", *dir)
	}
	files, err := sampleorg.Generate(*dir, o)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "sample org written to %s (%d files); load it with:\n  coxswain build --config %s\n", *dir, len(files), shellQuote(filepath.Join(*dir, "coxswain.yaml")))
	return nil
}

// runPresets lists the presets, or prints one as the YAML it is: the same
// terms a source's fields:, stages: and activity_types: use.
func runPresets(_ context.Context, args []string, stdout, _ io.Writer) error {
	fs := newFlags("presets")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	switch len(pos) {
	case 0:
		for _, name := range presets.Names() {
			p, err := presets.Get(name)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "%-11s %s\n", name, p.Description)
		}
		return nil
	case 1:
		data, ok := presets.File(pos[0])
		if !ok {
			msg := fmt.Sprintf("presets: %q is not a preset (known: %s)", pos[0], strings.Join(presets.Names(), ", "))
			if c := coxswain.Closest(pos[0], presets.Names()); c != "" {
				msg += "; did you mean " + c + "?"
			}
			return usageError{msg}
		}
		_, err := stdout.Write(data)
		return err
	}
	return usageError{"presets: name at most one preset"}
}
