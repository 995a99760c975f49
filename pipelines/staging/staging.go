// Package staging generates the staging layer: for each source and object a
// view over its raw table that renames and casts the columns into the
// canonical fields and keeps the current state of each record, and the
// views that unite the sources. The SQL comes from the template
// sql/staging/source_view.sql.
package staging

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"strings"
	"text/template"

	"coxswain"
	"coxswain/pipelines/presets"
	"coxswain/pipelines/warehouse"
)

// Staging is the canonical layer the models read, as views over the raw
// tables (dbt's staging convention: rename and cast, nothing more). For each
// source and object there is staging."<source>__<objects>", holding the
// current state of each record: the row from the latest drop that has it,
// and for a full-snapshot source only the records of the object's latest
// drop (a record missing from it was deleted). staging.<objects> unites the
// sources. Because they are views, a change of field mapping in the config
// takes effect at the next build without reloading anything.

// stagingMeta are the columns staging adds in front of the canonical fields.
var stagingMeta = []struct{ name, typ string }{
	{"source", "VARCHAR"}, {"drop_id", "INTEGER"}, {"drop_name", "VARCHAR"}, {"source_file", "VARCHAR"},
}

// keyColumns are the record keys staging adds after the canonical fields:
// for each id field, its value prefixed with the source ("crm:00Q..."), so
// that records of two sources whose ids collide never join or count as one.
// id becomes key; x_id becomes x_key. Every join and distinct count of the
// models uses these.
func keyColumns(obj coxswain.Object) (keys []struct{ name, field string }) {
	for _, f := range presets.Schema[obj] {
		if f.Type != presets.ID || strings.HasPrefix(f.Name, "crm_") {
			continue // a CRM's id in another tool is joined by the identity rule, not by key
		}
		name := "key"
		if f.Name != "id" {
			name = strings.TrimSuffix(f.Name, "_id") + "_key"
		}
		keys = append(keys, struct{ name, field string }{name, f.Name})
	}
	return keys
}

// listKeyColumns are the key lists of an object's associations: who_ids
// becomes who_keys.
func listKeyColumns(obj coxswain.Object) (keys []struct{ name, field string }) {
	for _, f := range presets.Associations[obj] {
		keys = append(keys, struct{ name, field string }{strings.TrimSuffix(f, "_id") + "_keys", presets.ListName(f)})
	}
	return keys
}

// Refresh recreates every staging view from the raw tables and the
// sources' current mappings, in one transaction.
func Refresh(ctx context.Context, conn *sql.Conn, cfg *coxswain.Config, mappings []*presets.Mapping) error {
	return warehouse.InTransaction(ctx, conn, func() error { return refreshViews(ctx, conn, cfg, mappings) })
}

func refreshViews(ctx context.Context, conn *sql.Conn, cfg *coxswain.Config, mappings []*presets.Mapping) error {
	old, err := warehouse.Strings(ctx, conn, `SELECT view_name FROM duckdb_views() WHERE schema_name = 'staging' AND NOT internal`)
	if err != nil {
		return err
	}
	for _, v := range old {
		if _, err := conn.ExecContext(ctx, "DROP VIEW staging."+warehouse.QuoteIdent(v)); err != nil {
			return err
		}
	}

	views, err := Views(ctx, conn, cfg, mappings)
	if err != nil {
		return err
	}
	for _, v := range views {
		if _, err := conn.ExecContext(ctx, "CREATE VIEW "+v.Name+" AS\n"+v.SQL); err != nil {
			return fmt.Errorf("%s: %w", v.Name, err)
		}
	}
	return nil
}

// View is a staging view: its qualified name and its SELECT.
type View struct{ Name, SQL string }

// Views generates the staging views for the raw tables the
// warehouse has, in the order they must be created: each source's view of
// each object, then the views that unite the sources. coxswain build
// --print-sql prints them.
func Views(ctx context.Context, q warehouse.Queryer, cfg *coxswain.Config, mappings []*presets.Mapping) ([]View, error) {
	var views []View
	var unknown, versions []string
	perObject := map[coxswain.Object][]string{}
	for _, m := range mappings {
		for _, obj := range coxswain.Objects {
			om, ok := m.Objects[obj]
			if !ok {
				continue
			}
			cols, err := warehouse.RawColumns(ctx, q, m.Source.Name, obj)
			if err != nil {
				return nil, err
			}
			if len(cols) == 0 {
				continue // nothing loaded yet
			}
			name := "staging." + warehouse.QuoteIdent(m.Source.Name+"__"+obj.Plural())
			views = append(views, View{name, sourceView(cfg, m, om, cols)})
			perObject[obj] = append(perObject[obj], name)
			versions = append(versions, recordVersions(m, om, cols))
			if hasUnknownValues(om) {
				unknown = append(unknown, fmt.Sprintf("SELECT source, %s AS object, key, unnest(unknown_values) AS value FROM %s WHERE len(unknown_values) > 0",
					warehouse.QuoteString(string(obj)), name))
			}
		}
	}
	for _, obj := range coxswain.Objects {
		var body string
		if names := perObject[obj]; len(names) > 0 {
			var parts []string
			for _, v := range names {
				parts = append(parts, "SELECT * FROM "+v)
			}
			body = strings.Join(parts, "\nUNION ALL BY NAME\n")
		} else {
			var cols []string
			for _, c := range stagingMeta {
				cols = append(cols, "NULL::"+c.typ+" AS "+c.name)
			}
			for _, f := range presets.Schema[obj] {
				cols = append(cols, "NULL::"+f.Type.DuckDBType()+" AS "+warehouse.QuoteIdent(f.Name))
			}
			for _, d := range derived[obj] {
				cols = append(cols, "NULL::"+d.typ+" AS "+d.name)
			}
			for _, f := range presets.Associations[obj] {
				cols = append(cols, "NULL::VARCHAR[] AS "+warehouse.QuoteIdent(presets.ListName(f)))
			}
			for _, k := range keyColumns(obj) {
				cols = append(cols, "NULL::VARCHAR AS "+k.name)
			}
			for _, k := range listKeyColumns(obj) {
				cols = append(cols, "NULL::VARCHAR[] AS "+k.name)
			}
			body = "SELECT " + strings.Join(cols, ", ") + " WHERE false"
		}
		views = append(views, View{"staging." + obj.Plural(), body})
	}
	// The records of the current state whose value-mapped column holds a
	// value no list names ("is_won: deleted"): a flag left empty, not guessed.
	body := `SELECT NULL::VARCHAR AS source, NULL::VARCHAR AS object, NULL::VARCHAR AS key, NULL::VARCHAR AS value WHERE false`
	if len(unknown) > 0 {
		body = strings.Join(unknown, "\nUNION ALL\n")
	}
	views = append(views, View{"staging.unknown_values", body})
	body = `SELECT NULL::VARCHAR AS source, NULL::VARCHAR AS object, NULL::VARCHAR AS key, NULL::INTEGER AS valid_from, NULL::INTEGER AS valid_to, NULL::INTEGER AS seen_file WHERE false`
	if len(versions) > 0 {
		body = strings.Join(versions, "\nUNION ALL\n")
	}
	views = append(views, View{"staging.record_versions", body})
	return views, nil
}

// recordVersions is the part of staging.record_versions for one source's
// object: every version its raw table holds, current or not, by the
// record's key as staging keys it, with the drop it came in (valid_from),
// the drop that closed it (valid_to) and the last file that repeated it
// (seen_file). An incremental model reads from it which records the drops
// since its last build changed.
func recordVersions(m *presets.Mapping, om presets.ObjectMapping, cols map[string]warehouse.RawColumn) string {
	seen := "NULL::INTEGER"
	if _, ok := cols[warehouse.ColSeenFile]; ok {
		seen = "r." + warehouse.ColSeenFile
	}
	validTo := "NULL::INTEGER"
	if _, ok := cols[warehouse.ColValidTo]; ok {
		validTo = "r." + warehouse.ColValidTo
	}
	return fmt.Sprintf("SELECT %s AS source, %s AS object, %s || (%s) AS key, r.%s AS valid_from, %s AS valid_to, %s AS seen_file FROM %s r",
		warehouse.QuoteString(m.Source.Name), warehouse.QuoteString(string(om.Object)), warehouse.QuoteString(m.Source.Name+":"),
		RecordID(m, om, cols), warehouse.ColDrop, validTo, seen, warehouse.RawTable(m.Source.Name, om.Object))
}

// sourceView is the SELECT of one source's staging view of one object.
func sourceView(cfg *coxswain.Config, m *presets.Mapping, om presets.ObjectMapping, cols map[string]warehouse.RawColumn) string {
	byHeader := columnsByHeader(cols)
	// A field with alternative columns reads, in each row, the first of
	// them that its file had and filled: the raw table unites the columns
	// of every file of the object, and a file lacking one has NULL in it.
	exprs := map[string]string{}
	var unknown []string // per value-mapped column: "field: value" when no list names it
	for _, c := range om.Columns {
		var alts, lists []string
		for _, rc := range columnsOf(c, byHeader) {
			alts = append(alts, fieldExpr(cfg, m, c, rc))
			if c.Type == presets.IDList {
				lists = append(lists, "list_distinct(id_list("+textOf(rc)+"))") // an id listed twice is one association
			}
		}
		if len(alts) > 0 {
			exprs[c.Field.Name] = coalesce(alts)
		}
		if len(c.Values) > 0 && len(c.Not) > 0 {
			for _, n := range c.Names {
				if rc, ok := byHeader[presets.NormHeader(n)]; ok {
					v := "lower(trim(" + textOf(rc) + "))"
					unknown = append(unknown, fmt.Sprintf("CASE WHEN nullif(%s, '') IS NOT NULL AND %s NOT IN (%s, %s) THEN %s || ': ' || trim(%s) END",
						v, v, sqlList(c.Values), sqlList(c.Not), warehouse.QuoteString(c.Field.Name), textOf(rc)))
				}
			}
		}
		if len(lists) > 0 {
			exprs[presets.ListName(c.Field.Name)] = coalesce(lists)
		}
	}
	if om.Object == coxswain.Opportunity {
		stageFlags(m.Stages, exprs)
	}
	if om.Object == coxswain.Activity {
		activityTypes(m, exprs)
	}

	v := stagingView{Source: m.Source.Name, Object: string(om.Object), Raw: warehouse.RawTable(m.Source.Name, om.Object), Snapshot: m.Snapshot}
	for _, f := range presets.Schema[om.Object] {
		e, ok := exprs[f.Name]
		switch {
		case !ok && f.Name == "is_deleted":
			e = "false"
		case !ok && f.Name == "kind":
			e = "f.kind" // told by the file's header at load
		case !ok:
			e = "NULL::" + f.Type.DuckDBType()
		case f.Name == "is_deleted":
			e = "coalesce(" + e + ", false)"
		}
		v.Fields = append(v.Fields, stagingField{Name: f.Name, Expr: e})
	}
	for _, d := range derived[om.Object] {
		v.Fields = append(v.Fields, stagingField{Name: d.name, Expr: exprs[d.name]})
	}
	if hasUnknownValues(om) {
		e := "[]::VARCHAR[]"
		if len(unknown) > 0 {
			e = "list_filter([" + strings.Join(unknown, ", ") + "], x -> x IS NOT NULL)"
		}
		v.Fields = append(v.Fields, stagingField{Name: "unknown_values", Expr: e})
	}
	for _, f := range presets.Associations[om.Object] {
		e, ok := exprs[presets.ListName(f)]
		if !ok {
			e = "NULL::VARCHAR[]"
		}
		v.Fields = append(v.Fields, stagingField{Name: presets.ListName(f), Expr: e})
	}
	for _, k := range keyColumns(om.Object) {
		v.Keys = append(v.Keys, stagingKey{Name: k.name, Field: k.field})
	}
	for _, k := range listKeyColumns(om.Object) {
		v.ListKeys = append(v.ListKeys, stagingKey{Name: k.name, Field: k.field})
	}
	var b strings.Builder
	if err := stagingTemplate.Execute(&b, v); err != nil {
		panic(err) // the template is embedded and its data is ours: a bug, not an input error
	}
	return b.String()
}

// columnsByHeader keys a raw table's columns by their normalised header.
// Columns that differ only in spacing ("First Name", "First  Name") match
// the same alias: the first by name wins, whatever map order says.
func columnsByHeader(cols map[string]warehouse.RawColumn) map[string]warehouse.RawColumn {
	names := make([]string, 0, len(cols))
	for n := range cols {
		names = append(names, n)
	}
	sort.Strings(names)
	byHeader := map[string]warehouse.RawColumn{}
	for _, n := range names {
		if _, dup := byHeader[presets.NormHeader(cols[n].Name)]; !dup {
			byHeader[presets.NormHeader(cols[n].Name)] = cols[n]
		}
	}
	return byHeader
}

// columnsOf are the raw columns a preset column can be read from, in the
// order of its names: a field with alternative columns reads, in each row,
// the first of them that its file had and filled.
func columnsOf(c presets.Column, byHeader map[string]warehouse.RawColumn) []warehouse.RawColumn {
	var found []warehouse.RawColumn
	seen := map[string]bool{}
	for _, n := range c.Names {
		if rc, ok := byHeader[presets.NormHeader(n)]; ok && !seen[rc.Name] {
			seen[rc.Name] = true
			found = append(found, rc)
		}
	}
	return found
}

// RecordID is a raw row's record id as staging reads it, over the raw
// table aliased r: the first of the id's columns the row has, normalised
// (Salesforce's 15-character ids extended). The loader keys the history's
// versions by it. "NULL::VARCHAR" when the table has none of the columns.
func RecordID(m *presets.Mapping, om presets.ObjectMapping, cols map[string]warehouse.RawColumn) string {
	byHeader := columnsByHeader(cols)
	for _, c := range om.Columns {
		if c.Field.Name != "id" {
			continue
		}
		var alts []string
		for _, rc := range columnsOf(c, byHeader) {
			alts = append(alts, fieldExpr(nil, m, c, rc))
		}
		if len(alts) > 0 {
			return coalesce(alts)
		}
	}
	return "NULL::VARCHAR"
}

// stagingView is what sql/staging/source_view.sql is filled with.
type stagingView struct {
	Source, Object, Raw string
	Snapshot            bool
	Fields              []stagingField
	Keys                []stagingKey
	ListKeys            []stagingKey // an association's list of keys, from its list of ids
}

type stagingField struct{ Name, Expr string }
type stagingKey struct{ Name, Field string }

// stagingTemplate is sql/staging/source_view.sql, with quote (a SQL string
// literal) and ident (a quoted identifier).
var stagingTemplate = template.Must(template.New("source_view.sql").Funcs(template.FuncMap{
	"quote": warehouse.QuoteString,
	"ident": warehouse.QuoteIdent,
}).ParseFS(coxswain.SQL, "sql/staging/source_view.sql"))

// fieldExpr normalises a raw column into a canonical field.
func fieldExpr(cfg *coxswain.Config, m *presets.Mapping, c presets.Column, rc warehouse.RawColumn) string {
	q := "r." + warehouse.QuoteIdent(rc.Name)
	text := textOf(rc)
	want := c.Field.Type.DuckDBType()
	if len(c.Values) > 0 {
		return valuesFlag(text, c)
	}
	switch c.Field.Type {
	case presets.ID:
		switch {
		case c.Type == presets.IDList:
			return "first_id(" + text + ")"
		case strings.HasPrefix(c.Field.Name, "crm_"):
			return "crm_id(" + text + ")" // a CRM's id in another tool's export
		case m.Preset.IDs == presets.SalesforceIDs:
			return "sf_id(" + text + ")"
		}
		return "plain_id(" + text + ")"
	case presets.Text, presets.IDList:
		return text
	case presets.Timestamp:
		switch rc.Type {
		case "TIMESTAMP WITH TIME ZONE":
			return q
		case "DATE":
			// A date-only column (Salesforce ConvertedDate) feeding an instant:
			// the start of that date in the reporting zone, so it stays in its month.
			return fmt.Sprintf("date_start(%s, %s)", q, warehouse.QuoteString(cfg.Timezone))
		case "TIMESTAMP":
			return fmt.Sprintf("timezone(%s, %s)", warehouse.QuoteString(m.Timezone), q)
		}
	case presets.Date:
		switch rc.Type {
		case "DATE":
			return q
		case "TIMESTAMP WITH TIME ZONE":
			// A date mapped from an instant (type: timestamp; Pipedrive's
			// "Deal - Won time"): the instant's date in the reporting zone,
			// where the metrics bucket it. (Real date-only fields are DATE
			// and never shifted.)
			return fmt.Sprintf("CAST(timezone(%s, %s) AS DATE)", warehouse.QuoteString(cfg.Timezone), q)
		}
	default:
		if rc.Type == want {
			return q
		}
	}
	return "TRY_CAST(" + q + " AS " + want + ")"
}

// textOf is a raw column as text.
func textOf(rc warehouse.RawColumn) string {
	q := "r." + warehouse.QuoteIdent(rc.Name)
	if rc.Type != "VARCHAR" {
		return "CAST(" + q + " AS VARCHAR)"
	}
	return q
}

func coalesce(exprs []string) string {
	if len(exprs) == 1 {
		return exprs[0]
	}
	return "coalesce(" + strings.Join(exprs, ", ") + ")"
}

// derived are the columns staging adds to an object's canonical fields,
// worked out from them and the source's configuration.
var derived = map[coxswain.Object][]struct{ name, typ string }{
	coxswain.Opportunity: {{"stage_status", "VARCHAR"}}, // won, lost, open; NULL: a stage in no list
	// type_id: the type as the export writes it (Marketo's 2), type its
	// name (Fill Out Form); is_marketing_touch: a marketing tool's type
	// configured as a touch (NULL for a CRM's activities).
	coxswain.Activity: {{"type_id", "VARCHAR"}, {"is_marketing_touch", "BOOLEAN"}},
}

// activityTypes names a source's activity types and marks its marketing
// touches.
func activityTypes(m *presets.Mapping, exprs map[string]string) {
	raw, ok := exprs["type"]
	if !ok {
		exprs["type_id"], exprs["is_marketing_touch"] = "NULL::VARCHAR", "NULL::BOOLEAN"
		return
	}
	id := "nullif(trim(" + raw + "), '')"
	exprs["type_id"] = id
	exprs["is_marketing_touch"] = "NULL::BOOLEAN"
	if len(m.ActivityTypes) == 0 {
		return
	}
	var whens, touches []string
	for _, t := range m.ActivityTypes {
		if t.Name != "" {
			whens = append(whens, fmt.Sprintf("WHEN %s THEN %s", warehouse.QuoteString(t.ID), warehouse.QuoteString(t.Name)))
		}
		if t.Touch {
			touches = append(touches, warehouse.QuoteString(t.ID))
		}
	}
	if len(whens) > 0 {
		exprs["type"] = fmt.Sprintf("coalesce(CASE %s %s END, %s)", id, strings.Join(whens, " "), raw)
	}
	if m.Role == presets.Marketing {
		if len(touches) == 0 {
			exprs["is_marketing_touch"] = "false"
		} else {
			exprs["is_marketing_touch"] = fmt.Sprintf("coalesce(%s IN (%s), false)", id, strings.Join(touches, ", "))
		}
	}
}

// stageFlags classifies an opportunity's stage by the source's stage lists
// into stage_status (won, lost, open; NULL for a stage in no list), and
// fills is_won and is_closed from it where the record's own flags are
// missing or empty: a flag the export writes wins.
func stageFlags(st coxswain.Stages, exprs map[string]string) {
	stage, ok := exprs["stage"]
	if !ok {
		exprs["stage_status"] = "NULL::VARCHAR"
		return
	}
	s := "lower(trim(" + stage + "))"
	pipeline, hasPipeline := exprs["pipeline"]
	test := func(all []string, pick func(coxswain.StageLists) []string) string {
		var ors []string
		if len(all) > 0 {
			ors = append(ors, s+" IN ("+sqlList(all)+")")
		}
		if hasPipeline {
			names := make([]string, 0, len(st.Pipelines))
			for n := range st.Pipelines {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				if l := pick(st.Pipelines[n]); len(l) > 0 {
					ors = append(ors, fmt.Sprintf("(lower(trim(%s)) = %s AND %s IN (%s))", pipeline, warehouse.QuoteString(strings.ToLower(strings.TrimSpace(n))), s, sqlList(l)))
				}
			}
		}
		if len(ors) == 0 {
			return ""
		}
		return strings.Join(ors, " OR ")
	}
	var whens []string
	for _, c := range []struct {
		status string
		cond   string
	}{
		{"won", test(st.Won, func(l coxswain.StageLists) []string { return l.Won })},
		{"lost", test(st.Lost, func(l coxswain.StageLists) []string { return l.Lost })},
		{"open", test(st.Open, func(l coxswain.StageLists) []string { return l.Open })},
	} {
		if c.cond != "" {
			whens = append(whens, "WHEN "+c.cond+" THEN '"+c.status+"'")
		}
	}
	byStage := "NULL::VARCHAR"
	if len(whens) > 0 {
		byStage = "CASE " + strings.Join(whens, " ") + " END"
	}
	// A flag the export writes wins over the stage lists.
	byFlags := "NULL::VARCHAR"
	won, hasWon := exprs["is_won"]
	closed, hasClosed := exprs["is_closed"]
	switch {
	case hasWon && hasClosed:
		byFlags = fmt.Sprintf("CASE WHEN %s THEN 'won' WHEN %s THEN 'lost' WHEN NOT %s THEN 'open' END", won, closed, closed)
	case hasWon:
		byFlags = fmt.Sprintf("CASE WHEN %s THEN 'won' END", won)
	case hasClosed:
		byFlags = fmt.Sprintf("CASE WHEN NOT %s THEN 'open' END", closed)
	}
	status := coalesce([]string{byFlags, byStage})
	exprs["stage_status"] = status
	if byStage == "NULL::VARCHAR" {
		return
	}
	// The export's flag where it is filled, else the status, else false.
	flag := func(exported string, has bool, fromStatus string) string {
		alts := []string{fromStatus, "false"}
		if has {
			alts = append([]string{exported}, alts...)
		}
		return coalesce(alts)
	}
	exprs["is_won"] = flag(won, hasWon, status+" = 'won'")
	exprs["is_closed"] = flag(closed, hasClosed, status+" IN ('won', 'lost')")
}

// sqlList is a list of SQL string literals, lower-cased and trimmed.
func sqlList(values []string) string {
	q := make([]string, len(values))
	for i, v := range values {
		q[i] = warehouse.QuoteString(strings.ToLower(strings.TrimSpace(v)))
	}
	return strings.Join(q, ", ")
}

// valuesFlag is a flag made from a column's values: true for Values, false
// for Not (or, without Not, for any other value), NULL when empty or, with
// Not, for a value in neither list (reported in staging.unknown_values).
func valuesFlag(text string, c presets.Column) string {
	v := "lower(trim(" + text + "))"
	other := "WHEN nullif(" + v + ", '') IS NOT NULL THEN false"
	if len(c.Not) > 0 {
		other = "WHEN " + v + " IN (" + sqlList(c.Not) + ") THEN false"
	}
	return "CASE WHEN " + v + " IN (" + sqlList(c.Values) + ") THEN true " + other + " END"
}

// hasUnknownValues says whether an object has a field mapped with values:
// and not:, whose staging view then lists, per record, the values neither
// names (unknown_values).
func hasUnknownValues(om presets.ObjectMapping) bool {
	return slices.ContainsFunc(om.Columns, func(c presets.Column) bool { return len(c.Values) > 0 && len(c.Not) > 0 })
}
