package pack

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestText_FormulaGuard(t *testing.T) {
	for in, want := range map[string]string{
		"=SUM(A1)": "'=SUM(A1)", "+1 555": "'+1 555", "-x": "'-x", "@home": "'@home",
		"\tx": "'\tx", "\rx": "'\rx", "Zoë": "Zoë", "": "", "a=b": "a=b",
	} {
		if got := Text(in); got != want {
			t.Errorf("Text(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestFormatValue(t *testing.T) {
	v := func(f float64) sql.NullFloat64 { return sql.NullFloat64{Float64: f, Valid: true} }
	for _, tc := range []struct {
		v    sql.NullFloat64
		kind string
		want string
	}{
		{v(42), "count", "42"},
		{v(-1234.5), "money", "-1234.50"},
		{v(1234.5), "money", "1234.50"},
		{v(0.8125), "ratio", "0.8125"},
		{v(26.5), "hours", "26.50"},
		{v(1e7), "money", "10000000.00"}, // no exponent, no thousands separator
		{sql.NullFloat64{}, "ratio", ""},
		{v(12.88), "count", "12.88"}, // a projected count is not whole
	} {
		if got := formatValue(tc.v, tc.kind); got != tc.want {
			t.Errorf("formatValue(%v, %s) = %q, want %q", tc.v, tc.kind, got, tc.want)
		}
	}
}

func TestMonths(t *testing.T) {
	m, err := Months("2026-02")
	if err != nil {
		t.Fatal(err)
	}
	if m[0] != "2025-02" || m[12] != "2026-02" || len(m) != 13 {
		t.Errorf("months %v", m)
	}
	if _, err := Months("2026-13"); err == nil {
		t.Error("2026-13 accepted")
	}
}

// A pack that fails half-way leaves no folder, and the month's previous
// pack stays as it was.
func TestWriteAtomically_FailureKeepsPreviousPack(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "2026-10")
	if err := writeAtomically(dir, map[string][]byte{"kpis.csv": []byte("old\n")}); err != nil {
		t.Fatal(err)
	}
	err := writeAtomically(dir, map[string][]byte{"kpis.csv": []byte("new\n"), "no/such/folder.csv": []byte("x")})
	if err == nil {
		t.Fatal("a pack with an unwritable file was written")
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "kpis.csv")); string(data) != "old\n" {
		t.Errorf("the previous pack changed: %q", data)
	}
	entries, _ := os.ReadDir(filepath.Dir(dir))
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, ",") != "2026-10" {
		t.Errorf("left behind: %v", names)
	}
}
