package ingest

import (
	"strings"
	"testing"
)

func TestExcerpt(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"Société", 10, "Société"},
		{"a\x00b\rc", 10, `a\x00b\rc`},
		{strings.Repeat("\x00", 65888), 3, `\x00\x00\x00… (65885 more characters)`},
		{"8.850,00", 4, "8.85… (4 more characters)"},
	} {
		if got := excerpt(tc.in, tc.n); got != tc.want {
			t.Errorf("excerpt(%q, %d) = %q, want %q", tc.in[:min(len(tc.in), 20)], tc.n, got, tc.want)
		}
	}
	cols := make([]string, 200000)
	for i := range cols {
		cols[i] = "c"
	}
	if got := headerList(cols); len(got) > 200 || !strings.HasSuffix(got, "and 199960 more") {
		t.Errorf("headerList of 200,000 columns: %d characters, ends %q", len(got), got[max(0, len(got)-30):])
	}
}
