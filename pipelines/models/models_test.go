package models

import (
	"database/sql"
	"encoding/json"
	"strings"
	"testing"
	"testing/fstest"

	"coxswain"
)

func TestLoad_OrdersByDependency(t *testing.T) {
	fsys := fstest.MapFS{
		"sql/models/intermediate/b.sql": {Data: []byte("SELECT * FROM intermediate.a, intermediate.params")},
		"sql/models/intermediate/a.sql": {Data: []byte("SELECT 1 AS x -- reads marts.c only in this comment")},
		// A -- inside a literal opens no comment: c still reads b.
		"sql/models/marts/c.sql": {Data: []byte("SELECT '--' AS sep, 'marts.d' AS text, * FROM intermediate.b JOIN INTERMEDIATE.a USING (x)")},
	}
	models, err := Load(fsys)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range models {
		got = append(got, m.ID())
	}
	if strings.Join(got, " ") != "intermediate.a intermediate.b marts.c" {
		t.Errorf("order %v", got)
	}
}

func TestLoad_Errors(t *testing.T) {
	for _, tc := range []struct {
		name string
		fsys fstest.MapFS
		want string
	}{
		{"cycle", fstest.MapFS{
			"sql/models/intermediate/a.sql": {Data: []byte("SELECT * FROM marts.b")},
			"sql/models/marts/b.sql":        {Data: []byte("SELECT * FROM intermediate.a")},
		}, "models depend on each other in a cycle: intermediate.a -> marts.b -> intermediate.a"},
		{"unknown", fstest.MapFS{
			"sql/models/intermediate/a.sql": {Data: []byte("SELECT * FROM intermediate.nope")},
			"sql/models/marts/.keep":        {},
		}, "model intermediate.a reads intermediate.nope, which is not a model"},
		{"next", fstest.MapFS{
			"sql/models/intermediate/a__next.sql": {Data: []byte("SELECT 1")},
			"sql/models/marts/.keep":              {},
		}, "a model's name cannot end in __next"},
		{"compares incremental", fstest.MapFS{
			"sql/models/intermediate/a.sql":         {Data: []byte("-- incremental: by key over staging.activities\nSELECT * FROM staging.activities")},
			"sql/models/intermediate/a.changes.sql": {Data: []byte("SELECT * FROM staging.activities")},
			"sql/models/intermediate/b.sql":         {Data: []byte("-- incremental: by key over staging.activities\n-- compares: intermediate.a\nSELECT * FROM staging.activities")},
			"sql/models/intermediate/b.changes.sql": {Data: []byte("SELECT * FROM staging.activities")},
			"sql/models/marts/.keep":                {},
		}, "sql/models/intermediate/b.sql compares intermediate.a, which is incremental too"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Load(tc.fsys); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want %q", err, tc.want)
			}
		})
	}
}

func TestLoad_EmbeddedModelsAndTests(t *testing.T) {
	models, err := Load(coxswain.SQL)
	if err != nil {
		t.Fatal(err)
	}
	if len(models) < 10 {
		t.Errorf("only %d models", len(models))
	}
	tests, err := LoadTests(coxswain.SQL)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		if tc.Description == "" {
			t.Errorf("sql/tests/%s.sql has no description", tc.Name)
		}
	}
}

func TestNextRefs(t *testing.T) {
	ids := map[string]bool{"intermediate.int_leads": true, "marts.kpis": true, "intermediate.params": true}
	for _, c := range []struct{ in, want string }{
		{"SELECT * FROM intermediate.int_leads l, intermediate.params p", "SELECT * FROM intermediate.int_leads__next l, intermediate.params__next p"},
		{"SELECT 1 FROM Marts.KPIs", "SELECT 1 FROM Marts.KPIs__next"},
		// Not a table the build makes, or a longer name.
		{"FROM staging.leads, intermediate.int_leads_x, marts.kpis_by_channel", "FROM staging.leads, intermediate.int_leads_x, marts.kpis_by_channel"},
		// Literals, quoted identifiers and comments stay; an apostrophe in a
		// comment opens no literal.
		{"-- Salesforce's marts.kpis\nSELECT 'in marts.kpis', 'it''s marts.kpis' FROM marts.kpis", "-- Salesforce's marts.kpis\nSELECT 'in marts.kpis', 'it''s marts.kpis' FROM marts.kpis__next"},
		{"SELECT \"marts.kpis\" /* marts.kpis ' */ FROM marts.kpis", "SELECT \"marts.kpis\" /* marts.kpis ' */ FROM marts.kpis__next"},
		{"SELECT 'unclosed marts.kpis", "SELECT 'unclosed marts.kpis"},
		{"FROM marts.kpis -- last", "FROM marts.kpis__next -- last"},
		// E'' literals with backslash escapes, dollar quotes, nested comments.
		{`SELECT E'it\'s marts.kpis', e'\\' FROM marts.kpis`, `SELECT E'it\'s marts.kpis', e'\\' FROM marts.kpis__next`},
		{"SELECT $$it's marts.kpis$$, $q$marts.kpis$q$ FROM marts.kpis", "SELECT $$it's marts.kpis$$, $q$marts.kpis$q$ FROM marts.kpis__next"},
		{"/* a /* nested ' */ marts.kpis */ SELECT 1 FROM marts.kpis", "/* a /* nested ' */ marts.kpis */ SELECT 1 FROM marts.kpis__next"},
		// An E ending a word does not open an escape literal.
		{"SELECT 'x' FROM marts.kpis WHERE'a' = 'a'", "SELECT 'x' FROM marts.kpis__next WHERE'a' = 'a'"},
	} {
		if got := nextRefs(c.in, ids); got != c.want {
			t.Errorf("nextRefs(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

// TestNextRefs_EverySQL: DuckDB's own parser finds, in every model, changes
// SQL and data test of sql/ rewritten by nextRefs, no table of a model (or
// of the runner) read under its name in place, but for the incremental
// models, which change in place. A reference written in a way nextRefs
// does not read (a quoted name, say) would make a build read the last
// build's table.
func TestNextRefs_EverySQL(t *testing.T) {
	models, err := Load(coxswain.SQL)
	if err != nil {
		t.Fatal(err)
	}
	tests, err := LoadTests(coxswain.SQL)
	if err != nil {
		t.Fatal(err)
	}
	ids, inPlace := map[string]bool{}, map[string]bool{}
	for _, id := range besideTables(models) {
		ids[id] = true
	}
	queries := map[string]string{}
	for _, m := range models {
		if m.Incremental != nil {
			inPlace[m.ID()] = true
			queries[m.ID()+" changes"] = m.Incremental.Changes
		}
		queries[m.ID()] = m.SQL
	}
	for _, tc := range tests {
		queries["test "+tc.Name] = tc.SQL
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for what, q := range queries {
		var tree string
		if err := db.QueryRow(`SELECT CAST(json_serialize_sql(?::VARCHAR) AS VARCHAR)`, nextRefs(q, ids)).Scan(&tree); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		var parsed any
		if err := json.Unmarshal([]byte(tree), &parsed); err != nil {
			t.Fatal(err)
		}
		if m, ok := parsed.(map[string]any); ok && m["error"] == true {
			t.Fatalf("%s: DuckDB does not parse it: %v", what, m["error_message"])
		}
		var walk func(v any)
		walk = func(v any) {
			switch v := v.(type) {
			case map[string]any:
				if v["type"] == "BASE_TABLE" {
					schema, _ := v["schema_name"].(string)
					name, _ := v["table_name"].(string)
					id := strings.ToLower(schema + "." + name)
					if (schema == "intermediate" || schema == "marts") && !strings.HasSuffix(id, nextSuffix) && !inPlace[id] {
						t.Errorf("%s reads %s in place, not this build's %s", what, id, next(id))
					}
				}
				for _, c := range v {
					walk(c)
				}
			case []any:
				for _, c := range v {
					walk(c)
				}
			}
		}
		walk(parsed)
	}
}
