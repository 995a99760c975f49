package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"coxswain"
	"coxswain/pipelines/ingest"
	"coxswain/pipelines/models"
	"coxswain/pipelines/runlog"
	"coxswain/pipelines/sampleorg"
	"coxswain/pipelines/warehouse"
)

func loadConfig(path string) (*coxswain.Config, error) {
	cfg, err := coxswain.LoadConfig(path)
	if err != nil && os.IsNotExist(unwrapAll(err)) {
		return nil, fmt.Errorf("%w\nTry: coxswain sample --dir demo, then --config demo/coxswain.yaml", err)
	}
	return cfg, err
}

func unwrapAll(err error) error {
	for _, e := range flatten(err) {
		if os.IsNotExist(e) {
			return e
		}
	}
	return err
}

func runBuild(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("build")
	config := fs.String("config", "coxswain.yaml", "configuration file")
	asOf := fs.String("as-of", "", "the build instant (default: now)")
	quiet := fs.Bool("quiet", false, "print only the summary and warnings")
	logFormat := fs.String("log-format", "text", "how progress is logged on stderr: text or json")
	loadOnly := fs.Bool("load-only", false, "load new drops and refresh staging, but leave the models and the Parquet feed as they are")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	opt := ingest.Options{Now: time.Now}
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
		t, err := parseTime(*asOf)
		if err != nil {
			return err
		}
		opt.AsOf = t
	}
	cfg, err := loadConfig(*config)
	if err != nil {
		return err
	}
	started := time.Now()
	lock, err := warehouse.AcquireLock(cfg.WarehousePath(), "build", started)
	if err != nil {
		recordRun(ctx, cfg, nil, runlog.Run{Command: "build", Started: started}, err, stderr)
		return err
	}
	defer lock.Release()
	w, err := warehouse.Open(ctx, cfg.WarehousePath(), cfg.DuckDB)
	if err != nil {
		return err
	}
	var modelRes *models.Result
	opt.AfterLoad = func(ctx context.Context, conn *sql.Conn, buildID int64) error {
		params := models.ParamsFrom(cfg, opt.AsOf)
		var err error
		modelRes, err = models.Run(ctx, conn, coxswain.SQL, params, buildID)
		if err != nil {
			return err
		}
		return models.ExportParquet(ctx, conn, cfg.ExportPath())
	}
	if opt.AsOf.IsZero() {
		opt.AsOf = opt.Now()
	}
	if *loadOnly {
		opt.AfterLoad = nil
	}
	res, buildErr := ingest.Build(ctx, cfg, w, opt)
	rec := runlog.Run{Command: "build", Started: started}
	if res != nil {
		loaded, skipped, rows, rejected := res.Counts()
		rec.Counts = map[string]int64{"build_id": res.BuildID, "drops_loaded": int64(loaded), "drops_skipped": int64(skipped), "rows_loaded": rows, "rows_rejected": rejected}
	}
	recordRun(ctx, cfg, w, rec, buildErr, stderr)
	if cerr := w.Close(); cerr != nil && buildErr == nil {
		buildErr = cerr
	}
	if res != nil {
		printBuild(stdout, res, cfg)
	}
	if modelRes != nil {
		printModels(stdout, modelRes, cfg)
	}
	if *loadOnly {
		fmt.Fprintln(stdout, "models not rebuilt (--load-only): the marts are those of the last full build")
	}
	return buildErr
}

func printBuild(w io.Writer, res *ingest.Result, cfg *coxswain.Config) {
	loaded, skipped, rows, rejected := res.Counts()
	for _, d := range res.Drops {
		for _, f := range d.Files {
			switch {
			case f.Ignored:
				fmt.Fprintf(w, "  %s/%s/%s: not an object of the preset, ignored\n", d.Source, d.Name, f.Name)
			case f.Rejected > 0:
				fmt.Fprintf(w, "  %s/%s/%s: %s quarantined (first: %s)\n", d.Source, d.Name, f.Name, plural(f.Rejected, "row"), f.FirstError)
			}
			for _, warning := range f.Warnings {
				fmt.Fprintf(w, "  warning: %s/%s/%s: %s\n", d.Source, d.Name, f.Name, warning)
			}
		}
	}
	fmt.Fprintf(w, "build %d as of %s: %s loaded (%s, %s quarantined), %s already loaded\n",
		res.BuildID, res.AsOf.UTC().Format(time.RFC3339), plural(int64(loaded), "drop"), plural(rows, "row"),
		plural(rejected, "row"), plural(int64(skipped), "drop"))
	fmt.Fprintf(w, "warehouse: %s\n", cfg.WarehousePath())
}

func printModels(w io.Writer, res *models.Result, cfg *coxswain.Config) {
	failing := res.Failing()
	fmt.Fprintf(w, "models: %d rebuilt, %d data tests run, %d found rows (%.1fs)\n", len(res.Models), len(res.Tests), len(failing), res.Elapsed.Seconds())
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
}

func runStatus(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("status")
	config := fs.String("config", "coxswain.yaml", "configuration file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	cfg, err := loadConfig(*config)
	if err != nil {
		return err
	}
	if _, err := os.Stat(cfg.WarehousePath()); err != nil {
		return fmt.Errorf("no warehouse at %s yet\nTry: coxswain build --config %s", cfg.WarehousePath(), *config)
	}
	w, err := warehouse.Open(ctx, cfg.WarehousePath(), cfg.DuckDB)
	if err != nil {
		return err
	}
	defer w.Close()
	st, err := ingest.ReadStatus(ctx, w.DB)
	if err != nil {
		return err
	}

	fmt.Fprintf(stdout, "warehouse %s (reporting zone %s)\n\nSources\n", cfg.WarehousePath(), cfg.Timezone)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  source\tpreset\tfolder\tdrops waiting\tdrops loaded\tnewest loaded\tfreshness")
	for _, s := range cfg.Sources {
		waiting, err := ingest.Waiting(ctx, w.DB, s.Name, cfg.Resolve(s.Path))
		if err != nil {
			return fmt.Errorf("source %s: %w", s.Name, err)
		}
		loaded, newest := 0, "-"
		var newestAt time.Time
		for _, d := range st.Drops {
			if d.Source == s.Name {
				loaded++
				newest = d.Name
				if d.Modified.After(newestAt) {
					newestAt = d.Modified
				}
			}
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\t%d\t%s\t%s\n", s.Name, s.Preset, s.Path, len(waiting), loaded, newest, freshness(s, newestAt, time.Now()))
	}
	tw.Flush()

	fmt.Fprintln(stdout, "\nDrops loaded")
	tw = tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  source\tdrop\tkind\tloaded at (UTC)\tfiles\trows\trejected")
	for _, d := range st.Drops {
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%d\t%d\t%d\n", d.Source, d.Name, d.Kind, d.LoadedAt.UTC().Format("2006-01-02 15:04:05"), d.Files, d.Rows, d.Rejected)
	}
	tw.Flush()
	if len(st.Drops) == 0 {
		fmt.Fprintln(stdout, "  (none yet)")
	}

	if len(st.Rejects) > 0 {
		fmt.Fprintln(stdout, "\nQuarantined rows (in meta.rejects)")
		for _, r := range st.Rejects {
			fmt.Fprintf(stdout, "  %s/%s/%s: %s; first: %s\n", r.Source, r.Drop, r.File, plural(r.Rows, "row"), r.First)
		}
	}

	if len(st.Tests) > 0 {
		failing := 0
		for _, t := range st.Tests {
			if t.Failures > 0 {
				failing++
			}
		}
		fmt.Fprintf(stdout, "\nData tests (last run: %d, %d found rows; in meta.test_results)\n", len(st.Tests), failing)
		for _, t := range st.Tests {
			if t.Failures > 0 {
				fmt.Fprintf(stdout, "  %s %s: %s: %s\n", t.Severity, t.Name, plural(t.Failures, "row"), t.Description)
			}
		}
	}

	runs, err := runlog.Tail(cfg.Resolve(cfg.RunLog), 5)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nLast runs (coxswain runs; log %s)\n", cfg.Resolve(cfg.RunLog))
	printRuns(stdout, runs)

	fmt.Fprintln(stdout, "\nLast build")
	if b := st.LastBuild; b == nil {
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
	return nil
}

// isTerminal says whether w is a terminal (a progress bar makes sense).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// freshness says how old a source's newest loaded drop is against its
// warn_after and error_after.
func freshness(s coxswain.Source, newest, now time.Time) string {
	if newest.IsZero() {
		return "STALE: nothing loaded"
	}
	age := now.Sub(newest).Round(time.Hour)
	warn, fail := s.Freshness()
	switch {
	case fail > 0 && age > fail:
		return fmt.Sprintf("STALE: %s old, over error_after %s (builds fail)", age, fail)
	case age > warn:
		return fmt.Sprintf("stale: %s old, over warn_after %s", age, warn)
	}
	return fmt.Sprintf("fresh (%s old)", age)
}

func runSample(args []string, stdout io.Writer) error {
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
	t, err := parseTime(*end)
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
	fmt.Fprintf(stdout, "sample org written to %s (%d files)\n", *dir, len(files))
	return nil
}
