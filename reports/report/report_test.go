package report

import (
	"bytes"
	"database/sql"
	"image/png"
	"math"
	"strings"
	"testing"
	"time"

	"coxswain"
)

// metric makes a headline of a catalog metric, with its value, the
// previous month's, the year-ago month's and its target (NaN: none).
func metric(tb testing.TB, name string, value, prev, yearAgo, target float64) Headline {
	tb.Helper()
	c, err := coxswain.LoadCatalog(coxswain.SQL)
	if err != nil {
		tb.Fatal(err)
	}
	m, ok := c.Metric(name)
	if !ok {
		tb.Fatalf("no metric %s", name)
	}
	v := func(f float64) sql.NullFloat64 { return sql.NullFloat64{Float64: f, Valid: !math.IsNaN(f)} }
	return Headline{Metric: name, Label: m.Label, Kind: m.Kind, Good: m.Good, ToDate: m.MonthToDate,
		Value: v(value), Prev: v(prev), YearAgo: v(yearAgo), Target: v(target)}
}

func sampleData(tb testing.TB) *Data {
	months := []string{"2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"}
	d := &Data{Month: "2026-10", PrevMonth: "2026-09", YearAgo: "2025-10", Months: months, Currency: "USD",
		AsOf: time.Date(2026, 11, 3, 12, 0, 0, 0, time.UTC), Zone: "America/New_York", BuildID: 7,
		Trend: map[string][]float64{}, TrendTarget: map[string][]float64{}}
	for _, m := range []string{"leads_created", "mqls", "pipeline_created", "bookings"} {
		for i := range months {
			d.Trend[m] = append(d.Trend[m], float64(100*i))
			d.TrendTarget[m] = append(d.TrendTarget[m], float64(110*i))
		}
	}
	nan := math.NaN()
	d.Headlines = []Headline{
		metric(tb, "leads_created", 626, 576, 645, 600),
		metric(tb, "pipeline_created", 1_428_900, 1_500_000, nan, 1_700_000),
	}
	d.Marketing = []Headline{metric(tb, "mqls", 143, 150, nan, 155)}
	d.Sales = []Headline{metric(tb, "sla_compliance", 0.75, 0.8, nan, 0.9), metric(tb, "sla_breached", 5, 4, nan, nan)}
	d.Efficiency = []Headline{metric(tb, "marketing_spend", 52_000, 50_500, nan, nan), metric(tb, "cost_per_lead", 83.07, 87.67, nan, nan)}
	d.recompare(nil)
	d.Channels = []ChannelRow{{Channel: "<script>alert(1)</script>", Leads: "3"}}
	d.Owners = []OwnerRow{{Owner: "O'Neil & Co", MQLs: "2"}}
	d.Glossary = []Term{{"leads_created", "Leads", "New leads that came in during the month.", "leads with created_at in month"}}
	d.Warnings = []string{"data test freshness_warn (warn): 1 row: each source's newest drop is younger than its warn_after"}
	return d
}

// recompare sets every headline's comparisons, with the same days of the
// previous month from sameDays.
func (d *Data) recompare(sameDays map[string]float64) {
	for _, group := range [][]Headline{d.Headlines, d.Marketing, d.Sales, d.Efficiency} {
		for i := range group {
			sd := sql.NullFloat64{}
			if x, ok := sameDays[group[i].Metric]; ok {
				sd = sql.NullFloat64{Float64: x, Valid: true}
			}
			d.compare(&group[i], sd)
		}
	}
}

func TestRender_FileCopy(t *testing.T) {
	html, images, err := Render(sampleData(t), FileCopy)
	if err != nil {
		t.Fatal(err)
	}
	s := string(html)
	if len(images) != 0 {
		t.Errorf("the file copy returned %d images to attach", len(images))
	}
	// CRM strings are escaped; the page has no script and no external resource.
	for _, bad := range []string{"<script", "O'Neil & Co", "http://", "https://", "data:image/svg"} {
		if strings.Contains(s, bad) {
			t.Errorf("report contains %q", bad)
		}
	}
	// PNG data, not SVG, so that a forwarded copy keeps its charts.
	for _, want := range []string{"&lt;script&gt;alert(1)&lt;/\u200bscript&gt;", "O&#39;Neil &amp; Co", `src="data:image/png;base64,`} {
		if !strings.Contains(s, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	// The three sentences and the data line first, then the sections in
	// order, the data quality details at the end.
	s = s[strings.Index(s, "<h1"):]
	last := -1
	for _, h := range []string{"Sales and marketing scorecard: October 2026</h1>", "Pipeline created came to $1.43M, 84% of the $1.7M target",
		"Data: ", "The month", "The follow-up agreement, both sides", "Thirteen months", "Channels in October 2026",
		"Spend and efficiency", "Funnel by cohort", "Follow-up by owner", "What the numbers mean", "Data quality and freshness"} {
		i := strings.Index(s, h)
		if i < 0 || i < last {
			t.Errorf("%q is missing or out of order", h)
		}
		last = i
	}
	// Good news is green, bad news red and neither grey, following the
	// catalog's good direction, and each carries an arrow and a sign for
	// greyscale.
	for _, want := range []string{`color:#1a7f37;white-space:nowrap">▲ +9%`, `color:#b42318;white-space:nowrap">▼ -3%`,
		`color:#b42318;white-space:nowrap">▲ +25%`, `color:#57606a;white-space:nowrap">▲ +3%`,
		"vs September", "vs October 2025", `<span style="color:#b42318">target 90.0%</span>`, "104% of target 600"} {
		if !strings.Contains(s, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

func TestRender_EmailCopy(t *testing.T) {
	d := sampleData(t)
	html, images, err := Render(d, EmailCopy)
	if err != nil {
		t.Fatal(err)
	}
	// The two trends and a sparkline per headline card.
	if want := 2 + len(d.Headlines); len(images) != want {
		t.Fatalf("%d images, want %d", len(images), want)
	}
	for _, img := range images {
		if !bytes.Contains(html, []byte(`src="cid:`+img.ContentID+`"`)) {
			t.Errorf("the HTML does not reference cid:%s", img.ContentID)
		}
		if _, err := png.Decode(bytes.NewReader(img.PNG)); err != nil {
			t.Errorf("%s is not a PNG: %v", img.ContentID, err)
		}
	}
	if bytes.Contains(html, []byte("data:image")) {
		t.Error("the e-mailed copy carries images inline, which common mail clients drop")
	}
	// Outlook for Windows ignores max-width: a fixed-width table in a
	// conditional comment (which html/template would drop from a
	// template) centres the page there.
	if !bytes.Contains(html, []byte(`<!--[if mso]><table role="presentation" width="600"`)) {
		t.Error("the e-mailed copy lacks the Outlook fixed-width table")
	}
}

func TestFormat(t *testing.T) {
	v := func(f float64) sql.NullFloat64 { return sql.NullFloat64{Float64: f, Valid: true} }
	for _, tc := range []struct {
		v                    sql.NullFloat64
		kind, currency, want string
	}{
		{v(1428900), "money", "USD", "$1.43M"}, {v(1428900), "money", "", "1.43M"}, {v(312000), "money", "EUR", "€312k"},
		{v(31240), "money", "GBP", "£31.2k"}, {v(8850), "money", "USD", "$8.85k"}, {v(48.2), "money", "USD", "$48"},
		{v(4.25), "money", "USD", "$4.25"}, {v(4.25), "money", "JPY", "¥4"}, {v(999.6), "money", "USD", "$1k"},
		{v(-1234), "money", "CHF", "-CHF 1.23k"}, {v(999_600), "money", "USD", "$1M"}, {v(2.5e9), "money", "USD", "$2.5B"},
		{v(1e12), "money", "USD", "$1T"}, {v(-0.4), "count", "", "0"}, {v(math.NaN()), "money", "USD", "–"}, {v(math.Inf(1)), "count", "", "–"},
		{v(-1234), "count", "USD", "-1,234"}, {v(0.3924), "ratio", "", "39.2%"},
		{v(8.42), "hours", "", "8.4"}, {sql.NullFloat64{}, "ratio", "", "–"}, {v(999), "count", "", "999"}, {v(20.3887), "multiple", "", "20.4×"},
	} {
		if got := Format(tc.v, tc.kind, tc.currency); got != tc.want {
			t.Errorf("Format(%v, %s, %s) = %q, want %q", tc.v.Float64, tc.kind, tc.currency, got, tc.want)
		}
	}
	for _, tc := range []struct {
		now, then sql.NullFloat64
		kind      string
		want      string
	}{
		{v(110), v(100), "count", "+10%"}, {v(0.40), v(0.35), "ratio", "+5.0 pts"}, {v(1700), v(100), "count", "+17×"}, {v(5), v(0), "count", ""}, {v(5), sql.NullFloat64{}, "count", ""},
	} {
		if got := change(tc.now, tc.then, tc.kind); got != tc.want {
			t.Errorf("change(%v, %v) = %q, want %q", tc.now.Float64, tc.then.Float64, got, tc.want)
		}
	}
	for _, tc := range []struct{ month, of, want string }{
		{"2026-09", "2026-10", "September"}, {"2025-12", "2026-01", "December"}, {"2025-10", "2026-10", "October 2025"},
	} {
		if got := vsMonth(tc.month, tc.of); got != tc.want {
			t.Errorf("vsMonth(%s, %s) = %q, want %q", tc.month, tc.of, got, tc.want)
		}
	}
}

func TestLenientNumber(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"8.850,00", 8850, true}, {"8,850.00", 8850, true}, {"8,850", 8850, true}, {"12,5", 12.5, true},
		{"$ 1 234", 1234, true}, {"8.850.000", 8850000, true}, {"abc", 0, false}, {"", 0, false},
		{"€8.850", 8850, true}, {"(8,850.00)", -8850, true}, {"8.85E+03", 8850, true},
	} {
		got, ok := lenientNumber(tc.in)
		if ok != tc.ok || got != tc.want {
			t.Errorf("lenientNumber(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

// TestData_Sentences: the three sentences a leader can repeat, made from
// the numbers, and the month in one line for the inbox.
func TestData_Sentences(t *testing.T) {
	d := sampleData(t)
	d.Owners = []OwnerRow{{Owner: "Ana Silva", Compliance: "61.0%"}}
	want := []string{
		"Pipeline created came to $1.43M, 84% of the $1.7M target; leads moved most, up 9% on September.",
		"Marketing delivered 143 MQLs (92% of the 155 target); sales followed up 75.0% of them in time, short of the 90.0% commitment.",
		"Needs attention: 5 MQLs were followed up late or not at all; Ana Silva has the lowest follow-up, 61.0%.",
	}
	if got := d.Sentences(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Sentences() =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := d.Summary(); got != "pipeline $1.43M (84% of target), follow-up 75.0% (target 90.0%), 626 leads" {
		t.Errorf("Summary() = %q", got)
	}
	// Data that changes the picture (a tenth of the opportunities) comes
	// first, in business terms; a little is the data line's alone.
	d.Files = []FileRow{{Object: "opportunity", Read: 10, Rejected: 1}, {Object: "lead", Read: 900, Rejected: 3}}
	d.LeftOutAmount = 8850
	d.Tests = []TestRow{{Name: "relationship_activity_who", Severity: "warn", Failures: 43}}
	if got, want := d.Sentences()[2], "Needs attention: 1 opportunity (≈ $8.85k) and 3 leads could not be read and are left out of the numbers (see Data quality)."; got != want {
		t.Errorf("attention = %q", got)
	}
	d.Files[0].Read = 902
	if got := d.Sentences()[2]; !strings.HasPrefix(got, "Needs attention: 5 MQLs were followed up late") {
		t.Errorf("attention with a little data left out = %q", got)
	}
	d.LeftOutUnknown = true
	if got := d.Quality(); got != "1 opportunity (at least $8.85k) and 3 leads could not be read and are left out of the numbers; 1 data check warns." {
		t.Errorf("Quality() = %q", got)
	}

	// A month not yet over: what adds up over days by its run rate and
	// against the same days of the month before; costs per unit not yet.
	d = sampleData(t)
	d.MonthToDate = &Progress{Days: 15, DaysIn: 31, Share: 0.5, Through: "15 October"}
	d.recompare(map[string]float64{"leads_created": 500}) // 626 so far against 500 in the same days of September
	want = []string{
		"Through 15 October, leads are 626, up 25% on the same days of September, and on course for 1,252, 209% of the 600 target; pipeline created moved most, up 91% on September at its run rate.",
		"Marketing delivered 143 MQLs so far, on course for 286 (185% of the 155 target); sales followed up 75.0% of them in time, short of the 90.0% commitment.",
	}
	if got := d.Sentences()[:2]; strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("month to date: Sentences() =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	html, _, err := Render(d, FileCopy)
	if err != nil {
		t.Fatal(err)
	}
	body := string(html)[strings.Index(string(html), "<body"):]
	// The preview text clients show comes first in the body.
	if i, j := strings.Index(body, "Through 15 October"), strings.Index(body, "<h1"); i < 0 || i > j {
		t.Errorf("the preview text is not before the title (at %d, title at %d)", i, j)
	}
	for _, want := range []string{"October 2026 so far", "Month to date, through 15 October (15 of 31 days)", "+25%</span> vs the same days of September",
		"on course for 1,252", "+94%</span> run rate vs October 2025", "+91%</span> run rate vs September", "on course for 168% of target $1.7M",
		"compared when the month is over", `color:#57606a;white-space:nowrap">▲ +3%</span>`} {
		if !strings.Contains(body, want) {
			t.Errorf("the month-to-date report lacks %q", want)
		}
	}
	// On the first days, nothing is projected.
	d.MonthToDate = &Progress{Days: 1, DaysIn: 31, Share: 0.04, Through: "1 October"}
	d.recompare(map[string]float64{"leads_created": 30})
	if h := d.Headlines[1]; h.Projected.Valid || h.Note != "too early in the month to compare" {
		t.Errorf("day 1: pipeline %+v", h)
	}
	if h := d.Headlines[0]; h.Projected.Valid || h.PrevLabel != "vs the same days of September" || h.YearLabel != "" {
		t.Errorf("day 1: leads %+v", h)
	}

}

// TestProgress: how far a month has come, by the reporting zone's
// calendar; a month is over at its end and not begun at its start.
func TestProgress(t *testing.T) {
	ny := "America/New_York"
	for _, tc := range []struct {
		month, asOf string
		want        *Progress
	}{
		// 56 of November's 721 hours (the change back to EST adds one).
		{"2026-11", "2026-11-03T12:00:00Z", &Progress{Days: 2, DaysIn: 30, Share: 56.0 / 721, Through: "2 November"}},
		{"2026-11", "2026-11-01T04:00:00Z", nil}, // midnight EDT: November has not begun to pass
		{"2026-11", "2026-11-01T05:00:00Z", &Progress{Days: 0, DaysIn: 30, Share: 1.0 / 721}},
		{"2026-11", "2026-12-01T04:59:59Z", &Progress{Days: 29, DaysIn: 30, Share: (721*3600 - 1) / (721.0 * 3600), Through: "29 November"}},
		{"2026-11", "2026-12-01T05:00:00Z", nil}, // over
		{"2026-10", "2026-11-03T12:00:00Z", nil},
		// March 8 2026 has 23 hours in New York: the 9th begins at 04:00 UTC.
		{"2026-03", "2026-03-09T04:00:00Z", &Progress{Days: 8, DaysIn: 31, Share: (8*24 - 1) / (31*24 - 1.0), Through: "8 March"}},
	} {
		asOf, _ := time.Parse(time.RFC3339, tc.asOf)
		got, err := progress(tc.month, asOf, ny)
		if err != nil {
			t.Fatal(err)
		}
		if (got == nil) != (tc.want == nil) || (got != nil && (got.Days != tc.want.Days || got.DaysIn != tc.want.DaysIn ||
			got.Through != tc.want.Through || math.Abs(got.Share-tc.want.Share) > 1e-9)) {
			t.Errorf("progress(%s, %s) = %+v, want %+v", tc.month, tc.asOf, got, tc.want)
		}
	}
}
