package ingest

import (
	"archive/zip"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"coxswain"
)

// writeZip writes an archive whose entries are given by header, with data.
func writeZip(t *testing.T, path string, entries map[*zip.FileHeader]string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for h, data := range entries {
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(data))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// TestBuild_HostileDrops: what a drop must never do, whatever its files
// say: read outside itself, or expand without bound; and an error never
// pours a file's bytes into the message.
func TestBuild_HostileDrops(t *testing.T) {
	secret := filepath.Join(t.TempDir(), "secret.csv")
	os.WriteFile(secret, []byte("Id,CreatedDate\nTOP-SECRET-VALUE,2026-01-01\n"), 0o600)

	t.Run("symlink in a drop folder", func(t *testing.T) {
		e := newEnv(t, "")
		d := e.drop("crm", "2026-11-01", map[string]string{"Account.csv": "Id,Name\n001000000000001AAA,x\n"})
		if err := os.Symlink(secret, filepath.Join(d, "Lead.csv")); err != nil {
			t.Skip("no symlinks here:", err)
		}
		_, err := e.build()
		if err == nil || !strings.Contains(err.Error(), "Lead.csv is a symbolic link") || strings.Contains(err.Error(), "TOP-SECRET") {
			t.Errorf("got %v", err)
		}
		equalRows(t, "nothing loaded", e.query(`SELECT count(*) FROM meta.drops`), []string{"0"})
	})
	t.Run("symlink entry in an archive", func(t *testing.T) {
		e := newEnv(t, "")
		h := &zip.FileHeader{Name: "Lead.csv", Method: zip.Store}
		h.SetMode(os.ModeSymlink | 0o777)
		writeZip(t, filepath.Join(e.dir, "exports", "crm", "WE_1.ZIP"), map[*zip.FileHeader]string{h: secret})
		_, err := e.build()
		if err == nil || !strings.Contains(err.Error(), `entry "Lead.csv" is a symbolic link; the archive is refused`) {
			t.Errorf("got %v", err)
		}
	})
	t.Run("zip bomb", func(t *testing.T) {
		e := newEnv(t, "load: { max_zip_ratio: 3 }\nsources:\n  - {name: crm, preset: salesforce, path: exports/crm}\n")
		body := "Id,CreatedDate\n" + strings.Repeat("00Q5g0000000001AAA,2026-10-01 00:00:00\n", 120000) // 4.7 MB of one line
		writeZip(t, filepath.Join(e.dir, "exports", "crm", "WE_1.ZIP"), map[*zip.FileHeader]string{{Name: "Lead.csv", Method: zip.Deflate}: body})
		_, err := e.build()
		if err == nil || !strings.Contains(err.Error(), "expands to more than 3 times its compressed size") || len(err.Error()) > 1000 {
			t.Errorf("got %.1000v", err)
		}
	})
	t.Run("archive past max_extracted_bytes", func(t *testing.T) {
		e := newEnv(t, "load: { max_extracted_bytes: 1000000 }\nsources:\n  - {name: crm, preset: salesforce, path: exports/crm}\n")
		body := "Id,CreatedDate,Status\n" + strings.Repeat("00Q5g0000000001AAA,2026-10-01 00:00:00,Open\n", 15000) // 660 kB each
		writeZip(t, filepath.Join(e.dir, "exports", "crm", "WE_1.ZIP"), map[*zip.FileHeader]string{
			{Name: "Lead.csv", Method: zip.Deflate}: body, {Name: "Contact.csv", Method: zip.Deflate}: strings.ReplaceAll(body, "Status", "AccountId")})
		_, err := e.build()
		if err == nil || !strings.Contains(err.Error(), "the archive expands to more than 976.6 kB in all; refused (load.max_extracted_bytes raises the limit)") {
			t.Errorf("got %.1000v", err)
		}
	})
	for name, body := range map[string]string{"empty archive": "", "archive cut short": "PK\x03\x04\x14\x00\x00\x00\x08\x00"} {
		t.Run(name, func(t *testing.T) {
			e := newEnv(t, "")
			if err := os.WriteFile(filepath.Join(e.dir, "exports", "crm", "WE_1.ZIP"), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := e.build()
			if err == nil || !strings.Contains(err.Error(), "it is not a whole ZIP archive") {
				t.Fatalf("got %v", err)
			}
			if hs := coxswain.Hints(err); len(hs) == 0 || !strings.Contains(hs[0].Advice, "wait for the copy to end") {
				t.Errorf("hints %v", hs)
			}
		})
	}
	t.Run("NUL bytes in a bad value", func(t *testing.T) {
		e := newEnv(t, "")
		e.drop("crm", "2026-11-01", map[string]string{"Opportunity.csv": "Id,CreatedDate,Amount\n006000000000001AAA,2026-10-01 00:00:00," + strings.Repeat("\x00", 70000) + "\n"})
		_, err := e.build()
		if err == nil || len(err.Error()) > 2000 {
			t.Errorf("error of %d characters: %.300v", len(err.Error()), err)
		}
	})
}

// TestBuild_RowLimits: a row longer than load.max_line_bytes is
// quarantined with its line; a row of 100,000 fields under a header of
// three (which DuckDB's reader would take minutes over) fails the file at
// once with its line, whether it is in the first megabyte or far past it.
func TestBuild_RowLimits(t *testing.T) {
	e := newEnv(t, "load: { max_line_bytes: 65536, max_reject_share: 0.5 }\nsources:\n  - {name: crm, preset: salesforce, path: exports/crm}\n")
	long := leadsCSV(1, 3) + "00Q5g0000000004AAA,2026-10-01 00:00:00,\"" + strings.Repeat("x", 200000) + "\"\n" + "00Q5g0000000006AAA,2026-10-01 00:00:00,Open\n"
	e.drop("crm", "2026-11-01", map[string]string{"Lead.csv": long})
	e.mustBuild()
	equalRows(t, "leads", e.query(`SELECT count(*) FROM staging.leads`), []string{"4"})
	equalRows(t, "quarantined", e.query(`SELECT DISTINCT line, error_type FROM meta.rejects ORDER BY line`), []string{"5|LINE SIZE OVER MAXIMUM"})

	wide := "00Q5g0000000005AAA,2026-10-01 00:00:00" + strings.Repeat(",Open", 100000) + "\n"
	for _, tc := range []struct {
		name, body string
		line       int
	}{
		{"in the first megabyte", leadsCSV(10, 12) + wide, 5},
		{"past it", leadsCSV(10, 30009) + wide, 30002},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, "")
			e.drop("crm", "2026-11-01", map[string]string{"Lead.csv": tc.body})
			_, err := e.build()
			want := fmt.Sprintf("crm/2026-11-01/Lead.csv: line %d has about 100002 fields, more than the 4096 allowed; the file is refused", tc.line)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("got %.600v\nwant %s", err, want)
			}
			equalRows(t, "nothing loaded", e.query(`SELECT count(*) FROM meta.drops`), []string{"0"})
		})
	}
}

// TestBuild_LineEnds: rows ending with CR alone, and files that mix CRLF
// and LF (also only past the first megabyte), load every row with its
// values intact; a quoted field keeps its own line breaks.
func TestBuild_LineEnds(t *testing.T) {
	row := func(i int, status string) string {
		return fmt.Sprintf("00Q5g%010dAAA,2026-10-01 00:00:00,%s", i, status)
	}
	pad := strings.Repeat(row(100, "Open")+"\r\n", 30000) // more than a megabyte of CRLF rows
	for _, tc := range []struct {
		name, body string
		rows       int
	}{
		{"CR only", "Id,CreatedDate,Status\r" + row(1, "Open") + "\r" + row(2, "Open") + "\r", 2},
		{"mixed", "Id,CreatedDate,Status\r\n" + row(1, "Open") + "\n" + row(2, `"Op`+"\r\n"+`en"`) + "\r\n" + row(3, "Open") + "\n", 3},
		{"mixed after the first megabyte", "Id,CreatedDate,Status\r\n" + pad + row(1, "Open") + "\n" + row(2, "Open") + "\n", 2 + 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, "")
			e.drop("crm", "2026-11-01", map[string]string{"Lead.csv": tc.body})
			e.mustBuild()
			equalRows(t, "leads", e.query(`SELECT count(DISTINCT id) FROM staging.leads`), []string{fmt.Sprint(tc.rows)})
			equalRows(t, "statuses", e.query(`SELECT DISTINCT replace(replace(status, chr(13), '<CR>'), chr(10), '<LF>') FROM staging.leads ORDER BY 1`),
				map[bool][]string{true: {"Op<CR><LF>en", "Open"}, false: {"Open"}}[tc.name == "mixed"])
		})
	}
}

// TestBuild_TooManyColumns: a header of 200,000 columns is refused at once,
// with a short message, and no raw table grows.
func TestBuild_TooManyColumns(t *testing.T) {
	e := newEnv(t, "")
	cols := []string{"Id", "CreatedDate"}
	for i := range 200000 {
		cols = append(cols, fmt.Sprintf("C%d", i))
	}
	e.drop("crm", "2026-11-01", map[string]string{"Lead.csv": strings.Join(cols, ",") + "\n00Q5g0000000001AAA,2026-10-01 00:00:00\n"})
	_, err := e.build()
	if err == nil || !strings.Contains(err.Error(), "columns, more than the 4096 allowed") || len(err.Error()) > 1000 {
		t.Fatalf("got %.500v", err)
	}
	equalRows(t, "raw tables", e.query(`SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'raw'`), []string{"0"})
}

// TestBuild_EncodingByEvidence: a UTF-8 file with one damaged row (a stray
// cp1252 byte) is read as UTF-8, wherever the damage is: its names stay
// intact and only the damaged row is quarantined, with its line. A file
// of single-byte text stays cp1252.
func TestBuild_EncodingByEvidence(t *testing.T) {
	row := func(i int, name string) string {
		return fmt.Sprintf("00Q5g%010dAAA,2026-10-01 00:00:00,%s\n", i, name)
	}
	var good strings.Builder
	for i := 1; i <= 300; i++ {
		good.WriteString(row(i, "José Müller"))
	}
	pad := strings.Repeat(row(999, "Zoë"), 25000) // past the first megabyte
	for _, tc := range []struct {
		name, body string
	}{
		{"damage in the first megabyte", "Id,CreatedDate,Name\n" + good.String() + row(301, "Ren\xe9e")},
		{"damage past the first megabyte", "Id,CreatedDate,Name\n" + good.String() + pad + row(301, "Ren\xe9e")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, "load: { max_reject_share: 0.5 }\nsources:\n  - {name: crm, preset: salesforce, path: exports/crm}\n")
			e.drop("crm", "2026-11-01", map[string]string{"Lead.csv": tc.body})
			e.mustBuild()
			equalRows(t, "encoding", e.query(`SELECT encoding FROM meta.files`), []string{"utf-8"})
			equalRows(t, "names", e.query(`SELECT count(DISTINCT id) FROM staging.leads WHERE name = 'José Müller'`), []string{"300"})
			equalRows(t, "garbled", e.query(`SELECT count(*) FROM staging.leads WHERE name LIKE '%Ã%'`), []string{"0"})
			equalRows(t, "quarantined", e.query(`SELECT count(*) > 0, bool_and(line IS NOT NULL) FROM meta.rejects`), []string{"true|true"})
		})
	}
	t.Run("single-byte text", func(t *testing.T) {
		e := newEnv(t, "")
		e.drop("crm", "2026-11-01", map[string]string{"Lead.csv": "Id,CreatedDate,Name\n" + row(1, "Ren\xe9e") + row(2, "Fran\xe7ois")})
		e.mustBuild()
		equalRows(t, "names", e.query(`SELECT name FROM staging.leads ORDER BY id`), []string{"Renée", "François"})
	})
	t.Run("single-byte text, thousands of accents", func(t *testing.T) {
		var body strings.Builder
		body.WriteString("Id,CreatedDate,Name\n")
		for i := 1; i <= 3000; i++ {
			body.WriteString(row(i, "Ren\xe9e Fran\xe7ois"))
		}
		e := newEnv(t, "")
		e.drop("crm", "2026-11-01", map[string]string{"Lead.csv": body.String()})
		e.mustBuild()
		equalRows(t, "encoding", e.query(`SELECT encoding FROM meta.files`), []string{"cp1252"})
		equalRows(t, "names", e.query(`SELECT DISTINCT name FROM staging.leads`), []string{"Renée François"})
	})
}

// TestMixedLineEnds: only a file whose rows end in more than one way is
// read leniently after DuckDB's strict reader refuses it; line breaks inside
// quoted fields do not count, and a malformed file is refused as before.
func TestMixedLineEnds(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, body string
		want       bool
	}{
		{"LF rows, CRLF inside quotes", "a,b\n1,\"x\r\ny\"\n2,z\n", false},
		{"CRLF rows", "a,b\r\n1,x\r\n", false},
		{"CRLF and LF rows", "a,b\r\n1,x\n2,y\r\n", true},
		{"a quote left open", "a,b\n1,\"x\n2,y\n", false},
	} {
		p := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_"))
		os.WriteFile(p, []byte(tc.body), 0o600)
		if got := mixedLineEnds(p); got != tc.want {
			t.Errorf("%s: mixedLineEnds = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// TestBuild_LongQuotedText: a field of 5,000 commas inside quotes (a long
// description) is one field: the row-width bound does not refuse it.
func TestBuild_LongQuotedText(t *testing.T) {
	e := newEnv(t, "")
	note := `"` + strings.Repeat("item, ", 5000) + "\nand \"\"more\"\", on a second line\""
	e.drop("crm", "2026-11-01", map[string]string{"Lead.csv": "Id,CreatedDate,Status,Description\n" +
		"00Q5g0000000001AAA,2026-10-01 00:00:00,Open," + note + "\n00Q5g0000000002AAA,2026-10-01 00:00:00,Open,short\n"})
	e.mustBuild()
	equalRows(t, "leads", e.query(`SELECT count(*) FROM staging.leads`), []string{"2"})
}
