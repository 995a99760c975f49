package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"text/tabwriter"

	"coxswain/pipelines/runlog"
)

// warnings is the logger of a command's warnings on stderr (the run log
// could not be written, say), as plain text.
func warnings(stderr io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
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
