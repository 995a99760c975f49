package ingest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"coxswain"
	"coxswain/pipelines/presets"
	"coxswain/pipelines/staging"
	"coxswain/pipelines/warehouse"
)

// A raw table keeps its records' history as versions (see warehouse's
// ColValidTo). Loading a drop inserts its rows, then fold() turns them into
// versions of the object, in the drop's transaction:
//
//   - a row whose record's current version has the same content is no
//     new version: it is deleted again (a weekly snapshot of an org where
//     2% of records changed stores 2% of it);
//   - a record with a new content gets a new version, and its previous one
//     is closed (_valid_to = this drop);
//   - a full snapshot closes the current version of every record it lacks:
//     the record was deleted;
//   - a late drop, named before a drop of the object already loaded, never
//     overrides what a later drop delivered: such versions are closed at
//     once (kept, never current), as staging always read the newest drop.
//
// The current state is then the rows with _valid_to IS NULL, and the state
// as of any drop d the rows with _drop_id <= d AND (_valid_to IS NULL OR
// _valid_to > d) (the macro raw_as_of).

// objectHistory is a drop's rows of one object and the object's current
// versions, with their record ids, in temporary tables: the snapshot guard
// counts from them, then fold() compares them.
type objectHistory struct {
	table, key       string
	newRows, curRows string // the temporary tables
	late             bool   // a drop of the object named after this one is loaded
	prepared         bool   // the temporary tables exist: there is something to compare
}

// prepareHistory reads the record ids of a drop's rows of obj and of the
// object's current versions. A first snapshot has nothing to compare.
func (b *builder) prepareHistory(ctx context.Context, m *presets.Mapping, obj coxswain.Object, d Drop, dropID int64) (*objectHistory, error) {
	h := &objectHistory{table: warehouse.RawTable(m.Source.Name, obj),
		newRows: "history_new_" + string(obj), curRows: "history_cur_" + string(obj)}
	var err error
	if h.key, err = b.recordID(ctx, m, obj); err != nil {
		return nil, err
	}
	if h.late, err = b.late(ctx, m.Source.Name, obj, d); err != nil {
		return nil, err
	}
	var current bool
	if err := b.conn.QueryRowContext(ctx, fmt.Sprintf(`SELECT EXISTS (SELECT 1 FROM %s WHERE _valid_to IS NULL AND _drop_id <> %d)`, h.table, dropID)).Scan(&current); err != nil {
		return nil, err
	}
	if m.Snapshot && !h.late && !current {
		return h, nil // a first snapshot (or one after every record was deleted): all of it is current
	}
	// latest is 1 for a record's last row in the drop (by file, then line):
	// incremental exports keep it.
	latest := "1"
	if !m.Snapshot {
		latest = "row_number() OVER (PARTITION BY k ORDER BY file DESC, rid DESC)"
	}
	for _, q := range []string{
		fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE %[1]s AS SELECT *, %[2]s AS latest
			FROM (SELECT r.rowid AS rid, %[3]s AS k, r._hash AS h, r._file_id AS file FROM %[4]s r WHERE r._drop_id = %[5]d)`,
			h.newRows, latest, h.key, h.table, dropID),
		fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE %[1]s AS
			SELECT r.rowid AS rid, %[2]s AS k, r._hash AS h, coalesce(r._seen_file, r._file_id) AS seen
			FROM %[3]s r WHERE r._valid_to IS NULL AND r._drop_id <> %[4]d`, h.curRows, h.key, h.table, dropID),
	} {
		if _, err := b.conn.ExecContext(ctx, q); err != nil {
			return nil, err
		}
	}
	h.prepared = true
	return h, nil
}

// counts are the records (distinct ids) of the current state and of the
// drop, and those of the current state the drop lacks. A late drop deletes
// nothing: before is 0.
func (h *objectHistory) counts(ctx context.Context, q querier, dropID int64) (before, after, missing int64, err error) {
	if !h.prepared || h.late {
		err = q.QueryRowContext(ctx, fmt.Sprintf(`SELECT count(DISTINCT %s) FROM %s r WHERE r._drop_id = %d`, h.key, h.table, dropID)).Scan(&after)
		return 0, after, 0, err
	}
	err = q.QueryRowContext(ctx, fmt.Sprintf(`SELECT (SELECT count(DISTINCT k) FROM %[1]s), (SELECT count(DISTINCT k) FROM %[2]s),
		(SELECT count(DISTINCT c.k) FROM %[1]s c ANTI JOIN %[2]s n ON n.k = c.k WHERE c.k IS NOT NULL)`, h.curRows, h.newRows)).Scan(&before, &after, &missing)
	return before, after, missing, err
}

// fold turns the drop's rows of the object into versions and closes the
// versions they replace, then drops the temporary tables.
func (b *builder) fold(ctx context.Context, m *presets.Mapping, h *objectHistory, d Drop, dropID int64) error {
	if !h.prepared {
		return nil
	}
	t, n, c := h.table, h.newRows, h.curRows
	var steps []string
	switch {
	case m.Snapshot && h.late:
		steps = []string{
			// What it repeats of the current state adds nothing; the rest is
			// history that was never current.
			fmt.Sprintf(`DELETE FROM %s WHERE rowid IN (SELECT n.rid FROM %s n JOIN %s c ON c.k = n.k AND c.h = n.h)`, t, n, c),
			fmt.Sprintf(`UPDATE %s SET _valid_to = %d WHERE _drop_id = %d`, t, dropID, dropID),
		}
	case m.Snapshot:
		steps = []string{
			// A record listed once, as its one current version is: unchanged.
			fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE history_same AS
				SELECT n.rid AS new_rid, c.rid AS cur_rid FROM %[1]s n JOIN %[2]s c ON c.k = n.k AND c.h = n.h
				WHERE n.k NOT IN (SELECT k FROM %[1]s WHERE k IS NOT NULL GROUP BY k HAVING count(*) > 1)
				  AND n.k NOT IN (SELECT k FROM %[2]s WHERE k IS NOT NULL GROUP BY k HAVING count(*) > 1)`, n, c),
			// Every other current version was changed or deleted by this drop.
			fmt.Sprintf(`UPDATE %s SET _valid_to = %d WHERE rowid IN (SELECT rid FROM %s) AND rowid NOT IN (SELECT cur_rid FROM history_same)`, t, dropID, c),
			fmt.Sprintf(`DELETE FROM %s WHERE rowid IN (SELECT new_rid FROM history_same)`, t),
		}
	default:
		// Incremental exports: only the records a drop lists change. A
		// record listed twice in the drop keeps its last row.
		steps = []string{
			fmt.Sprintf(`UPDATE %s SET _valid_to = %d WHERE rowid IN (SELECT rid FROM %s WHERE k IS NOT NULL AND latest > 1)`, t, dropID, n),
			// newer: the current version was last delivered by a drop after
			// this one, which is late for the record.
			fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE history_cmp AS
				SELECT n.rid AS new_rid, n.file, c.rid AS cur_rid, coalesce(c.h = n.h, false) AS same,
				       sd.drop_id IS NOT NULL AND (sd.name, sd.modified_at, sd.drop_id) > (?::VARCHAR, ?::TIMESTAMPTZ, %d) AS newer
				FROM %s n
				LEFT JOIN %s c ON c.k = n.k
				LEFT JOIN meta.files sf ON sf.file_id = c.seen
				LEFT JOIN meta.drops sd ON sd.drop_id = sf.drop_id
				WHERE n.k IS NOT NULL AND n.latest = 1`, dropID, n, c),
			fmt.Sprintf(`UPDATE %s AS r SET _seen_file = c.file FROM history_cmp c WHERE r.rowid = c.cur_rid AND c.same AND NOT c.newer`, t),
			fmt.Sprintf(`DELETE FROM %s WHERE rowid IN (SELECT new_rid FROM history_cmp WHERE same)`, t),
			fmt.Sprintf(`UPDATE %s SET _valid_to = %d WHERE rowid IN (SELECT new_rid FROM history_cmp WHERE NOT same AND newer)`, t, dropID),
			fmt.Sprintf(`UPDATE %s SET _valid_to = %d WHERE rowid IN (SELECT cur_rid FROM history_cmp WHERE cur_rid IS NOT NULL AND NOT same AND NOT newer)`, t, dropID),
		}
	}
	steps = append(steps, `DROP TABLE IF EXISTS history_same`, `DROP TABLE IF EXISTS history_cmp`, `DROP TABLE `+n, `DROP TABLE `+c)
	for _, q := range steps {
		var args []any
		if strings.Contains(q, "?") {
			args = []any{d.Name, d.Modified}
		}
		if _, err := b.conn.ExecContext(ctx, q, args...); err != nil {
			return err
		}
	}
	return nil
}

// rehash works out again the content hash of an object's current versions,
// after its raw table gained or widened a column: a hash covers every
// column, so it changes with them, and the drop's rows must be compared
// with the current versions on equal terms.
func (b *builder) rehash(ctx context.Context, m *presets.Mapping, obj coxswain.Object) error {
	cols, err := warehouse.RawColumns(ctx, b.conn, m.Source.Name, obj)
	if err != nil {
		return err
	}
	_, err = b.conn.ExecContext(ctx, fmt.Sprintf(`UPDATE %s SET _hash = %s WHERE _valid_to IS NULL`,
		warehouse.RawTable(m.Source.Name, obj), warehouse.HashExpr(cols, columnValue)))
	return err
}

// columnValue is a raw column's stored value, for its content hash.
func columnValue(c warehouse.RawColumn) string { return warehouse.QuoteIdent(c.Name) }

// recordID is the record id of the object's raw rows, over alias r.
func (b *builder) recordID(ctx context.Context, m *presets.Mapping, obj coxswain.Object) (string, error) {
	cols, err := warehouse.RawColumns(ctx, b.conn, m.Source.Name, obj)
	if err != nil {
		return "", err
	}
	return staging.RecordID(m, m.Objects[obj], cols), nil
}

// late says whether a drop of obj already loaded comes after d, in the
// order drops are read: by name, then by time.
func (b *builder) late(ctx context.Context, source string, obj coxswain.Object, d Drop) (bool, error) {
	name, modified, ok, err := latestDrop(ctx, b.conn, source, obj)
	if err != nil || !ok {
		return false, err
	}
	return name > d.Name || name == d.Name && modified.After(d.Modified), nil
}

// latestDrop is the last drop of the source, in drop order, that had files
// of obj.
func latestDrop(ctx context.Context, q querier, source string, obj coxswain.Object) (name string, modified time.Time, ok bool, err error) {
	err = q.QueryRowContext(ctx, `SELECT d.name, d.modified_at FROM meta.drops d
		WHERE d.source = ? AND EXISTS (SELECT 1 FROM meta.files f WHERE f.drop_id = d.drop_id AND f.object = ?)
		ORDER BY d.name DESC, d.modified_at DESC LIMIT 1`, source, string(obj)).Scan(&name, &modified)
	if errors.Is(err, sql.ErrNoRows) {
		return "", time.Time{}, false, nil
	}
	return name, modified, err == nil, err
}

// upgradeHistory turns the raw tables of a warehouse written before
// versions (every drop's rows kept whole) into versions, in one transaction
// per source: per record, in drop order, a row is kept where its content
// differs from the record's row in the object's previous drop (or the
// record was not there), and closed by the next drop that lacks it (a full
// snapshot) or has other content. The current state stays what staging read
// before: the newest snapshot, or each record's newest row.
func (b *builder) upgradeHistory(ctx context.Context, m *presets.Mapping) error {
	var todo []coxswain.Object
	for _, obj := range coxswain.Objects {
		if _, ok := m.Objects[obj]; !ok {
			continue
		}
		cols, err := warehouse.RawColumns(ctx, b.conn, m.Source.Name, obj)
		if err != nil {
			return err
		}
		if _, versioned := cols[warehouse.ColValidTo]; len(cols) > 0 && !versioned {
			todo = append(todo, obj)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	if _, err := b.conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return err
	}
	committed := false
	defer func() {
		if !committed {
			b.conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}()
	for _, obj := range todo {
		started := time.Now()
		before, after, err := b.upgradeTable(ctx, m, obj)
		if err != nil {
			return fmt.Errorf("source %s: store the history of %s as versions: %w", m.Source.Name, obj.Plural(), err)
		}
		b.opt.Log.Info(fmt.Sprintf("%s: the history of %s stored as versions: %d rows kept of %d (%.1fs)", m.Source.Name, obj.Plural(), after, before, time.Since(started).Seconds()),
			"event", "history_upgrade", "source", m.Source.Name, "object", string(obj), "rows_before", before, "rows_after", after)
	}
	if _, err := b.conn.ExecContext(ctx, "COMMIT"); err != nil {
		return err
	}
	committed = true
	return nil
}

func (b *builder) upgradeTable(ctx context.Context, m *presets.Mapping, obj coxswain.Object) (before, after int64, err error) {
	cols, err := warehouse.RawColumns(ctx, b.conn, m.Source.Name, obj)
	if err != nil {
		return 0, 0, err
	}
	table := warehouse.RawTable(m.Source.Name, obj)
	key := staging.RecordID(m, m.Objects[obj], cols)
	hash := warehouse.HashExpr(cols, func(c warehouse.RawColumn) string { return "r." + warehouse.QuoteIdent(c.Name) })
	// The object's drops in order: by name, then time, as staging read them.
	drops := fmt.Sprintf(`SELECT d.drop_id, row_number() OVER w AS o, lead(d.drop_id) OVER w AS next_drop
		FROM meta.drops d
		WHERE d.source = %s AND EXISTS (SELECT 1 FROM meta.files f WHERE f.drop_id = d.drop_id AND f.object = %s)
		WINDOW w AS (ORDER BY d.name, d.modified_at, d.drop_id)`, warehouse.QuoteString(m.Source.Name), warehouse.QuoteString(string(obj)))
	rows := fmt.Sprintf(`SELECT r.rowid AS rid, %s AS k, %s AS h, r._drop_id AS drop_id, r._file_id AS file, o.o, o.next_drop
		FROM %s r LEFT JOIN drops o ON o.drop_id = r._drop_id`, key, hash, table)
	var chain string
	if m.Snapshot {
		// An island is a record's run of equal content in consecutive
		// drops; a record listed twice in a drop is an island of each row.
		chain = `, marked AS (
			SELECT *, count(*) OVER (PARTITION BY k, o) > 1 AS dup FROM rows
		), starts AS (
			SELECT *, coalesce(k IS NULL OR dup OR lag(dup) OVER w OR lag(o) OVER w <> o - 1 OR lag(h) OVER w <> h, true) AS starts
			FROM marked WINDOW w AS (PARTITION BY k ORDER BY o NULLS FIRST, rid)
		), islands AS (
			SELECT *, sum(starts::INTEGER) OVER (PARTITION BY k ORDER BY o NULLS FIRST, rid ROWS UNBOUNDED PRECEDING) AS island FROM starts
		)
		SELECT rid, h, starts,
		       last_value(next_drop) OVER (PARTITION BY k, island ORDER BY o NULLS FIRST, rid ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS valid_to,
		       NULL::INTEGER AS seen_file
		FROM islands`
	} else {
		// Each record's rows by drop, file and line; an island is a run of
		// equal content, closed by the drop of the next island. A row with
		// no id is a version of its own, never closed.
		chain = `, starts AS (
			SELECT *, k IS NULL OR coalesce(lag(h) OVER w <> h, true) AS starts
			FROM rows WINDOW w AS (PARTITION BY k ORDER BY o NULLS FIRST, file, rid)
		), islands AS (
			SELECT *, sum(starts::INTEGER) OVER (PARTITION BY k ORDER BY o NULLS FIRST, file, rid ROWS UNBOUNDED PRECEDING) AS island FROM starts
		), spans AS (
			SELECT *, last_value(file) OVER (PARTITION BY k, island ORDER BY o NULLS FIRST, file, rid ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS seen
			FROM islands
		), firsts AS (
			SELECT *, CASE WHEN k IS NOT NULL THEN lead(drop_id) OVER (PARTITION BY k ORDER BY o NULLS FIRST, file, rid) END AS valid_to
			FROM spans WHERE starts
		)
		SELECT s.rid, s.h, s.starts, f.valid_to, nullif(s.seen, s.file) AS seen_file
		FROM spans s LEFT JOIN firsts f ON f.rid = s.rid`
	}
	name := strings.TrimPrefix(table, "raw.")
	next := "raw." + warehouse.QuoteIdent(m.Source.Name+"__"+string(obj)+"__versions")
	steps := []string{
		`CREATE OR REPLACE TEMP TABLE history_chain AS WITH drops AS (` + drops + `), rows AS (` + rows + `)` + chain,
		fmt.Sprintf(`CREATE TABLE %s AS SELECT r.*, c.h AS _hash, c.valid_to AS _valid_to, c.seen_file AS _seen_file
			FROM %s r JOIN history_chain c ON c.rid = r.rowid WHERE c.starts ORDER BY r.rowid`, next, table),
		`DROP TABLE history_chain`,
		`DROP TABLE ` + table,
		`ALTER TABLE ` + next + ` RENAME TO ` + name,
	}
	if err := b.conn.QueryRowContext(ctx, `SELECT count(*) FROM `+table).Scan(&before); err != nil {
		return 0, 0, err
	}
	for _, q := range steps {
		if _, err := b.conn.ExecContext(ctx, q); err != nil {
			return 0, 0, err
		}
	}
	err = b.conn.QueryRowContext(ctx, `SELECT count(*) FROM `+table).Scan(&after)
	return before, after, err
}
