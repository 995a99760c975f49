//go:build !noiceberg

package feed

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apache/iceberg-go/table"
	"github.com/duckdb/duckdb-go/v2"

	"coxswain/pipelines/feed/feedtest"
	"coxswain/pipelines/warehouse"
)

// marts makes the exported marts in a DuckDB file, with each type the
// real ones use, a NULL in each column, and three months.
func marts(t *testing.T) *sql.Conn {
	t.Helper()
	connector, err := duckdb.NewConnector(filepath.Join(t.TempDir(), "w.duckdb"), nil)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(connector)
	t.Cleanup(func() { db.Close() })
	conn, err := db.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	months := `(SELECT '2026-0' || m AS month, m FROM range(1, 4) r(m))`
	exec(t, conn,
		`CREATE SCHEMA marts`,
		`CREATE TABLE marts.kpis AS SELECT month, metric, CASE WHEN metric = 'win_rate' AND m = 2 THEN NULL ELSE m * 1.5 + p END AS value, p::INTEGER AS position, 'count' AS kind
			FROM `+months+`, (VALUES ('leads', 1), ('win_rate', 2), ('it''s, "quoted"', 3)) v(metric, p)`,
		`CREATE TABLE marts.kpis_by_channel AS SELECT month, channel, 'leads' AS metric, m * 10.0 AS value, 1 AS position, 'count' AS kind
			FROM `+months+`, (VALUES ('paid'), ('organic'), (NULL)) c(channel)`,
		`CREATE TABLE marts.sla_by_owner AS SELECT month, 'Ann' AS owner, m::BIGINT AS mqls, 1::BIGINT AS sla_met, 0::BIGINT AS sla_breached,
			0::BIGINT AS sla_pending, 1.0 AS sla_compliance, NULL::DOUBLE AS first_touch_hours_median FROM `+months,
		`CREATE TABLE marts.funnel AS SELECT month AS cohort_month, 10::BIGINT AS leads, 5::BIGINT AS mqls, 3::BIGINT AS sqls, 2::BIGINT AS opportunities, m::BIGINT AS won FROM `+months,
		`CREATE TABLE marts.targets AS SELECT month, 'bookings' AS metric, (m * 1000.25)::DECIMAL(18,2) AS target, m * 900.0 AS actual, 0.9 AS attainment, 1000.0 AS projected, 'currency' AS kind FROM `+months,
	)
	return conn
}

func exec(t *testing.T, conn *sql.Conn, qs ...string) {
	t.Helper()
	for _, q := range qs {
		if _, err := conn.ExecContext(context.Background(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func loadTable(t *testing.T, dir, mart string) *table.Table {
	return feedtest.Load(t, dir, Namespace, mart)
}

// sameRows reads the table back through iceberg-go (at the snapshot given,
// or the current one) and says how its rows differ from the query's, as
// DuckDB compares them: nothing when they are the same multiset.
func sameRows(t *testing.T, conn *sql.Conn, dir, mart string, snapshot int64, query string) string {
	t.Helper()
	back := feedtest.ReadBack(t, loadTable(t, dir, mart), snapshot)
	var extra, missing int
	q := fmt.Sprintf(`SELECT (SELECT count(*) FROM (SELECT * FROM read_parquet(%[1]s) EXCEPT ALL %[2]s)),
		(SELECT count(*) FROM (%[2]s EXCEPT ALL SELECT * FROM read_parquet(%[1]s)))`, warehouse.QuoteString(back), query)
	if err := conn.QueryRowContext(context.Background(), q).Scan(&extra, &missing); err != nil {
		t.Fatal(err)
	}
	if extra+missing == 0 {
		return ""
	}
	return fmt.Sprintf("%s: %d rows read back that the marts do not have, %d rows of the marts not read back", mart, extra, missing)
}

func dataFiles(t *testing.T, dir, mart string) []string {
	t.Helper()
	tasks, err := loadTable(t, dir, mart).Scan().PlanFiles(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for _, task := range tasks {
		files = append(files, task.File.FilePath())
	}
	slices.Sort(files)
	return files
}

func TestWriteIceberg(t *testing.T) {
	ctx := context.Background()
	conn := marts(t)
	dir := filepath.Join(t.TempDir(), "iceberg")

	first, err := WriteIceberg(ctx, conn, Iceberg{Dir: dir}, map[string]string{"coxswain.build-id": "1"})
	if err != nil {
		t.Fatal(err)
	}
	if len(first) != len(Exported) {
		t.Fatalf("%d tables written, want %d", len(first), len(Exported))
	}
	for _, ch := range first {
		if !ch.Created || ch.Snapshot == 0 || !slices.Equal(ch.Added, []string{"2026-01", "2026-02", "2026-03"}) || ch.Replaced != nil || ch.Removed != nil {
			t.Errorf("first build, %s: %+v", ch.Mart, ch)
		}
		if d := sameRows(t, conn, dir, ch.Mart, 0, "SELECT * FROM marts."+ch.Mart); d != "" {
			t.Error(d)
		}
	}
	if p := loadTable(t, dir, "kpis").CurrentSnapshot().Summary.Properties["coxswain.build-id"]; p != "1" {
		t.Errorf("the snapshot's summary has coxswain.build-id %q, want 1", p)
	}
	filesBefore := dataFiles(t, dir, "kpis")
	if len(filesBefore) != 3 {
		t.Fatalf("kpis has %d data files, want one a month: %v", len(filesBefore), filesBefore)
	}

	// A build that changes nothing adds no snapshot.
	again, err := WriteIceberg(ctx, conn, Iceberg{Dir: dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range again {
		if ch.Snapshot != 0 || ch.Created || ch.Added != nil || ch.Replaced != nil || ch.Removed != nil {
			t.Errorf("an unchanged build changed %s: %+v", ch.Mart, ch)
		}
	}

	// A re-run month is overwritten, a new one added, a month no longer in
	// the mart dropped; the other months keep their files.
	exec(t, conn,
		`CREATE TABLE before_kpis AS SELECT * FROM marts.kpis`,
		`UPDATE marts.kpis SET value = value + 1 WHERE month = '2026-02' AND metric = 'leads'`,
		`INSERT INTO marts.kpis SELECT '2026-04', metric, value, position, kind FROM marts.kpis WHERE month = '2026-03'`,
		`DELETE FROM marts.kpis WHERE month = '2026-01'`,
	)
	// A killed build's half-written file is swept.
	litter := filepath.Join(dir, Namespace, "kpis", "data", "month=2026-03", tmpPrefix+"data.parquet")
	if err := os.WriteFile(litter, []byte("half"), 0o644); err != nil {
		t.Fatal(err)
	}
	second, err := WriteIceberg(ctx, conn, Iceberg{Dir: dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(litter); !os.IsNotExist(err) {
		t.Errorf("a killed build's %s is still there", litter)
	}
	for _, ch := range second {
		want := TableChange{Mart: ch.Mart, Snapshot: ch.Snapshot}
		if ch.Mart == "kpis" {
			want.Added, want.Replaced, want.Removed = []string{"2026-04"}, []string{"2026-02"}, []string{"2026-01"}
			if ch.Snapshot == 0 {
				t.Error("the changed kpis got no snapshot")
			}
		} else if ch.Snapshot != 0 {
			t.Errorf("%s did not change but got snapshot %d", ch.Mart, ch.Snapshot)
		}
		if fmt.Sprint(ch) != fmt.Sprint(want) {
			t.Errorf("second build, %s: %+v, want %+v", ch.Mart, ch, want)
		}
	}
	if d := sameRows(t, conn, dir, "kpis", 0, "SELECT * FROM marts.kpis"); d != "" {
		t.Error(d)
	}
	filesAfter := dataFiles(t, dir, "kpis")
	if len(filesAfter) != 3 || !slices.Contains(filesAfter, filesBefore[2]) || slices.Contains(filesAfter, filesBefore[0]) || slices.Contains(filesAfter, filesBefore[1]) {
		t.Errorf("kpis' files before %v, after %v: want 2026-03's kept, 2026-01's and 2026-02's gone", filesBefore, filesAfter)
	}
	// The first build is still there to read (time travel).
	if d := sameRows(t, conn, dir, "kpis", first[0].Snapshot, "SELECT * FROM before_kpis"); d != "" {
		t.Error("as of the first snapshot: " + d)
	}

	// A build killed in the catalog's commit of funnel's next version
	// leaves its temporary files, its claim on v3 (which would refuse the
	// next commit for a minute) and, killed later, a version hint behind.
	meta := filepath.Join(dir, Namespace, "funnel", "metadata")
	killed := []string{"0b6f2a52-3c1e-4d8a-9a57-6c1d2e3f4a5b.metadata.json", "v3.metadata.json.claim", "9c8d7e6f-1a2b-4c3d-8e9f-0a1b2c3d4e5f-version-hint.temp"}
	for _, name := range killed {
		if err := os.WriteFile(filepath.Join(meta, name), []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// kpis, which the next build leaves alone, got its third version but
	// not its hint.
	kpisHint := filepath.Join(dir, Namespace, "kpis", "metadata", "version-hint.text")
	if err := os.WriteFile(kpisHint, []byte("2"), 0o644); err != nil {
		t.Fatal(err)
	}

	// A new column in a mart (a newer coxswain) is added to the table.
	exec(t, conn, `ALTER TABLE marts.funnel ADD COLUMN note VARCHAR`, `UPDATE marts.funnel SET note = 'x' || won`)
	third, err := WriteIceberg(ctx, conn, Iceberg{Dir: dir}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range killed {
		if _, err := os.Stat(filepath.Join(meta, name)); !os.IsNotExist(err) {
			t.Errorf("the killed commit's %s is still there", name)
		}
	}
	if hint, _ := os.ReadFile(filepath.Join(meta, "version-hint.text")); string(hint) != "3" {
		t.Errorf("funnel's version hint is %q after its third version", hint)
	}
	if hint, _ := os.ReadFile(kpisHint); string(hint) != "3" {
		t.Errorf("kpis' version hint is %q, its newest metadata v3", hint)
	}
	funnel := third[slices.IndexFunc(third, func(c TableChange) bool { return c.Mart == "funnel" })]
	if len(funnel.Replaced) != 3 {
		t.Errorf("funnel with a new column: %+v", funnel)
	}
	if _, ok := loadTable(t, dir, "funnel").Schema().FindFieldByName("note"); !ok {
		t.Error("the funnel table has no column note")
	}
	if d := sameRows(t, conn, dir, "funnel", 0, "SELECT * FROM marts.funnel"); d != "" {
		t.Error(d)
	}

	// A column the mart no longer has leaves the current schema; the next
	// build, with nothing changed, adds no snapshot.
	exec(t, conn, `ALTER TABLE marts.sla_by_owner DROP COLUMN first_touch_hours_median`)
	if _, err := WriteIceberg(ctx, conn, Iceberg{Dir: dir}, nil); err != nil {
		t.Fatal(err)
	}
	if _, ok := loadTable(t, dir, "sla_by_owner").Schema().FindFieldByName("first_touch_hours_median"); ok {
		t.Error("sla_by_owner still has the column the mart dropped")
	}
	if d := sameRows(t, conn, dir, "sla_by_owner", 0, "SELECT * FROM marts.sla_by_owner"); d != "" {
		t.Error(d)
	}
	snapshots := len(loadTable(t, dir, "sla_by_owner").Metadata().Snapshots())
	if _, err := WriteIceberg(ctx, conn, Iceberg{Dir: dir}, nil); err != nil {
		t.Fatal(err)
	}
	if n := len(loadTable(t, dir, "sla_by_owner").Metadata().Snapshots()); n != snapshots {
		t.Errorf("an unchanged build after the column was dropped added %d snapshots", n-snapshots)
	}
}

// TestWriteIceberg_Layout checks what an engine pointed at the folder
// finds: metadata and data under one folder per table, and the data files
// under Iceberg's partition layout.
func TestWriteIceberg_Layout(t *testing.T) {
	conn := marts(t)
	dir := filepath.Join(t.TempDir(), "iceberg")
	if _, err := WriteIceberg(context.Background(), conn, Iceberg{Dir: dir}, nil); err != nil {
		t.Fatal(err)
	}
	tbl := loadTable(t, dir, "funnel")
	spec := tbl.Spec()
	if got := spec.Field(0).Name; got != "cohort_month" {
		t.Errorf("funnel is partitioned by %s, want cohort_month", got)
	}
	for _, f := range dataFiles(t, dir, "funnel") {
		rel := strings.TrimPrefix(strings.TrimPrefix(f, "file://"), filepath.Join(dir, Namespace, "funnel")+"/")
		if ok, _ := filepath.Match("data/cohort_month=2026-0?/*.parquet", rel); !ok {
			t.Errorf("data file %s is not under data/cohort_month=<month>/", f)
		}
	}
	// Each data file carries the table's field ids: an engine reads it
	// without the table's name mapping.
	for _, f := range dataFiles(t, dir, "funnel") {
		rows, err := conn.QueryContext(context.Background(), `SELECT name, field_id FROM parquet_schema(?) WHERE field_id IS NOT NULL`, f)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for rows.Next() {
			var name string
			var id int
			rows.Scan(&name, &id)
			if c, ok := tbl.Schema().FindFieldByName(name); !ok || c.ID != id {
				t.Errorf("%s: column %s has field id %d, the table %v", f, name, id, c)
			}
			n++
		}
		rows.Close()
		if n != len(tbl.Schema().Fields()) {
			t.Errorf("%s: %d columns with a field id, the table has %d", f, n, len(tbl.Schema().Fields()))
		}
	}
	if _, err := os.Stat(filepath.Join(dir, Namespace, "funnel", "metadata", "version-hint.text")); err != nil {
		t.Errorf("no version hint for engines that read a Hadoop catalog: %v", err)
	}
}

// TestWriteIceberg_Location: with a location, the metadata names the
// bucket's addresses and never the build machine's folder, so that the
// folder copied to the bucket is a catalog there; iceberg-go reads it back
// through the same addresses.
func TestWriteIceberg_Location(t *testing.T) {
	ctx := context.Background()
	conn := marts(t)
	dir := filepath.Join(t.TempDir(), "iceberg")
	f := Iceberg{Dir: dir, Location: "s3://finance-lake/coxswain/"}
	if _, err := WriteIceberg(ctx, conn, f, nil); err != nil {
		t.Fatal(err)
	}
	exec(t, conn, `UPDATE marts.kpis SET value = 0 WHERE month = '2026-03'`)
	if _, err := WriteIceberg(ctx, conn, f, nil); err != nil {
		t.Fatal(err)
	}
	cat, err := f.catalog()
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := cat.LoadTable(ctx, table.Identifier{Namespace, "kpis"})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := tbl.Location(), "s3://finance-lake/coxswain/coxswain/kpis"; got != want {
		t.Errorf("the table's location is %s, want %s", got, want)
	}
	if !strings.HasPrefix(tbl.MetadataLocation(), "s3://finance-lake/coxswain/coxswain/kpis/metadata/") {
		t.Errorf("the metadata file is %s", tbl.MetadataLocation())
	}
	tasks, err := tbl.Scan().PlanFiles(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range tasks {
		if !strings.HasPrefix(task.File.FilePath(), "s3://finance-lake/coxswain/coxswain/kpis/data/month=") {
			t.Errorf("a data file is named %s", task.File.FilePath())
		}
	}
	if len(tasks) != 3 || len(tbl.Metadata().Snapshots()) != 2 {
		t.Errorf("%d data files and %d snapshots, want 3 and 2", len(tasks), len(tbl.Metadata().Snapshots()))
	}
	at, err := tbl.Scan().ToArrowTable(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer at.Release()
	if at.NumRows() != 9 {
		t.Errorf("read back %d rows of kpis, want 9", at.NumRows())
	}
	// Every metadata file (JSON, the manifest lists and manifests in Avro)
	// names the bucket only.
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(p, ".parquet") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.Contains(string(b), dir) {
			t.Errorf("%s names the local folder %s", p, dir)
		}
		return nil
	})

	// A feed written for one place is not silently continued at another.
	_, err = WriteIceberg(ctx, conn, Iceberg{Dir: dir, Location: "gs://other-lake/x"}, nil)
	if err == nil || !strings.Contains(err.Error(), "s3://finance-lake/coxswain/coxswain/") || !strings.Contains(err.Error(), "remove the folder "+dir) {
		t.Errorf("a changed location: %v", err)
	}
	if _, err := WriteIceberg(ctx, conn, Iceberg{Dir: dir}, nil); err == nil {
		t.Error("the feed written for a bucket was continued at its local folder")
	}
}

// TestWriteIceberg_FolderMoved: a local feed's metadata names its folder;
// moved (or copied, as a backup restored elsewhere), each table is written
// again where it now is, with the same rows, and says so.
func TestWriteIceberg_FolderMoved(t *testing.T) {
	ctx := context.Background()
	conn := marts(t)
	old := filepath.Join(t.TempDir(), "iceberg")
	if _, err := WriteIceberg(ctx, conn, Iceberg{Dir: old}, nil); err != nil {
		t.Fatal(err)
	}
	moved := filepath.Join(t.TempDir(), "moved")
	if err := os.Rename(old, moved); err != nil {
		t.Fatal(err)
	}
	changes, err := WriteIceberg(ctx, conn, Iceberg{Dir: moved}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, ch := range changes {
		if ch.Moved != filepath.Join(old, Namespace, ch.Mart) || !ch.Created || ch.Snapshot == 0 {
			t.Errorf("%s after the move: %+v", ch.Mart, ch)
		}
		if d := sameRows(t, conn, moved, ch.Mart, 0, "SELECT * FROM marts."+ch.Mart); d != "" {
			t.Error(d)
		}
		for _, f := range dataFiles(t, moved, ch.Mart) {
			if !strings.HasPrefix(f, moved) {
				t.Errorf("%s names %s", ch.Mart, f)
			}
		}
	}
}
