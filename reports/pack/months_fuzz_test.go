package pack

import (
	"testing"
	"time"
)

// FuzzMonths feeds the report month (--month) any text: Months refuses
// what is not YYYY-MM with a month 01 to 12, and for a month it takes gives
// the 13 calendar months that end with it, oldest first, each YYYY-MM.
func FuzzMonths(f *testing.F) {
	for _, s := range []string{"2026-10", "2026-01", "2026-12", "2026-13", "2026-00", "2026-1", "26-10", "2026/10",
		"0001-12", "9999-12", "2026-10 ", "２０２６-10", "2026-10-01", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, month string) {
		months, err := Months(month)
		start, perr := time.Parse("2006-01", month)
		valid := perr == nil && start.Format("2006-01") == month && len(month) == 7
		if err != nil {
			if valid && start.Year() >= 1 {
				t.Errorf("Months(%q) refused a month: %v", month, err)
			}
			return
		}
		if !valid {
			t.Fatalf("Months(%q) took what is not a month YYYY-MM", month)
		}
		if start.Year() < 2 {
			return // the year before has no four-digit YYYY
		}
		if len(months) != 13 || months[12] != month {
			t.Fatalf("Months(%q) = %q, want 13 months ending with it", month, months)
		}
		for i, m := range months {
			want := start.AddDate(0, i-12, 0).Format("2006-01")
			if m != want {
				t.Errorf("Months(%q)[%d] = %q, want %q", month, i, m, want)
			}
		}
	})
}
