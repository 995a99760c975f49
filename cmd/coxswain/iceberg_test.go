//go:build !noiceberg

package main

import (
	"fmt"
	"path/filepath"
	"testing"

	"coxswain/pipelines/feed"
	"coxswain/pipelines/feed/feedtest"
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
	back := feedtest.ReadBack(t, feedtest.Load(t, filepath.Join(dir, "iceberg"), feed.Namespace, mart), 0)
	q := fmt.Sprintf(`SELECT (SELECT count(*) FROM (SELECT * FROM read_parquet('%[1]s') EXCEPT ALL SELECT * FROM marts.%[2]s))
		+ (SELECT count(*) FROM (SELECT * FROM marts.%[2]s EXCEPT ALL SELECT * FROM read_parquet('%[1]s')))
		+ (SELECT count(*) = 0 FROM marts.%[2]s)::INT`, back, mart)
	if n := queryInt(t, filepath.Join(dir, "warehouse.duckdb"), q); n != 0 {
		return fmt.Sprintf("the Iceberg table %s differs from marts.%s in %d rows (or the mart is empty)", mart, mart, n)
	}
	return ""
}
