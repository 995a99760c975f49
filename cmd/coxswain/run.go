package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"coxswain"
)

const usage = `coxswain turns CRM and marketing exports into the numbers sales and marketing share.

Usage:
  coxswain build  [--config FILE] [--as-of TIME] [--load-only]
                                                   load new export drops, rebuild the models, export Parquet
  coxswain status [--config FILE]                  show sources, drops loaded and the last build
  coxswain report --month YYYY-MM [--out DIR] [--as-of TIME] [--config FILE]
                                                   write the monthly pack from the last build's marts
  coxswain verify DIR/YYYY-MM                      check a pack against its manifest
  coxswain send --month YYYY-MM [--out DIR] [--dry-run] [--config FILE]
                                                   e-mail the month's report (credentials from
                                                   COXSWAIN_SMTP_USER and COXSWAIN_SMTP_PASSWORD)
  coxswain runs   [--config FILE] [-n N]           the last runs of build, report and send
  coxswain schedule [--config FILE] [--log-format text|json]
                                                   run the nightly build and the monthly report by themselves
  coxswain sample [--dir DIR] [--leads N]          write a sample org's exports and config
  coxswain version

--config defaults to coxswain.yaml. TIME is RFC 3339 (2026-11-15T06:00:00Z) or a date.
`

// Run is the whole command line: it parses args, runs one command, and
// returns the exit code. Only Run prints; errors come out as "Error: ..."
// with a "Try: ..." where there is something to try.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	var err error
	switch cmd {
	case "build":
		err = runBuild(ctx, rest, stdout, stderr)
	case "status":
		err = runStatus(ctx, rest, stdout)
	case "report":
		err = runReport(ctx, rest, stdout, stderr)
	case "verify":
		err = runVerify(rest, stdout)
	case "send":
		err = runSend(ctx, rest, stdout, stderr)
	case "runs":
		err = runRuns(rest, stdout)
	case "schedule":
		err = runSchedule(ctx, rest, stdout, stderr)
	case "sample":
		err = runSample(rest, stdout)
	case "version", "--version":
		fmt.Fprintln(stdout, "coxswain", coxswain.Version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		err = usageError{fmt.Sprintf("unknown command %q", cmd)}
	}
	if err == nil {
		return 0
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	printError(stderr, err)
	var ue usageError
	if errors.As(err, &ue) {
		return 2
	}
	return 1
}

type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// hinter is an error that knows what the user can do about it.
type hinter interface{ Hints() []string }

func printError(w io.Writer, err error) {
	fmt.Fprintf(w, "Error: %s\n", err)
	var hints []string
	for _, e := range flatten(err) {
		if h, ok := e.(hinter); ok {
			hints = append(hints, h.Hints()...)
		}
	}
	var ue usageError
	if errors.As(err, &ue) {
		hints = append(hints, "coxswain help")
	}
	seen := map[string]bool{}
	for _, h := range hints {
		if !seen[h] {
			fmt.Fprintf(w, "Try: %s\n", h)
			seen[h] = true
		}
	}
}

// flatten lists err and every error it wraps.
func flatten(err error) []error {
	out := []error{err}
	switch u := err.(type) {
	case interface{ Unwrap() []error }:
		for _, e := range u.Unwrap() {
			out = append(out, flatten(e)...)
		}
	case interface{ Unwrap() error }:
		if e := u.Unwrap(); e != nil {
			out = append(out, flatten(e)...)
		}
	}
	return out
}

func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{fmt.Sprintf("%s: %v", fs.Name(), err)}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("%s: unexpected argument %q", fs.Name(), fs.Arg(0))}
	}
	return nil
}

// newLogger makes the slog logger of a --log-format: text or json, on w.
func newLogger(cmd, format string, w io.Writer, level slog.Level) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: level}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, usageError{fmt.Sprintf("%s: --log-format %q must be text or json", cmd, format)}
}

// parseTime reads an --as-of value: RFC 3339, or a date meaning its start in UTC.
func parseTime(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, usageError{fmt.Sprintf("--as-of %q is not a time: write it as 2026-11-15T06:00:00Z or 2026-11-15", s)}
}

func plural(n int64, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	if strings.HasSuffix(word, "y") {
		return fmt.Sprintf("%d %sies", n, word[:len(word)-1])
	}
	return fmt.Sprintf("%d %ss", n, word)
}
