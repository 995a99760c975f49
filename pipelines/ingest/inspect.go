package ingest

import (
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"coxswain"
	"coxswain/pipelines/presets"
	"coxswain/pipelines/warehouse"
)

// Inspection is what `coxswain inspect` finds of one file: how it is
// written, what its table looks like, and how the loader would read it.
// It reads the file as the loader does: the same sniffing, the same
// DuckDB reader.
type Inspection struct {
	File string
	Size int64
	// Empty: the file holds nothing but white space (no header, no rows).
	Empty     bool
	Encoding  string // as read: utf-8, cp1252, utf-16...
	BOM       string // the byte-order mark, if any
	LineEnds  string // CRLF, LF, CR, or "mixed (...)"
	Delimiter byte
	Quote     byte // 0: none
	Escape    byte
	// Preamble lines before the header; HeaderRows the rows the header
	// spans (0: none); Footer the lines after the data that are not rows.
	Preamble, HeaderRows int
	Header               []string
	Footer               []string
	Truncated            bool
	// How DuckDB's reader takes it, as the loader would: rows read, rows
	// rejected and why (the first few).
	Rows, Rejected int64
	Rejects        []string
	// Preview is the first rows as read.
	Preview [][]string
	// Matches are the preset objects the file is recognised as
	// ("salesforce: lead"); Close, when there are none, the presets with an
	// object it nearly fits, and what it lacks.
	Matches []string
	Close   []string

	dialect *dialect
	read    string // the read_csv call
}

// defaultMaxColumns is load.max_columns' default.
const defaultMaxColumns = 4096

// Inspect sniffs a file and reads it through DuckDB as the loader would,
// in a database of its own in memory. tmp holds a UTF-8 copy of a file
// DuckDB cannot decode itself.
func Inspect(ctx context.Context, path, tmp string) (*Inspection, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, errors.New("not a regular file: name export files, not folders")
	}
	sc, err := scanFile(path)
	if err != nil {
		return nil, err
	}
	if err := sc.tooWide(defaultMaxColumns); err != nil {
		return nil, err // DuckDB's reader would take minutes over it
	}
	d, err := sniff(path, sc, "auto", 0)
	if errors.Is(err, errEmpty) {
		return &Inspection{File: path, Size: sc.size, Empty: true}, nil
	}
	if err != nil {
		return nil, err
	}
	in := &Inspection{File: path, Size: sc.size, Encoding: d.encoding, BOM: sc.bom, LineEnds: describeEnds(sc.ends),
		Delimiter: d.delimiter, Quote: d.layout.quote, Escape: d.layout.escape,
		Preamble: d.layout.preamble, HeaderRows: d.layout.headerRows, Header: d.layout.header,
		Footer: d.layout.footer, Truncated: d.layout.truncated, dialect: d}
	in.recognize(filepath.Base(path), d.header)

	readPath := path
	if d.transcode != nil {
		readPath = filepath.Join(tmp, "utf8-"+filepath.Base(path))
		if err := transcodeToUTF8(path, readPath, d.transcode); err != nil {
			return nil, fmt.Errorf("decode %s: %w", d.encoding, err)
		}
	}
	width := d.layout.columns
	if width < 1 {
		width = max(len(d.header), 1)
	}
	var cols []string
	for i := range width {
		cols = append(cols, fmt.Sprintf("'c%d': 'VARCHAR'", i+1))
	}
	opts := append([]string{warehouse.QuoteString(readPath), fmt.Sprintf("header = %v", d.layout.headerRows > 0)}, d.readOptions()...)
	opts = append(opts, "columns = {"+strings.Join(cols, ", ")+"}", "store_rejects = true")
	in.read = "read_csv(" + strings.Join(opts, ", ") + ")"

	db, err := sql.Open("duckdb", "")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM "+in.read).Scan(&in.Rows); err != nil {
		return in, fmt.Errorf("read: %s", excerpt(err.Error(), 300))
	}
	rows, err := conn.QueryContext(ctx, `SELECT line, coalesce(error_type::VARCHAR, ''), error_message, csv_line FROM reject_errors ORDER BY line`)
	if err != nil {
		return nil, err
	}
	seen := map[int64]bool{}
	for rows.Next() {
		var line int64
		var kind, msg, text string
		if err := rows.Scan(&line, &kind, &msg, &text); err != nil {
			rows.Close()
			return nil, err
		}
		if seen[line] || d.layout.isFooter(kind, text) {
			continue
		}
		seen[line] = true
		in.Rejected++
		if len(in.Rejects) < 5 {
			in.Rejects = append(in.Rejects, rejectSample{line: line, reason: msg}.describe())
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	in.Preview, err = queryRows(ctx, conn, "SELECT * FROM "+in.read+" LIMIT 5")
	return in, err
}

// recognize names the preset objects whose files the header fits.
func (in *Inspection) recognize(name string, header []string) {
	for _, p := range presets.Names() {
		m, err := presets.Resolve(coxswain.Source{Name: p, Preset: p}, p)
		if err != nil {
			continue
		}
		rec := m.Recognize(name, header)
		switch {
		case rec.Object != "":
			in.Matches = append(in.Matches, p+": "+string(rec.Object))
		case rec.Closest != "":
			in.Close = append(in.Close, p+": "+rec.Reason())
		}
	}
}

func queryRows(ctx context.Context, conn *sql.Conn, q string) ([][]string, error) {
	rows, err := conn.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	var out [][]string
	for rows.Next() {
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		row := make([]string, len(cols))
		for i, v := range vals {
			row[i] = v.String
		}
		out = append(out, row)
	}
	return out, rows.Err()
}

func describeEnds(e lineEnds) string {
	var kinds []string
	for _, k := range []struct {
		n    int64
		name string
	}{{e.crlf, "CRLF"}, {e.lf, "LF"}, {e.cr, "CR"}} {
		if k.n > 0 {
			kinds = append(kinds, k.name)
		}
	}
	switch len(kinds) {
	case 0:
		return "none (one line)"
	case 1:
		return kinds[0]
	}
	return "mixed (" + strings.Join(kinds, ", ") + ")"
}

// WriteTable writes the file's table as the loader reads it, as RFC 4180
// CSV in UTF-8: its header (the names as written; rows of a header of
// several joined by a space) when it has one, then the rows the reader
// accepts. DuckDB writes the rows; the header is written before them.
func (in *Inspection) WriteTable(ctx context.Context, dst string) error {
	if in.Empty {
		return os.WriteFile(dst, nil, 0o640)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return err
	}
	defer db.Close()
	body := dst + ".rows"
	defer os.Remove(body)
	if _, err := db.ExecContext(ctx, fmt.Sprintf("COPY (SELECT * FROM %s) TO %s (FORMAT csv, HEADER false, QUOTE '\"', ESCAPE '\"', NEW_LINE '\\r\\n')",
		in.read, warehouse.QuoteString(body))); err != nil {
		return fmt.Errorf("read: %s", excerpt(err.Error(), 300))
	}
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if len(in.Header) > 0 {
		w := csv.NewWriter(out)
		w.UseCRLF = true
		if err := w.Write(in.Header); err != nil {
			out.Close()
			return err
		}
		w.Flush()
		if err := w.Error(); err != nil {
			out.Close()
			return err
		}
	}
	rows, err := os.Open(body)
	if err != nil {
		out.Close()
		return err
	}
	_, err = io.Copy(out, rows)
	rows.Close()
	return errors.Join(err, out.Close())
}

// WriteFailure writes what a file that could not be read leaves in its
// table's place: a first line "Application Error" (as the Pollock
// benchmark's loaders do), then why.
func WriteFailure(dst string, cause error) error {
	return os.WriteFile(dst, []byte("Application Error\n"+excerpt(cause.Error(), 300)+"\n"), 0o640)
}
