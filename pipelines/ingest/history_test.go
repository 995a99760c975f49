package ingest

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"coxswain/pipelines/warehouse"
)

// TestBuild_HistoryAsVersions: a run of drops with random churn (records
// changed, deleted, back again, in two files of a drop, a column added
// halfway) is
// stored as versions, and the state as of each drop, read back through
// raw_as_of, is exactly what that drop said: for a full snapshot its
// records, for incremental exports each record's latest row so far. A
// record whose content did not change is stored once.
func TestBuild_HistoryAsVersions(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			e := newEnv(t, "load: {max_delete_share: 0.5}\nsources:\n  - {name: crm, preset: salesforce, path: exports/crm}\n  - {name: hs, preset: hubspot, path: exports/hs}\n")
			rng := rand.New(rand.NewPCG(seed, 42))
			statuses := []string{"Open", "Working", "Qualified", "Nurture"}
			snapshot := map[string]string{}    // the org: id to status
			incremental := map[string]string{} // what the incremental exports said last
			var wantSnap, wantInc [][]string   // per drop: the state as of it, "id|status|rating"
			stored := 0                        // rows the snapshots must keep: each distinct run of content
			prevSnap := map[string]string{}
			for i := range 8 {
				name := fmt.Sprintf("2026-10-%02d", i+1)
				rating := i >= 4 // the export gains a column halfway
				for id := range 25 {
					k := fmt.Sprintf("00Q5g%010dAAA", id)
					switch _, ok := snapshot[k]; {
					case !ok && rng.IntN(3) == 0:
						snapshot[k] = statuses[rng.IntN(len(statuses))]
					case ok && rng.IntN(10) == 0:
						delete(snapshot, k)
					case ok && rng.IntN(5) == 0:
						snapshot[k] = statuses[rng.IntN(len(statuses))]
					}
				}
				var lead strings.Builder
				lead.WriteString("Id,CreatedDate,Status")
				if rating {
					lead.WriteString(",Rating")
				}
				lead.WriteString("\n")
				var state []string
				for _, k := range slices.Sorted(maps.Keys(snapshot)) {
					fmt.Fprintf(&lead, "%s,2026-10-01 00:00:00,%s", k, snapshot[k])
					if rating {
						lead.WriteString(",")
					}
					lead.WriteString("\n")
					state = append(state, k+"|"+snapshot[k]+"|NULL")
					// The column added halfway is empty: no record changes for it.
					if prev, ok := prevSnap[k]; !ok || prev != snapshot[k] {
						stored++
					}
				}
				prevSnap = maps.Clone(snapshot)
				wantSnap = append(wantSnap, state)

				// Two exports of contacts in the drop: a record in both keeps
				// the second file's row.
				contacts := map[string]*strings.Builder{}
				for _, f := range []string{"a", "b"} {
					var b strings.Builder
					b.WriteString("Record ID,Create Date,Lifecycle Stage,Email\n")
					for _, n := range rng.Perm(12)[:4] {
						id := fmt.Sprint(100 + n)
						st := strings.ToLower(statuses[rng.IntN(len(statuses))])
						if old, ok := incremental[id]; ok && rng.IntN(2) == 0 {
							st = old // an overlapping export repeats what it said
						}
						incremental[id] = st
						fmt.Fprintf(&b, "%s,2026-10-01 09:00,%s,%s@example.com\n", id, st, id)
					}
					contacts[f] = &b
				}
				var inc []string
				for _, id := range slices.Sorted(maps.Keys(incremental)) {
					inc = append(inc, id+"|"+incremental[id])
				}
				wantInc = append(wantInc, inc)

				e.drop("crm", name, map[string]string{"Lead.csv": lead.String()})
				e.drop("hs", name, map[string]string{
					"hubspot-crm-exports-a-contacts-" + name + ".csv": contacts["a"].String(),
					"hubspot-crm-exports-b-contacts-" + name + ".csv": contacts["b"].String(),
				})
				if i%3 != 1 { // some builds load two drops of each source
					e.mustBuild()
				}
			}
			e.mustBuild()
			for i := range wantSnap {
				name := fmt.Sprintf("2026-10-%02d", i+1)
				equalRows(t, "crm as of "+name, e.query(`SELECT "Id", "Status", coalesce("Rating", 'NULL') FROM raw_as_of('raw.crm__lead',
					(SELECT drop_id FROM meta.drops WHERE source = 'crm' AND name = ?)) ORDER BY ALL`, name), wantSnap[i])
				equalRows(t, "hs as of "+name, e.query(`SELECT "Record ID", "Lifecycle Stage" FROM raw_as_of('raw.hs__lead',
					(SELECT drop_id FROM meta.drops WHERE source = 'hs' AND name = ?)) ORDER BY ALL`, name), wantInc[i])
			}
			equalRows(t, "snapshot versions stored", e.query(`SELECT count(*) FROM raw.crm__lead`), []string{fmt.Sprint(stored)})
			if t.Failed() {
				for _, r := range e.query(`SELECT "Id", "Status", _drop_id, _file_id, _valid_to, _hash FROM raw.crm__lead ORDER BY "Id", _drop_id`) {
					t.Log(r)
				}
			}
			equalRows(t, "staging is the last state", e.query(`SELECT id, status FROM staging.hs__leads ORDER BY ALL`), wantInc[len(wantInc)-1])
		})
	}
}

// TestBuild_SnapshotSourceFile: a full snapshot's record that did not change
// is kept as the version it first came in, but staging says it was last
// exported in the latest drop's file, as before versions.
func TestBuild_SnapshotSourceFile(t *testing.T) {
	e := newEnv(t, "sources:\n  - {name: hs, preset: hubspot, path: exports/hs, snapshot: true}\n")
	header := "Record ID,Create Date,Lifecycle Stage,Email\n"
	e.drop("hs", "2026-10-01", map[string]string{"contacts-2026-10-01.csv": header + "101,2026-10-01 09:00,lead,a@x.example\n102,2026-10-01 09:00,lead,b@x.example\n"})
	e.mustBuild()
	e.drop("hs", "2026-10-02", map[string]string{"contacts-2026-10-02.csv": header + "101,2026-10-01 09:00,lead,a@x.example\n102,2026-10-01 09:00,subscriber,b@x.example\n"})
	e.mustBuild()
	equalRows(t, "staging", e.query(`SELECT id, drop_name, source_file FROM staging.hs__leads ORDER BY id`),
		[]string{"101|2026-10-02|contacts-2026-10-02.csv", "102|2026-10-02|contacts-2026-10-02.csv"})
	equalRows(t, "versions", e.query(`SELECT "Record ID", _drop_id, coalesce(_valid_to::VARCHAR, 'current') FROM raw.hs__lead ORDER BY ALL`),
		[]string{"101|1|current", "102|1|2", "102|2|current"})
}

// TestBuild_ColumnsOfEveryFileHashed: the files of one object in one drop
// with columns of their own (Event.csv's EventSubtype, Task.csv's
// TaskSubtype), and later drops that add a column to one of them. Each
// current version's content hash is the hash of its stored columns, all
// of the table's, so that an unchanged record is found unchanged: the
// loader gives the raw table every file's columns before any row goes in.
func TestBuild_ColumnsOfEveryFileHashed(t *testing.T) {
	e := newEnv(t, "")
	csv := func(header, extra string, rows ...string) string {
		var b strings.Builder
		b.WriteString(header + extra + "\n")
		for _, r := range rows {
			b.WriteString(r + strings.Repeat(",", strings.Count(extra, ",")) + "\n")
		}
		return b.String()
	}
	event := func(extra string) string {
		return csv("Id,CreatedDate,WhoId,Subject,EventSubtype", extra,
			"00U5g0000000001AAA,2026-10-01 09:00:00,00Q5g0000000001AAA,Demo,Event",
			"00U5g0000000002AAA,2026-10-02 09:00:00,00Q5g0000000002AAA,Lunch,Event")
	}
	task := func(extra, subject string) string {
		return csv("Id,CreatedDate,WhoId,Subject,TaskSubtype", extra,
			"00T5g0000000001AAA,2026-10-01 10:00:00,00Q5g0000000001AAA,Call,Call",
			"00T5g0000000002AAA,2026-10-02 10:00:00,00Q5g0000000002AAA,"+subject+",Email")
	}
	check := func(what string, versions, current int) {
		t.Helper()
		equalRows(t, what+": versions", e.query(`SELECT count(*), count(*) FILTER (WHERE _valid_to IS NULL) FROM raw.crm__activity`),
			[]string{fmt.Sprintf("%d|%d", versions, current)})
		cols, err := warehouse.RawColumns(context.Background(), e.warehouse().DB, "crm", "activity")
		if err != nil {
			t.Fatal(err)
		}
		// Only current versions are compared with new rows, and hashed
		// again when the table gains a column.
		equalRows(t, what+": current versions whose hash is not their columns'", e.query(`SELECT "Id" FROM raw.crm__activity
			WHERE _valid_to IS NULL AND _hash IS DISTINCT FROM `+warehouse.HashExpr(cols, columnValue)+` ORDER BY ALL`), nil)
	}
	e.drop("crm", "2026-11-01", map[string]string{"Event.csv": event(""), "Task.csv": task("", "Follow-up")})
	e.mustBuild()
	check("the first drop", 4, 4)
	// Task.csv gains a column, empty, and one task changes.
	e.drop("crm", "2026-11-08", map[string]string{"Event.csv": event(""), "Task.csv": task(",Priority", "Renewal")})
	e.mustBuild()
	check("a column added to the second file", 5, 4)
	// Event.csv, read first, gains one too; nothing changes.
	e.drop("crm", "2026-11-15", map[string]string{"Event.csv": event(",Location"), "Task.csv": task(",Priority", "Renewal")})
	e.mustBuild()
	check("a column added to the first file", 5, 4)
	// The same records again (other line ends, so that the drop loads):
	// compared while read, with the hashes stored by the drops above.
	e.drop("crm", "2026-11-22", map[string]string{"Event.csv": strings.ReplaceAll(event(",Location"), "\n", "\r\n"),
		"Task.csv": strings.ReplaceAll(task(",Priority", "Renewal"), "\n", "\r\n")})
	e.mustBuild()
	check("the same records again", 5, 4)
}

// TestBuild_HashedAgainAfterDuckDBUpgrade: the content hashes are DuckDB's
// hash(), which an upgrade may change. A warehouse last hashed by another
// DuckDB has its current versions hashed again before the next drop is
// compared with them, so that an unchanged record is not stored twice.
func TestBuild_HashedAgainAfterDuckDBUpgrade(t *testing.T) {
	e := newEnv(t, "")
	e.drop("crm", "2026-11-01", map[string]string{"Lead.csv": leadsCSV(1, 20)})
	e.mustBuild()
	equalRows(t, "recorded", e.query(`SELECT duckdb_version = version() FROM meta.history_hash`), []string{"true"})
	// As if another DuckDB had hashed them: every hash differs from this one's.
	e.query(`UPDATE raw.crm__lead SET _hash = _hash + 1`)
	e.query(`UPDATE meta.history_hash SET duckdb_version = 'v0.9.0'`)
	// The same records in another file (its line ends differ): not the
	// same drop content, so it loads.
	e.drop("crm", "2026-11-08", map[string]string{"Lead.csv": strings.ReplaceAll(leadsCSV(1, 20), "\n", "\r\n")})
	if loaded, _, _, _ := e.mustBuild().Counts(); loaded != 1 {
		t.Fatal("the second drop did not load")
	}
	equalRows(t, "versions", e.query(`SELECT count(*), count(*) FILTER (WHERE _valid_to IS NULL) FROM raw.crm__lead`), []string{"20|20"})
	equalRows(t, "recorded again", e.query(`SELECT duckdb_version = version() FROM meta.history_hash`), []string{"true"})
}

// TestBuild_ReadingMatchesInsertingWhole: a full snapshot compared with the
// current versions while it is read stores exactly the versions that
// inserting all of its rows and deleting the repeats stores, the reference
// way. Random churn over drops of two snapshot sources, with every type a
// raw column has (text, instants with offsets and fractions, dates, exact
// amounts, doubles at the edges of their range, flags), records listed
// twice (the same, or not), rows without an id, datetimes that do not
// parse (quarantined), a record in both files of an object (Task.csv and
// Event.csv), records deleted and back, and a column added halfway.
func TestBuild_ReadingMatchesInsertingWhole(t *testing.T) {
	for seed := uint64(1); seed <= 2; seed++ {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			// Every deletion trips the guard, and every drop is accepted: the
			// note of what it deleted compares the guard's counts. The CRM's
			// zone had an offset with seconds before 1906 (local mean time).
			cfg := "load: {max_delete_share: 0, max_reject_share: 0.5}\nsources:\n  - {name: crm, preset: salesforce, path: exports/crm, timezone: Asia/Kolkata}\n  - {name: gen, preset: pipedrive, path: exports/gen}\n"
			reading, whole := newEnv(t, cfg), newEnv(t, cfg)
			whole.insertWhole = true
			var events strings.Builder
			reading.log = slog.New(slog.NewJSONHandler(&events, nil))
			rng := rand.New(rand.NewPCG(seed, 7))
			pick := func(vs ...string) string { return vs[rng.IntN(len(vs))] }
			instant := func() string {
				return pick("2026-10-01 09:00:00", "2026-10-01T09:00:00.123456Z", "2026-10-01 09:00:00+05:30",
					"2026-03-08 02:30:00", "1969-12-31 23:59:59.999999", "2026-10-02 10:00:00", "",
					"1900-01-01 00:00:00", "0001-01-01 00:00:00", "294247-01-10 04:00:54.775806+00", "infinity")
			}
			// Each object's records: id to the row's fields after the id.
			type object struct {
				file, header string
				fields       func() []string
				records      map[string][]string
			}
			objects := []*object{
				{file: "Opportunity.csv", header: "Id,CreatedDate,CloseDate,Amount,StageName,IsClosed,IsWon",
					fields: func() []string {
						return []string{instant(), pick("2026-10-31", "1999-01-01", ""), pick("1234.56", "0.01", "", "99999999.99", "-5.5"),
							pick("Prospecting", "Closed Won", "Clôturé ✓"), pick("true", "false", ""), pick("true", "false", "")}
					}},
				{file: "Task.csv", header: "Id,CreatedDate,WhoId,Subject,TaskSubtype",
					fields: func() []string {
						return []string{instant(), pick("00Q5g0000000001AAA", ""), pick("Call", `Said "hi", then left`, ""), pick("Task", "Email")}
					}},
				{file: "Event.csv", header: "Id,CreatedDate,WhoId,Subject,EventSubtype",
					fields: func() []string {
						return []string{instant(), pick("00Q5g0000000002AAA", ""), pick("Meeting", "Demo"), pick("Event")}
					}},
				// Columns named like the loader's own temporary ones (k, h,
				// repeat, row) must not stand in for them.
				{file: "deals.csv", header: "Deal - ID,Deal - Title,Deal - Value,Deal - Probability,Deal - Status,K,h,Repeat,row,Deal - Deal created",
					fields: func() []string {
						return []string{pick("Renewal", "New"), pick("10", "2500.5", ""),
							pick("0.1", "0.30000000000000004", "1e-300", "4.9e-324", "1.7976931348623157e308", "-0", "123456.789", "", "2.5"),
							pick("open", "won", "lost"), pick("1000", "x"), pick("1", "2"), pick("true", "false"), pick("1", ""), instant()}
					}},
			}
			for _, o := range objects {
				o.records = map[string][]string{}
			}
			for i := range 8 {
				name := fmt.Sprintf("2026-10-%02d", i+1)
				crm, gen := map[string]string{}, map[string]string{}
				for n, o := range objects {
					for id := range 30 {
						k := fmt.Sprintf("00%d5g%010dAAA", n, id)
						if o.file == "deals.csv" {
							k = fmt.Sprint(1000 + id)
						}
						if o.file == "Event.csv" && id < 5 {
							k = fmt.Sprintf("00%d5g%010dAAA", 1, id) // the same activity in Task.csv and Event.csv
						}
						switch r, ok := o.records[k]; {
						case !ok && rng.IntN(3) == 0:
							o.records[k] = o.fields()
						case ok && rng.IntN(12) == 0:
							delete(o.records, k)
						case ok && rng.IntN(4) == 0:
							f := o.fields()
							c := rng.IntN(len(r))
							r[c] = f[c]
						}
					}
					header := o.header
					if i >= 5 && o.file == "Opportunity.csv" {
						header += ",Description" // a column added: that drop is loaded whole
					}
					var b strings.Builder
					b.WriteString(header + "\n")
					line := func(id string, r []string) {
						var cells []string
						for _, v := range append([]string{id}, r...) {
							if strings.ContainsAny(v, "\",") {
								v = `"` + strings.ReplaceAll(v, `"`, `""`) + `"`
							}
							cells = append(cells, v)
						}
						if strings.HasSuffix(header, "Description") {
							cells = append(cells, pick("", "note"))
						}
						b.WriteString(strings.Join(cells, ",") + "\n")
					}
					unreadable := func(r []string) []string {
						bad := slices.Clone(r)
						bad[0] = "not a date" // quarantined
						if o.file == "deals.csv" {
							bad[len(bad)-1] = "not a date"
						}
						return bad
					}
					for _, k := range slices.Sorted(maps.Keys(o.records)) {
						r := o.records[k]
						if rng.IntN(10) == 0 {
							line(k, unreadable(r)) // the record's row is quarantined: it is missing from the drop
						} else {
							line(k, r)
						}
						switch rng.IntN(12) {
						case 0:
							line(k, r) // listed twice, the same
						case 1:
							line(k, o.fields()) // listed twice, not the same
						case 2:
							line("", r) // no id
						case 3:
							line(k+"X", unreadable(r))
						}
					}
					if o.file == "deals.csv" {
						gen[o.file] = b.String()
					} else {
						crm[o.file] = b.String()
					}
				}
				for _, e := range []*testEnv{reading, whole} {
					e.drop("crm", name, crm)
					e.drop("gen", name, gen)
					e.accept = append(e.accept, name)
					if i%3 != 1 { // some builds load two drops of each source
						e.mustBuild()
					}
				}
			}
			for _, e := range []*testEnv{reading, whole} {
				e.mustBuild()
			}
			for _, table := range []string{"crm__opportunity", "crm__activity", "gen__opportunity"} {
				q := `SELECT * FROM raw.` + table + ` ORDER BY ALL`
				equalRows(t, table+" versions", reading.query(q), whole.query(q))
				current := reading.query(`SELECT count(*) FROM raw.` + table + ` WHERE _valid_to IS NULL`)
				if current[0] == "0" {
					t.Errorf("%s: no current version: the test compares nothing", table)
				}
			}
			if n := reading.query(`SELECT count(accepted) FROM meta.drops`); n[0] == "0" {
				t.Error("no drop deleted a record: the guard's counts were not compared")
			}
			// The comparing load did run, and wrote only some rows.
			if n := strings.Count(events.String(), `"new_versions"`); n < 10 {
				t.Errorf("only %d files were compared while read", n)
			}
			for _, q := range []string{
				`SELECT file_id, drop_id, name, rows_read, rows_loaded, rows_rejected FROM meta.files ORDER BY ALL`,
				`SELECT drop_id, source, name, rows_loaded, rows_rejected, accepted FROM meta.drops ORDER BY ALL`,
				`SELECT file_id, line, column_name, value FROM meta.rejects ORDER BY ALL`,
			} {
				equalRows(t, q, reading.query(q), whole.query(q))
			}
		})
	}
}
