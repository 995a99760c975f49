package report

import (
	"bytes"
	"database/sql"
	"image/png"
	"strings"
	"testing"
	"time"
)

func sampleData() *Data {
	v := func(f float64) sql.NullFloat64 { return sql.NullFloat64{Float64: f, Valid: true} }
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
	d.Headlines = []Headline{
		{Metric: "leads_created", Label: "Leads", Kind: "count", Good: "up", Value: v(626), Prev: v(576), YearAgo: v(645), Target: v(600)},
		{Metric: "pipeline_created", Label: "Pipeline created", Kind: "money", Good: "up", Value: v(1_428_900), Prev: v(1_500_000), Target: v(1_700_000)},
	}
	d.Marketing = []Headline{{Metric: "mqls", Label: "MQLs", Kind: "count", Good: "up", Value: v(143), Prev: v(150), Target: v(155)}}
	d.Sales = []Headline{
		{Metric: "sla_compliance", Label: "Follow-up SLA", Kind: "ratio", Good: "up", Value: v(0.75), Prev: v(0.8), Target: v(0.9)},
		{Metric: "sla_breached", Label: "Late", Kind: "count", Good: "down", Value: v(5), Prev: v(4)},
	}
	d.Efficiency = []Headline{{Metric: "marketing_spend", Label: "Marketing spend", Kind: "money", Good: "neutral", Value: v(52_000), Prev: v(50_500)}}
	for _, group := range [][]Headline{d.Headlines, d.Marketing, d.Sales, d.Efficiency} {
		for i := range group {
			d.compare(&group[i], sql.NullFloat64{})
		}
	}
	d.Channels = []ChannelRow{{Channel: "<script>alert(1)</script>", Leads: "3"}}
	d.Owners = []OwnerRow{{Owner: "O'Neil & Co", MQLs: "2"}}
	d.Glossary = []Term{{"leads_created", "Leads", "New leads that came in during the month.", "leads with created_at in month"}}
	d.Warnings = []string{"data test freshness_warn (warn): 1 row: each source's newest drop is younger than its warn_after"}
	return d
}

func TestRender_FileCopy(t *testing.T) {
	html, images, err := Render(sampleData(), FileCopy)
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
	d := sampleData()
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
		{v(31240), "money", "GBP", "£31.2k"}, {v(8850), "money", "USD", "$8,850"}, {v(48.2), "money", "USD", "$48.20"},
		{v(-1234), "money", "CHF", "-CHF 1,234"}, {v(999_600), "money", "USD", "$1M"}, {v(2.5e9), "money", "USD", "$2.5B"},
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
		{v(110), v(100), "count", "+10%"}, {v(0.40), v(0.35), "ratio", "+5.0 pts"}, {v(5), v(0), "count", ""}, {v(5), sql.NullFloat64{}, "count", ""},
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
	v := func(f float64) sql.NullFloat64 { return sql.NullFloat64{Float64: f, Valid: true} }
	d := sampleData()
	d.Owners = []OwnerRow{{Owner: "Ana Silva", Compliance: "61.0%"}}
	want := []string{
		"Pipeline created came to $1.43M, 84% of the $1.7M target; leads moved most, up 9% on September.",
		"Marketing delivered 143 MQLs (92% of target); sales followed up 75.0% of them in time, short of the 90.0% commitment.",
		"Needs attention: 5 MQLs were followed up late or not at all; Ana Silva has the lowest follow-up, 61.0%.",
	}
	if got := d.Sentences(); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Sentences() =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := d.Summary(); got != "626 leads (+9%), pipeline $1.43M, follow-up SLA 75.0%" {
		t.Errorf("Summary() = %q", got)
	}
	// Rejected rows come first, in business terms.
	d.Files = []FileRow{{Object: "opportunity", Rejected: 1}, {Object: "lead", Rejected: 3}}
	d.LeftOutAmount = 8850
	d.Tests = []TestRow{{Name: "relationship_activity_who", Severity: "warn", Failures: 43}}
	if got, want := d.Sentences()[2], "Needs attention: 1 opportunity (≈ $8,850) and 3 leads could not be read and are left out of the numbers (see Data quality)."; got != want {
		t.Errorf("attention = %q", got)
	}
	if got := d.Quality(); got != "1 opportunity (≈ $8,850) and 3 leads could not be read and are left out of the numbers; 1 data check warns." {
		t.Errorf("Quality() = %q", got)
	}
	// A month not yet over speaks of its run rate.
	d = sampleData()
	d.MonthToDate = &Progress{Days: 15, DaysIn: 31, Share: 0.5}
	d.compare(&d.Headlines[0], v(500)) // 626 so far against 500 in the same days of September
	d.compare(&d.Headlines[1], sql.NullFloat64{})
	if got := d.Sentences()[0]; !strings.HasPrefix(got, "15 days into October 2026, at the run rate: leads are on course for 1,252, 209% of the 600 target; pipeline created moved most, up 91% on September.") {
		t.Errorf("month to date: %q", got)
	}
	html, _, err := Render(d, FileCopy)
	if err != nil {
		t.Fatal(err)
	}
	body := string(html)[strings.Index(string(html), "<body"):]
	// The preview text clients show comes first in the body.
	if i, j := strings.Index(body, "15 days into October"), strings.Index(body, "<h1"); i < 0 || i > j {
		t.Errorf("the preview text is not before the title (at %d, title at %d)", i, j)
	}
	for _, want := range []string{"October 2026 so far", "Month to date: day 15 of 31", "+25%</span> vs the same days of September",
		"on course for 1,252", "+94%</span> run rate vs October 2025", "+91%</span> run rate vs September", "on course for 168% of target $1.7M"} {
		if !strings.Contains(body, want) {
			t.Errorf("the month-to-date report lacks %q", want)
		}
	}
}
