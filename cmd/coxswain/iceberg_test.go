//go:build !noiceberg

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog/hadoop"
	"github.com/apache/iceberg-go/table"

	"coxswain/pipelines/feed"
)

// feedFolders are the feeds a build writes beside its config.
var feedFolders = []string{"export", "iceberg"}

// icebergDiffs reads each mart's Iceberg table back through iceberg-go and
// says how it differs from the mart in the warehouse.
func icebergDiffs(t *testing.T, dir string) []string {
	t.Helper()
	var diffs []string
	for _, e := range feed.Exported {
		if d := icebergDiff(t, dir, e.Mart); d != "" {
			diffs = append(diffs, d)
		}
	}
	return diffs
}

// icebergDiff reads a mart's Iceberg table back through iceberg-go and
// says how it differs from the mart in the warehouse, as DuckDB compares
// them: nothing when the rows are the same.
func icebergDiff(t *testing.T, dir, mart string) string {
	t.Helper()
	ctx := context.Background()
	cat, err := hadoop.NewCatalog("test", filepath.Join(dir, "iceberg"), iceberg.Properties{})
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := cat.LoadTable(ctx, table.Identifier{feed.Namespace, mart})
	if err != nil {
		t.Fatal(err)
	}
	at, err := tbl.Scan().ToArrowTable(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer at.Release()
	back := filepath.Join(t.TempDir(), mart+".parquet")
	f, err := os.Create(back)
	if err != nil {
		t.Fatal(err)
	}
	if err := pqarrow.WriteTable(at, f, 4096, nil, pqarrow.DefaultWriterProps()); err != nil {
		t.Fatal(err)
	}
	f.Close()
	q := fmt.Sprintf(`SELECT (SELECT count(*) FROM (SELECT * FROM read_parquet('%[1]s') EXCEPT ALL SELECT * FROM marts.%[2]s))
		+ (SELECT count(*) FROM (SELECT * FROM marts.%[2]s EXCEPT ALL SELECT * FROM read_parquet('%[1]s')))
		+ (SELECT count(*) = 0 FROM marts.%[2]s)::INT`, back, mart)
	if n := queryInt(t, filepath.Join(dir, "warehouse.duckdb"), q); n != 0 {
		return fmt.Sprintf("the Iceberg table %s differs from marts.%s in %d rows (or the mart is empty)", mart, mart, n)
	}
	return ""
}
