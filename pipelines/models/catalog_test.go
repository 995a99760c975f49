package models

import (
	"context"
	"database/sql"
	"io/fs"
	"testing"

	"github.com/duckdb/duckdb-go/v2"

	"coxswain"
)

// TestKPIsMatchCatalog: the data test that keeps the KPI marts and the
// metric catalog in step finds a metric computed but not catalogued, one
// catalogued but not computed, and the same by channel; it is silent when
// they agree.
func TestKPIsMatchCatalog(t *testing.T) {
	q, err := fs.ReadFile(coxswain.SQL, "sql/tests/kpis_match_catalog.sql")
	if err != nil {
		t.Fatal(err)
	}
	connector, err := duckdb.NewConnector("", nil)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	for _, s := range []string{
		`CREATE SCHEMA marts`,
		`CREATE TABLE marts.metric_definitions AS SELECT * FROM (VALUES (1, 'leads_created', true), (2, 'mqls', false)) t(position, metric, by_channel)`,
		`CREATE TABLE marts.kpis AS SELECT * FROM (VALUES ('2026-10', 'leads_created', 1), ('2026-10', 'mqls', 2)) t(month, metric, position)`,
		`CREATE TABLE marts.kpis_by_channel AS SELECT * FROM (VALUES ('2026-10', 'Web', 'leads_created', 1)) t(month, channel, metric, position)`,
	} {
		if _, err := db.Exec(s); err != nil {
			t.Fatal(err)
		}
	}
	offending := func() map[string]bool {
		t.Helper()
		rows, err := db.QueryContext(context.Background(), string(q))
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		got := map[string]bool{}
		for rows.Next() {
			var metric, problem string
			if err := rows.Scan(&metric, &problem); err != nil {
				t.Fatal(err)
			}
			got[metric] = true
		}
		return got
	}
	if got := offending(); len(got) != 0 {
		t.Errorf("marts and catalog agree, yet the test found %v", got)
	}
	db.Exec(`INSERT INTO marts.kpis VALUES ('2026-10', 'churn', NULL)`)
	db.Exec(`INSERT INTO marts.metric_definitions VALUES (3, 'nps', false)`)
	if got := offending(); len(got) != 2 || !got["churn"] || !got["nps"] {
		t.Errorf("offending metrics %v, want churn (not catalogued) and nps (not computed)", got)
	}
	db.Exec(`DELETE FROM marts.kpis WHERE metric = 'churn'`)
	db.Exec(`DELETE FROM marts.metric_definitions WHERE metric = 'nps'`)
	// By channel: a metric computed there but not marked, and one marked
	// but not computed.
	db.Exec(`INSERT INTO marts.kpis_by_channel VALUES ('2026-10', 'Web', 'mqls', NULL)`)
	db.Exec(`INSERT INTO marts.metric_definitions VALUES (3, 'bookings', true)`)
	db.Exec(`INSERT INTO marts.kpis VALUES ('2026-10', 'bookings', 3)`)
	if got := offending(); len(got) != 2 || !got["mqls"] || !got["bookings"] {
		t.Errorf("offending metrics %v, want mqls (computed by channel, not marked) and bookings (marked, not computed)", got)
	}
}
