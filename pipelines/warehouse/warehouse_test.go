package warehouse

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"coxswain"
)

func open(t *testing.T) *Warehouse {
	t.Helper()
	w, err := Open(context.Background(), filepath.Join(t.TempDir(), "w.duckdb"), coxswain.DuckDB{Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { w.Close() })
	return w
}

func TestMacros(t *testing.T) {
	w := open(t)
	for _, tc := range []struct{ expr, want string }{
		// Salesforce ids: 15 characters get their checksum; 18 keep their first
		// 15 and an upper-cased suffix; the dummy id and empty are null.
		{`sf_id('001A0000006Vm9r')`, "001A0000006Vm9rIAC"},
		{`sf_id('003A000000KJtNo')`, "003A000000KJtNoIAL"},
		{`sf_id(' 003A000000KJtNoial ')`, "003A000000KJtNoIAL"},
		{`coalesce(sf_id('000000000000000AAA'), 'NULL')`, "NULL"},
		{`coalesce(sf_id(''), 'NULL')`, "NULL"},
		{`plain_id(' 501.0 ')`, "501"},
		{`first_id('9001;9002')`, "9001"},
		// A date starts at local midnight: New York is UTC-4 on 2026-10-31.
		{`strftime(date_start(DATE '2026-10-31', 'America/New_York') AT TIME ZONE 'UTC', '%Y-%m-%d %H:%M')`, "2026-10-31 04:00"},
		// Friday 16:00 to Tuesday 10:00 New York, Monday a holiday: one hour
		// on Friday and one on Tuesday (9 to 17, Monday to Friday).
		{`working_hours_between(TIMESTAMPTZ '2026-10-30 20:00:00+00', TIMESTAMPTZ '2026-11-03 15:00:00+00', 'America/New_York', 9, 17, [1,2,3,4,5], [DATE '2026-11-02'])::VARCHAR`, "2.0"},
		// Within one working day.
		{`working_hours_between(TIMESTAMPTZ '2026-10-15 15:00:00+00', TIMESTAMPTZ '2026-10-15 20:00:00+00', 'America/New_York', 9, 17, [1,2,3,4,5], []::DATE[])::VARCHAR`, "5.0"},
	} {
		var got sql.NullString
		if err := w.DB.QueryRow("SELECT " + tc.expr).Scan(&got); err != nil {
			t.Errorf("%s: %v", tc.expr, err)
			continue
		}
		if got.String != tc.want {
			t.Errorf("%s = %q, want %q", tc.expr, got.String, tc.want)
		}
	}
}
