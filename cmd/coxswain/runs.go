package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"coxswain"
	"coxswain/pipelines/runlog"
	"coxswain/pipelines/warehouse"
)

// recordRun logs a finished command: a JSON line always, and a row in
// meta.runs when the warehouse can be written (a command that holds the
// lock passes its warehouse; others take the lock for a moment, and skip
// the row when a build holds it: the JSON line still says it).
func recordRun(ctx context.Context, cfg *coxswain.Config, w *warehouse.Warehouse, r runlog.Run, runErr error, stderr io.Writer) {
	r.Finished, r.PID, r.Outcome = time.Now(), os.Getpid(), "ok"
	if runErr != nil {
		r.Outcome, r.Error = "failed", runErr.Error()
	}
	if err := runlog.Append(cfg.Resolve(cfg.RunLog), r); err != nil {
		fmt.Fprintf(stderr, "warning: run log %s: %v\n", cfg.Resolve(cfg.RunLog), err)
	}
	if w == nil {
		lock, err := warehouse.AcquireLock(cfg.WarehousePath(), "record "+r.Command, time.Now())
		if err != nil {
			return
		}
		defer lock.Release()
		if _, err := os.Stat(cfg.WarehousePath()); err != nil {
			return
		}
		if w, err = warehouse.Open(ctx, cfg.WarehousePath(), cfg.DuckDB); err != nil {
			return
		}
		defer w.Close()
	}
	if err := runlog.Insert(context.WithoutCancel(ctx), w.DB, r); err != nil {
		fmt.Fprintf(stderr, "warning: meta.runs: %v\n", err)
	}
}

func runRuns(_ context.Context, args []string, stdout, _ io.Writer) error {
	fs := newFlags("runs")
	config := fs.String("config", "coxswain.yaml", "configuration file")
	n := fs.Int("n", 20, "how many runs to show, latest last")
	asJSON := fs.Bool("json", false, "print the runs as JSON lines, one object a run, as the run log holds them")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *n < 1 {
		return usageError{fmt.Sprintf("runs: -n %d must be 1 or more", *n)}
	}
	cfg, err := loadConfig(*config)
	if err != nil {
		return err
	}
	runs, err := runlog.Tail(cfg.Resolve(cfg.RunLog), *n)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		for _, r := range runs {
			if err := enc.Encode(r); err != nil {
				return err
			}
		}
		return nil
	}
	printRuns(stdout, runs)
	return nil
}

func printRuns(w io.Writer, runs []runlog.Run) {
	if len(runs) == 0 {
		fmt.Fprintln(w, "  no runs yet")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  started (UTC)\tcommand\tdetail\tseconds\toutcome\terror")
	for _, r := range runs {
		msg := r.Error
		if i := strings.IndexByte(msg, '\n'); i >= 0 {
			msg = msg[:i] + " ..."
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%.1f\t%s\t%s\n", r.Started.UTC().Format("2006-01-02 15:04:05"), r.Command, r.Detail,
			r.Finished.Sub(r.Started).Seconds(), r.Outcome, msg)
	}
	tw.Flush()
}
