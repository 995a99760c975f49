package warehouse

import (
	"context"
	"database/sql"
	"sort"
	"strings"

	"coxswain"
)

// The raw layer's conventions, shared by the loader that writes it
// (pipelines/ingest) and the staging views that read it (pipelines/staging).
// Each raw table has these bookkeeping columns beside the file's own.
//
// A raw table is the history of its records as versions (slowly changing
// dimension, type 2): a row is one version of a record, valid from the drop
// it came in (ColDrop) until the drop that changed or deleted the record
// (ColValidTo, NULL while it is current). A drop that repeats a record's
// current content stores nothing new: for an incremental source it only
// notes the file that last delivered it (ColSeenFile).
const (
	ColDrop     = "_drop_id"        // the drop the version came in (meta.drops): valid from
	ColFile     = "_file_id"        // the file it came in (meta.files)
	ColInvalid  = "_invalid_column" // names the datetime that did not parse; the row is then quarantined
	ColHash     = "_hash"           // hash of the row's own columns: equal content, equal hash
	ColValidTo  = "_valid_to"       // the drop that changed or deleted the record; NULL: current
	ColSeenFile = "_seen_file"      // incremental sources: the last file that delivered this content, if not ColFile
)

// Bookkeeping says whether a raw column is one of the loader's own.
func Bookkeeping(name string) bool {
	switch strings.ToLower(name) {
	case ColDrop, ColFile, ColInvalid, ColHash, ColValidTo, ColSeenFile:
		return true
	}
	return false
}

// HashExpr is the content hash of a raw row: DuckDB's hash() of the row's
// own columns, in name order, each given by value (an expression whose
// type is the column's, or NULL of it). The loader hashes the rows it
// inserts with it and the history compares those hashes, so the order of
// the columns in the table, or of their adding, never matters.
func HashExpr(cols map[string]RawColumn, value func(RawColumn) string) string {
	names := make([]string, 0, len(cols))
	for n, c := range cols {
		if !Bookkeeping(c.Name) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	args := make([]string, len(names))
	for i, n := range names {
		args[i] = value(cols[n])
	}
	return "hash(" + strings.Join(args, ", ") + ")"
}

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

// Strings runs query on q and returns the values of its one text column,
// in the order it gives them.
func Strings(ctx context.Context, q Queryer, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
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
