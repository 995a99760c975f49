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
	d := &Data{Month: "2026-10", PrevMonth: "2026-09", YearAgo: "2025-10", Months: months,
		AsOf: time.Date(2026, 11, 3, 12, 0, 0, 0, time.UTC), Zone: "America/New_York", BuildID: 7, Trend: map[string][]float64{}}
	for _, m := range []string{"leads_created", "mqls", "pipeline_created", "bookings"} {
		for i := range months {
			d.Trend[m] = append(d.Trend[m], float64(100*i))
		}
	}
	d.Headlines = []Headline{{Metric: "leads_created", Label: "Leads", Kind: "count", Value: v(626), Prev: v(576), VsPrev: "+9%", VsYear: "-3%"}}
	d.Sales = []Headline{{Metric: "sla_breached", Label: "Late", Kind: "count", Value: v(5), VsPrev: "+25%", LowerIsBetter: true}}
	d.Channels = []ChannelRow{{Channel: "<script>alert(1)</script>", Leads: "3"}}
	d.Owners = []OwnerRow{{Owner: "O'Neil & Co", MQLs: "2"}}
	d.Glossary = []Term{{"leads_created", "Leads", "leads with created_at in month"}}
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
	for _, bad := range []string{"<script", "O'Neil & Co", "http://", "https://"} {
		if strings.Contains(s, bad) {
			t.Errorf("report contains %q", bad)
		}
	}
	for _, want := range []string{"&lt;script&gt;alert(1)&lt;/script&gt;", "O&#39;Neil &amp; Co", `src="data:image/svg&#43;xml;base64,`} {
		if !strings.Contains(s, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	// The sections come in the contract's order, the warnings first.
	last := -1
	for _, h := range []string{"Check before you rely on these numbers", "The month", "The service-level agreement, both sides",
		"Thirteen months", "Funnel by cohort", "Channels in", "Spend and efficiency", "Follow-up by owner", "What the numbers mean", "Data quality and freshness"} {
		i := strings.Index(s, h)
		if i < 0 || i < last {
			t.Errorf("section %q is missing or out of order", h)
		}
		last = i
	}
	// Good news is green and bad news red, and both carry an arrow and a sign for greyscale.
	for _, want := range []string{`color:#1a7f37;white-space:nowrap">▲ +9%`, `color:#b42318;white-space:nowrap">▼ -3%`, `color:#b42318;white-space:nowrap">▲ +25%`} {
		if !strings.Contains(s, want) {
			t.Errorf("report lacks %q", want)
		}
	}
}

func TestRender_EmailCopy(t *testing.T) {
	html, images, err := Render(sampleData(), EmailCopy)
	if err != nil {
		t.Fatal(err)
	}
	if len(images) != 2 {
		t.Fatalf("%d images, want the two trend charts", len(images))
	}
	for _, img := range images {
		if !bytes.Contains(html, []byte(`src="cid:`+img.ContentID+`"`)) {
			t.Errorf("the HTML does not reference cid:%s", img.ContentID)
		}
		if _, err := png.Decode(bytes.NewReader(img.PNG)); err != nil {
			t.Errorf("%s is not a PNG: %v", img.ContentID, err)
		}
	}
	if bytes.Contains(html, []byte("data:image/svg")) {
		t.Error("the e-mailed copy carries SVG, which common mail clients drop")
	}
}

func TestFormat(t *testing.T) {
	v := func(f float64) sql.NullFloat64 { return sql.NullFloat64{Float64: f, Valid: true} }
	for _, tc := range []struct {
		v          sql.NullFloat64
		kind, want string
	}{
		{v(1428900), "money", "1,428,900"}, {v(-1234), "count", "-1,234"}, {v(0.3924), "ratio", "39.2%"},
		{v(8.42), "hours", "8.4"}, {sql.NullFloat64{}, "ratio", "–"}, {v(999), "count", "999"}, {v(20.3887), "multiple", "20.4×"},
	} {
		if got := Format(tc.v, tc.kind); got != tc.want {
			t.Errorf("Format(%v, %s) = %q, want %q", tc.v.Float64, tc.kind, got, tc.want)
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
}

// TestData_Summary: the month in one line for the inbox (the subject and
// the preview text), and the preview comes first in the body.
func TestData_Summary(t *testing.T) {
	d := sampleData()
	if got := d.Summary(); got != "626 leads (+9%)" {
		t.Errorf("Summary() = %q", got)
	}
	html, _, err := Render(d, FileCopy)
	if err != nil {
		t.Fatal(err)
	}
	body := string(html)[strings.Index(string(html), "<body"):]
	if i, j := strings.Index(body, "626 leads ("), strings.Index(body, "<h1"); i < 0 || i > j {
		t.Errorf("the preview text is not before the title (at %d, title at %d)", i, j)
	}
}
