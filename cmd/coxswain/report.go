package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"coxswain/reports/monthly"
	"coxswain/reports/pack"
)

func runReport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("report")
	config := fs.String("config", "coxswain.yaml", "configuration file")
	month := fs.String("month", "", "the report month, a calendar month of the reporting zone (required)")
	out := fs.String("out", "", "folder the month's pack folder is written into (default: the config's packs)")
	asOf := fs.String("as-of", "", "the as-of the marts must have been built with")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *month == "" {
		return usageError{"report: --month YYYY-MM is required"}
	}
	if _, err := pack.Months(*month); err != nil {
		return usageError{"report: " + err.Error()}
	}
	opt := monthly.PackOptions{Month: *month, OutDir: *out, Now: time.Now, Log: warnings(stderr)}
	if *asOf != "" {
		t, err := parseTime("as-of", *asOf)
		if err != nil {
			return err
		}
		opt.AsOf = &t
	}
	cfg, err := loadConfig(*config)
	if err != nil {
		return err
	}
	dir, m, err := monthly.WritePack(ctx, cfg, opt)
	if err != nil {
		return err
	}
	abs, _ := filepath.Abs(dir)
	fmt.Fprintf(stdout, "pack for %s (months %s to %s, as of %s, build %d): %s\n", m.Month, m.Months[0], m.Months[12], m.AsOf.Format("2006-01-02T15:04:05Z07:00"), m.BuildID, abs)
	for _, f := range m.Files {
		rows := ""
		if f.Rows != nil {
			rows = fmt.Sprintf(", %d rows", *f.Rows)
		}
		fmt.Fprintf(stdout, "  %-22s %8d bytes%s\n", f.Name, f.Bytes, rows)
	}
	return nil
}

func runVerify(_ context.Context, args []string, stdout, _ io.Writer) error {
	fs := newFlags("verify")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError{"verify: name one pack folder (packs/2026-10)"}
	}
	problems, err := pack.Verify(pos[0])
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		msg := fmt.Sprintf("pack %s does not match its manifest:", pos[0])
		for _, p := range problems {
			msg += "\n  " + p.String()
		}
		return errors.New(msg)
	}
	fmt.Fprintf(stdout, "pack %s matches its manifest\n", pos[0])
	return nil
}
