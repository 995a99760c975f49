package warehouse

import (
	"context"
	"database/sql"
	"strings"

	"coxswain"
)

// The raw layer's conventions, shared by the loader that writes it
// (pipelines/ingest) and the staging views that read it (pipelines/staging).
// Each raw table has these bookkeeping columns beside the file's own.
const (
	ColDrop    = "_drop_id"        // the drop the row came in (meta.drops)
	ColFile    = "_file_id"        // the file (meta.files)
	ColInvalid = "_invalid_column" // names the datetime that did not parse; the row is then quarantined
)

// RawTable names the raw table of a source's object: raw."crm__lead".
func RawTable(source string, obj coxswain.Object) string {
	return "raw." + QuoteIdent(source+"__"+string(obj))
}

// RawColumn is a column of an existing raw table, with its DuckDB type as
// duckdb_columns() names it.
type RawColumn struct {
	Name, Type string
}

// Queryer is what reading a warehouse's catalog takes: a connection or a
// database, read-only or not.
type Queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// RawColumns lists the columns of a source's raw table of obj, keyed by
// their lower-cased name; none when nothing was loaded yet.
func RawColumns(ctx context.Context, q Queryer, source string, obj coxswain.Object) (map[string]RawColumn, error) {
	rows, err := q.QueryContext(ctx, `SELECT column_name, data_type FROM duckdb_columns() WHERE schema_name = 'raw' AND table_name = ?`, source+"__"+string(obj))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols := map[string]RawColumn{}
	for rows.Next() {
		var c RawColumn
		if err := rows.Scan(&c.Name, &c.Type); err != nil {
			return nil, err
		}
		cols[strings.ToLower(c.Name)] = c
	}
	return cols, rows.Err()
}

// HasColumn says whether the table schema.name has the column: the
// marts of an earlier release lack the newer ones until its next build.
func HasColumn(ctx context.Context, q Queryer, schema, name, column string) (bool, error) {
	rows, err := q.QueryContext(ctx, `SELECT 1 FROM duckdb_columns() WHERE schema_name = ? AND table_name = ? AND column_name = ?`, schema, name, column)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	return rows.Next(), rows.Err()
}

// HasTable says whether the warehouse has the table schema.name: a
// warehouse of an earlier release lacks the newer ones until its next
// build.
func HasTable(ctx context.Context, q Queryer, schema, name string) (bool, error) {
	rows, err := q.QueryContext(ctx, `SELECT 1 FROM duckdb_tables() WHERE schema_name = ? AND table_name = ?`, schema, name)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	return rows.Next(), rows.Err()
}
