package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"coxswain/pipelines/runlog"
	"coxswain/pipelines/warehouse"
	"coxswain/reports/mail"
	"coxswain/reports/pack"
	"coxswain/reports/report"
)

func runSend(ctx context.Context, args []string, stdout, stderr io.Writer) (err error) {
	fs := newFlags("send")
	config := fs.String("config", "coxswain.yaml", "configuration file")
	month := fs.String("month", "", "the report month, YYYY-MM")
	out := fs.String("out", "packs", "folder holding the month's pack folder")
	dryRun := fs.Bool("dry-run", false, "write the message as DIR/YYYY-MM.eml instead of sending it")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *month == "" {
		return usageError{"send: --month YYYY-MM is required"}
	}
	months, err := pack.Months(*month)
	if err != nil {
		return err
	}
	cfg, err := loadConfig(*config)
	if err != nil {
		return err
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
		return fmt.Errorf("%w\nTry: add an email: section to %s (from, to, smtp.host)", err, *config)
	}
	dir := filepath.Join(*out, *month)
	problems, err := pack.Verify(dir)
	if err != nil {
		return fmt.Errorf("%w\nTry: coxswain report --month %s --out %s", err, *month, *out)
	}
	if len(problems) > 0 {
		return fmt.Errorf("pack %s does not match its manifest (%s); write it again\nTry: coxswain report --month %s --out %s", dir, problems[0], *month, *out)
	}
	var m pack.Manifest
	data, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, &m); err != nil {
		return err
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
		return fmt.Errorf("the pack %s is as of %s but the warehouse is now as of %s; write the pack again first\nTry: coxswain report --month %s --out %s",
			dir, m.AsOf.Format(time.RFC3339), d.AsOf.UTC().Format(time.RFC3339), *month, *out)
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
