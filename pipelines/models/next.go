package models

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// A build writes each model's table beside the one the reports read, under
// its next name, and commits it; one short transaction at the end (swap)
// puts every table in place at once. So the reports read the tables of
// one build, and a build that fails, or is killed, leaves them as they
// were: what it wrote is dropped, then or by the next build.
//
// The models were built inside that transaction before. DuckDB does not
// count the rows of a table created in an open transaction: its optimizer
// takes it for empty, hashes the wrong side of a join and reads it slowly
// (a data test joining ten million activities took 6.6 s in place of 1.0).
// A committed table carries its row count.
//
// An incremental model is the exception: copying it whole beside itself
// would cost what bringing it up to date saves. It is changed in place, in
// a transaction of its own that records its state as pending; the swap
// confirms the state. A model whose state is still pending when the next
// build starts was changed by a build whose other models never took
// place: the tables it compares are not the ones it was built with, so
// that build rebuilds it whole. No report reads it.
const nextSuffix = "__next"

// pending marks the state of an incremental model changed by a build that
// has not put its models in place yet.
const pending = "pending "

// next is the name model (or runner table) id is built under.
func next(id string) string { return id + nextSuffix }

// nextRefs rewrites the references of query to the tables a build makes
// beside the ones in place (ids, "layer.name") into their next names. String literals, quoted
// identifiers and comments are left as they are: a test's message that
// names marts.kpis still says so.
func nextRefs(query string, ids map[string]bool) string {
	var b strings.Builder
	code := func(s string) {
		b.WriteString(refRe.ReplaceAllStringFunc(s, func(ref string) string {
			if ids[strings.ToLower(ref)] {
				return ref + nextSuffix
			}
			return ref
		}))
	}
	from := 0 // the start of the code not yet written
	for i := 0; i < len(query); i++ {
		var open, end string // what opens and closes the literal or comment at i
		switch {
		case query[i] == '\'' || query[i] == '"':
			open, end = query[i:i+1], query[i:i+1]
		case strings.HasPrefix(query[i:], "--"):
			open, end = "--", "\n"
		case strings.HasPrefix(query[i:], "/*"):
			open, end = "/*", "*/"
		default:
			continue
		}
		code(query[from:i])
		// A doubled quote inside a literal is two literals back to back,
		// which comes to the same.
		j := strings.Index(query[i+len(open):], end)
		if j < 0 {
			j = len(query)
		} else {
			j += i + len(open) + len(end)
		}
		b.WriteString(query[i:j])
		from, i = j, j-1
	}
	code(query[from:])
	return b.String()
}

// leftSuffixes are the endings of the tables a build writes before its
// swap.
var leftSuffixes = []string{nextSuffix}

// dropLeftovers drops what a build wrote before its swap: at the start of
// a build, what a killed one left; after a failed one, what it wrote.
func dropLeftovers(ctx context.Context, conn *sql.Conn) error {
	var ends []string
	for _, s := range leftSuffixes {
		ends = append(ends, fmt.Sprintf("suffix(table_name, '%s')", s))
	}
	rows, err := conn.QueryContext(ctx, fmt.Sprintf(`
		SELECT 'TABLE', schema_name, table_name FROM duckdb_tables()
		WHERE database_name = current_database() AND schema_name IN ('intermediate', 'marts') AND (%s)
		ORDER BY schema_name, table_name`, strings.Join(ends, " OR ")))
	if err != nil {
		return err
	}
	var drops []string
	for rows.Next() {
		var kind, schema, name string
		if err := rows.Scan(&kind, &schema, &name); err != nil {
			rows.Close()
			return err
		}
		drops = append(drops, fmt.Sprintf(`DROP %s IF EXISTS %s.%s`, kind, schema, name))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for _, q := range drops {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("dropping what an earlier build left: %w", err)
		}
	}
	return nil
}
