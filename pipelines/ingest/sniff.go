package ingest

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"
)

// scan is what one pass over a file's bytes tells: its hash, its byte-order
// mark, and whether the rest is valid UTF-8.
type scan struct {
	sha256    string
	bom       string // "utf-8", "utf-16le", "utf-16be" or ""
	validUTF8 bool
	// partialTail: the bytes were valid UTF-8 but for an unfinished
	// character at the very end.
	partialTail bool
	size        int64
	// How rows end, in the first megabyte.
	ends lineEnds
	// The evidence for UTF-8: bytes that start a multibyte sequence, and
	// bytes that are not valid UTF-8 (counted in the chunks that hold some).
	leads, invalid int64
	// rows follows line lengths, and the widest long line's fields.
	rows rowWidth
}

// rowWidth finds the record with the most fields among records of more
// than wideLine bytes, for any candidate delimiter, outside quotes. DuckDB's
// reader, recording its rejects, takes time quadratic in a row's fields
// (minutes for 100,000): such a row must be refused before it reaches the
// reader. Lines are found with IndexByte and quotes counted with
// bytes.Count (which tells whether a line ends inside a quoted field); only
// long records are read byte by byte, so that the scan keeps its pace.
type rowWidth struct {
	line       int64 // lines seen so far
	start      int64 // the line the current record starts on, from 1
	length     int64 // bytes of the current record so far
	inQuote    bool
	counts     [len(rowDelims)]int64
	widest     int64 // fields of the widest long record
	widestLine int64 // the line it starts on
}

const wideLine = 1024

// rowDelims are the delimiters a row's width is counted with: those the
// sniffer chooses from.
var rowDelims = [...]byte{',', ';', '\t', '|', '^', '`'}

// delimIndex is each byte's place in rowDelims, or -1.
var delimIndex = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for i, d := range rowDelims {
		t[d] = int8(i)
	}
	return t
}()

func (w *rowWidth) feed(chunk []byte) {
	for len(chunk) > 0 {
		i := bytes.IndexByte(chunk, '\n')
		seg := chunk
		if i >= 0 {
			seg = chunk[:i]
		}
		if w.length == 0 {
			w.start = w.line + 1
		}
		if w.length+int64(len(seg)) > wideLine {
			for _, c := range seg {
				switch {
				case c == '"':
					w.inQuote = !w.inQuote
				case !w.inQuote:
					if k := delimIndex[c]; k >= 0 {
						w.counts[k]++
					}
				}
			}
		} else if bytes.Count(seg, []byte{'"'})%2 == 1 {
			w.inQuote = !w.inQuote
		}
		w.length += int64(len(seg)) + 1
		if i < 0 {
			w.length--
			return
		}
		w.line++
		if !w.inQuote {
			w.end()
		}
		chunk = chunk[i+1:]
	}
}

// end closes the current record.
func (w *rowWidth) end() {
	if w.length > wideLine {
		for _, c := range w.counts {
			if c+1 > w.widest {
				w.widest, w.widestLine = c+1, w.start
			}
		}
		w.counts = [len(rowDelims)]int64{}
	}
	w.length = 0
}

// WideRowError is a file with a row of more fields than load.max_columns.
type WideRowError struct {
	Line, Fields int64
	Allowed      int
}

func (e *WideRowError) Error() string {
	if e.Line == 1 {
		return fmt.Sprintf("the header has about %d columns, more than the %d allowed; the file is refused (is it the export you expect? load.max_columns raises the limit)", e.Fields, e.Allowed)
	}
	return fmt.Sprintf("line %d has about %d fields, more than the %d allowed; the file is refused (is it the export you expect? load.max_columns raises the limit)", e.Line, e.Fields, e.Allowed)
}

// tooWide says whether the scan saw a row wider than limit fields.
func (s *scan) tooWide(limit int) error {
	if s == nil || s.rows.widest <= int64(limit) {
		return nil
	}
	return &WideRowError{Line: s.rows.widestLine, Fields: s.rows.widest, Allowed: limit}
}

// mostlyUTF8 says whether a file that is not valid UTF-8 throughout is
// still UTF-8 with a few bad bytes (a row damaged by another tool) rather
// than a single-byte encoding: its valid multibyte characters outnumber its
// bad bytes four to one. Re-reading such a file as cp1252 would garble
// every name (José as JosÃ©); read as UTF-8, only the damaged rows are
// quarantined.
func (s *scan) mostlyUTF8() bool {
	valid := s.leads - s.invalid
	return !s.validUTF8 && valid > 0 && valid >= 4*s.invalid
}

// lineEnds counts how rows end, outside quotes: CRLF, a lone LF, a lone
// CR. A quoted field may hold any of them; a row may not, unless the file
// mixes. Fed chunk by chunk, it carries its state across chunks (a ""
// inside a field toggles the quote twice).
type lineEnds struct {
	crlf, lf, cr    int64
	inQuote, prevCR bool
}

func (l *lineEnds) count(chunk []byte) {
	for _, b := range chunk {
		// A CR outside quotes that no LF follows ends a row by itself,
		// whatever follows it (a quote opening the next row's first field).
		if l.prevCR && b != '\n' {
			l.cr++
		}
		switch {
		case b == '"':
			l.inQuote = !l.inQuote
		case l.inQuote:
		case b == '\n' && l.prevCR:
			l.crlf++
		case b == '\n':
			l.lf++
		}
		l.prevCR = b == '\r' && !l.inQuote
	}
}

// mixed says whether rows end in more than one way (some CRLF, some LF),
// which DuckDB's strict reader refuses.
func (l *lineEnds) mixed() bool {
	kinds := 0
	for _, n := range []int64{l.crlf, l.lf, l.cr} {
		if n > 0 {
			kinds++
		}
	}
	return kinds > 1
}

// crOnly says whether rows end with a carriage return alone.
func (l *lineEnds) crOnly() bool { return l.cr > 0 && l.crlf == 0 && l.lf == 0 }

// scanFile hashes and sniffs a file in one read.
func scanFile(path string) (*scan, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return scanReader(f)
}

// scanHead sniffs a file's first megabyte (its hash is left empty).
func scanHead(path string) (*scan, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc, err := scanReader(io.LimitReader(f, headSize))
	if err != nil {
		return nil, err
	}
	sc.sha256 = ""
	if sc.size == headSize {
		// The cut may fall inside a character: only a bad byte before the
		// last three counts.
		sc.validUTF8 = sc.validUTF8 || sc.partialTail
	}
	return sc, nil
}

const headSize = 1 << 20

func scanReader(r io.Reader) (*scan, error) {
	h := sha256.New()
	sc := &scan{validUTF8: true}
	buf := make([]byte, 1<<20)
	var carry []byte // an incomplete UTF-8 sequence at the end of the last chunk
	first := true
	for {
		n, err := io.ReadFull(r, buf)
		if n > 0 {
			chunk := buf[:n]
			h.Write(chunk)
			sc.size += int64(n)
			if first {
				sc.bom = bomOf(chunk)
				first = false
			}
			if !strings.HasPrefix(sc.bom, "utf-16") {
				sc.rows.feed(chunk)
			}
			// The evidence for UTF-8 is gathered chunk by chunk, good bytes
			// and bad alike, until there is plenty (see mostlyUTF8).
			gathering := sc.leads < 1000
			if !strings.HasPrefix(sc.bom, "utf-16") { // a UTF-16 CR is two bytes
				// Line ends are counted in the first megabyte only (a file
				// whose rows end otherwise further on is caught when DuckDB
				// refuses it, and loaded again leniently): a byte loop over
				// every byte of a large drop would slow the scan that runs
				// beside DuckDB's load.
				if sc.size == int64(n) {
					sc.ends.count(chunk)
				}
				// Evidence for UTF-8, until there is plenty: a few hundred
				// multibyte characters settle it, and pure ASCII chunks are
				// passed over eight bytes at a time.
				if gathering && !asciiOnly(chunk) {
					for _, b := range chunk {
						if b >= 0xC0 {
							sc.leads++
						}
					}
				}
			}
			if !strings.HasPrefix(sc.bom, "utf-16") {
				data := chunk
				if len(carry) > 0 {
					data = append(carry, chunk...)
				}
				cut := len(data)
				// Hold back a trailing partial rune for the next chunk.
				for i := 1; i <= 3 && i <= len(data); i++ {
					b := data[len(data)-i]
					if utf8.RuneStart(b) {
						if !utf8.FullRune(data[len(data)-i:]) {
							cut = len(data) - i
						}
						break
					}
				}
				if !utf8.Valid(data[:cut]) {
					sc.validUTF8 = false
					// Counted while the evidence is, so that the two stay
					// comparable: past a thousand characters, damage is damage
					// (its rows are quarantined), not a sign of another encoding.
					if gathering {
						sc.invalid += invalidBytes(data[:cut])
					}
				}
				carry = append(carry[:0], data[cut:]...)
			}
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if len(carry) > 0 {
		if sc.validUTF8 {
			sc.partialTail = true
		}
		sc.validUTF8 = false
		sc.invalid += int64(len(carry))
	}
	if sc.ends.prevCR && sc.size <= headSize {
		sc.ends.cr++ // the file ends with a lone CR
	}
	if sc.rows.length > 0 {
		sc.rows.end()
	}
	sc.sha256 = hex.EncodeToString(h.Sum(nil))
	return sc, nil
}

// asciiOnly says whether b holds only ASCII bytes, eight at a time.
func asciiOnly(b []byte) bool {
	for len(b) >= 8 {
		if binary.LittleEndian.Uint64(b)&0x8080808080808080 != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// mixedLineEnds reads a whole file and says whether its rows end in more
// than one way outside quotes. It runs only when DuckDB's strict reader has
// refused a file, to tell a mix of line ends (read leniently) from a
// malformed file (refused, as before): the scan beside the load looks at the
// first megabyte only.
func mixedLineEnds(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var ends lineEnds
	buf := make([]byte, 1<<20)
	for {
		n, err := f.Read(buf)
		ends.count(buf[:n])
		if err != nil {
			break
		}
	}
	return ends.mixed()
}

// invalidBytes counts the bytes of b that are not part of a valid UTF-8
// sequence.
func invalidBytes(b []byte) int64 {
	var n int64
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size <= 1 {
			n++
		}
		b = b[size:]
	}
	return n
}

func bomOf(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		return "utf-8"
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		return "utf-16le"
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		return "utf-16be"
	}
	return ""
}

// dialect is how a file is to be read.
type dialect struct {
	encoding  string // what the file is written in
	duckdb    string // DuckDB's encoding option, or "" when the file must be transcoded to UTF-8 first
	transcode encoding.Encoding
	delimiter byte
	// newline is "\r" for a file whose lines end with a carriage return
	// alone (classic Mac, some report tools), which DuckDB's reader must be
	// told; "" otherwise (LF and CRLF, mixed or not, read as they are).
	newline string
	// lenient: the rows end in more than one way, which DuckDB reads only
	// with strict_mode off.
	lenient bool
	header  []string
	// layout is what the file's head and tail show of its table: quote,
	// escape, preamble, footer, a cut.
	layout *layout
	// maxLine is how long a row may be before the reader quarantines it
	// (load.max_line_bytes; 0: 8 MiB).
	maxLine int64
}

func (d *dialect) maxLineBytes() int64 {
	if d.maxLine > 0 {
		return d.maxLine
	}
	return 8 << 20
}

// sniff decides a file's encoding (the configured one, or detected from its
// byte-order mark and UTF-8 validity) and delimiter, and reads its header.
func sniff(path string, sc *scan, configured string, delim byte) (*dialect, error) {
	d := &dialect{}
	switch enc := configured; {
	case enc == "utf-16" || (enc == "auto" && sc.bom == "utf-16le"):
		d.encoding, d.duckdb = "utf-16", "utf-16"
		if sc.bom == "utf-16be" {
			d.duckdb, d.transcode = "", unicode.UTF16(unicode.BigEndian, unicode.UseBOM)
		}
	case enc == "auto" && sc.bom == "utf-16be":
		d.encoding, d.transcode = "utf-16be", unicode.UTF16(unicode.BigEndian, unicode.UseBOM)
	case enc == "utf-8" || (enc == "auto" && (sc.validUTF8 || sc.mostlyUTF8())):
		d.encoding, d.duckdb = "utf-8", "utf-8"
		if enc == "utf-8" && !sc.validUTF8 && !sc.mostlyUTF8() {
			return nil, errors.New("the file is configured as utf-8 but is not valid UTF-8; set the source's encoding to cp1252 or latin-1 (or auto)")
		}
	case enc == "latin-1":
		d.encoding, d.duckdb = "latin-1", "latin-1"
	default:
		// Not UTF-8: a single-byte Windows export. cp1252 is latin-1 plus
		// printable characters (€, curly quotes) where latin-1 has controls.
		d.encoding, d.transcode = "cp1252", charmap.Windows1252
	}

	head, complete, tail, err := sample(path, d)
	if err != nil {
		return nil, err
	}
	head = strings.TrimPrefix(head, "\uFEFF")
	if strings.TrimSpace(head) == "" {
		return nil, errEmpty
	}
	switch {
	case sc.ends.mixed():
		d.lenient = true
	case sc.ends.crOnly() || detectNewline([]byte(head)) == "\r":
		d.newline = `\r` // as DuckDB's new_line option spells it
	}
	d.layout = detectLayout(head, complete, tail, delim)
	d.delimiter = d.layout.delimiter
	header := d.layout.header
	if d.layout.headerRows == 0 {
		header = d.layout.first // names nothing the presets know: the file is ignored, and says why
	}
	d.header = make([]string, len(header))
	for i := range header {
		d.header[i] = strings.TrimSpace(header[i])
	}
	return d, nil
}

// errEmpty is a file with nothing but white space in it.
var errEmpty = errors.New("the file is empty: it has no header line")

// Sample sizes: the head settles the dialect and the header; the tail shows
// a footer, or a cut.
const (
	sampleHead = 256 << 10
	sampleTail = 64 << 10
)

// sample reads the start of a file, decoded to UTF-8, saying whether that
// is the whole file, and, when it is not, the file's last bytes, decoded.
func sample(path string, d *dialect) (head string, complete bool, tail string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return "", false, "", err
	}
	defer f.Close()
	// The file's own size: a scan of its head knows only the head's.
	st, err := f.Stat()
	if err != nil {
		return "", false, "", err
	}
	size := st.Size()
	decoder := func(r io.Reader, bom bool) io.Reader {
		switch {
		case d.transcode != nil && !bom && d.encoding == "utf-16be":
			return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM).NewDecoder().Reader(r)
		case d.transcode != nil:
			return d.transcode.NewDecoder().Reader(r)
		case d.duckdb == "utf-16":
			if !bom {
				return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM).NewDecoder().Reader(r)
			}
			return unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewDecoder().Reader(r)
		case d.duckdb == "latin-1":
			return charmap.ISO8859_1.NewDecoder().Reader(r)
		}
		return r
	}
	raw := make([]byte, sampleHead)
	n, err := io.ReadFull(f, raw)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return "", false, "", err
	}
	complete = int64(n) >= size
	b, _ := io.ReadAll(decoder(bytes.NewReader(raw[:n]), true))
	head = string(b)
	if complete || size <= sampleHead+sampleTail/2 {
		if !complete {
			// Nearly all of it: read the rest into the head.
			rest, err := io.ReadAll(f)
			if err != nil {
				return "", false, "", err
			}
			b, _ := io.ReadAll(decoder(bytes.NewReader(append(raw[:n], rest...)), true))
			head, complete = string(b), true
		}
		return head, complete, "", nil
	}
	off := size - sampleTail
	if strings.HasPrefix(d.encoding, "utf-16") {
		off &^= 1
	}
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return "", false, "", err
	}
	t, err := io.ReadAll(decoder(io.LimitReader(f, sampleTail), false))
	if err != nil {
		return "", false, "", err
	}
	return head, false, string(t), nil
}

// detectNewline says how the first line ends, outside quotes: "\n",
// "\r\n", "\r", or "" when the head holds a single line.
func detectNewline(head []byte) string {
	inQuote := false
	for i, b := range head {
		switch {
		case b == '"':
			inQuote = !inQuote
		case inQuote:
		case b == '\n':
			return "\n"
		case b == '\r' && i+1 < len(head) && head[i+1] == '\n':
			return "\r\n"
		case b == '\r' && i+1 < len(head):
			return "\r"
		}
	}
	return ""
}

// transcodeToUTF8 writes a UTF-8 copy of a file DuckDB cannot decode itself.
func transcodeToUTF8(src, dst string, enc encoding.Encoding) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(out, 1<<20)
	if _, err := io.Copy(bw, enc.NewDecoder().Reader(in)); err != nil {
		out.Close()
		return err
	}
	if err := bw.Flush(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
