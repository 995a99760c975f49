package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"coxswain"
	"coxswain/pipelines/runlog"
	"coxswain/pipelines/warehouse"
	"coxswain/reports/pack"
)

func runReport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("report")
	config := fs.String("config", "coxswain.yaml", "configuration file")
	month := fs.String("month", "", "the report month, YYYY-MM")
	out := fs.String("out", "packs", "folder the month's pack folder is written into")
	asOf := fs.String("as-of", "", "the as-of the marts must have been built with")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *month == "" {
		return usageError{"report: --month YYYY-MM is required"}
	}
	opt := pack.Options{Month: *month, OutDir: *out, Version: coxswain.Version}
	if *asOf != "" {
		t, err := parseTime(*asOf)
		if err != nil {
			return err
		}
		opt.AsOf = &t
	}
	cfg, err := loadConfig(*config)
	if err != nil {
		return err
	}
	started := time.Now()
	w, err := warehouse.OpenReadOnly(ctx, cfg.WarehousePath(), cfg.DuckDB)
	if err != nil {
		return err
	}
	dir, m, err := pack.Write(ctx, w.DB, opt)
	w.Close()
	recordRun(ctx, cfg, nil, runlog.Run{Command: "report", Detail: *month, Started: started}, err, stderr)
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

func runVerify(args []string, stdout io.Writer) error {
	fs := newFlags("verify")
	if err := fs.Parse(args); err != nil {
		return usageError{fmt.Sprintf("verify: %v", err)}
	}
	if fs.NArg() != 1 {
		return usageError{"verify: name one pack folder (packs/2026-10)"}
	}
	problems, err := pack.Verify(fs.Arg(0))
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		msg := fmt.Sprintf("pack %s does not match its manifest:", fs.Arg(0))
		for _, p := range problems {
			msg += "\n  " + p.String()
		}
		return fmt.Errorf("%s", msg)
	}
	fmt.Fprintf(stdout, "pack %s matches its manifest\n", fs.Arg(0))
	return nil
}
