// Package monthly is the month's delivery: the pack written from the last
// build's marts, and the report e-mailed from a pack that still matches
// its manifest and the warehouse. The CLI's report and send and the
// scheduler's monthly job call these functions; each records its run.
package monthly

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"coxswain"
	"coxswain/pipelines/runlog"
	"coxswain/pipelines/warehouse"
	"coxswain/reports/mail"
	"coxswain/reports/pack"
	"coxswain/reports/report"
)

// PackOptions say which pack to write.
type PackOptions struct {
	Month string // YYYY-MM
	// OutDir is the folder the month's pack folder goes into; empty: the
	// config's packs.
	OutDir string
	// AsOf, when set, is the as-of the marts must have been built with.
	AsOf *time.Time
	Now  func() time.Time
	Log  *slog.Logger // warnings about recording the run
}

// WritePack writes the month's pack from the warehouse, read only, and
// records the run, a refused one too.
func WritePack(ctx context.Context, cfg *coxswain.Config, opt PackOptions) (string, *pack.Manifest, error) {
	now, log := clock(opt.Now), logger(opt.Log)
	started := now()
	dir, m, err := writePack(ctx, cfg, opt)
	runlog.Record(ctx, cfg, nil, runlog.Run{Command: "report", Detail: opt.Month, Started: started}, err, now(), log)
	return dir, m, err
}

func writePack(ctx context.Context, cfg *coxswain.Config, opt PackOptions) (string, *pack.Manifest, error) {
	if _, err := pack.Months(opt.Month); err != nil {
		return "", nil, err
	}
	if _, err := os.Stat(cfg.WarehousePath()); err != nil {
		return "", nil, coxswain.WithCommand(fmt.Errorf("no warehouse at %s yet: a pack is written from a build's marts", cfg.WarehousePath()), "build")
	}
	w, err := warehouse.OpenReadOnly(ctx, cfg.WarehousePath(), cfg.DuckDB)
	if err != nil {
		return "", nil, err
	}
	defer w.Close()
	return pack.Write(ctx, w.DB, pack.Options{Month: opt.Month, OutDir: PacksDir(cfg, opt.OutDir), AsOf: opt.AsOf, Version: coxswain.Version})
}

// PacksDir is where packs are written and read: out when given, else the
// config's packs folder (where the scheduler writes them too).
func PacksDir(cfg *coxswain.Config, out string) string {
	if out != "" {
		return out
	}
	return cfg.Resolve(cfg.Packs)
}

// SendOptions say which month's report to send, and how.
type SendOptions struct {
	Month  string
	OutDir string // where the pack is; empty: the config's packs
	// DryRun writes the message as OutDir/YYYY-MM.eml instead of sending it.
	DryRun bool
	Now    func() time.Time
	Log    *slog.Logger
	// SMTPLog receives a line per retried delivery.
	SMTPLog io.Writer
	// Sleep waits between delivery attempts (nil: time.Sleep); the
	// scheduler bounds it by its context.
	Sleep func(time.Duration)
}

// Sent says what Send did.
type Sent struct {
	Month      string
	EML        string // the dry run's file
	Recipients int
	Server     string // host:port, when sent
}

// Send e-mails the month's report from its pack, after checking that the
// pack still matches its manifest and was written from the warehouse's
// current marts, and records the run.
func Send(ctx context.Context, cfg *coxswain.Config, opt SendOptions) (*Sent, error) {
	now, log := clock(opt.Now), logger(opt.Log)
	started := now()
	detail := opt.Month
	if opt.DryRun {
		detail += " (dry run)"
	}
	sent, err := send(ctx, cfg, opt)
	runlog.Record(ctx, cfg, nil, runlog.Run{Command: "send", Detail: detail, Started: started}, err, now(), log)
	return sent, err
}

func send(ctx context.Context, cfg *coxswain.Config, opt SendOptions) (*Sent, error) {
	months, err := pack.Months(opt.Month)
	if err != nil {
		return nil, err
	}
	if err := cfg.Email.EmailReady(); err != nil {
		return nil, coxswain.WithAdvice(err, "add an email: section to the config (from, to, smtp.host)")
	}
	// The command that writes the pack again.
	rewrite := []string{"report", "--month", opt.Month}
	if opt.OutDir != "" {
		rewrite = append(rewrite, "--out", opt.OutDir)
	}
	dir := filepath.Join(PacksDir(cfg, opt.OutDir), opt.Month)
	problems, err := pack.Verify(dir)
	if err != nil {
		return nil, coxswain.WithCommand(err, rewrite...)
	}
	if len(problems) > 0 {
		return nil, coxswain.WithCommand(fmt.Errorf("pack %s does not match its manifest (%s); write it again", dir, problems[0]), rewrite...)
	}
	var m pack.Manifest
	data, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, "manifest.json"), err)
	}
	if _, err := os.Stat(cfg.WarehousePath()); err != nil {
		return nil, coxswain.WithCommand(fmt.Errorf("no warehouse at %s: the report is drawn from a build's marts", cfg.WarehousePath()), "build")
	}
	w, err := warehouse.OpenReadOnly(ctx, cfg.WarehousePath(), cfg.DuckDB)
	if err != nil {
		return nil, err
	}
	d, err := report.Load(ctx, w.DB, opt.Month, months)
	w.Close() // before the run is recorded, which writes the warehouse
	if err != nil {
		return nil, err
	}
	// The e-mailed report is drawn from the marts; they must be the ones
	// the pack's CSV files came from.
	if !d.AsOf.Equal(m.AsOf) {
		return nil, coxswain.WithCommand(fmt.Errorf("the pack %s is as of %s but the warehouse is now as of %s; write the pack again first",
			dir, m.AsOf.Format(time.RFC3339), d.AsOf.UTC().Format(time.RFC3339)), rewrite...)
	}
	msg, err := mail.Build(cfg.Email, d, dir)
	if err != nil {
		return nil, err
	}
	sent := &Sent{Month: opt.Month, Recipients: len(cfg.Email.To) + len(cfg.Email.Cc)}
	if opt.DryRun {
		sent.EML = dir + ".eml"
		return sent, mail.WriteEML(msg, sent.EML)
	}
	sender := mail.SenderFromEnv(cfg.Email.SMTP, opt.SMTPLog)
	if opt.Sleep != nil {
		sender.Sleep = opt.Sleep
	}
	if err := sender.Send(ctx, msg); err != nil {
		return nil, err
	}
	sent.Server = fmt.Sprintf("%s:%d", cfg.Email.SMTP.Host, cfg.Email.SMTP.Port)
	return sent, nil
}

func clock(now func() time.Time) func() time.Time {
	if now == nil {
		return time.Now
	}
	return now
}

func logger(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}
