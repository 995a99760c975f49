package models

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"

	"coxswain/pipelines/warehouse"
)

// A build writes each model's table beside the one the reports read, under
// its next name, and commits it; one short transaction at the end (swap)
// puts every table in place at once. So the reports read the tables of
// one build, and a build that fails, or is killed, leaves them as they
// were: what it wrote is dropped, then or by the next build.
//
// Before, every model was built inside one transaction. DuckDB does not
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
// beside the ones in place (ids, "layer.name") into their next names. Only
// code is rewritten (see code): a test's message that names marts.kpis
// still says so. A column qualified by a model's bare name (params.as_of)
// would no longer find its table: the SQL aliases the models it reads.
func nextRefs(query string, ids map[string]bool) string {
	var b strings.Builder
	for _, seg := range segments(query) {
		if !seg.code {
			b.WriteString(seg.text)
			continue
		}
		b.WriteString(refRe.ReplaceAllStringFunc(seg.text, func(ref string) string {
			if ids[strings.ToLower(ref)] {
				return ref + nextSuffix
			}
			return ref
		}))
	}
	return b.String()
}

// code is query without its string literals, quoted identifiers and
// comments, each replaced by a space: the text in which a model's
// references are found (Load) and rewritten (nextRefs).
func code(query string) string {
	var b strings.Builder
	for _, seg := range segments(query) {
		if seg.code {
			b.WriteString(seg.text)
		} else {
			b.WriteByte(' ')
		}
	}
	return b.String()
}

// segment is a piece of a query: code, or a literal, quoted identifier or
// comment.
type segment struct {
	text string
	code bool
}

// segments splits query into code and the rest, as DuckDB reads it:
// 'literals' (a doubled quote is two literals back to back, which comes to
// the same), E'literals' with backslash escapes, $$dollar-quoted$$ and
// $tag$dollar-quoted$tag$ literals, "quoted identifiers", -- line comments,
// and /* block comments */, which nest. Quoted identifiers are never
// rewritten: the SQL names the models unquoted (TestNextRefs_EverySQL checks
// it with DuckDB's own parser).
func segments(query string) []segment {
	var segs []segment
	from := 0 // the start of the code not yet cut
	cut := func(start, end int) {
		if start > from {
			segs = append(segs, segment{query[from:start], true})
		}
		segs = append(segs, segment{query[start:end], false})
		from = end
	}
	for i := 0; i < len(query); {
		end := -1 // the end of the literal or comment starting at i
		switch rest := query[i:]; {
		case rest[0] == '\'' && i > 0 && (query[i-1] == 'E' || query[i-1] == 'e') && (i == 1 || !isWord(query[i-2])):
			end = closing(query, i+1, func(j int) (int, bool) {
				switch query[j] {
				case '\\':
					return j + 2, false
				case '\'':
					return j + 1, true
				}
				return j + 1, false
			})
		case rest[0] == '\'' || rest[0] == '"':
			q := rest[0]
			end = closing(query, i+1, func(j int) (int, bool) { return j + 1, query[j] == q })
		case strings.HasPrefix(rest, "--"):
			end = closing(query, i+2, func(j int) (int, bool) { return j + 1, query[j] == '\n' })
		case strings.HasPrefix(rest, "/*"):
			depth := 1
			end = closing(query, i+2, func(j int) (int, bool) {
				switch {
				case strings.HasPrefix(query[j:], "/*"):
					depth++
					return j + 2, false
				case strings.HasPrefix(query[j:], "*/"):
					depth--
					return j + 2, depth == 0
				}
				return j + 1, false
			})
		case rest[0] == '$' && (i == 0 || !isWord(query[i-1])):
			if tag := dollarTag.FindString(rest); tag != "" {
				if k := strings.Index(rest[len(tag):], tag); k >= 0 {
					end = i + len(tag) + k + len(tag)
				} else {
					end = len(query)
				}
			}
		}
		if end < 0 {
			i++
			continue
		}
		cut(i, end)
		i = end
	}
	if from < len(query) {
		segs = append(segs, segment{query[from:], true})
	}
	return segs
}

// dollarTag is the opening of a dollar-quoted literal: $$ or $tag$.
var dollarTag = regexp.MustCompile(`^\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$`)

// closing steps through query from j with step, which returns where the
// next step starts and whether the literal or comment closed; it returns
// the end of the literal or comment, or the end of query.
func closing(query string, j int, step func(j int) (int, bool)) int {
	for j < len(query) {
		next, closed := step(j)
		if closed {
			return min(next, len(query))
		}
		j = next
	}
	return len(query)
}

func isWord(c byte) bool {
	return c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// dropLeftovers drops what a build wrote before its swap: at the start of
// a build, what a killed one left; after a failed one, what it wrote.
func dropLeftovers(ctx context.Context, conn *sql.Conn) error {
	names, err := warehouse.Strings(ctx, conn, `SELECT schema_name || '.' || table_name FROM duckdb_tables()
		WHERE database_name = current_database() AND schema_name IN ('intermediate', 'marts') AND suffix(table_name, ?)
		ORDER BY ALL`, nextSuffix)
	if err != nil {
		return err
	}
	for _, name := range names {
		if _, err := conn.ExecContext(ctx, `DROP TABLE IF EXISTS `+name); err != nil {
			return fmt.Errorf("dropping what an earlier build left: %w", err)
		}
	}
	return nil
}
