package ingest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// The fuzz targets of this file feed the sniffing of export files (the one
// pass that hashes a file and tells its encoding, line ends and delimiter)
// any bytes, and check what it says against models written from its
// documentation. make fuzz runs them.

// sampleCSVs are the paths of the sample exports (the public corpus and the
// golden cases' drops), the seeds of the fuzz targets.
func sampleCSVs(tb testing.TB) []string {
	tb.Helper()
	var out []string
	for _, root := range []string{corpusDir, "../../testdata/hubspot_edges/exports", "../../testdata/ma_edges/exports",
		"../../testdata/pack_edges/exports", "../../testdata/pipedrive_edges/exports"} {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(strings.ToLower(path), ".csv") {
				out = append(out, path)
			}
			return err
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	return out
}

// sampleHeads are the first bytes of the sample exports, for seeds: real
// headers, quoting, line ends and encodings.
func sampleHeads(tb testing.TB, n int) [][]byte {
	tb.Helper()
	var out [][]byte
	for _, path := range sampleCSVs(tb) {
		b, err := os.ReadFile(path)
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, b[:min(len(b), n)])
	}
	return out
}

// sniffEdgeCases are hand-picked files: byte-order marks, UTF-16, cp1252,
// a character cut at the end, every kind of line end, quotes across lines,
// Excel's sep= line, other delimiters.
var sniffEdgeCases = []string{
	"",
	"\n",
	"Id,Name\r\n1,José\r\n",
	"\xEF\xBB\xBFId;Name\n1;Zoë\n",
	"\xFF\xFEI\x00d\x00,\x00N\x00\r\x00\n\x001\x00,\x00a\x00\r\x00\n\x00",
	"\xFE\xFF\x00I\x00d\x00\t\x00N\x00\n",
	"Id,Name\n1,Jos\xe9 \x80 \x93quoted\x94\n",
	"Id,Name\n1,Jos\xc3",
	"Id,Name\n1,\xe2\x82",
	"Id,Name\r1,a\r2,b\r",
	"Id,Name\r\n1,a\n2,b\r3,c",
	"\"Id\",\"Name\"\r\"1\",\"a\"\r\n\"2\",\"b\"\n",
	"Id,Note\n1,\"two\r\nlines, \"\"quoted\"\"\"\n",
	"sep=;\nId;Name\n1;a\n",
	"Id|Name|Amount\n1|a|1,5\n",
	"Id\tName\n1\ta;b,c\n",
	"\"Id,;|\"^Name^Email\n",
	"Id`Name\n",
	"\x00\x00\x00",
	"\r",
	"\"unterminated\r\nId,Name\n",
}

// completable says whether b, not valid UTF-8, is valid but for an
// unfinished character at its very end: some continuation bytes finish it.
func completable(b []byte) bool {
	conts := []byte{0x80, 0x90, 0xA0} // one in each range a second byte may need
	var finish func(tail []byte) bool
	finish = func(tail []byte) bool {
		if utf8.Valid(tail) {
			return true
		}
		if len(tail) >= utf8.UTFMax {
			return false
		}
		for _, c := range conts {
			if finish(append(slices.Clip(tail), c)) {
				return true
			}
		}
		return false
	}
	// The unfinished character starts in the last three bytes, after a
	// valid prefix.
	for k := 1; k <= 3 && k <= len(b); k++ {
		if utf8.Valid(b[:len(b)-k]) && !utf8.Valid(b[len(b)-k:]) && finish(b[len(b)-k:]) {
			return true
		}
	}
	return false
}

// outsideQuotes is b with each quoted section (from a quote to the next,
// a doubled quote being two sections) replaced by one 'x': what is left is
// the row structure, where a line end ends a row.
func outsideQuotes(b []byte) []byte {
	var out []byte
	for i, piece := range bytes.Split(b, []byte{'"'}) {
		if i%2 == 0 {
			out = append(out, piece...)
		} else {
			out = append(out, 'x')
		}
	}
	return out
}

// refLineEnds counts how rows end in b, outside quotes: CRLF, a lone LF, a
// lone CR not at the very end (endsCR says whether the last row ends with one).
func refLineEnds(b []byte) (crlf, lf, cr int64, endsCR bool) {
	o := outsideQuotes(b)
	crlf = int64(bytes.Count(o, []byte("\r\n")))
	lf = int64(bytes.Count(o, []byte("\n"))) - crlf
	cr = int64(bytes.Count(o, []byte("\r"))) - crlf
	if bytes.HasSuffix(o, []byte("\r")) {
		cr--
		endsCR = true
	}
	return crlf, lf, cr, endsCR
}

// FuzzScanReader feeds the one-pass scan any bytes, in one chunk or with the
// chunk boundary (at 1 MiB, after ASCII padding) at any point of them (when
// split%16 == 1, at split/16): its hash and
// size are those of the bytes; it finds the byte-order mark; outside UTF-16
// it calls the bytes valid UTF-8 exactly when they are, notes a character
// cut at the very end, counts the bytes that start a multibyte character
// and the invalid ones as invalidBytes does, and counts the line ends of the
// first megabyte, and a lone CR at the end of a file no longer than that.
func FuzzScanReader(f *testing.F) {
	for _, s := range sniffEdgeCases {
		f.Add([]byte(s), uint16(0))
	}
	for _, s := range sniffEdgeCases[:6] {
		f.Add([]byte(s), uint16(len(s)/2*16+1)) // the chunk boundary in the middle
	}
	for _, h := range sampleHeads(f, 2048) {
		f.Add(h, uint16(0))
	}
	f.Fuzz(func(t *testing.T, data []byte, split uint16) {
		all, pad := data, 0
		if split%16 == 1 {
			// Put the chunk boundary k bytes into data (one exec in 16: a
			// megabyte a time is slow to fuzz). The padding is ASCII
			// without quotes or line ends: the models below read data alone.
			k := int(split/16) % (len(data) + 1)
			pad = headSize - k
			all = append(bytes.Repeat([]byte("a"), pad), data...)
		}
		sc, err := scanReader(bytes.NewReader(all))
		if err != nil {
			t.Fatalf("scanReader: %v", err)
		}
		sum := sha256.Sum256(all)
		if sc.sha256 != hex.EncodeToString(sum[:]) {
			t.Errorf("sha256 = %s, want %x", sc.sha256, sum)
		}
		if sc.size != int64(len(all)) {
			t.Errorf("size = %d, want %d", sc.size, len(all))
		}
		if want := bomOf(all); sc.bom != want {
			t.Errorf("bom = %q, want %q", sc.bom, want)
		}
		if strings.HasPrefix(sc.bom, "utf-16") {
			return // UTF-8 evidence and line ends are not read from UTF-16
		}
		valid := utf8.Valid(data)
		if sc.validUTF8 != valid {
			t.Errorf("validUTF8 = %v, want %v", sc.validUTF8, valid)
		}
		if want := !valid && completable(data); sc.partialTail != want {
			t.Errorf("partialTail = %v, want %v (valid UTF-8 but for a character cut at the end)", sc.partialTail, want)
		}
		if valid && sc.mostlyUTF8() {
			t.Errorf("mostlyUTF8 on valid UTF-8")
		}
		countLeads := func(b []byte) (n int64) {
			for _, c := range b {
				if c >= 0xC0 {
					n++
				}
			}
			return n
		}
		first := data[:min(len(data), headSize-pad)] // what of data the first megabyte holds
		if countLeads(first) < 1000 {
			// The evidence was gathered throughout.
			if want := countLeads(data); sc.leads != want {
				t.Errorf("leads = %d, want %d", sc.leads, want)
			}
			if want := invalidBytes(data); sc.invalid != want {
				t.Errorf("invalid = %d, want %d", sc.invalid, want)
			}
		}
		// Line ends: those of the first megabyte, as lineEnds counts them
		// (FuzzLineEnds checks the counting), and a lone CR that ends the file.
		var want lineEnds
		want.count(first)
		if want.prevCR && len(all) <= headSize {
			want.cr++
		}
		if sc.ends.crlf != want.crlf || sc.ends.lf != want.lf || sc.ends.cr != want.cr {
			t.Errorf("line ends (crlf, lf, cr) = (%d, %d, %d), want (%d, %d, %d)", sc.ends.crlf, sc.ends.lf, sc.ends.cr, want.crlf, want.lf, want.cr)
		}
	})
}

// FuzzLineEnds feeds lineEnds.count any bytes, whole and cut into two
// chunks at any point: the counts are the same however the bytes are cut
// (its state crosses chunks), and they are the quote-aware model's: CRLF,
// lone LF and lone CR row ends outside quotes. detectNewline, on the same
// bytes, says how the first row ends by the same model.
func FuzzLineEnds(f *testing.F) {
	for _, s := range sniffEdgeCases {
		f.Add([]byte(s), uint16(len(s)/2))
	}
	for _, h := range sampleHeads(f, 512) {
		f.Add(h, uint16(len(h)/2))
	}
	f.Fuzz(func(t *testing.T, data []byte, split uint16) {
		var whole lineEnds
		whole.count(data)
		cuts := []int{int(split) % (len(data) + 1)}
		if len(data) <= 256 {
			cuts = cuts[:0]
			for i := 0; i <= len(data); i++ {
				cuts = append(cuts, i)
			}
		}
		for _, k := range cuts {
			var two lineEnds
			two.count(data[:k])
			two.count(data[k:])
			if two != whole {
				t.Fatalf("cut at %d: %+v, in one piece: %+v", k, two, whole)
			}
		}
		crlf, lf, cr, endsCR := refLineEnds(data)
		if whole.crlf != crlf || whole.lf != lf || whole.cr != cr {
			t.Errorf("count(%q): (crlf, lf, cr) = (%d, %d, %d), want (%d, %d, %d)", data, whole.crlf, whole.lf, whole.cr, crlf, lf, cr)
		}
		if whole.prevCR != endsCR {
			t.Errorf("count(%q): a lone CR pending at the end = %v, want %v", data, whole.prevCR, endsCR)
		}
		if whole.mixed() && whole.crOnly() {
			t.Errorf("count(%q): both mixed and CR only", data)
		}

		// detectNewline: how the first row ends, outside quotes.
		o := outsideQuotes(data)
		wantNL := ""
		if i := bytes.IndexAny(o, "\r\n"); i >= 0 {
			switch {
			case o[i] == '\n':
				wantNL = "\n"
			case i+1 < len(o) && o[i+1] == '\n':
				wantNL = "\r\n"
			case i+1 < len(o):
				wantNL = "\r" // followed by more (a quote opening the next row, say)
			}
		}
		if got := detectNewline(data); got != wantNL {
			t.Errorf("detectNewline(%q) = %q, want %q", data, got, wantNL)
		}
	})
}

// FuzzSplitRecords feeds splitRecords any text and dialect: it never
// panics and stops at max records; without a quote it is a plain split of
// lines (LF, CRLF, lone CR) and fields; and a table written under a dialect
// (every field quoted, quotes escaped, any line end) reads back as written,
// each record on the line it starts on.
func FuzzSplitRecords(f *testing.F) {
	for i, s := range sniffEdgeCases {
		f.Add(s, uint8(i), uint8(i/2), uint8(255))
	}
	for i, h := range sampleHeads(f, 512) {
		f.Add(string(h), uint8(i), uint8(0), uint8(i))
	}
	type dialectCase struct{ quote, escape byte }
	dialects := []dialectCase{{'"', '"'}, {'"', '\\'}, {'\'', '\''}, {0, 0}}
	f.Fuzz(func(t *testing.T, text string, delimIdx, dialectIdx, maxRecs uint8) {
		delim := delimiters[int(delimIdx)%len(delimiters)]
		dc := dialects[int(dialectIdx)%len(dialects)]
		max := int(maxRecs)%64 + 1
		recs := splitRecords(text, delim, dc.quote, dc.escape, max)
		if len(recs) > max {
			t.Fatalf("%d records, max %d", len(recs), max)
		}

		if dc.quote == 0 {
			// A plain split.
			lines := regexp.MustCompile(`\r\n|\r|\n`).Split(text, -1)
			ended := len(lines) - 1
			if lines[len(lines)-1] == "" {
				lines = lines[:len(lines)-1]
			}
			lines = lines[:min(len(lines), max)]
			if len(recs) != len(lines) {
				t.Fatalf("splitRecords(%q) without quotes: %d records, want %d", text, len(recs), len(lines))
			}
			for i, r := range recs {
				if want := strings.Split(lines[i], string(delim)); !slices.Equal(r.fields, want) || r.raw != lines[i] || r.line != i+1 || r.broken || r.ended != (i < ended) {
					t.Errorf("record %d = %+v, want fields %q, raw %q, line %d, ended %v", i, r, want, lines[i], i+1, i < ended)
				}
			}
			return
		}

		// Round trip: the text's lines as rows, its delimiter-separated parts
		// as fields, written under the dialect with the line end its length picks.
		eol := []string{"\n", "\r\n", "\r"}[len(text)%3]
		var rows [][]string
		for _, line := range strings.Split(text, "\n") {
			rows = append(rows, strings.Split(line, string(delim)))
		}
		var b strings.Builder
		var starts []int // the line each row starts on
		lineEnds := func(s string) int { return strings.Count(s, "\n") + strings.Count(s, "\r") - strings.Count(s, "\r\n") }
		for _, row := range rows {
			starts = append(starts, 1+lineEnds(b.String()))
			for j, field := range row {
				if j > 0 {
					b.WriteByte(delim)
				}
				q := string(dc.quote)
				field = strings.ReplaceAll(field, string(dc.escape), string(dc.escape)+string(dc.escape))
				if dc.escape != dc.quote {
					field = strings.ReplaceAll(field, q, string(dc.escape)+q)
				}
				b.WriteString(q + field + q)
			}
			b.WriteString(eol)
		}
		written := b.String()
		back := splitRecords(written, delim, dc.quote, dc.escape, 1<<30)
		if len(back) != len(rows) {
			t.Fatalf("%q read back as %d records, want %d", written, len(back), len(rows))
		}
		for i, r := range back {
			if !slices.Equal(r.fields, rows[i]) || r.broken || !r.ended || r.line != starts[i] {
				t.Errorf("%q: record %d = %q (broken %v, ended %v, line %d), want %q on line %d", written, i, r.fields, r.broken, r.ended, r.line, rows[i], starts[i])
			}
		}
	})
}

// FuzzDetectLayout feeds detectLayout any head and tail: it never panics,
// gives the same answer twice, honours a configured delimiter (or Excel's
// sep= line), and answers within its own terms: a candidate delimiter, a
// known quote and escape, at most three header rows named for every column,
// shares between 0 and 1.
func FuzzDetectLayout(f *testing.F) {
	for i, s := range sniffEdgeCases {
		f.Add(s, true, "", uint8(i))
	}
	for _, h := range sampleHeads(f, 4096) {
		f.Add(string(h), true, "", uint8(0))
		f.Add(string(h[:len(h)/2]), false, string(h[len(h)/2:]), uint8(0))
	}
	f.Fuzz(func(t *testing.T, head string, complete bool, tail string, delim uint8) {
		var given byte
		if delim%2 == 1 {
			given = delimiters[int(delim/2)%len(delimiters)]
		}
		l := detectLayout(head, complete, tail, given)
		if again := detectLayout(head, complete, tail, given); !reflect.DeepEqual(l, again) {
			t.Fatalf("two answers: %+v and %+v", l, again)
		}
		switch {
		case l.sep:
		case given != 0 && l.delimiter != given:
			t.Errorf("delimiter %q, configured %q", l.delimiter, given)
		case given == 0 && !bytes.Contains(delimiters, []byte{l.delimiter}):
			t.Errorf("delimiter %q is no candidate", l.delimiter)
		}
		if l.quote != '"' && l.quote != '\'' && l.quote != 0 {
			t.Errorf("quote %q", l.quote)
		}
		if l.escape != l.quote && !(l.quote != 0 && l.escape == '\\') {
			t.Errorf("escape %q with quote %q", l.escape, l.quote)
		}
		if l.headerRows < 0 || l.headerRows > 3 || l.preamble < 0 || l.skip() < 0 || l.records < 0 || l.columns < 1 {
			t.Errorf("header rows %d, preamble %d, skip %d, records %d, columns %d", l.headerRows, l.preamble, l.skip(), l.records, l.columns)
		}
		if l.headerRows > 0 && len(l.header) != l.columns {
			t.Errorf("%d header names for %d columns", len(l.header), l.columns)
		}
		if l.uniform < 0 || l.uniform > 1 {
			t.Errorf("uniform %v", l.uniform)
		}
	})
}

// FuzzSniff writes any bytes to a file and sniffs it with each encoding
// setting and delimiter: it never panics; it fails or names an encoding it
// knows, and one DuckDB reads or a transcoder; a delimiter that is the one
// configured (or Excel's sep= line's) or a candidate; trimmed header names;
// and it refuses a file configured as UTF-8 only when it is not (mostly)
// UTF-8.
func FuzzSniff(f *testing.F) {
	for i, s := range sniffEdgeCases {
		f.Add([]byte(s), uint8(i), uint8(0))
	}
	for i, h := range sampleHeads(f, 2048) {
		f.Add(h, uint8(i%5), uint8(0))
	}
	encodings := []string{"auto", "utf-8", "utf-16", "latin-1", "cp1252"}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte, enc, delim uint8) {
		path := filepath.Join(dir, fmt.Sprintf("sniff-%d.csv", os.Getpid()))
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		sc, err := scanFile(path)
		if err != nil {
			t.Fatal(err)
		}
		configured := encodings[int(enc)%len(encodings)]
		var given byte
		if delim%2 == 1 {
			given = delimiters[int(delim/2)%len(delimiters)]
		}
		d, err := sniff(path, sc, configured, given)
		if err != nil {
			if configured == "utf-8" && strings.Contains(err.Error(), "not valid UTF-8") && (sc.validUTF8 || sc.mostlyUTF8()) {
				t.Errorf("sniff refused a UTF-8 file as not UTF-8: %v", err)
			}
			return
		}
		switch d.encoding {
		case "utf-8", "utf-16", "utf-16be", "latin-1", "cp1252":
		default:
			t.Errorf("encoding %q", d.encoding)
		}
		if d.duckdb == "" && d.transcode == nil {
			t.Errorf("encoding %q: neither DuckDB's nor a transcoder", d.encoding)
		}
		if configured == "utf-8" && !sc.validUTF8 && !sc.mostlyUTF8() {
			t.Errorf("a file configured as utf-8 that is not UTF-8 was accepted as %q", d.encoding)
		}
		if d.layout == nil {
			t.Fatal("no layout")
		}
		switch {
		case d.layout.sep:
		case given != 0 && d.delimiter != given:
			t.Errorf("delimiter %q, configured %q", d.delimiter, given)
		case given == 0 && !bytes.Contains(delimiters, []byte{d.delimiter}):
			t.Errorf("delimiter %q is not a candidate", d.delimiter)
		}
		for _, h := range d.header {
			if h != strings.TrimSpace(h) {
				t.Errorf("header name %q not trimmed", h)
			}
		}
		if d.lenient && d.newline != "" {
			t.Errorf("both lenient and newline %q", d.newline)
		}
	})
}

// FuzzExcerpt checks what error messages show of a file's text: valid
// UTF-8 with no control character (a byte that is not UTF-8 shows as the
// replacement character), the text itself when it is short and printable,
// and else its first n characters and how many more there are.
func FuzzExcerpt(f *testing.F) {
	for _, s := range sniffEdgeCases {
		f.Add(s, uint8(10))
	}
	f.Add("Jos\xe9\x00\r\n\u0085\u200b\ufffd", uint8(3))
	f.Add(strings.Repeat("é", 70), uint8(60))
	f.Fuzz(func(t *testing.T, s string, n uint8) {
		got := excerpt(s, int(n))
		if !utf8.ValidString(got) {
			t.Errorf("excerpt(%q, %d) = %q: not UTF-8", s, n, got)
		}
		for _, r := range got {
			if unicode.IsControl(r) {
				t.Fatalf("excerpt(%q, %d) = %q holds %U", s, n, got, r)
			}
		}
		count := utf8.RuneCountInString(s)
		printable := utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsControl)
		if count <= int(n) {
			if printable && got != s {
				t.Errorf("excerpt(%q, %d) = %q, want the text as it is", s, n, got)
			}
			if strings.Contains(got, " more characters)") && !strings.Contains(s, " more characters)") {
				t.Errorf("excerpt(%q, %d) = %q: cut a text of %d characters", s, n, got, count)
			}
			return
		}
		suffix := fmt.Sprintf("… (%d more characters)", count-int(n))
		if !strings.HasSuffix(got, suffix) {
			t.Errorf("excerpt(%q, %d) = %q, want it to end %q", s, n, got, suffix)
		}
		if printable {
			if want := string([]rune(s)[:n]) + suffix; got != want {
				t.Errorf("excerpt(%q, %d) = %q, want %q", s, n, got, want)
			}
		}
	})
}
