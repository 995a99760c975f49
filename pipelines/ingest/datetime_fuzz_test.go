package ingest

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/duckdb/duckdb-go/v2"

	"coxswain"
	"coxswain/pipelines/presets"
)

// The fuzz targets of this file feed the conversion of an export's
// datetimes (datetimeExpr, in the loader's SQL) any text: a value it cannot
// read must become NULL, and so be quarantined with its line, never raise
// an error that stops the load; and an instant written the way exports
// write it must read back as itself.

// fuzzZones are reporting and source zones with every kind of offset:
// none, whole and half hours, DST in either hemisphere, a 30-minute DST.
var fuzzZones = []string{"UTC", "America/New_York", "America/Chicago", "Europe/Berlin", "Asia/Kolkata",
	"America/St_Johns", "Australia/Lord_Howe", "America/Sao_Paulo", "Pacific/Chatham"}

// fuzzFormats are source formats: none (the ISO parser), the ones the
// README, the reject hints and the tests name, and a few more.
var fuzzFormats = []string{"", "%m/%d/%y %I:%M %p", "%m/%d/%Y %I:%M %p", "%m/%d/%Y %H:%M", "%d/%m/%Y %H:%M",
	"%d.%m.%Y %H:%M", "%m/%d/%y", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S.%f", "%d %B %Y %H:%M"}

// datetimeConn is one in-memory DuckDB connection for a fuzz target.
type datetimeConn struct {
	conn *sql.Conn
	zone string
}

func newDatetimeConn(tb testing.TB) *datetimeConn {
	tb.Helper()
	c, err := duckdb.NewConnector("?threads=1", nil)
	if err != nil {
		tb.Fatal(err)
	}
	db := sql.OpenDB(c)
	conn, err := db.Conn(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close(); db.Close() })
	return &datetimeConn{conn: conn}
}

// convert stores value as the loader does: datetimeExpr on the text, into
// a TIMESTAMPTZ column, on a connection whose TimeZone is the source's.
func (c *datetimeConn) convert(zone, format, value string) (sql.NullTime, error) {
	if c.zone != zone {
		if _, err := c.conn.ExecContext(context.Background(), "SET TimeZone = '"+zone+"'"); err != nil {
			return sql.NullTime{}, err
		}
		c.zone = zone
	}
	m := &presets.Mapping{Source: coxswain.Source{Formats: coxswain.Formats{Timestamp: format}}, Timezone: zone}
	var got sql.NullTime
	err := c.conn.QueryRowContext(context.Background(),
		"SELECT CAST("+datetimeExpr(`"v"`, m)+" AS TIMESTAMPTZ) FROM (SELECT ?::VARCHAR AS v)", value).Scan(&got)
	return got, err
}

// datetimeSeeds are datetime values of the samples: the columns whose name
// says date, time or _at, one value of each shape.
func datetimeSeeds(tb testing.TB) []string {
	tb.Helper()
	col := regexp.MustCompile(`(?i)(date|time|_at$|At$|modstamp)`)
	shape := regexp.MustCompile(`[0-9]`)
	seen := map[string]bool{}
	var out []string
	for _, path := range sampleCSVs(tb) {
		b, err := os.ReadFile(path)
		if err != nil {
			tb.Fatal(err)
		}
		r := csv.NewReader(bytes.NewReader(b))
		r.LazyQuotes, r.FieldsPerRecord = true, -1
		header, err := r.Read()
		if err != nil {
			continue // not a table: nothing to seed
		}
		for row := 0; row < 20; row++ {
			rec, err := r.Read()
			if err != nil {
				break
			}
			for i, v := range rec {
				if k := shape.ReplaceAllString(v, "9"); i < len(header) && col.MatchString(header[i]) && v != "" && !seen[k] {
					seen[k] = true
					out = append(out, v)
				}
			}
		}
	}
	return out
}

// datetimeEdgeCases are hand-picked values: every rendering the exports
// use, DST's missing and repeated hours, the ends of the ranges, junk.
var datetimeEdgeCases = []string{
	"2026-11-15T06:00:00Z", "2026-11-15T06:00:00.000+0000", "2026-11-15 06:00:00", "2026-11-15", "2026-11-15T06:00:00+05:30",
	"02/23/26 08:55 PM", "2/3/26 8:05 am", "23.02.2026 20:55", "02/23/2026 20:55", "1762819200000",
	"2026-03-08 02:30:00", "2026-11-01 01:30:00", "2026-11-01T01:30:00-0500", "0001-01-01 00:00:00", "9999-12-31 23:59:59.999999",
	"294247-01-10 04:00:54.775807", "infinity", "-infinity", "epoch", "now", "today", "", " ", "null", "N/A", "0000-00-00 00:00:00",
	"2026-02-30", "2026-13-01", "24:00", "2026-11-15 25:61:61", "2026-11-15T06:00:00 America/New_York", "\x00", "%Y", "'; DROP TABLE x; --",
}

// FuzzDatetimeExpr converts any text with each source format and zone, as
// the loader does: it never raises (an unreadable value is NULL and is
// quarantined); an RFC 3339 instant, with no format configured, is read as
// that instant; and a value Go reads with the layout a format stands for
// is read by DuckDB as the same wall-clock time in the source's zone.
func FuzzDatetimeExpr(f *testing.F) {
	for i, s := range append(datetimeEdgeCases, datetimeSeeds(f)...) {
		f.Add(s, uint8(i), uint8(i/len(fuzzZones)))
	}
	layouts := map[string]string{
		"%m/%d/%Y %I:%M %p": "01/02/2006 03:04 PM", "%m/%d/%Y %H:%M": "01/02/2006 15:04",
		"%d/%m/%Y %H:%M": "02/01/2006 15:04", "%d.%m.%Y %H:%M": "02.01.2006 15:04",
		"%Y-%m-%d %H:%M:%S": "2006-01-02 15:04:05", "%Y-%m-%dT%H:%M:%S%z": "2006-01-02T15:04:05-0700",
		"%Y-%m-%d %H:%M:%S.%f": "2006-01-02 15:04:05.000000", "%d %B %Y %H:%M": "02 January 2006 15:04",
	}
	c := newDatetimeConn(f)
	f.Fuzz(func(t *testing.T, value string, zoneIdx, formatIdx uint8) {
		if !utf8.ValidString(value) {
			t.Skip("the loader reads text as UTF-8 (transcoded where it is not)")
		}
		zone := fuzzZones[int(zoneIdx)%len(fuzzZones)]
		format := fuzzFormats[int(formatIdx)%len(fuzzFormats)]
		got, err := c.convert(zone, format, value)
		if err != nil {
			t.Fatalf("%q with format %q in %s: %v (an unreadable value must be NULL, and quarantined)", value, format, zone, err)
		}
		loc, _ := time.LoadLocation(zone)
		if format == "" {
			if want, err := time.Parse(time.RFC3339Nano, value); err == nil && want.Year() >= 1 && want.Year() <= 9999 {
				if !got.Valid || got.Time.Sub(want).Abs() >= time.Microsecond {
					t.Errorf("%q in %s = %v, want the instant %v", value, zone, got, want.UTC())
				}
			}
			return
		}
		layout, ok := layouts[format]
		if !ok {
			return
		}
		want, err := time.ParseInLocation(layout, value, loc)
		if err != nil || want.Year() < 1000 || want.Format(layout) != value {
			return // Go reads more than the layout writes (2:04 for 02:04, a fraction after seconds): only what it writes is held to
		}
		if !got.Valid {
			t.Fatalf("%q with format %q (Go: %v) read as NULL", value, format, want)
		}
		if strings.Contains(format, "%z") {
			if !got.Time.Equal(want) {
				t.Errorf("%q with format %q in %s = %v, want the instant %v", value, format, zone, got.Time.UTC(), want.UTC())
			}
		} else if g, w := got.Time.In(loc).Format("2006-01-02 15:04:05.999999"), want.Format("2006-01-02 15:04:05.999999"); g != w {
			t.Errorf("%q with format %q in %s reads as %s local, want %s", value, format, zone, g, w)
		}
	})
}

// roundTripForms are how exports write an instant, and what must survive
// the trip: the instant itself (a written offset), or the wall-clock time
// in the source's zone (no offset; in a repeated hour either instant is
// right).
var roundTripForms = []struct {
	format, layout string
	exact          bool
	minYear, maxYr int // the years the form can write
}{
	{"", "2006-01-02T15:04:05.999999Z07:00", true, 1000, 9999},
	{"", "2006-01-02 15:04:05.999999", false, 1000, 9999},
	{"%Y-%m-%d %H:%M:%S", "2006-01-02 15:04:05", false, 1000, 9999},
	{"%m/%d/%y %I:%M %p", "01/02/06 03:04 PM", false, 1969, 2068},
	{"%d.%m.%Y %H:%M", "02.01.2006 15:04", false, 1000, 9999},
	{"%Y-%m-%dT%H:%M:%S%z", "2006-01-02T15:04:05-0700", true, 1000, 9999},
	{"%m/%d/%Y %H:%M:%S.%f", "01/02/2006 15:04:05.000000", false, 1000, 9999},
}

// FuzzDatetimeRoundTrip writes any instant in each form and zone and reads
// it back through datetimeExpr: a form with an offset gives the instant, a
// form without gives its wall-clock time in the source's zone, to the
// form's precision.
func FuzzDatetimeRoundTrip(f *testing.F) {
	for _, seed := range []struct {
		at   time.Time
		zone uint8 // in fuzzZones
	}{
		{time.Date(2026, 11, 15, 6, 0, 0, 0, time.UTC), 0},
		{time.Date(2026, 3, 8, 7, 30, 0, 0, time.UTC), 1},   // New York's missing hour
		{time.Date(2026, 11, 1, 5, 30, 0, 0, time.UTC), 1},  // its repeated hour, first pass
		{time.Date(2026, 11, 1, 6, 30, 0, 0, time.UTC), 1},  // and second
		{time.Date(2026, 10, 25, 0, 30, 0, 0, time.UTC), 3}, // Berlin's repeated hour, first pass
		{time.Date(2026, 4, 5, 14, 45, 0, 0, time.UTC), 6},  // Lord Howe's repeated half hour
		{time.Date(1969, 12, 31, 23, 59, 59, 999999000, time.UTC), 4},
		{time.Date(2068, 12, 31, 23, 59, 0, 0, time.UTC), 8},
		{time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC), 0},
		{time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), 5},
	} {
		for form := range roundTripForms {
			f.Add(seed.at.UnixMicro(), seed.zone, uint8(form))
		}
	}
	c := newDatetimeConn(f)
	f.Fuzz(func(t *testing.T, usec int64, zoneIdx, formIdx uint8) {
		zone := fuzzZones[int(zoneIdx)%len(fuzzZones)]
		form := roundTripForms[int(formIdx)%len(roundTripForms)]
		loc, _ := time.LoadLocation(zone)
		lo := time.Date(form.minYear, 1, 2, 0, 0, 0, 0, time.UTC).UnixMicro()
		hi := time.Date(form.maxYr, 12, 30, 0, 0, 0, 0, time.UTC).UnixMicro()
		if usec < lo || usec > hi {
			usec = lo + (usec%(hi-lo)+(hi-lo))%(hi-lo)
		}
		at := time.UnixMicro(usec).In(loc)
		value := at.Format(form.layout)
		got, err := c.convert(zone, form.format, value)
		if err != nil {
			t.Fatalf("%q with format %q in %s: %v", value, form.format, zone, err)
		}
		if !got.Valid {
			t.Fatalf("%q with format %q in %s (the instant %v) read as NULL", value, form.format, zone, at.UTC())
		}
		if form.exact {
			if want := at.Truncate(precision(form.layout)); !got.Time.Equal(want) {
				t.Errorf("%q with format %q in %s = %v, want the instant %v", value, form.format, zone, got.Time.UTC(), want.UTC())
			}
		} else if back := got.Time.In(loc).Format(form.layout); back != value {
			t.Errorf("%q with format %q in %s reads back as %q (the instant %v)", value, form.format, zone, back, got.Time.UTC())
		}
	})
}

// precision is what a layout keeps of an instant.
func precision(layout string) time.Duration {
	switch {
	case strings.Contains(layout, ".999999"), strings.Contains(layout, ".000000"):
		return time.Microsecond
	case strings.Contains(layout, ":05"):
		return time.Second
	}
	return time.Minute
}

// FuzzGuessTimestampFormat checks the reject hint's advice: when
// guessTimestampFormat names a format for a value, that format, configured,
// reads the value as the loader sees it, to the time the value says.
func FuzzGuessTimestampFormat(f *testing.F) {
	for i, s := range append(datetimeEdgeCases, datetimeSeeds(f)...) {
		f.Add(s, uint8(i))
	}
	layouts := map[string]string{
		"%m/%d/%y %I:%M %p": "01/02/06 03:04 PM", "%m/%d/%Y %I:%M %p": "01/02/2006 03:04 PM",
		"%m/%d/%Y %H:%M": "1/2/2006 15:04", "%d/%m/%Y %H:%M": "02/01/2006 15:04",
		"%d.%m.%Y %H:%M": "02.01.2006 15:04", "%m/%d/%y": "01/02/06",
	}
	c := newDatetimeConn(f)
	f.Fuzz(func(t *testing.T, value string, zoneIdx uint8) {
		if !utf8.ValidString(value) {
			t.Skip("the loader reads text as UTF-8 (transcoded where it is not)")
		}
		format := guessTimestampFormat(value)
		if format == "" {
			return
		}
		layout, ok := layouts[format]
		if !ok {
			t.Fatalf("guessTimestampFormat(%q) = %q, a format this test does not know", value, format)
		}
		zone := fuzzZones[int(zoneIdx)%len(fuzzZones)]
		loc, _ := time.LoadLocation(zone)
		want, err := time.ParseInLocation(layout, strings.TrimSpace(value), loc)
		if err != nil {
			t.Fatalf("guessTimestampFormat(%q) = %q, but its layout %q does not read it: %v", value, format, layout, err)
		}
		if v := strings.TrimSpace(value); want.Format(layout) != v && want.Format(strings.NewReplacer("1/2", "01/02").Replace(layout)) != v {
			return // Go reads more than a spreadsheet writes (a year +0, hour 00 AM): only renderings are held to
		}
		got, err := c.convert(zone, format, value)
		if err != nil {
			t.Fatalf("the hint's format %q on %q: %v", format, value, err)
		}
		if !got.Valid {
			t.Fatalf("the hint says to set formats.timestamp: %q for %q, which that format does not read", format, value)
		}
		if g, w := got.Time.In(loc).Format("2006-01-02 15:04"), want.Format("2006-01-02 15:04"); g != w {
			t.Errorf("the hint's format %q reads %q as %s, but it says %s", format, value, g, w)
		}
	})
}

// FuzzLoadDatetimes loads a Salesforce Lead file whose one row holds any
// text in its datetime and date columns, between two good rows, with each
// source format: the drop loads (the bad row is quarantined, with its line,
// never the load stopped), every row is loaded or quarantined, and the good
// rows keep their instants.
func FuzzLoadDatetimes(f *testing.F) {
	f.Add("02/23/26 08:55 PM", "02/24/26", uint8(1))
	f.Add("2026-10-01 09:00:00", "2026-10-05", uint8(0))
	f.Add("not a date", "31/31/31", uint8(0))
	f.Add("2026-03-08 02:30:00", "", uint8(7))
	f.Add("\"", "\r\n", uint8(2))
	f.Fuzz(func(t *testing.T, created, converted string, formatIdx uint8) {
		format := fuzzFormats[int(formatIdx)%len(fuzzFormats)]
		good := map[string]string{"": "2026-10-01T09:00:00Z", "%m/%d/%y %I:%M %p": "10/01/26 09:00 AM", "%m/%d/%Y %I:%M %p": "10/01/2026 09:00 AM",
			"%m/%d/%Y %H:%M": "10/01/2026 09:00", "%d/%m/%Y %H:%M": "01/10/2026 09:00", "%d.%m.%Y %H:%M": "01.10.2026 09:00", "%m/%d/%y": "10/01/26",
			"%Y-%m-%d %H:%M:%S": "2026-10-01 09:00:00", "%Y-%m-%dT%H:%M:%S%z": "2026-10-01T09:00:00+0000", "%Y-%m-%d %H:%M:%S.%f": "2026-10-01 09:00:00.000000",
			"%d %B %Y %H:%M": "01 October 2026 09:00"}[format]
		formats := ""
		if format != "" {
			formats = fmt.Sprintf(", formats: {timestamp: %q}", format)
		}
		e := newEnv(t, "load: {max_reject_share: 1}\nsources:\n  - {name: crm, preset: salesforce, path: exports/crm"+formats+"}\n")
		q := func(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
		e.drop("crm", "d1", map[string]string{"Lead.csv": "Id,CreatedDate,ConvertedDate\r\n" +
			"00Q5g0000000001AAA," + good + ",\r\n" +
			"00Q5g0000000002AAA," + q(created) + "," + q(converted) + "\r\n" +
			"00Q5g0000000003AAA," + good + ",\r\n"})
		// The load alone (the staging views and plans are not in question).
		cfg := e.config()
		mappings, err := Mappings(cfg)
		if err != nil {
			t.Fatal(err)
		}
		conn, err := e.warehouse().DB.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		res, err := Load(context.Background(), conn, cfg, e.warehouse().Path, mappings, Options{BuildID: 1, Now: func() time.Time { return testAsOf }})
		if err != nil {
			t.Fatalf("created %q, converted %q, format %q: %v", created, converted, format, err)
		}
		if len(res.Drops) != 1 || res.Drops[0].Status != "loaded" {
			t.Fatalf("drops %+v, want one loaded", res.Drops)
		}
		if d := res.Drops[0]; d.Rows+d.Rejected != 3 {
			t.Errorf("created %q, converted %q, format %q: %d rows loaded and %d quarantined, want 3 in all", created, converted, format, d.Rows, d.Rejected)
		}
		want := "2026-10-01 09:00:00"
		if format == "%m/%d/%y" {
			want = "2026-10-01" // a date format read as a timestamp: midnight
		}
		equalRows(t, "good rows", e.query(`SELECT "Id", "CreatedDate" FROM raw.crm__lead WHERE "Id" <> '00Q5g0000000002AAA' ORDER BY "Id"`),
			[]string{"00Q5g0000000001AAA|" + want, "00Q5g0000000003AAA|" + want})
	})
}
