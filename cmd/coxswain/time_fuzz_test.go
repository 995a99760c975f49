package main

import (
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"
)

// FuzzParseTime feeds the time flags (--as-of, --end) any text: parseTime
// never panics; what it refuses is a usage error (exit 2) naming the flag;
// what it reads is an instant that reads back as itself from its RFC 3339
// form, and a date alone is its start in UTC.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{
		"2026-11-15T06:00:00Z", "2026-11-15", "2026-11-15T06:00:00", "2026-11-15T06:00:00.123456789+05:30",
		"2026-11-15T06:00:00-00:00", "2026-02-30", "2026-11-15 06:00:00", "2026-11-15T24:00:00Z", "0000-01-01",
		"9999-12-31T23:59:59.999999999Z", "2026-11-15T06:00:00+24:00", "", "now", " 2026-11-15", "2026-11-15T06:00:00z",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseTime("as-of", s)
		if err != nil {
			var ue usageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), "--as-of") {
				t.Fatalf("parseTime(%q): %T %v, want a usage error naming --as-of", s, err, err)
			}
			return
		}
		back, err := parseTime("as-of", got.Format(time.RFC3339Nano))
		if err != nil || !back.Equal(got) {
			t.Errorf("parseTime(%q) = %v, which reads back from %q as %v, %v", s, got, got.Format(time.RFC3339Nano), back, err)
		}
		if d, err := time.Parse("2006-01-02", s); err == nil && !got.Equal(d) {
			t.Errorf("parseTime(%q) = %v, want the date's start in UTC %v", s, got, d)
		}
	})
}

var monthRe = regexp.MustCompile(`^\d{4}-(0[1-9]|1[0-2])$`)

// FuzzMonthJustEnded checks the month a scheduled run reports, at any
// instant in any zone: a YYYY-MM month, the calendar month before the run's
// own in the reporting zone.
func FuzzMonthJustEnded(f *testing.F) {
	for _, at := range []time.Time{
		time.Date(2026, 12, 1, 5, 30, 0, 0, time.UTC), // 00:30 on 1 December in New York
		time.Date(2026, 12, 1, 4, 59, 59, 0, time.UTC),
		time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2026, 3, 31, 23, 0, 0, 0, time.UTC),
	} {
		for z := range reportZones {
			f.Add(at.Unix(), uint8(z))
		}
	}
	f.Fuzz(func(t *testing.T, unix int64, zone uint8) {
		loc, err := time.LoadLocation(reportZones[int(zone)%len(reportZones)])
		if err != nil {
			t.Fatal(err)
		}
		// Runs between the years 1000 and 9999: a month has four digits.
		const lo, span = -30610224000, 284012524800
		unix = lo + ((unix-lo)%span+span)%span
		now := time.Unix(unix, 0)
		got := monthJustEnded(now, loc)
		if !monthRe.MatchString(got) {
			t.Fatalf("monthJustEnded(%v, %s) = %q, not YYYY-MM", now, loc, got)
		}
		start, _ := time.ParseInLocation("2006-01", got, loc)
		local := now.In(loc)
		if next := start.AddDate(0, 1, 0); next.Year() != local.Year() || next.Month() != local.Month() {
			t.Errorf("monthJustEnded(%v) = %s, but the run is in %s in %s", now, got, local.Format("2006-01"), loc)
		}
	})
}

// reportZones are reporting zones ahead of and behind UTC, with and without DST.
var reportZones = []string{"UTC", "America/New_York", "Pacific/Kiritimati", "Pacific/Pago_Pago", "Australia/Lord_Howe", "Asia/Kolkata"}
