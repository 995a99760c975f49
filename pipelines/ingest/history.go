package ingest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
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
//
// A nightly full snapshot repeats almost all of the current state, so for
// one the loader compares while it reads (startReading): each row is joined
// to its record's current version as it comes out of the file, only the new
// contents are written to the raw table, and of the others only the record
// id and hash are kept, in a temporary table. The versions come out the
// same as inserting every row and deleting the repeats would give.

// objectHistory is a drop's rows of one object and the object's current
// versions, with their record ids, in temporary tables: the snapshot guard
// counts from them, then fold() compares them.
type objectHistory struct {
	object           coxswain.Object
	table, key       string
	newRows, curRows string // the temporary tables
	keys             string // when reading: the records that are not unchanged
	late             bool   // a drop of the object named after this one is loaded
	prepared         bool   // the temporary tables exist: there is something to compare
	// reading: the drop's rows were compared with the current versions as
	// they were read (startReading). newRows then holds every row read:
	// its record id, hash and file, whether it repeats a current version,
	// and the row itself only where it does not.
	reading bool
}

func newHistory(m *presets.Mapping, obj coxswain.Object) *objectHistory {
	return &objectHistory{object: obj, table: warehouse.RawTable(m.Source.Name, obj),
		newRows: "history_new_" + string(obj), curRows: "history_cur_" + string(obj), keys: "history_keys_" + string(obj)}
}

// prepareHistory reads the record ids of a drop's rows of obj and of the
// object's current versions. A first snapshot has nothing to compare.
func (b *builder) prepareHistory(ctx context.Context, m *presets.Mapping, obj coxswain.Object, d Drop, dropID int64) (*objectHistory, error) {
	h := newHistory(m, obj)
	var err error
	if h.late, err = b.late(ctx, m.Source.Name, obj, d, dropID); err != nil {
		return nil, err
	}
	return h, b.prepare(ctx, m, h, dropID)
}

// currentVersions says whether the object has current versions other than
// the drop's own.
func (b *builder) currentVersions(ctx context.Context, h *objectHistory, dropID int64) (bool, error) {
	var current bool
	err := b.conn.QueryRowContext(ctx, fmt.Sprintf(`SELECT EXISTS (SELECT 1 FROM %s WHERE _valid_to IS NULL AND _drop_id <> %d)`, h.table, dropID)).Scan(&current)
	return current, err
}

// curVersions fills h.curRows: the record ids of the object's current
// versions, but the drop's own.
func (h *objectHistory) curVersions(dropID int64) string {
	return fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE %[1]s AS
		SELECT r.rowid AS rid, %[2]s AS k, r._hash AS h, coalesce(r._seen_file, r._file_id) AS seen
		FROM %[3]s r WHERE r._valid_to IS NULL AND r._drop_id <> %[4]d`, h.curRows, h.key, h.table, dropID)
}

// startReading sets up comparing a full snapshot's rows of obj with the
// current versions while they are read, when that gives the versions that
// inserting them whole would: the drop is not late and the object has
// current versions. The caller takes it only for an object whose raw table
// the drop neither creates nor gives new or wider columns (a hash covers
// every column: the current versions would have to be hashed again first).
// Otherwise h is left to prepare() after the load.
func (b *builder) startReading(ctx context.Context, m *presets.Mapping, h *objectHistory, obj coxswain.Object, dropID int64) error {
	if !m.Snapshot || h.late || b.opt.insertWhole {
		return nil
	}
	existing, err := warehouse.RawColumns(ctx, b.conn, m.Source.Name, obj)
	if err != nil {
		return err
	}
	if current, err := b.currentVersions(ctx, h, dropID); err != nil || !current {
		return err
	}
	h.key = staging.RecordID(m, m.Objects[obj], existing)
	for _, q := range []string{
		h.curVersions(dropID),
		fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE %s AS SELECT k, h, NULL::INTEGER AS file, true AS repeat,
			NULL::VARCHAR[] AS vals, NULL::VARCHAR AS invalid FROM %s LIMIT 0`, h.newRows, h.curRows),
	} {
		if _, err := b.conn.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	h.reading = true
	return nil
}

// readNew reads a file of the object (the SELECT of its columns, under the
// raw table's names, with _drop_id, _file_id and, where invalid says so,
// _invalid_column; hash is their content hash, as the whole load computes
// it) into h.newRows, and marks the rows that repeat a current
// version of their record: the same id and content hash. Only the others
// (and rows whose datetimes did not parse, which the load then
// quarantines) go on to the raw table. It returns the rows read, and those
// written.
func (h *objectHistory) readNew(ctx context.Context, conn *sql.Conn, f *fileLoad, rows, hash string, invalid bool) (read, written int64, err error) {
	inv := "NULL::VARCHAR"
	if invalid {
		inv = "r." + warehouse.ColInvalid
	}
	// The file's columns are renamed c1, c2... on their way: a file's own
	// column named k or repeat must not stand in for the loader's.
	inFile := map[string]bool{}
	var cols, text, back []string
	for i, c := range f.plan.columns {
		inFile[strings.ToLower(c.name)] = true
		q := warehouse.QuoteIdent(c.name)
		cols = append(cols, fmt.Sprintf("r.%s AS c%d", q, i+1))
		// A new row crosses the temporary table as text: a list holds
		// nothing for the rows that are not new, where a column per value
		// would hold a NULL each. VARCHAR, BOOLEAN, DATE, DECIMAL and DOUBLE
		// read back exactly; the hash check below makes sure.
		typ := f.table[strings.ToLower(c.name)].Type
		if typ == "TIMESTAMP WITH TIME ZONE" {
			// An instant crosses as its microseconds since the epoch: its
			// text in the session's zone drops the seconds of an offset
			// (local mean time: 1900-01-01 in Asia/Kolkata is +05:21:10),
			// and the very last instant's text does not read back.
			text = append(text, fmt.Sprintf("CASE WHEN isfinite(c%[1]d) THEN CAST(epoch_us(c%[1]d) AS VARCHAR) ELSE CAST(c%[1]d AS VARCHAR) END", i+1))
			back = append(back, fmt.Sprintf("CASE WHEN vals[%[1]d] IN ('infinity', '-infinity') THEN CAST(vals[%[1]d] AS TIMESTAMPTZ) ELSE make_timestamptz(CAST(vals[%[1]d] AS BIGINT)) END AS %[2]s", i+1, q))
			continue
		}
		text = append(text, fmt.Sprintf("CAST(c%d AS VARCHAR)", i+1))
		back = append(back, fmt.Sprintf("CAST(vals[%d] AS %s) AS %s", i+1, typ, q))
	}
	// Every column of the table, for the record id and the hash; NULL where
	// the file has none.
	var absent []string
	for n, c := range f.table {
		if !inFile[n] && !warehouse.Bookkeeping(c.Name) {
			absent = append(absent, "NULL::"+c.Type+" AS "+warehouse.QuoteIdent(c.Name))
		}
	}
	slices.Sort(absent)
	all := "*"
	if len(absent) > 0 {
		all = "*, " + strings.Join(absent, ", ")
	}
	res, err := conn.ExecContext(ctx, fmt.Sprintf(`INSERT INTO %[1]s (k, h, file, repeat, vals, invalid)
		SELECT k, h, file, repeat, CASE WHEN NOT repeat THEN [%[2]s] END, inv
		FROM (SELECT *, inv IS NULL AND EXISTS (SELECT 1 FROM %[3]s c WHERE c.k = x.k AND c.h = x.h) AS repeat
		      FROM (SELECT %[4]s AS k, %[5]s AS h, r.%[6]s AS file, %[7]s AS inv, %[8]s FROM (SELECT %[9]s FROM (%[10]s)) r) x)`,
		h.newRows, strings.Join(text, ", "), h.curRows, h.key, hash, warehouse.ColFile, inv, strings.Join(cols, ", "), all, rows))
	if err != nil {
		return 0, 0, err
	}
	read, _ = res.RowsAffected()
	res, err = conn.ExecContext(ctx, fmt.Sprintf(`INSERT INTO %s BY NAME
		SELECT %d AS _drop_id, file AS _file_id, h AS _hash, invalid AS %s, %s
		FROM %s WHERE file = %d AND NOT repeat`,
		h.table, f.dropID, warehouse.ColInvalid, strings.Join(back, ", "), h.newRows, f.fileID))
	if err != nil {
		return 0, 0, err
	}
	written, _ = res.RowsAffected()
	var changed int64
	if err := conn.QueryRowContext(ctx, fmt.Sprintf(`SELECT count(*) FROM %s WHERE _file_id = %d AND _hash IS DISTINCT FROM %s`,
		h.table, f.fileID, warehouse.HashExpr(f.table, columnValue))).Scan(&changed); err != nil {
		return 0, 0, err
	}
	if changed > 0 {
		return 0, 0, fmt.Errorf("internal error: %d rows changed on their way to %s (their content hash differs); please report it", changed, h.table)
	}
	return read, written, nil
}

// prepare reads the record ids of the drop's rows of the object and of its
// current versions into h's temporary tables, unless there is nothing to
// compare: a first snapshot. h.late is already known: it depends on the
// drops loaded before this one only.
func (b *builder) prepare(ctx context.Context, m *presets.Mapping, h *objectHistory, dropID int64) error {
	if h.reading {
		for _, q := range []string{
			// The rows quarantined since they were read are not the drop's.
			`DELETE FROM ` + h.newRows + ` WHERE invalid IS NOT NULL`,
			// The records that are not unchanged (listed once, repeating
			// their one current version): changed, added, deleted, or
			// listed twice here or there. They are a few percent; the
			// guard counts and fold closes from them. Grouping millions of
			// ids by their 64-bit hash first takes half the time of
			// grouping the ids, and loses nothing: a hash group of one
			// current version, one row and one repeat cannot hide another
			// record, since the repeat matched a current version of its own
			// id, which is then the group's only one. Only the other groups
			// are grouped again by id, exactly (a collision only sends an
			// unchanged record there, where it is found unchanged).
			fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE history_odd AS SELECT kh
				FROM (SELECT hash(k) AS kh, true AS cur, false AS repeat FROM %[2]s WHERE k IS NOT NULL
				      UNION ALL SELECT hash(k), false, repeat FROM %[3]s WHERE k IS NOT NULL)
				GROUP BY kh HAVING %[4]s`, h.keys, h.curRows, h.newRows, notUnchanged),
			fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE %[1]s AS
				SELECT k, count(*) FILTER (WHERE cur) AS n_cur, count(*) FILTER (WHERE NOT cur) AS n_new, count(*) FILTER (WHERE repeat) AS n_repeat
				FROM (SELECT k, true AS cur, false AS repeat FROM %[2]s WHERE hash(k) IN (SELECT kh FROM history_odd)
				      UNION ALL SELECT k, false, repeat FROM %[3]s WHERE hash(k) IN (SELECT kh FROM history_odd))
				WHERE k IS NOT NULL GROUP BY k HAVING %[4]s`, h.keys, h.curRows, h.newRows, notUnchanged),
			`DROP TABLE history_odd`,
		} {
			if _, err := b.conn.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		h.prepared = true
		return nil
	}
	var err error
	if h.key, err = b.recordID(ctx, m, h.object); err != nil {
		return err
	}
	current, err := b.currentVersions(ctx, h, dropID)
	if err != nil {
		return err
	}
	if m.Snapshot && !h.late && !current {
		return nil // a first snapshot (or one after every record was deleted): all of it is current
	}
	// latest is 1 for the row an incremental export keeps of a record it
	// lists twice: the one of the drop's last file. Within one file the
	// export does not say which is newer, and the reader does not keep line
	// order (preserve_insertion_order is off): the choice goes by content,
	// the same at every load.
	latest := "1"
	if !m.Snapshot {
		latest = "row_number() OVER (PARTITION BY k ORDER BY file DESC, h DESC)"
	}
	for _, q := range []string{
		fmt.Sprintf(`CREATE OR REPLACE TEMP TABLE %[1]s AS SELECT *, %[2]s AS latest
			FROM (SELECT r.rowid AS rid, %[3]s AS k, r._hash AS h, r._file_id AS file FROM %[4]s r WHERE r._drop_id = %[5]d)`,
			h.newRows, latest, h.key, h.table, dropID),
		h.curVersions(dropID),
	} {
		if _, err := b.conn.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	h.prepared = true
	return nil
}

// notUnchanged is the HAVING of a group of ids from the current versions
// (cur) and the drop's rows (repeat: of a current version) that is not one
// unchanged record.
const notUnchanged = `NOT (count(*) FILTER (WHERE cur) = 1 AND count(*) FILTER (WHERE NOT cur) = 1 AND count(*) FILTER (WHERE repeat) = 1)`

// counts are the records (distinct ids) of the current state and of the
// drop, and those of the current state the drop lacks. A late drop deletes
// nothing: before is 0.
func (h *objectHistory) counts(ctx context.Context, q querier, dropID int64) (before, after, missing int64, err error) {
	if !h.prepared || h.late {
		err = q.QueryRowContext(ctx, fmt.Sprintf(`SELECT count(DISTINCT %s) FROM %s r WHERE r._drop_id = %d`, h.key, h.table, dropID)).Scan(&after)
		return 0, after, 0, err
	}
	if h.reading {
		// Each unchanged record is one repeating row.
		err = q.QueryRowContext(ctx, fmt.Sprintf(`SELECT same + (SELECT count(*) FROM %[1]s WHERE n_cur > 0), same + (SELECT count(*) FROM %[1]s WHERE n_new > 0),
			(SELECT count(*) FROM %[1]s WHERE n_cur > 0 AND n_new = 0)
			FROM (SELECT (SELECT count(*) FROM %[2]s WHERE repeat) - (SELECT coalesce(sum(n_repeat), 0) FROM %[1]s) AS same)`, h.keys, h.newRows)).Scan(&before, &after, &missing)
		return before, after, missing, err
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
	case m.Snapshot && h.reading:
		// The rows that repeat a current version were not written.
		twice := `(SELECT k FROM ` + h.keys + ` WHERE n_cur > 1 OR n_new > 1)`
		var listedTwice bool
		if err := b.conn.QueryRowContext(ctx, `SELECT EXISTS `+twice).Scan(&listedTwice); err != nil {
			return err
		}
		if listedTwice {
			// A repeat of a record listed twice, here or in the current
			// state, is a new version all the same: a copy of the current
			// one. (Reading the rows to copy scans the raw table: only when
			// there are some.)
			steps = append(steps, fmt.Sprintf(`INSERT INTO %[1]s BY NAME SELECT r.* REPLACE (%[4]d AS _drop_id, n.file AS _file_id, NULL::INTEGER AS _seen_file)
				FROM %[2]s n
				JOIN (SELECT k, h, min(rid) AS rid FROM %[3]s WHERE k IN %[5]s GROUP BY k, h) c ON c.k = n.k AND c.h = n.h
				JOIN %[1]s r ON r.rowid = c.rid
				WHERE n.repeat AND n.k IN %[5]s`, t, n, c, dropID, twice))
		}
		steps = append(steps,
			// The current versions of every record but the unchanged ones
			// were changed or deleted by this drop.
			fmt.Sprintf(`UPDATE %s SET _valid_to = %d WHERE rowid IN (SELECT rid FROM %s WHERE k IS NULL OR k IN (SELECT k FROM %s WHERE n_cur > 0))`, t, dropID, c, h.keys),
			`DROP TABLE `+h.keys,
		)
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
		// record listed twice in the drop keeps one row (latest = 1).
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
func (b *builder) rehash(ctx context.Context, source string, obj coxswain.Object) error {
	cols, err := warehouse.RawColumns(ctx, b.conn, source, obj)
	if err != nil {
		return err
	}
	_, err = b.conn.ExecContext(ctx, fmt.Sprintf(`UPDATE %s SET _hash = %s WHERE _valid_to IS NULL`,
		warehouse.RawTable(source, obj), warehouse.HashExpr(cols, columnValue)))
	return err
}

// hashedBy makes sure the current versions' content hashes are this
// DuckDB's: an upgrade whose hash() differs would otherwise make every
// record of the next drop look changed, and store it once more. After a
// DuckDB upgrade, the current versions of every raw table are hashed again,
// in one transaction with the version recorded in meta.history_hash.
func (b *builder) hashedBy(ctx context.Context) error {
	var now, was string
	if err := b.conn.QueryRowContext(ctx, `SELECT version(), coalesce((SELECT max(duckdb_version) FROM meta.history_hash), '')`).Scan(&now, &was); err != nil {
		return err
	}
	if now == was {
		return nil
	}
	var tables []string
	err := warehouse.InTransaction(ctx, b.conn, func() error {
		if was != "" { // a warehouse with no record was hashed by this DuckDB, or is not versioned yet
			// The versioned raw tables (one not migrated yet is hashed by its
			// migration, with this DuckDB).
			var err error
			tables, err = warehouse.Strings(ctx, b.conn, `SELECT table_name FROM duckdb_columns()
				WHERE database_name = current_database() AND schema_name = 'raw'
				GROUP BY table_name HAVING bool_or(column_name = ?) AND bool_or(column_name = ?) ORDER BY 1`, warehouse.ColHash, warehouse.ColValidTo)
			if err != nil {
				return err
			}
			for _, t := range tables {
				i := strings.LastIndex(t, "__") // raw.<source>__<object>
				if i < 0 {
					continue // not a raw table of the loader's
				}
				if err := b.rehash(ctx, t[:i], coxswain.Object(t[i+2:])); err != nil {
					return fmt.Errorf("hash raw.%s again for DuckDB %s: %w", t, now, err)
				}
			}
		}
		if _, err := b.conn.ExecContext(ctx, `DELETE FROM meta.history_hash`); err != nil {
			return err
		}
		_, err := b.conn.ExecContext(ctx, `INSERT INTO meta.history_hash (duckdb_version, hashed_at) VALUES (?, ?)`, now, b.opt.Now())
		return err
	})
	if err == nil && was != "" {
		b.opt.Log.Info(fmt.Sprintf("DuckDB %s replaces %s: the current versions of %d raw tables hashed again", now, was, len(tables)),
			"event", "history_rehash", "duckdb", now, "was", was, "tables", len(tables))
	}
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

// late says whether a drop of obj loaded before d (whose id is dropID)
// comes after it in the order drops are read: by name, then by time.
func (b *builder) late(ctx context.Context, source string, obj coxswain.Object, d Drop, dropID int64) (bool, error) {
	var name string
	var modified time.Time
	err := b.conn.QueryRowContext(ctx, `SELECT d.name, d.modified_at FROM meta.drops d
		WHERE d.source = ? AND d.drop_id < ? AND EXISTS (SELECT 1 FROM meta.files f WHERE f.drop_id = d.drop_id AND f.object = ?)
		ORDER BY d.name DESC, d.modified_at DESC LIMIT 1`, source, dropID, string(obj)).Scan(&name, &modified)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil && (name > d.Name || name == d.Name && modified.After(d.Modified)), err
}

// upgradeHistory turns the raw tables of a warehouse written before
// versions (every drop's rows kept whole) into versions, in one transaction
// per source: it replays the drops in the order they were loaded, each
// folded as the loader folds a new drop, so that the history is the one
// loading them now would give. The current state stays what staging read
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
	return warehouse.InTransaction(ctx, b.conn, func() error {
		for _, obj := range todo {
			started := time.Now()
			before, after, err := b.upgradeTable(ctx, m, obj)
			if err != nil {
				return fmt.Errorf("source %s: store the history of %s as versions: %w", m.Source.Name, obj.Plural(), err)
			}
			b.opt.Log.Info(fmt.Sprintf("%s: the history of %s stored as versions: %d rows kept of %d (%.1fs)", m.Source.Name, obj.Plural(), after, before, time.Since(started).Seconds()),
				"event", "history_upgrade", "source", m.Source.Name, "object", string(obj), "rows_before", before, "rows_after", after)
		}
		return nil
	})
}

func (b *builder) upgradeTable(ctx context.Context, m *presets.Mapping, obj coxswain.Object) (before, after int64, err error) {
	table := warehouse.RawTable(m.Source.Name, obj)
	name := m.Source.Name + "__" + string(obj)
	old := "raw." + warehouse.QuoteIdent(name+"__before_versions")
	cols, err := warehouse.RawColumns(ctx, b.conn, m.Source.Name, obj)
	if err != nil {
		return 0, 0, err
	}
	// A file's column named like a new bookkeeping column is renamed, as
	// the loader renames it from now on.
	for _, c := range []string{warehouse.ColHash, warehouse.ColValidTo, warehouse.ColSeenFile} {
		if _, clash := cols[c]; !clash {
			continue
		}
		free := c + "_2"
		for n := 3; cols[free].Name != ""; n++ {
			free = fmt.Sprintf("%s_%d", c, n)
		}
		if _, err := b.conn.ExecContext(ctx, fmt.Sprintf(`ALTER TABLE %s RENAME COLUMN %s TO %s`, table, warehouse.QuoteIdent(c), warehouse.QuoteIdent(free))); err != nil {
			return 0, 0, err
		}
		cols[free] = warehouse.RawColumn{Name: free}
	}
	if cols, err = warehouse.RawColumns(ctx, b.conn, m.Source.Name, obj); err != nil {
		return 0, 0, err
	}
	hash := warehouse.HashExpr(cols, columnValue)
	for _, q := range []string{
		`ALTER TABLE ` + table + ` RENAME TO ` + warehouse.QuoteIdent(name+"__before_versions"),
		fmt.Sprintf(`CREATE TABLE %s AS SELECT *, NULL::UBIGINT AS %s, NULL::INTEGER AS %s, NULL::INTEGER AS %s FROM %s WHERE false`,
			table, warehouse.ColHash, warehouse.ColValidTo, warehouse.ColSeenFile, old),
	} {
		if _, err := b.conn.ExecContext(ctx, q); err != nil {
			return 0, 0, err
		}
	}
	if err := b.conn.QueryRowContext(ctx, `SELECT count(*) FROM `+old).Scan(&before); err != nil {
		return 0, 0, err
	}
	// Replay the drops in the order they were loaded, as the loader would
	// have folded them.
	type drop struct {
		id       int64
		name     string
		modified time.Time
	}
	var drops []drop
	// Every recorded drop the table has rows of (whatever meta.files says of
	// their objects); rows of no recorded drop are kept below.
	rows, err := b.conn.QueryContext(ctx, `SELECT d.drop_id, d.name, d.modified_at FROM meta.drops d
		WHERE d.drop_id IN (SELECT DISTINCT `+warehouse.ColDrop+` FROM `+old+`)
		ORDER BY d.drop_id`)
	if err != nil {
		return 0, 0, err
	}
	for rows.Next() {
		var d drop
		if err := rows.Scan(&d.id, &d.name, &d.modified); err != nil {
			rows.Close()
			return 0, 0, err
		}
		drops = append(drops, d)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, 0, err
	}
	for _, d := range drops {
		if _, err := b.conn.ExecContext(ctx, fmt.Sprintf(`INSERT INTO %s BY NAME SELECT *, %s AS %s FROM %s WHERE %s = %d ORDER BY rowid`,
			table, hash, warehouse.ColHash, old, warehouse.ColDrop, d.id)); err != nil {
			return 0, 0, err
		}
		h, err := b.prepareHistory(ctx, m, obj, Drop{Name: d.name, Modified: d.modified}, d.id)
		if err != nil {
			return 0, 0, err
		}
		if err := b.fold(ctx, m, h, Drop{Name: d.name, Modified: d.modified}, d.id); err != nil {
			return 0, 0, err
		}
	}
	// Rows of no recorded drop (none, unless meta was edited by hand) were
	// never read: kept, never current.
	for _, q := range []string{
		fmt.Sprintf(`INSERT INTO %s BY NAME SELECT *, %s AS %s, %s AS %s FROM %s r
			WHERE NOT EXISTS (SELECT 1 FROM meta.drops d WHERE d.drop_id = r.%s)`,
			table, hash, warehouse.ColHash, warehouse.ColDrop, warehouse.ColValidTo, old, warehouse.ColDrop),
		`DROP TABLE ` + old,
	} {
		if _, err := b.conn.ExecContext(ctx, q); err != nil {
			return 0, 0, err
		}
	}
	err = b.conn.QueryRowContext(ctx, `SELECT count(*) FROM `+table).Scan(&after)
	return before, after, err
}
