package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

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
	cfg, err := loadConfig(*config)
	if err != nil {
		return err
	}
	log, err := newLogger("schedule", *logFormat, stderr, slog.LevelInfo)
	if err != nil {
		return err
	}
	for key, spec := range map[string]string{"schedule.build": cfg.Schedule.Build, "schedule.report": cfg.Schedule.Report} {
		if _, _, err := schedule.Parse(spec); err != nil {
			return &coxswain.ValidationError{Key: key, Value: spec, Msg: "is not a crontab line (minute hour day month weekday): " + err.Error()}
		}
	}
	loc, _ := time.LoadLocation(cfg.Schedule.Timezone)
	cfgPath, _ := filepath.Abs(*config)
	runLog := cfg.Resolve(cfg.RunLog)

	// A job runs the same command a person would, and keeps its output for
	// the log and for an alert.
	var lastOutput bytes.Buffer
	command := func(ctx context.Context, args ...string) error {
		var out bytes.Buffer
		w := io.MultiWriter(stdout, &out)
		code := Run(ctx, append(args, "--config", cfgPath), w, w)
		lastOutput.Write(out.Bytes())
		if code != 0 {
			msg := strings.TrimSpace(out.String())
			if i := strings.LastIndex(msg, "Error: "); i >= 0 {
				msg = msg[i+len("Error: "):]
			}
			return fmt.Errorf("coxswain %s: %s", args[0], msg)
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
	jobs := []schedule.Job{
		{Name: "build", Cron: cfg.Schedule.Build,
			Run: func(ctx context.Context) error {
				lastOutput.Reset()
				return command(ctx, "build", "--quiet")
			},
			LastRun: lastRun(func(r runlog.Run) bool { return r.Command == "build" })},
		{Name: "report", Cron: cfg.Schedule.Report,
			Run: func(ctx context.Context) error {
				lastOutput.Reset()
				// The month just ended, in the reporting zone.
				month := time.Now().In(cfg.Location()).AddDate(0, 0, -time.Now().In(cfg.Location()).Day()).Format("2006-01")
				if err := command(ctx, "report", "--month", month, "--out", cfg.Resolve(cfg.Packs)); err != nil {
					return err
				}
				return command(ctx, "send", "--month", month, "--out", cfg.Resolve(cfg.Packs))
			},
			LastRun: lastRun(func(r runlog.Run) bool { return r.Command == "send" && !strings.Contains(r.Detail, "dry run") })},
	}
	alert := func(job string, jobErr error) {
		if len(cfg.Alerts.To) == 0 {
			return
		}
		tail := lastOutput.String()
		if lines := strings.Split(tail, "\n"); len(lines) > 40 {
			tail = strings.Join(lines[len(lines)-40:], "\n")
		}
		host, _ := os.Hostname()
		body := fmt.Sprintf("The scheduled %s job of coxswain failed on %s at %s.\n\nError:\n%s\n\nThe end of its output:\n%s\n\nThe run log is %s; coxswain runs --config %s lists the last runs.\n",
			job, host, time.Now().UTC().Format(time.RFC3339), jobErr, tail, runLog, cfgPath)
		msg, err := mail.Alert(cfg.Email, cfg.Alerts.To, "coxswain: the scheduled "+job+" failed", body)
		if err == nil {
			err = mail.SenderFromEnv(cfg.Email.SMTP, stderr).Send(context.Background(), msg)
		}
		if err != nil {
			log.Error("alert not sent", "job", job, "error", err)
			return
		}
		log.Info("alert sent", "job", job, "to", strings.Join(cfg.Alerts.To, ", "))
	}
	log.Info("coxswain schedule", "config", cfgPath, "timezone", cfg.Schedule.Timezone, "version", coxswain.Version)
	return schedule.Run(ctx, jobs, schedule.Options{Location: loc, Log: log, OnFailure: alert})
}
