package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
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

func runSend(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs := newFlags("send")
	config := fs.String("config", "coxswain.yaml", "configuration file")
	month := fs.String("month", "", "the report month, a calendar month of the reporting zone (required)")
	out := fs.String("out", "", "folder holding the month's pack folder (default: the config's packs)")
	dryRun := fs.Bool("dry-run", false, "write the message as DIR/YYYY-MM.eml instead of sending it")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *month == "" {
		return usageError{"send: --month YYYY-MM is required"}
	}
	months, err := pack.Months(*month)
	if err != nil {
		return usageError{"send: " + err.Error()}
	}
	cfg, err := loadConfig(*config)
	if err != nil {
		return err
	}
	packs := packsDir(cfg, *out)
	// The command that writes the pack again, runnable as printed.
	rewrite := []string{"report", "--month", *month}
	if *out != "" {
		rewrite = append(rewrite, "--out", *out)
	}
	started := time.Now()
	detail := *month
	if *dryRun {
		detail += " (dry run)"
	}
	defer func() {
		recordRun(ctx, cfg, nil, runlog.Run{Command: "send", Detail: detail, Started: started}, err, stderr)
	}()
	if err := cfg.Email.EmailReady(); err != nil {
		return configError{fmt.Errorf("config %s: %w: add an email: section (from, to, smtp.host)", *config, err)}
	}
	dir := filepath.Join(packs, *month)
	problems, err := pack.Verify(dir)
	if err != nil {
		return coxswain.WithCommand(err, rewrite...)
	}
	if len(problems) > 0 {
		return coxswain.WithCommand(fmt.Errorf("pack %s does not match its manifest (%s); write it again", dir, problems[0]), rewrite...)
	}
	var m pack.Manifest
	data, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}

	if _, err := os.Stat(cfg.WarehousePath()); err != nil {
		return coxswain.WithCommand(fmt.Errorf("no warehouse at %s: the report is drawn from a build's marts", cfg.WarehousePath()), "build")
	}
	w, err := warehouse.OpenReadOnly(ctx, cfg.WarehousePath(), cfg.DuckDB)
	if err != nil {
		return err
	}
	d, err := report.Load(ctx, w.DB, *month, months)
	w.Close() // before the deferred record, which writes the warehouse
	if err != nil {
		return err
	}
	// The e-mailed report is drawn from the marts; they must be the ones
	// the pack's CSV files came from.
	if !d.AsOf.Equal(m.AsOf) {
		return coxswain.WithCommand(fmt.Errorf("the pack %s is as of %s but the warehouse is now as of %s; write the pack again first",
			dir, m.AsOf.Format(time.RFC3339), d.AsOf.UTC().Format(time.RFC3339)), rewrite...)
	}
	msg, err := mail.Build(cfg.Email, d, dir)
	if err != nil {
		return err
	}
	if *dryRun {
		eml := dir + ".eml"
		if err := mail.WriteEML(msg, eml); err != nil {
			return err
		}
		abs, _ := filepath.Abs(eml)
		fmt.Fprintf(stdout, "dry run: the message for %s is in %s (not sent)\n", *month, abs)
		return nil
	}
	if err := mail.SenderFromEnv(cfg.Email.SMTP, stderr).Send(ctx, msg); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "sent the %s report to %d recipients through %s:%d\n", *month, len(cfg.Email.To)+len(cfg.Email.Cc), cfg.Email.SMTP.Host, cfg.Email.SMTP.Port)
	return nil
}
