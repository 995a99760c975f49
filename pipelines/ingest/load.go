package ingest

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"

	"coxswain"
	"coxswain/pipelines/warehouse"
)

// fileLoad is one file being loaded in a drop's transaction.
type fileLoad struct {
	source, drop string
	dropID       int64
	fileID       int64
	file         *dropFile
	object       coxswain.Object
	dialect      *dialect
	plan         *filePlan
	table        map[string]warehouse.RawColumn // the raw table's columns, this file's included
	readPath     string                         // the file DuckDB reads (a UTF-8 copy where it was transcoded)
	dateFormat   string                         // strptime formats configured for the source
	tsFormat     string
	nulls        []string       // values read as empty besides the empty string
	history      *objectHistory // the object's history, when the rows are compared with it as they are read

	inserted, rejected int64
	written            int64 // rows written to the raw table, when the history compares while reading
	footer             int64 // footer lines set aside
	firstError         string
	samples            []rejectSample
}

type rejectSample struct {
	line          int64
	column, value string
	reason        string
}

// String names the file as users see it: source/drop/file.
func (f *fileLoad) String() string { return f.source + "/" + f.drop + "/" + f.file.name }

// ensureRawTable creates the raw table or adds the file's new columns to it.
// Unknown extra columns are kept: the raw layer is every column ever
// exported. altered says an existing table's columns changed (added or
// widened): the content hashes of its current versions must be worked out
// again.
func ensureRawTable(ctx context.Context, conn *sql.Conn, f *fileLoad, existing map[string]warehouse.RawColumn) (altered bool, err error) {
	table := warehouse.RawTable(f.source, f.object)
	if len(existing) == 0 {
		// No NOT NULL on the bookkeeping columns: DuckDB checks it on every
		// appended row, which costs a fifth of a large load.
		ddl := fmt.Sprintf("CREATE TABLE %s (%s INTEGER, %s INTEGER, %s VARCHAR, %s UBIGINT, %s INTEGER, %s INTEGER",
			table, warehouse.ColDrop, warehouse.ColFile, warehouse.ColInvalid, warehouse.ColHash, warehouse.ColValidTo, warehouse.ColSeenFile)
		for _, c := range f.plan.columns {
			ddl += ", " + warehouse.QuoteIdent(c.name) + " " + c.rawType
		}
		_, err := conn.ExecContext(ctx, ddl+")")
		return false, err
	}
	for _, c := range f.plan.columns {
		if _, ok := existing[strings.ToLower(c.name)]; ok {
			if c.widen {
				if _, err := conn.ExecContext(ctx, fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s TYPE VARCHAR", table, warehouse.QuoteIdent(c.name))); err != nil {
					return altered, err
				}
				altered = true
			}
			continue
		}
		if _, err := conn.ExecContext(ctx, fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s", table, warehouse.QuoteIdent(c.name), c.rawType)); err != nil {
			return altered, err
		}
		altered = true
	}
	return altered, nil
}

// readCSV is the DuckDB table function call that reads the file with the
// plan's declared types. types overrides the read type of some columns.
func (f *fileLoad) readCSV(types map[string]string) string {
	var cols []string
	for _, c := range f.plan.columns {
		t := c.readType
		if o, ok := types[c.name]; ok {
			t = o
		}
		cols = append(cols, warehouse.QuoteString(c.name)+": "+warehouse.QuoteString(t))
	}
	opts := append([]string{warehouse.QuoteString(f.readPath), "header = true"}, f.dialect.readOptions()...)
	opts = append(opts, "columns = {"+strings.Join(cols, ", ")+"}", "store_rejects = true")
	if f.dateFormat != "" {
		opts = append(opts, "dateformat = "+warehouse.QuoteString(f.dateFormat))
	}
	if len(f.nulls) > 0 {
		nulls := []string{"''"}
		for _, n := range f.nulls {
			nulls = append(nulls, warehouse.QuoteString(n))
		}
		opts = append(opts, "nullstr = ["+strings.Join(nulls, ", ")+"]")
	}
	return "read_csv(" + strings.Join(opts, ", ") + ")"
}

// readOptions are the options of DuckDB's read_csv that read a file as its
// dialect says, for the loader and for inspect alike; the caller adds the
// header, the columns and what to do with bad rows.
func (d *dialect) readOptions() []string {
	enc := d.duckdb
	if enc == "" {
		enc = "utf-8" // transcoded
	}
	opts := []string{
		"auto_detect = false",
		"delim = " + warehouse.QuoteString(string(d.delimiter)),
		"quote = " + warehouse.QuoteString(byteString(d.layout.quote)),
		"escape = " + warehouse.QuoteString(byteString(d.layout.escape)),
		"encoding = " + warehouse.QuoteString(enc),
		fmt.Sprintf("max_line_size = %d", d.maxLineBytes()),
	}
	if d.newline != "" {
		opts = append(opts, "new_line = "+warehouse.QuoteString(d.newline))
	}
	if d.lenient {
		opts = append(opts, "strict_mode = false")
	}
	if n := d.layout.skip(); n > 0 {
		// A preamble, and all header rows but the last that names the columns.
		opts = append(opts, fmt.Sprintf("skip = %d", n))
	}
	return opts
}

// byteString is a dialect byte as DuckDB's options spell it: "" for none.
func byteString(b byte) string {
	if b == 0 {
		return ""
	}
	return string(b)
}

// load inserts the file into its raw table and quarantines what could not be
// read. It runs inside the drop's transaction on conn, whose TimeZone is the
// source's.
func (f *fileLoad) load(ctx context.Context, conn *sql.Conn) error {
	lastScan, err := lastScanID(ctx, conn)
	if err != nil {
		return err
	}

	var sel []string
	var invalidCol []string
	for _, c := range f.plan.columns {
		sel = append(sel, c.expr+" AS "+warehouse.QuoteIdent(c.name))
		if c.datetime {
			// The conversion comes first: it is shared with the column above,
			// and it rules out almost every row before trim() runs.
			q := warehouse.QuoteIdent(c.name)
			invalidCol = append(invalidCol, fmt.Sprintf("WHEN %s IS NULL AND %s IS NOT NULL AND trim(%s) <> '' THEN %s",
				c.expr, q, q, warehouse.QuoteString(c.name)))
		}
	}
	if len(invalidCol) > 0 {
		sel = append(sel, "CASE "+strings.Join(invalidCol, " ")+" END AS "+warehouse.ColInvalid)
	}
	// Each row's content hash covers every column of the table, NULL where
	// the file has none, as the history compares it with other files'.
	inFile := map[string]string{}
	for _, c := range f.plan.columns {
		inFile[strings.ToLower(c.name)] = c.name
	}
	hash := warehouse.HashExpr(f.table, func(c warehouse.RawColumn) string {
		if n, ok := inFile[strings.ToLower(c.Name)]; ok {
			return "CAST(" + warehouse.QuoteIdent(n) + " AS " + c.Type + ")"
		}
		return "NULL::" + c.Type
	})
	read := fmt.Sprintf("SELECT %d AS %s, %d AS %s, %s FROM %s",
		f.dropID, warehouse.ColDrop, f.fileID, warehouse.ColFile, strings.Join(sel, ", "), f.readCSV(nil))
	if f.history != nil && f.history.reading {
		if f.inserted, f.written, err = f.history.readNew(ctx, conn, f, read, hash, len(invalidCol) > 0); err != nil {
			return fmt.Errorf("read: %w", err)
		}
	} else {
		res, err := conn.ExecContext(ctx, fmt.Sprintf("INSERT INTO %s BY NAME SELECT *, %s AS %s FROM (%s)",
			warehouse.RawTable(f.source, f.object), hash, warehouse.ColHash, read))
		if err != nil {
			return fmt.Errorf("read: %w", err)
		}
		f.inserted, _ = res.RowsAffected()
	}

	// Rows DuckDB's reader refused: bad quoting, wrong column counts, values
	// that are not of the declared type.
	if _, err := conn.ExecContext(ctx, `
		INSERT INTO meta.rejects (file_id, drop_id, source, object, file, line, column_name, value, error_type, reason, csv_line)
		SELECT ?, ?, ?, ?, ?, line, column_name,
		       nullif(regexp_extract(error_message, 'Could not convert string "(.*)" to', 1), ''),
		       error_type::VARCHAR, error_message, csv_line
		FROM reject_errors WHERE scan_id > ?`,
		f.fileID, f.dropID, f.source, string(f.object), f.file.name, lastScan); err != nil {
		return fmt.Errorf("record rejects: %w", err)
	}
	if err := f.dropFooter(ctx, conn); err != nil {
		return fmt.Errorf("set the footer aside: %w", err)
	}
	var csvRejected int64
	if err := conn.QueryRowContext(ctx, `SELECT count(DISTINCT line) FROM meta.rejects WHERE file_id = ?`, f.fileID).Scan(&csvRejected); err != nil {
		return err
	}

	// Rows whose datetimes did not parse: quarantine them too.
	var invalid int64
	if len(invalidCol) > 0 {
		if err := conn.QueryRowContext(ctx, fmt.Sprintf(`SELECT count(*) FROM %s WHERE %s = ? AND %s IS NOT NULL`,
			warehouse.RawTable(f.source, f.object), warehouse.ColFile, warehouse.ColInvalid), f.fileID).Scan(&invalid); err != nil {
			return err
		}
	}
	if invalid > 0 {
		if err := f.quarantineDatetimes(ctx, conn); err != nil {
			return fmt.Errorf("quarantine datetimes: %w", err)
		}
	}
	f.inserted -= invalid
	if f.history != nil && f.history.reading {
		f.written -= invalid // they were written, then quarantined
	}
	f.rejected = csvRejected + invalid

	rows, err := conn.QueryContext(ctx, `SELECT coalesce(line, -1), coalesce(column_name, ''), coalesce(value, ''), reason FROM meta.rejects WHERE file_id = ? ORDER BY line NULLS LAST LIMIT 5`, f.fileID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var s rejectSample
		if err := rows.Scan(&s.line, &s.column, &s.value, &s.reason); err != nil {
			return err
		}
		f.samples = append(f.samples, s)
	}
	if len(f.samples) > 0 {
		f.firstError = f.samples[0].describe()
	}
	return rows.Err()
}

// dropFooter takes the file's footer lines (a report's copyright and
// "Generated by" lines, which the reader refuses as short rows) out of its
// rejects: they are no records, and were never meant to be.
func (f *fileLoad) dropFooter(ctx context.Context, conn *sql.Conn) error {
	footer := f.dialect.layout.footer
	if len(footer) == 0 {
		return nil
	}
	var lines, types []string
	for _, l := range footer {
		lines = append(lines, warehouse.QuoteString(strings.TrimSpace(l)))
	}
	for _, t := range footerRejectTypes {
		types = append(types, warehouse.QuoteString(t))
	}
	// The same rule as layout.isFooter, in SQL.
	where := `file_id = ? AND error_type IN (` + strings.Join(types, ", ") + `)
		AND trim(csv_line, E' \t\r\n') IN (` + strings.Join(lines, ", ") + `)`
	if err := conn.QueryRowContext(ctx, `SELECT count(DISTINCT line) FROM meta.rejects WHERE `+where, f.fileID).Scan(&f.footer); err != nil {
		return err
	}
	_, err := conn.ExecContext(ctx, `DELETE FROM meta.rejects WHERE `+where, f.fileID)
	return err
}

// lastScanID is the newest CSV scan whose rejects DuckDB keeps on this
// connection (they pile up across scans), so that a scan's own rejects are
// those with a greater id; -1 before any.
func lastScanID(ctx context.Context, conn *sql.Conn) (int64, error) {
	// reject_scans is the connection's temporary table that read_csv's
	// store_rejects creates on first use. It is asked for only once it
	// exists: on DuckDB 2.0 a failed query inside a transaction aborts it.
	var exists bool
	if err := conn.QueryRowContext(ctx, `SELECT count(*) > 0 FROM duckdb_tables() WHERE temporary AND table_name = 'reject_scans'`).Scan(&exists); err != nil {
		return 0, err
	}
	if !exists {
		return -1, nil // no scan with rejects has run on this connection yet
	}
	var id int64
	err := conn.QueryRowContext(ctx, `SELECT coalesce(max(scan_id), -1) FROM reject_scans`).Scan(&id)
	return id, err
}

// quarantineDatetimes moves the rows whose datetime did not parse from the
// raw table to the rejects. Their line numbers come from a second read of
// the file with those columns declared as plain timestamps, which DuckDB's
// reader does reject with a line number; it runs only when a file has such
// rows.
func (f *fileLoad) quarantineDatetimes(ctx context.Context, conn *sql.Conn) error {
	lastScan, err := lastScanID(ctx, conn)
	if err != nil {
		return err
	}
	types := map[string]string{}
	var counted []string
	for _, c := range f.plan.columns {
		if c.datetime {
			types[c.name] = "TIMESTAMP"
			counted = append(counted, "count("+warehouse.QuoteIdent(c.name)+")")
		}
	}
	read := f.readCSV(types)
	if f.tsFormat != "" {
		read = strings.TrimSuffix(read, ")") + ", timestampformat = " + warehouse.QuoteString(f.tsFormat) + ")"
	}
	if _, err := conn.ExecContext(ctx, "SELECT "+strings.Join(counted, " + ")+" FROM "+read); err != nil {
		return err
	}
	// The rescan's rejects, less values the instant parser did read (a
	// plain timestamp rejects a named zone that TIMESTAMPTZ accepts).
	table := warehouse.RawTable(f.source, f.object)
	parsed := "TRY_CAST(val AS TIMESTAMPTZ)"
	if f.tsFormat != "" {
		parsed = "TRY_STRPTIME(val, " + warehouse.QuoteString(f.tsFormat) + ")"
	}
	_, err = conn.ExecContext(ctx, `
		INSERT INTO meta.rejects (file_id, drop_id, source, object, file, line, column_name, value, error_type, reason, csv_line)
		SELECT ?, ?, ?, ?, ?, line, column_name, val, 'CAST',
		       'Could not convert string "' || val || '" to a date and time', csv_line
		FROM (SELECT *, regexp_extract(error_message, 'Could not convert string "(.*)" to', 1) AS val
		      FROM reject_errors WHERE scan_id > ? AND error_type = 'CAST')
		WHERE `+parsed+` IS NULL`,
		f.fileID, f.dropID, f.source, string(f.object), f.file.name, lastScan)
	if err != nil {
		return err
	}
	// A value the plain re-read accepts but the instant parser does not (a
	// date at the end of the range, in a zone behind UTC) has no line to
	// point at, and the raw row keeps no text: it is recorded all the same,
	// so that every quarantined row has its record.
	_, err = conn.ExecContext(ctx, fmt.Sprintf(`
		INSERT INTO meta.rejects (file_id, drop_id, source, object, file, line, column_name, value, error_type, reason, csv_line)
		SELECT ?, ?, ?, ?, ?, NULL, col, NULL, 'CAST', 'a date and time the instant parser could not read (out of its range); its line is not known', NULL
		FROM (SELECT %s AS col, count(*) AS n FROM %s WHERE %s = ? AND %s IS NOT NULL GROUP BY ALL) AS r,
		     range(r.n - (SELECT count(*) FROM meta.rejects j WHERE j.file_id = ? AND j.column_name = r.col AND j.error_type = 'CAST'))`,
		warehouse.ColInvalid, table, warehouse.ColFile, warehouse.ColInvalid),
		f.fileID, f.dropID, f.source, string(f.object), f.file.name, f.fileID, f.fileID)
	if err != nil {
		return err
	}
	_, err = conn.ExecContext(ctx, fmt.Sprintf(`DELETE FROM %s WHERE %s = ? AND %s IS NOT NULL`, table, warehouse.ColFile, warehouse.ColInvalid), f.fileID)
	return err
}

func (s rejectSample) describe() string {
	var b strings.Builder
	if s.line >= 0 {
		fmt.Fprintf(&b, "line %d", s.line)
	} else {
		b.WriteString("a row")
	}
	if s.column != "" {
		fmt.Fprintf(&b, ", column %s", excerpt(s.column, 60))
	}
	b.WriteString(": ")
	b.WriteString(excerpt(s.reason, 200))
	return b.String()
}

// rejectShare is the share of the file's rows that were quarantined.
func (f *fileLoad) rejectShare() float64 {
	read := f.inserted + f.rejected
	if read == 0 {
		return 0
	}
	return float64(f.rejected) / float64(read)
}

func (f *fileLoad) recordFile(ctx context.Context, conn *sql.Conn) error {
	unmapped := "[]"
	if len(f.plan.unmapped) > 0 {
		var q []string
		for _, u := range f.plan.unmapped {
			q = append(q, warehouse.QuoteString(u))
		}
		unmapped = "[" + strings.Join(q, ", ") + "]"
	}
	_, err := conn.ExecContext(ctx, `INSERT INTO meta.files (file_id, drop_id, source, object, name, bytes, sha256, encoding, delimiter,
		rows_read, rows_loaded, rows_rejected, first_error, unmapped, kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, `+unmapped+`::VARCHAR[], ?)`,
		f.fileID, f.dropID, f.source, string(f.object), f.file.name, f.file.size, f.file.scan.sha256,
		f.dialect.encoding, delimiterName(f.dialect.delimiter), f.inserted+f.rejected, f.inserted, f.rejected, warehouse.NullIfEmpty(f.firstError), warehouse.NullIfEmpty(f.plan.kind))
	return err
}

func delimiterName(d byte) string {
	if d == '\t' {
		return "tab"
	}
	return string(d)
}

// tempName is where a transcoded copy of a file is written.
func tempName(dir string, f *dropFile) string {
	return filepath.Join(dir, "utf8-"+f.name)
}
