package ingest

import (
	"fmt"
	"regexp"
	"strings"

	"coxswain"
	"coxswain/pipelines/presets"
	"coxswain/pipelines/warehouse"
)

// column is how one column of a file is read and stored.
type column struct {
	header   string // as written in the file
	name     string // the raw table's column: the header, made unique
	field    string // the canonical field it feeds, if any
	readType string // the type DuckDB's reader is told: declared, never sniffed
	rawType  string // the type stored in the raw layer
	// expr turns the read value into the stored one.
	expr string
	// datetime columns are read as text and converted in SQL: DuckDB's reader
	// turns an unparsable TIMESTAMPTZ into NULL without rejecting the row,
	// and reading as TIMESTAMP drops a UTC offset. TRY_CAST in SQL honours
	// offsets, reads zone-less values in the session zone (the source's), and
	// lets the loader quarantine what did not parse.
	datetime bool
	// widen turns the raw table's column into text before the load: it was
	// typed by an earlier drop (BOOLEAN), and now feeds a flag mapped from
	// its values, which are read as written.
	widen bool
}

// filePlan is how one file is loaded: its columns, in file order.
type filePlan struct {
	object   coxswain.Object
	columns  []column
	unmapped []string // canonical fields with no column in this file
	kind     string   // the kind of record it holds, where its object has kinds
	// alternates says, for each field read from another than the first of
	// its alternative columns, which one: field: "column".
	alternates []string
}

// MissingColumnError is a file that lacks a column its preset requires.
type MissingColumnError struct {
	Object  coxswain.Object
	Field   string
	Tried   []string
	Preset  string
	Found   []string
	FileKey string // the source key, for the hint
}

func (e *MissingColumnError) Error() string {
	return fmt.Sprintf("required column for %s.%s not found (looked for %s; preset %s); the file's columns are: %s",
		e.Object, e.Field, quoteList(e.Tried), e.Preset, headerList(e.Found))
}

// Advice says what to do about it.
func (e *MissingColumnError) Advice() string {
	return fmt.Sprintf("if the column has another name in your export, map it in the config: %s.fields: {%s.%s: YOUR_COLUMN}", e.FileKey, e.Object, e.Field)
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, " or ")
}

// planFile maps a file's header onto the object's canonical fields. existing
// holds the raw table's columns (lower-cased name to type) when it exists,
// so that a later drop is stored in the types the table already has.
func planFile(om presets.ObjectMapping, m *presets.Mapping, header []string, existing map[string]warehouse.RawColumn, sourceKey string) (*filePlan, error) {
	p := &filePlan{object: om.Object, kind: om.KindOf(header)}
	index := map[string]int{}
	for i, h := range header {
		if _, dup := index[presets.NormHeader(h)]; !dup {
			index[presets.NormHeader(h)] = i
		}
	}
	fieldOf := map[int]presets.Column{}
	for _, c := range om.Columns {
		found := false
		for k, n := range c.Names {
			if i, ok := index[presets.NormHeader(n)]; ok {
				if _, taken := fieldOf[i]; !taken {
					fieldOf[i] = c
				}
				if k > 0 {
					p.alternates = append(p.alternates, fmt.Sprintf("%s: %q", c.Field.Name, header[i]))
				}
				found = true
				break
			}
		}
		if !found {
			if c.Field.Required {
				return nil, &MissingColumnError{Object: om.Object, Field: c.Field.Name, Tried: c.Names, Preset: m.Preset.Name, Found: header, FileKey: sourceKey}
			}
			p.unmapped = append(p.unmapped, c.Field.Name)
		}
	}

	used := map[string]bool{}
	for i, h := range header {
		name := h
		if name == "" {
			name = fmt.Sprintf("column_%d", i+1)
		}
		base := name
		for n := 2; used[strings.ToLower(name)] || warehouse.Bookkeeping(name); n++ { // the raw table's own columns
			name = fmt.Sprintf("%s_%d", base, n) // HubSpot headers can repeat
		}
		used[strings.ToLower(name)] = true

		col := column{header: h, name: name, readType: "VARCHAR", rawType: "VARCHAR", expr: warehouse.QuoteIdent(name)}
		if f, ok := fieldOf[i]; ok {
			col.field = f.Field.Name
			col.readType, col.rawType = f.Type.DuckDBType(), f.Type.DuckDBType()
			if f.Type == presets.Timestamp {
				col.datetime, col.readType = true, "VARCHAR"
				col.expr = datetimeExpr(warehouse.QuoteIdent(name), m)
			}
		}
		if ex, ok := existing[strings.ToLower(name)]; ok && ex.Type != col.rawType && col.rawType == "VARCHAR" && len(fieldOf[i].Values) > 0 {
			col.widen = true
		} else if ok && ex.Type != col.rawType {
			// Keep the raw layer's type: it was declared by the first load.
			col.expr = fmt.Sprintf("CAST(%s AS %s)", col.expr, ex.Type)
			col.rawType = ex.Type
		}
		p.columns = append(p.columns, col)
	}
	return p, nil
}

// datetimeExpr converts a text datetime to an instant. Zone-less values are
// read in the source's zone: the load connection's TimeZone is set to it.
// A format with a zone (%z, %Z) reads an instant already: putting it in the
// source's zone would turn it back into a wall-clock time, which a DST
// change's repeated hour makes ambiguous (an hour off).
func datetimeExpr(col string, m *presets.Mapping) string {
	if f := m.Source.Formats.Timestamp; f != "" {
		if zoneDirective.MatchString(f) {
			return fmt.Sprintf("TRY_STRPTIME(%s, %s)", col, warehouse.QuoteString(f))
		}
		return fmt.Sprintf("timezone(%s, TRY_STRPTIME(%s, %s))", warehouse.QuoteString(m.Timezone), col, warehouse.QuoteString(f))
	}
	// TRY around TRY_CAST: DuckDB's zone conversion raises, even in a
	// TRY_CAST, on a zone-less value at the very ends of its range
	// (294247-01-10 in a zone behind UTC), which would stop the whole drop
	// instead of quarantining the row.
	return fmt.Sprintf("TRY(TRY_CAST(%s AS TIMESTAMPTZ))", col)
}

// zoneDirective finds a strptime %z or %Z (not a literal %%z).
var zoneDirective = regexp.MustCompile(`(^|[^%])(%%)*%[zZ]`)
