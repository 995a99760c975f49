package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"coxswain/reports/monthly"
	"coxswain/reports/pack"
)

func runSend(ctx context.Context, args []string, stdout, stderr io.Writer) error {
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
	if _, err := pack.Months(*month); err != nil {
		return usageError{"send: " + err.Error()}
	}
	cfg, err := loadConfig(*config)
	if err != nil {
		return err
	}
	sent, err := monthly.Send(ctx, cfg, monthly.SendOptions{Month: *month, OutDir: *out, DryRun: *dryRun,
		Now: time.Now, Log: warnings(stderr), SMTPLog: stderr})
	if err != nil {
		return err
	}
	if sent.EML != "" {
		abs, _ := filepath.Abs(sent.EML)
		fmt.Fprintf(stdout, "dry run: the message for %s is in %s (not sent)\n", sent.Month, abs)
		return nil
	}
	fmt.Fprintf(stdout, "sent the %s report to %d recipients through %s\n", sent.Month, sent.Recipients, sent.Server)
	return nil
}
