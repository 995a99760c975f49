package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
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
	opt := pack.Options{Month: *month, Version: coxswain.Version}
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
	opt.OutDir = packsDir(cfg, *out)
	started := time.Now()
	dir, m, err := writePack(ctx, cfg, *config, opt)
	// Every run is recorded, a refused one too.
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

// writePack writes the month's pack from the warehouse, read only.
func writePack(ctx context.Context, cfg *coxswain.Config, config string, opt pack.Options) (string, *pack.Manifest, error) {
	if _, err := os.Stat(cfg.WarehousePath()); err != nil {
		return "", nil, coxswain.WithCommand(fmt.Errorf("no warehouse at %s yet: a pack is written from a build's marts", cfg.WarehousePath()), "build")
	}
	w, err := warehouse.OpenReadOnly(ctx, cfg.WarehousePath(), cfg.DuckDB)
	if err != nil {
		return "", nil, err
	}
	defer w.Close()
	return pack.Write(ctx, w.DB, opt)
}

// packsDir is where packs are written and read: --out when given, else
// the config's packs folder (which is also where schedule writes them).
func packsDir(cfg *coxswain.Config, out string) string {
	if out != "" {
		return out
	}
	return cfg.Resolve(cfg.Packs)
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
