package report

import (
	"bytes"
	"flag"
	"image"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"gonum.org/v1/plot"
)

// chartsDir, when set, is where TestChart_look writes the sample charts,
// to be looked at by a person: go test ./reports/report -run look -charts /tmp/charts
var chartsDir = flag.String("charts", "", "write the sample charts as PNG into this folder")

var nan = math.NaN()

// chartData is a realistic year: leads and MQLs in the hundreds, pipeline
// in millions, a plan that starts in January.
func chartData(tb testing.TB) *Data {
	tb.Helper()
	return &Data{
		Month:    "2026-10",
		Months:   []string{"2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"},
		Currency: "USD",
		Trend: map[string][]float64{
			"leads_created":    {392, 371, 305, 410, 436, 468, 451, 489, 462, 415, 398, 391, 427},
			"mqls":             {118, 112, 96, 127, 139, 151, 148, 160, 152, 131, 124, 131, 143},
			"pipeline_created": {1.12e6, 1.04e6, 0.87e6, 1.21e6, 1.33e6, 1.41e6, 1.38e6, 1.52e6, 1.46e6, 1.29e6, 1.18e6, 1.31e6, 1.4289e6},
			"bookings":         {288e3, 301e3, 412e3, 236e3, 254e3, 341e3, 298e3, 322e3, 389e3, 275e3, 262e3, 344e3, 312e3},
		},
		TrendTarget: map[string][]float64{
			"leads_created":    {nan, nan, nan, 420, 420, 420, 450, 450, 450, 450, 450, 450, 450},
			"mqls":             {nan, nan, nan, 130, 130, 130, 140, 140, 140, 145, 145, 145, 150},
			"pipeline_created": {nan, nan, nan, 1.3e6, 1.3e6, 1.3e6, 1.4e6, 1.4e6, 1.4e6, 1.5e6, 1.5e6, 1.5e6, 1.5e6},
			"bookings":         {nan, nan, nan, 300e3, 300e3, 300e3, 325e3, 325e3, 325e3, 350e3, 350e3, 350e3, 350e3},
		},
		Headlines: []Headline{{Metric: "leads_created", Label: "Leads", Kind: "count"}},
	}
}

// renders draws every chart of d: the trends and a sparkline.
func renders(tb testing.TB, d *Data) []Chart {
	tb.Helper()
	charts := d.Charts()
	if s, ok := d.Sparkline("leads_created", "count"); ok {
		charts = append(charts, s)
	}
	return charts
}

// decode draws c and decodes the PNG, failing tb when either fails.
func decode(tb testing.TB, c Chart) ([]byte, image.Image) {
	tb.Helper()
	b, err := c.PNG()
	if err != nil {
		tb.Fatalf("%s: PNG: %v", c.Name, err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		tb.Fatalf("%s: not a PNG: %v", c.Name, err)
	}
	return b, img
}

func TestChart_PNG(t *testing.T) {
	charts := renders(t, chartData(t))
	if len(charts) != 3 {
		t.Fatalf("%d charts, want the two trends and a sparkline", len(charts))
	}
	for _, tc := range []struct {
		name string
		w, h int
	}{{"trend-volume", 600, 260}, {"trend-value", 600, 260}, {"spark-leads_created", 120, 36}} {
		i := 0
		for i < len(charts) && charts[i].Name != tc.name {
			i++
		}
		if i == len(charts) {
			t.Errorf("no chart %s", tc.name)
			continue
		}
		c := charts[i]
		if w, h := c.Size(); w != tc.w || h != tc.h {
			t.Errorf("%s: Size() = %d×%d, want %d×%d", c.Name, w, h, tc.w, tc.h)
		}
		_, img := decode(t, c)
		if got, want := img.Bounds().Size(), image.Pt(2*tc.w, 2*tc.h); got != want {
			t.Errorf("%s: %v pixels, want %v (2× for high-density screens)", c.Name, got, want)
		}
	}
}

// TestChart_font: the charts' type is Liberation Sans, and gonum has it;
// gonum would silently fall back to its serif default otherwise.
func TestChart_font(t *testing.T) {
	if f := sans(textSize, 0); !plot.New().TextHandler.Cache().Has(f) {
		t.Errorf("gonum's font cache has no %s", f.Name())
	}
}

func TestChart_PNG_deterministic(t *testing.T) {
	a, b := renders(t, chartData(t)), renders(t, chartData(t))
	for i := range a {
		x, _ := decode(t, a[i])
		y, _ := decode(t, b[i])
		if !bytes.Equal(x, y) {
			t.Errorf("%s: two renderings of the same data differ", a[i].Name)
		}
	}
}

// TestChart_PNG_edges: charts of no data, zeros and gaps render; an
// undefined month is a gap, not a fall to zero.
func TestChart_PNG_edges(t *testing.T) {
	all := func(v float64) []float64 {
		vs := make([]float64, 13)
		for i := range vs {
			vs[i] = v
		}
		return vs
	}
	for _, tc := range []struct {
		name   string
		values []float64
	}{
		{"zeros", all(0)},
		{"undefined", all(nan)},
		{"missing", nil},
		{"short", []float64{5, 6}},
		{"gaps", []float64{nan, 10, 12, nan, 14, nan, nan, 9, 11, 13, nan, 15, nan}},
		{"one month", []float64{nan, nan, nan, nan, nan, nan, 7, nan, nan, nan, nan, nan, nan}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := chartData(t)
			for m := range d.Trend {
				d.Trend[m] = tc.values
				d.TrendTarget[m] = tc.values
			}
			for _, c := range renders(t, d) {
				decode(t, c)
			}
		})
	}
	// No months at all: the charts still draw, empty.
	d := chartData(t)
	d.Months = nil
	for _, c := range d.Charts() {
		decode(t, c)
	}
}

func TestData_Sparkline(t *testing.T) {
	for _, tc := range []struct {
		name   string
		values []float64
		want   bool
	}{
		{"missing", nil, false},
		{"one month", []float64{427}, false},
		{"one defined", []float64{nan, nan, 427, nan}, false},
		{"undefined", []float64{nan, nan, nan}, false},
		{"two apart", []float64{nan, 380, nan, nan, 427}, true},
		{"zeros", []float64{0, 0}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := chartData(t)
			d.Trend["leads_created"] = tc.values
			c, ok := d.Sparkline("leads_created", "count")
			if ok != tc.want {
				t.Fatalf("Sparkline() ok = %v, want %v", ok, tc.want)
			}
			if ok {
				decode(t, c)
			}
		})
	}
	d := chartData(t)
	c, _ := d.Sparkline("leads_created", "count")
	if want := "Leads by month: 392 in October 2025, 427 in October 2026."; c.Alt != want {
		t.Errorf("Alt = %q, want %q", c.Alt, want)
	}
}

func TestData_Charts_alt(t *testing.T) {
	d := chartData(t)
	d.TrendTarget["mqls"] = nil
	d.Trend["bookings"][12] = nan
	want := map[string]string{
		"trend-volume": "Leads and MQLs by month, October 2025 to October 2026: 427 leads (target 450) and 143 MQLs in October 2026.",
		"trend-value": "Pipeline created and bookings by month, October 2025 to October 2026: " +
			"$1.43M of pipeline created (target $1.5M) in October 2026 and $344k of bookings (target $350k) in September 2026.",
	}
	for _, c := range d.Charts() {
		if c.Alt != want[c.Name] {
			t.Errorf("%s: Alt =\n%q, want\n%q", c.Name, c.Alt, want[c.Name])
		}
	}
	d.Trend = map[string][]float64{}
	for _, c := range d.Charts()[:1] {
		if want := "Leads and MQLs by month, October 2025 to October 2026: no figures yet."; c.Alt != want {
			t.Errorf("no data: Alt = %q, want %q", c.Alt, want)
		}
	}
}

func TestChart_valueTicks(t *testing.T) {
	for _, tc := range []struct {
		kind, currency string
		high           float64
		want           []string
	}{
		{"count", "", 489, []string{"0", "200", "400", "600"}},
		{"count", "", 3, []string{"0", "1", "2", "3"}},
		{"count", "", 0, []string{"0", "1"}},
		{"count", "", 48_900, []string{"0", "20k", "40k", "60k"}},
		{"money", "USD", 1.52e6, []string{"$0", "$500k", "$1M", "$1.5M", "$2M"}},
		{"money", "EUR", 412e3, []string{"€0", "€200k", "€400k", "€600k"}},
		{"money", "", 2.4e6, []string{"0", "1M", "2M", "3M"}},
	} {
		c := Chart{kind: tc.kind, currency: tc.currency, months: []string{"2026-10"}, series: []series{{values: []float64{tc.high}}}}
		_, ticks := c.valueTicks()
		var got []string
		for _, tk := range ticks {
			got = append(got, tk.Label)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s %s up to %v: ticks %q, want %q", tc.kind, tc.currency, tc.high, got, tc.want)
		}
	}
}

func TestMonthTicks(t *testing.T) {
	months := chartData(t).Months
	var got []string
	for _, tk := range monthTicks(months) {
		if tk.Label != "" {
			got = append(got, tk.Label)
		}
	}
	// Every third month, ending with the latest.
	if want := []string{"Oct 25", "Jan 26", "Apr 26", "Jul 26", "Oct 26"}; !slices.Equal(got, want) {
		t.Errorf("labelled months %q, want %q", got, want)
	}
}

// TestChart_look writes the sample charts for a person to look at (only
// with -charts): with targets and gaps, the way a leader sees them.
func TestChart_look(t *testing.T) {
	if *chartsDir == "" {
		t.Skip("set -charts to a folder to write the sample charts")
	}
	if err := os.MkdirAll(*chartsDir, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name string, c Chart) {
		b, _ := decode(t, c)
		if err := os.WriteFile(filepath.Join(*chartsDir, name+".png"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range renders(t, chartData(t)) {
		write(c.Name, c)
	}
	d := chartData(t)
	d.Trend["mqls"][4], d.Trend["mqls"][5], d.Trend["leads_created"][12] = nan, nan, nan
	d.Trend["leads_created"][0], d.Trend["leads_created"][2] = nan, nan
	write("trend-volume-gaps", d.Charts()[0])
	d = chartData(t)
	d.Trend["pipeline_created"][12], d.Trend["bookings"][12] = 352e3, 312e3
	write("trend-value-close", d.Charts()[1])
	for m := range d.Trend {
		d.Trend[m], d.TrendTarget[m] = make([]float64, 13), nil
	}
	write("trend-value-zeros", d.Charts()[1])
}
