package models

import (
	"context"
	"database/sql"
	"math"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"coxswain"

	_ "github.com/duckdb/duckdb-go/v2"
)

// TestFingerprint_ByValue: the fingerprint that keeps an incremental model
// incremental is the same for the same configuration however it is held
// in memory, and at any as-of, and changes with any other parameter, an
// infinite one too.
func TestFingerprint_ByValue(t *testing.T) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), `CREATE SCHEMA intermediate`); err != nil {
		t.Fatal(err)
	}
	params := func(target float64, asOf time.Time) Params {
		return Params{ReportingTZ: "UTC", AsOf: asOf, SLATarget: &target, FollowUpHours: 24,
			Sources: []SourceParams{{Name: "crm", Role: "crm", MQL: coxswain.MQLRule{Status: []string{"MQL"}}}}}
	}
	fp := func(p Params) string {
		if err := writeParams(context.Background(), conn, p); err != nil {
			t.Fatal(err)
		}
		s, err := fingerprint(context.Background(), conn, coxswain.SQL)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	day := time.Date(2026, 11, 2, 6, 0, 0, 0, time.UTC)
	base := fp(params(0.9, day))
	if got := fp(params(0.9, day.AddDate(0, 0, 1))); got != base {
		t.Error("the fingerprint changed with the as-of, or with where the SLA target is held")
	}
	if got := fp(params(0.8, day)); got == base {
		t.Error("the fingerprint did not change with the SLA target")
	}
	other := params(0.9, day)
	other.Sources[0].MQL.Status = []string{"SQL"}
	if got := fp(other); got == base {
		t.Error("the fingerprint did not change with a source's MQL rule")
	}
	// A configuration may hold numbers JSON has no words for.
	other = params(0.9, day)
	other.FollowUpHours = math.Inf(1)
	if got := fp(other); got == base {
		t.Error("the fingerprint did not change with follow_up_hours")
	}
}

func TestLoad_IncrementalModels(t *testing.T) {
	model := "-- incremental: by key over staging.activities\n-- compares: intermediate.a\nSELECT key FROM staging.activities JOIN intermediate.a USING (key)"
	for _, c := range []struct {
		name string
		fsys fstest.MapFS
		want string // the error, "" if none
	}{
		{"no changes file", fstest.MapFS{
			"sql/models/intermediate/a.sql": {Data: []byte("SELECT 1 AS key")},
			"sql/models/intermediate/b.sql": {Data: []byte(model)},
		}, "b.changes.sql: an incremental model needs the SQL that selects the rows to recompute"},
		{"not a staging object", fstest.MapFS{
			"sql/models/intermediate/b.sql":         {Data: []byte("-- incremental: by key over staging.things\nSELECT 1 AS key")},
			"sql/models/intermediate/b.changes.sql": {Data: []byte("SELECT 1")},
		}, "staging.things is not a staging view of an object"},
		{"misspelt", fstest.MapFS{
			"sql/models/intermediate/b.sql": {Data: []byte("-- incremental: key over staging.activities\nSELECT 1 AS key")},
		}, `write the incremental line as "-- incremental: by KEY over staging.OBJECTS"`},
		{"ok", fstest.MapFS{
			"sql/models/intermediate/a.sql":         {Data: []byte("SELECT 1 AS key")},
			"sql/models/intermediate/b.sql":         {Data: []byte(model)},
			"sql/models/intermediate/b.changes.sql": {Data: []byte("SELECT a.* FROM staging.activities a, marts.c")},
			"sql/models/marts/c.sql":                {Data: []byte("SELECT 2 AS y")},
		}, ""},
	} {
		models, err := Load(c.fsys)
		if c.want != "" {
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s: error %v, want one saying %q", c.name, err, c.want)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		var ids []string
		for _, m := range models {
			ids = append(ids, m.ID())
		}
		// The changes file is no model of its own, and what it reads orders b.
		if got := strings.Join(ids, " "); got != "intermediate.a marts.c intermediate.b" {
			t.Errorf("models in order %s", got)
		}
		b := models[2].Incremental
		if b == nil || b.Key != "key" || b.Object != coxswain.Activity || strings.Join(b.Compares, " ") != "intermediate.a" || !strings.Contains(b.Changes, "marts.c") {
			t.Errorf("intermediate.b is incremental as %+v", b)
		}
	}
}
