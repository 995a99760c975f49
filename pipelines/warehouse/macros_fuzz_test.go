package warehouse

import (
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/duckdb/duckdb-go/v2"
)

// The id macros of sql/macros run on every id of every export: a value they
// cannot handle would stop a staging view, and one they normalise wrongly
// would split or merge records. These fuzz targets check them, in an
// in-memory DuckDB with the macros defined as Open defines them, against
// Go models written from their documentation.

// macroDB is an in-memory DuckDB with the project's macros, for a fuzz
// target: one per target (and per fuzzing worker).
func macroDB(tb testing.TB) *sql.DB {
	tb.Helper()
	c, err := duckdb.NewConnector("?threads=1", nil)
	if err != nil {
		tb.Fatal(err)
	}
	db := sql.OpenDB(c)
	db.SetMaxOpenConns(1)
	tb.Cleanup(func() { db.Close() })
	if err := execDir(context.Background(), db, "sql/macros"); err != nil {
		tb.Fatal(err)
	}
	return db
}

// sfChecksum is Salesforce's documented suffix of a 15-character id: for
// each chunk of five characters, bit i is set when its i-th character is an
// upper-case letter A-Z, and the bits index ABCDEFGHIJKLMNOPQRSTUVWXYZ012345.
func sfChecksum(id []rune) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
	var b strings.Builder
	for chunk := 0; chunk < 3; chunk++ {
		bits := 0
		for i := 0; i < 5; i++ {
			if c := id[chunk*5+i]; c >= 'A' && c <= 'Z' {
				bits |= 1 << i
			}
		}
		b.WriteByte(alphabet[bits])
	}
	return b.String()
}

// duckTrim is DuckDB's trim(): it strips the Unicode space separators
// (category Zs), not tabs or line ends.
func duckTrim(s string) string {
	return strings.TrimFunc(s, func(r rune) bool { return unicode.Is(unicode.Zs, r) })
}

var (
	alnum15 = regexp.MustCompile(`^[A-Za-z0-9]{15}$`)
	alnum18 = regexp.MustCompile(`^[A-Za-z0-9]{18}$`)
	// plainNumber is the integer written with a decimal zero part (123.0)
	// that plain_id reads as 123.
	plainNumber = regexp.MustCompile(`^([0-9]+)\.0+$`)
)

// swapASCIICase swaps the case of ASCII letters.
func swapASCIICase(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z':
			return r - 'A' + 'a'
		}
		return r
	}, s)
}

// macro evaluates one macro call on a value.
func macro(tb testing.TB, db *sql.DB, call, x string) sql.NullString {
	tb.Helper()
	var got sql.NullString
	if err := db.QueryRow("SELECT "+call+"(?::VARCHAR)", x).Scan(&got); err != nil {
		tb.Fatalf("%s(%q): %v", call, x, err)
	}
	return got
}

func show(v sql.NullString) string {
	if !v.Valid {
		return "NULL"
	}
	return "\"" + v.String + "\""
}

// idSeeds are id values of the samples: the columns named Id, *Id, *_id
// or *ID(s) of the CSV files under roots, one of each shape (letters,
// digits and length), so that the seed corpus stays quick to run.
func idSeeds(tb testing.TB, roots ...string) []string {
	tb.Helper()
	idCol := regexp.MustCompile(`(?i)(^id$|id$|_id$|ids$|^record id$)`)
	shape := func(v string) string {
		return strings.Map(func(r rune) rune {
			switch {
			case r >= '0' && r <= '9':
				return '9'
			case r >= 'a' && r <= 'z':
				return 'a'
			case r >= 'A' && r <= 'Z':
				return 'A'
			}
			return r
		}, v)
	}
	seen := map[string]bool{}
	var out []string
	for _, root := range roots {
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(strings.ToLower(path), ".csv") {
				return err
			}
			f, err := os.Open(path)
			if err != nil {
				return err
			}
			defer f.Close()
			r := csv.NewReader(f)
			r.LazyQuotes, r.FieldsPerRecord = true, -1
			header, err := r.Read()
			if err != nil {
				return nil // not a table: nothing to seed
			}
			perCol := map[int]int{}
			for row := 0; row < 20; row++ {
				rec, err := r.Read()
				if err == io.EOF {
					break
				}
				if err != nil {
					return nil
				}
				for i, v := range rec {
					if i < len(header) && idCol.MatchString(strings.TrimSpace(header[i])) && perCol[i] < 1 && !seen[shape(v)] {
						seen[shape(v)] = true
						perCol[i]++
						out = append(out, v)
					}
				}
			}
			return nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
	if len(out) > maxIDSeeds {
		out = out[:maxIDSeeds]
	}
	return out
}

// maxIDSeeds keeps each target's seed corpus under a second or two of plain
// go test (several queries a value).
const maxIDSeeds = 120

// idEdgeCases are hand-picked ids: both lengths, the dummy id in both
// cases, padding, numbers written as decimals, lists.
var idEdgeCases = []string{
	"001A0000006Vm9r", "001A0000006Vm9rIAC", "001A0000006Vm9riac", " 003A000000KJtNoial ",
	"000000000000000", "000000000000000AAA", "000000000000000aaa", "000000000000000AaA",
	"", " ", "\u00a0", "\t", "00Q5g00000LdA01", "00Q5g00000LdA01EAF\u3000", "ZZZZZZZZZZZZZZZ",
	"zzzzzzzzzzzzzzz", "001A0000006Vm9r\x00", "é00A0000006Vm9r", "001A0000006Vm9rIAß",
	"123.0", " 501.00 ", "1.0.0", "0.0", ".0", "9001;9002", ";;", "9001, 9002 ;;9003.0", "null",
}

// FuzzSalesforceID checks sf_id, the 15-to-18-character Salesforce id,
// against Salesforce's documented checksum: it never raises; a 15-character
// id gets the checksum as suffix; an 18-character id keeps its first 15
// characters and upper-cases its (case-insensitive) suffix, so ids differing
// only in the suffix's case are equal; the 18-character form of an id is
// the 15-character id's; the dummy id and blanks are NULL; and it is
// idempotent.
func FuzzSalesforceID(f *testing.F) {
	for _, s := range append(idEdgeCases, idSeeds(f, "../../testdata/corpus/salesforce", "../../testdata/pack_edges/exports", "../../testdata/ma_edges/exports/crm")...) {
		f.Add(s)
	}
	db := macroDB(f)
	f.Fuzz(func(t *testing.T, x string) {
		if !utf8.ValidString(x) {
			t.Skip("DuckDB text is UTF-8: the loader rejects or transcodes anything else first")
		}
		got := macro(t, db, "sf_id", x)
		tr := duckTrim(x)
		rs := []rune(tr)
		switch {
		case tr == "":
			if got.Valid {
				t.Errorf("sf_id(%q) = %s, want NULL for a blank id", x, show(got))
			}
		case alnum15.MatchString(tr):
			want := tr + sfChecksum(rs)
			if tr == "000000000000000" {
				if got.Valid {
					t.Errorf("sf_id(%q) = %s, want NULL for the dummy id", x, show(got))
				}
			} else if got.String != want {
				t.Errorf("sf_id(%q) = %s, want %q (Salesforce's checksum)", x, show(got), want)
			}
		case alnum18.MatchString(tr):
			id15, suffix := tr[:15], tr[15:]
			if id15 == "000000000000000" && strings.EqualFold(suffix, "AAA") {
				if got.Valid {
					t.Errorf("sf_id(%q) = %s, want NULL for the dummy id (its suffix is case-insensitive)", x, show(got))
				}
				break
			}
			if want := id15 + strings.ToUpper(suffix); got.String != want {
				t.Errorf("sf_id(%q) = %s, want %q", x, show(got), want)
			}
			if strings.EqualFold(suffix, sfChecksum(rs)) {
				// A real 18-character id: its 15-character form is the same record.
				if short := macro(t, db, "sf_id", id15); short != got {
					t.Errorf("sf_id(%q) = %s but sf_id(%q) = %s: one record, two keys", x, show(got), id15, show(short))
				}
			}
		}
		if len(rs) == 18 && tr == x {
			// The suffix is case-insensitive: swapping its case changes nothing.
			if other := string(rs[:15]) + swapASCIICase(string(rs[15:])); other != x {
				if o := macro(t, db, "sf_id", other); o != got {
					t.Errorf("sf_id(%q) = %s but sf_id(%q) = %s: the suffix's case must not matter", x, show(got), other, show(o))
				}
			}
		}
		if got.Valid {
			if again := macro(t, db, "sf_id", got.String); again != got {
				t.Errorf("sf_id(%q) = %s but sf_id of that = %s: not idempotent", x, show(got), show(again))
			}
		}
	})
}

// FuzzIDMacros checks the other id macros on any text: none raises;
// plain_id trims, reads 123.0 as 123, turns blanks into NULL and is
// idempotent; crm_id is sf_id for a value that looks like a Salesforce id
// and plain_id otherwise, and is idempotent; id_list splits on ; and , into
// the plain ids of the non-blank entries, in order, NULL when there is none;
// first_id is its first.
func FuzzIDMacros(f *testing.F) {
	for _, s := range append(idEdgeCases, idSeeds(f, "../../testdata/corpus", "../../testdata/hubspot_edges/exports", "../../testdata/ma_edges/exports", "../../testdata/pipedrive_edges/exports")...) {
		f.Add(s)
	}
	db := macroDB(f)
	plainModel := func(x string) sql.NullString {
		t := duckTrim(x)
		if m := plainNumber.FindStringSubmatch(t); m != nil {
			t = m[1]
		}
		return sql.NullString{String: t, Valid: t != ""}
	}
	f.Fuzz(func(t *testing.T, x string) {
		if !utf8.ValidString(x) {
			t.Skip("DuckDB text is UTF-8: the loader rejects or transcodes anything else first")
		}
		plain := macro(t, db, "plain_id", x)
		if want := plainModel(x); plain != want {
			t.Errorf("plain_id(%q) = %s, want %s", x, show(plain), show(want))
		}
		if plain.Valid {
			if again := macro(t, db, "plain_id", plain.String); again != plain {
				t.Errorf("plain_id(%q) = %s but plain_id of that = %s: not idempotent", x, show(plain), show(again))
			}
		}

		crm := macro(t, db, "crm_id", x)
		if tr := duckTrim(x); alnum15.MatchString(tr) || alnum18.MatchString(tr) {
			if sf := macro(t, db, "sf_id", x); crm != sf {
				t.Errorf("crm_id(%q) = %s, want sf_id's %s for a Salesforce-like id", x, show(crm), show(sf))
			}
		} else if crm != plain {
			t.Errorf("crm_id(%q) = %s, want plain_id's %s", x, show(crm), show(plain))
		}
		if crm.Valid {
			if again := macro(t, db, "crm_id", crm.String); again != crm {
				t.Errorf("crm_id(%q) = %s but crm_id of that = %s: not idempotent", x, show(crm), show(again))
			}
		}

		var list sql.NullString
		var first sql.NullString
		if err := db.QueryRow("SELECT to_json(id_list(?::VARCHAR))::VARCHAR, first_id(?::VARCHAR)", x, x).Scan(&list, &first); err != nil {
			t.Fatalf("id_list(%q): %v", x, err)
		}
		var want []string
		for _, e := range strings.FieldsFunc(x, func(r rune) bool { return r == ';' || r == ',' }) {
			if p := plainModel(e); p.Valid {
				want = append(want, p.String)
			}
		}
		var got []string
		if list.Valid && list.String != "null" {
			if err := json.Unmarshal([]byte(list.String), &got); err != nil {
				t.Fatalf("id_list(%q) = %s: %v", x, list.String, err)
			}
			if len(got) == 0 {
				t.Errorf("id_list(%q) = [], want NULL for a list without ids", x)
			}
		}
		if !slices.Equal(got, want) {
			t.Errorf("id_list(%q) = %q, want %q", x, got, want)
		}
		var wantFirst sql.NullString
		if len(want) > 0 {
			wantFirst = sql.NullString{String: want[0], Valid: true}
		}
		if first != wantFirst {
			t.Errorf("first_id(%q) = %s, want %s", x, show(first), show(wantFirst))
		}
	})
}
