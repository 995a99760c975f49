package models

import (
	"strings"
	"testing"
	"testing/fstest"

	"coxswain"
)

func TestLoad_OrdersByDependency(t *testing.T) {
	fsys := fstest.MapFS{
		"sql/models/intermediate/b.sql": {Data: []byte("SELECT * FROM intermediate.a, intermediate.params")},
		"sql/models/intermediate/a.sql": {Data: []byte("SELECT 1 AS x -- reads marts.c only in this comment")},
		"sql/models/marts/c.sql":        {Data: []byte("SELECT * FROM intermediate.b JOIN INTERMEDIATE.a USING (x)")},
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
	} {
		if got := nextRefs(c.in, ids); got != c.want {
			t.Errorf("nextRefs(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}
