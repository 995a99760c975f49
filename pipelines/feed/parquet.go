// Package feed writes the marts for the warehouses downstream: a folder of
// Hive-partitioned Parquet files, replaced whole at each build, and Apache
// Iceberg tables, to which each build that changes a month adds a snapshot.
package feed

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"coxswain"
)

// Exported are the marts written as Parquet for a downstream warehouse, with
// the column each is partitioned by (as month=YYYY-MM).
var Exported = []struct{ Mart, MonthColumn string }{
	{"kpis", "month"}, {"kpis_by_channel", "month"}, {"sla_by_owner", "month"},
	{"funnel", "cohort_month"}, {"targets", "month"},
}

// exportScratch is the prefix of the folders a feed is written in, beside dir.
func exportScratch(dir string) string { return "." + filepath.Base(dir) + "-" }

// SweepExport removes the half-written feeds of killed builds beside dir.
func SweepExport(dir string) ([]string, error) {
	return coxswain.SweepScratch(filepath.Dir(dir), exportScratch(dir))
}

// ExportParquet writes dir/<mart>/month=YYYY-MM/*.parquet for each exported
// mart. It writes beside dir and swaps the folder in, so a reader never sees
// half an export.
func ExportParquet(ctx context.Context, conn *sql.Conn, dir string) error {
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, coxswain.DirMode); err != nil {
		return err
	}
	if _, err := SweepExport(dir); err != nil {
		return err
	}
	tmp, err := coxswain.MkdirScratch(parent, exportScratch(dir))
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	for _, e := range Exported {
		q := fmt.Sprintf(`COPY (SELECT * EXCLUDE (%[1]s), %[1]s AS month FROM marts.%[2]s) TO '%[3]s' (FORMAT parquet, PARTITION_BY (month))`,
			e.MonthColumn, e.Mart, strings.ReplaceAll(filepath.Join(tmp, e.Mart), "'", "''"))
		if e.MonthColumn == "month" {
			q = fmt.Sprintf(`COPY marts.%s TO '%s' (FORMAT parquet, PARTITION_BY (month))`, e.Mart, strings.ReplaceAll(filepath.Join(tmp, e.Mart), "'", "''"))
		}
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("export %s: %w", e.Mart, err)
		}
	}
	// DuckDB writes the Parquet files as the umask says.
	restrictModes(tmp)
	old := dir + ".old"
	os.RemoveAll(old)
	if err := os.Rename(dir, old); err != nil && !os.IsNotExist(err) {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		os.Rename(old, dir)
		return err
	}
	return os.RemoveAll(old)
}

// restrictModes gives the files and folders under dir coxswain's modes:
// they hold the company's figures.
func restrictModes(dir string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		mode := coxswain.FileMode
		if d.IsDir() {
			mode = coxswain.DirMode
		}
		return os.Chmod(p, mode)
	})
}
