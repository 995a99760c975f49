package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/jonboulle/clockwork"

	"coxswain"
	"coxswain/pipelines/runlog"
	"coxswain/pipelines/schedule"
	"coxswain/reports/mail"
)

func runSchedule(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("schedule")
	config := fs.String("config", "coxswain.yaml", "configuration file")
	logFormat := fs.String("log-format", "text", "text or json")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	ctx, kill, release := stopSignals(ctx)
	defer release()
	return scheduleRun{config: *config, logFormat: *logFormat, clock: clockwork.NewRealClock(), kill: kill}.run(ctx, stdout, stderr)
}

// stopSignals returns ctx, cancelled by the first SIGINT or SIGTERM, and a
// channel closed by the second. main's signal.NotifyContext turns only the
// first signal into a cancel and swallows the rest, so the schedule
// listens too: a second signal must reach the running job.
func stopSignals(ctx context.Context) (context.Context, <-chan struct{}, func()) {
	ctx, stop := context.WithCancel(ctx)
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	kill := make(chan struct{})
	done := make(chan struct{})
	go func() {
		for n := 1; ; n++ {
			select {
			case <-sigs:
			case <-done:
				return
			}
			if n == 1 {
				stop()
				continue
			}
			close(kill)
			return
		}
	}()
	return ctx, kill, func() {
		signal.Stop(sigs)
		close(done)
		stop()
	}
}

// scheduleRun is one run of coxswain schedule with what it takes from the
// process (the clock, the second signal), so that a test can give it a
// fake clock.
type scheduleRun struct {
	config, logFormat string
	clock             clockwork.Clock
	kill              <-chan struct{}
}

func (r scheduleRun) run(ctx context.Context, stdout, stderr io.Writer) error {
	cfg, err := loadConfig(r.config)
	if err != nil {
		return err
	}
	// The scheduler's records, and the job lines passed through, share one
	// writer, so that concurrent lines never interleave.
	stderr = &lockedWriter{w: stderr}
	log, err := newLogger("schedule", r.logFormat, stderr, slog.LevelInfo)
	if err != nil {
		return err
	}
	asJSON := r.logFormat == "json"
	// LoadConfig has checked the zone and the crontab lines.
	loc, _ := time.LoadLocation(cfg.Schedule.Timezone)
	cfgPath, _ := filepath.Abs(r.config)
	runLog := cfg.Resolve(cfg.RunLog)

	// A job runs the same command a person would (a later change gives
	// both one typed runner), and keeps its output for the error and the
	// alert. In JSON mode every line of it becomes a JSON record.
	command := func(ctx context.Context, job string, args ...string) error {
		out := &jobOutput{job: job, json: asJSON, log: log, text: stdout, jsonLines: stderr}
		code := Run(ctx, append(args, "--config", cfgPath), out, out)
		out.Flush()
		if code != 0 {
			return &commandError{command: args[0], msg: errorMessage(out.raw.String()), output: out.raw.String()}
		}
		return nil
	}
	lastRun := func(match func(runlog.Run) bool) func() (time.Time, bool) {
		return func() (time.Time, bool) {
			runs, _ := runlog.Tail(runLog, 1000)
			for i := len(runs) - 1; i >= 0; i-- {
				if match(runs[i]) {
					return runs[i].Started, true
				}
			}
			return time.Time{}, false
		}
	}
	build := []string{"build", "--quiet"}
	if asJSON {
		build = append(build, "--log-format", "json")
	}
	// In priority order: the report reads the marts the build writes.
	jobs := []schedule.Job{
		{Name: "build", Cron: cfg.Schedule.Build,
			Run: func(ctx context.Context, now time.Time) error {
				// The build is as of the instant the schedule started it.
				return command(ctx, "build", append(build, "--as-of", now.UTC().Format(time.RFC3339))...)
			},
			LastRun: lastRun(func(r runlog.Run) bool { return r.Command == "build" })},
		{Name: "report", Cron: cfg.Schedule.Report,
			Run: func(ctx context.Context, now time.Time) error {
				month := monthJustEnded(now, cfg.Location())
				if err := command(ctx, "report", "report", "--month", month, "--out", cfg.Resolve(cfg.Packs)); err != nil {
					return err
				}
				return command(ctx, "report", "send", "--month", month, "--out", cfg.Resolve(cfg.Packs))
			},
			LastRun: lastRun(func(r runlog.Run) bool { return r.Command == "send" && !strings.Contains(r.Detail, "dry run") })},
	}
	opt := schedule.Options{Location: loc, Clock: r.clock, Log: log, Kill: r.kill}
	if len(cfg.Alerts.To) > 0 {
		host, _ := os.Hostname()
		opt.Alert = func(ctx context.Context, f schedule.Failure) error {
			tail := ""
			var ce *commandError
			if errors.As(f.Err, &ce) {
				tail = lastLines(ce.output, 40)
			}
			body := fmt.Sprintf("The scheduled %s job of coxswain failed on %s at %s.\n\nError:\n%s\n\nThe end of its output:\n%s\n\nThe run log is %s; coxswain runs --config %s lists the last runs.\n",
				f.Job, host, f.Finished.UTC().Format(time.RFC3339), f.Err, tail, runLog, cfgPath)
			msg, err := mail.Alert(cfg.Email, cfg.Alerts.To, "coxswain: the scheduled "+f.Job+" failed", body)
			if err != nil {
				return err
			}
			sender := mail.SenderFromEnv(cfg.Email.SMTP, &jobOutput{job: f.Job + " alert", json: asJSON, log: log, text: stderr, jsonLines: stderr})
			// The sender's back-off must end with the alert's deadline, or
			// its retries outlive the bound the schedule gives them.
			sender.Sleep = func(d time.Duration) {
				select {
				case <-r.clock.After(d):
				case <-ctx.Done():
				}
			}
			return sender.Send(ctx, msg)
		}
	}
	log.Info("coxswain schedule", "config", cfgPath, "timezone", cfg.Schedule.Timezone, "version", coxswain.Version)
	err = schedule.Run(ctx, jobs, opt)
	if err != nil && asJSON {
		// In JSON mode the last word is a record too; Run then prints nothing.
		log.Error("schedule stopped", "error", err)
		return reported{err}
	}
	return err
}

// reported is an error already logged: Run exits 1 without printing it again.
type reported struct{ error }

func (e reported) Unwrap() error { return e.error }

// monthJustEnded is the report month of a run at now: the calendar month
// before now's, in the reporting zone (a run at 00:30 on 1 December in New
// York, 05:30 UTC, reports November).
func monthJustEnded(now time.Time, loc *time.Location) string {
	t := now.In(loc)
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, loc).AddDate(0, -1, 0).Format("2006-01")
}

// errorMessage finds the error Run printed in a command's output: from the
// last line that starts with "Error: " up to its "Hint:" and "Try:" lines
// (an error's own text may hold "Error: ", as DuckDB's do, so only a line
// start counts). Output with no such line is its own message.
func errorMessage(output string) string {
	lines := strings.Split(strings.TrimSpace(output), "\n")
	start := -1
	for i, l := range lines {
		if strings.HasPrefix(l, "Error: ") {
			start = i
		}
	}
	if start < 0 {
		return strings.Join(lines, "\n")
	}
	msg := []string{strings.TrimPrefix(lines[start], "Error: ")}
	for _, l := range lines[start+1:] {
		if strings.HasPrefix(l, "Try: ") || strings.HasPrefix(l, "Hint: ") {
			break
		}
		msg = append(msg, l)
	}
	return strings.Join(msg, "\n")
}

// commandError is a job's failed command, with its output for the alert.
type commandError struct {
	command, msg, output string
}

func (e *commandError) Error() string { return "coxswain " + e.command + ": " + e.msg }

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// jobOutput is what a job's command writes on its stdout and stderr. It
// keeps all of it (raw) for the error and the alert. In text mode it
// passes the output on as it comes, for a person to read; in JSON mode it
// passes on lines that are already JSON objects (the build's own log
// records) and turns every other line into a record, so that nothing but
// JSON lines reaches the scheduler's output.
type jobOutput struct {
	job       string
	json      bool
	log       *slog.Logger
	text      io.Writer // text mode: where output goes
	jsonLines io.Writer // JSON mode: where JSON lines go (the log's writer)

	mu      sync.Mutex
	raw     bytes.Buffer
	partial []byte // JSON mode: a line not yet ended
}

func (o *jobOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.raw.Write(p)
	if !o.json {
		return o.text.Write(p)
	}
	o.partial = append(o.partial, p...)
	for {
		i := bytes.IndexByte(o.partial, '\n')
		if i < 0 {
			break
		}
		o.line(o.partial[:i])
		o.partial = o.partial[i+1:]
	}
	return len(p), nil
}

// Flush passes on a last line that did not end with a newline.
func (o *jobOutput) Flush() {
	o.mu.Lock()
	defer o.mu.Unlock()
	if len(o.partial) > 0 {
		o.line(o.partial)
		o.partial = nil
	}
}

func (o *jobOutput) line(b []byte) {
	b = bytes.TrimRight(b, "\r")
	trimmed := bytes.TrimSpace(b)
	switch {
	case len(trimmed) == 0:
	case trimmed[0] == '{' && json.Valid(trimmed):
		o.jsonLines.Write(append(append([]byte{}, trimmed...), '\n'))
	default:
		o.log.Info("output", "job", o.job, "line", string(b))
	}
}

// lockedWriter makes each Write whole with respect to the others.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
