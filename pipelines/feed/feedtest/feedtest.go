//go:build !noiceberg

// Package feedtest reads the Iceberg feed's tables back through iceberg-go,
// for the tests of the feed and of the builds that write it.
package feedtest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/apache/iceberg-go"
	"github.com/apache/iceberg-go/catalog/hadoop"
	"github.com/apache/iceberg-go/table"
)

// Load loads a table of the filesystem catalog in dir.
func Load(t testing.TB, dir string, ident ...string) *table.Table {
	t.Helper()
	cat, err := hadoop.NewCatalog("test", dir, iceberg.Properties{})
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := cat.LoadTable(context.Background(), table.Identifier(ident))
	if err != nil {
		t.Fatal(err)
	}
	return tbl
}

// ReadBack reads the table (as of the snapshot, or the current one for 0)
// through iceberg-go and writes its rows to a Parquet file, whose path it
// returns, for DuckDB to compare with what they should be.
func ReadBack(t testing.TB, tbl *table.Table, snapshot int64) string {
	t.Helper()
	var opts []table.ScanOption
	if snapshot != 0 {
		opts = append(opts, table.WithSnapshotID(snapshot))
	}
	at, err := tbl.Scan(opts...).ToArrowTable(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer at.Release()
	back := filepath.Join(t.TempDir(), "read-back.parquet")
	f, err := os.Create(back)
	if err != nil {
		t.Fatal(err)
	}
	// WriteTable closes the file when it is done.
	if err := pqarrow.WriteTable(at, f, 4096, nil, pqarrow.DefaultWriterProps()); err != nil {
		t.Fatal(err)
	}
	return back
}
