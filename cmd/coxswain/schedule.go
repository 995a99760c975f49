package main

import (
	"bytes"
	"context"
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
	"coxswain/pipelines/build"
	"coxswain/pipelines/runlog"
	"coxswain/pipelines/schedule"
	"coxswain/reports/mail"
	"coxswain/reports/monthly"
)

func runSchedule(ctx context.Context, args []string, _, stderr io.Writer) error {
	fs := newFlags("schedule")
	config := fs.String("config", "coxswain.yaml", "configuration file")
	logFormat := fs.String("log-format", "text", "text or json")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	ctx, kill, release := stopSignals(ctx)
	defer release()
	return scheduleRun{config: *config, logFormat: *logFormat, clock: clockwork.NewRealClock(), kill: kill}.run(ctx, stderr)
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

func (r scheduleRun) run(ctx context.Context, stderr io.Writer) error {
	// The scheduler's records, and the job lines passed through, share one
	// writer, so that concurrent lines never interleave.
	stderr = &lockedWriter{w: stderr}
	log, err := newLogger("schedule", r.logFormat, stderr, slog.LevelInfo)
	if err != nil {
		return err
	}
	asJSON := r.logFormat == "json"
	cfg, err := loadConfig(r.config)
	if err == nil {
		// The monthly job e-mails the report, and failures e-mail alerts: a
		// schedule without the e-mail settings would fail silently on the 1st.
		if e := cfg.Email.EmailReady(); e != nil {
			err = configError{coxswain.WithAdvice(fmt.Errorf("config %s: %w: coxswain schedule e-mails the monthly report and its alerts", r.config, e),
				"add an email: section (from, to, smtp.host); the README's Configuration section shows one")}
		}
	}
	if err != nil {
		if asJSON { // every line a record, this one too
			log.Error("schedule not started", "error", err, "hints", hintLines(err, r.config))
			return reported{err}
		}
		return err
	}
	// LoadConfig has checked the zone and the crontab lines.
	loc, _ := time.LoadLocation(cfg.Schedule.Timezone)
	cfgPath, _ := filepath.Abs(r.config)
	runLog := cfg.Resolve(cfg.RunLog)

	// A job calls the same functions the commands do (the build runner,
	// the month's pack and e-mail), with the scheduler's clock. Its log
	// records go to the scheduler's log, tagged with the job, and are kept
	// for the alert should it fail.
	jobLog := func(job string) (*slog.Logger, *bytes.Buffer) {
		var kept bytes.Buffer
		w := io.MultiWriter(stderr, &lockedWriter{w: &kept})
		l, _ := newLogger("schedule", r.logFormat, w, slog.LevelWarn) // the load's per-file events stay out
		return l.With("job", job), &kept
	}
	bounded := func(ctx context.Context) func(time.Duration) {
		// A back-off ends with the job's context, so a stop is not held.
		return func(d time.Duration) {
			select {
			case <-r.clock.After(d):
			case <-ctx.Done():
			}
		}
	}
	runBuild := func(ctx context.Context, now time.Time) error {
		l, kept := jobLog("build")
		// The build is as of the instant the schedule started it.
		res, err := build.Run(ctx, cfg, build.Options{AsOf: now, Now: r.clock.Now, Log: l})
		if res != nil {
			loaded, skipped, rows, rejected := res.Counts()
			attrs := []any{"job", "build", "build_id", res.BuildID, "as_of", res.AsOf.UTC().Format(time.RFC3339),
				"drops_loaded", loaded, "drops_skipped", skipped, "rows_loaded", rows, "rows_rejected", rejected}
			if res.Models != nil {
				attrs = append(attrs, "models", len(res.Models.Models), "data_tests", len(res.Models.Tests), "data_tests_failing", len(res.Models.Failing()))
				for _, t := range res.Models.Failing() {
					l.Warn("data test found rows", "test", t.Name, "severity", t.Severity, "rows", t.Failures, "description", t.Description)
				}
			}
			log.Info("build summary", attrs...)
		}
		if err != nil {
			return &jobError{err: err, output: kept.String()}
		}
		return nil
	}
	runMonthly := func(ctx context.Context, now time.Time) error {
		l, kept := jobLog("report")
		month := monthJustEnded(now, cfg.Location())
		dir, _, err := monthly.WritePack(ctx, cfg, monthly.PackOptions{Month: month, Now: r.clock.Now, Log: l})
		if err != nil {
			return &jobError{err: err, output: kept.String()}
		}
		log.Info("pack written", "job", "report", "month", month, "dir", dir)
		sent, err := monthly.Send(ctx, cfg, monthly.SendOptions{Month: month, Now: r.clock.Now, Log: l,
			SMTPLog: slogWriter{l}, Sleep: bounded(ctx)})
		if err != nil {
			return &jobError{err: err, output: kept.String()}
		}
		log.Info("report sent", "job", "report", "month", month, "recipients", sent.Recipients, "server", sent.Server)
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
	// In priority order: the report reads the marts the build writes.
	jobs := []schedule.Job{
		{Name: "build", Cron: cfg.Schedule.Build, Run: runBuild,
			LastRun: lastRun(func(r runlog.Run) bool { return r.Command == "build" })},
		{Name: "report", Cron: cfg.Schedule.Report, Run: runMonthly,
			LastRun: lastRun(func(r runlog.Run) bool { return r.Command == "send" && !strings.Contains(r.Detail, "dry run") })},
	}
	opt := schedule.Options{Location: loc, Clock: r.clock, Log: log, Kill: r.kill}
	if len(cfg.Alerts.To) > 0 {
		host, _ := os.Hostname()
		opt.Alert = func(ctx context.Context, f schedule.Failure) error {
			tail := ""
			var je *jobError
			if errors.As(f.Err, &je) {
				tail = lastLines(je.output, 40)
			}
			body := fmt.Sprintf("The scheduled %s job of coxswain failed on %s at %s.\n\nError:\n%s\n%s\n\nIts log:\n%s\n\nThe run log is %s; coxswain runs --config %s lists the last runs.\n",
				f.Job, host, f.Finished.UTC().Format(time.RFC3339), f.Err, strings.Join(hintLines(f.Err, cfgPath), "\n"), tail, runLog, cfgPath)
			msg, err := mail.Alert(cfg.Email, cfg.Alerts.To, "coxswain: the scheduled "+f.Job+" failed", body)
			if err != nil {
				return err
			}
			sender := mail.SenderFromEnv(cfg.Email.SMTP, slogWriter{log.With("job", f.Job+" alert")})
			// The sender's back-off must end with the alert's deadline, or
			// its retries outlive the bound the schedule gives them.
			sender.Sleep = bounded(ctx)
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

// jobError is a job's error with the log records it wrote, for the alert.
type jobError struct {
	err    error
	output string
}

func (e *jobError) Error() string { return e.err.Error() }
func (e *jobError) Unwrap() error { return e.err }

// slogWriter turns each line written to it into a log record (the mail
// sender's retry lines).
type slogWriter struct{ l *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		if line != "" {
			w.l.Warn(line)
		}
	}
	return len(p), nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
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
