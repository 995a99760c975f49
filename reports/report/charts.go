package report

// The charts are drawn with gonum.org/v1/plot: it is pure Go (no browser
// or C library in a batch job), already a dependency, and it writes the
// same PNG bytes for the same data, so a report of one build is the same
// however often it is written. Its defaults are for papers, not phones, so
// every chart here sets its own type, sizes, colours and layout.

import (
	"bytes"
	"image/color"
	"math"
	"slices"
	"strings"

	stdfont "golang.org/x/image/font"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// Sizes in CSS px, the unit the report's HTML shows the images in.
const (
	trendW, trendH = 600, 260
	sparkW, sparkH = 120, 36
	// pngScale is PNG pixels per CSS px: 2 keeps lines and text crisp on
	// the high-density screens of phones and laptops.
	pngScale = 2
)

// Type sizes in points. A phone shows the 600 px chart about 343 px wide,
// at 0.57 of its size, so 15 pt (20 px) reads as 11.4 px there and 18 pt
// (24 px) as 13.7 px: the smallest sizes phone text is set in (11 and 13).
const (
	textSize  = 15
	titleSize = 18
)

// The palette is safe for the common colour blindnesses (blue against
// orange), and the second series is also dashed so that the chart reads
// when printed in greyscale.
var (
	blue   = color.RGBA{R: 0x1f, G: 0x5f, B: 0xa8, A: 0xff}
	orange = color.RGBA{R: 0xd9, G: 0x6c, B: 0x00, A: 0xff}
	ink    = color.RGBA{R: 0x1f, G: 0x23, B: 0x28, A: 0xff} // title
	muted  = color.RGBA{R: 0x57, G: 0x60, B: 0x6a, A: 0xff} // axis text, 6:1 on white
	rule   = color.RGBA{R: 0xe3, G: 0xe6, B: 0xea, A: 0xff} // grid lines
	axis   = color.RGBA{R: 0x8c, G: 0x95, B: 0x9f, A: 0xff} // the zero line and month ticks
	target = color.RGBA{R: 0x8c, G: 0x8c, B: 0x8c, A: 0xff}
)

// sans is Liberation Sans, which gonum embeds in the binary (from
// codeberg.org/go-fonts/liberation), so the charts look the same on every
// machine that builds the pack and need no font installed.
func sans(size vg.Length, weight stdfont.Weight) font.Font {
	return font.Font{Typeface: "Liberation", Variant: "Sans", Weight: weight, Size: size}
}

// px converts CSS px (96 to the inch) to gonum's points (72 to the inch).
func px(n float64) vg.Length { return vg.Length(n) * vg.Inch / 96 }

// Chart is a chart of the report, drawn as a PNG image.
type Chart struct {
	Name  string // names the image: "trend-volume", "spark-leads_created"
	Title string // drawn above a trend chart; a sparkline has no text
	Alt   string // says in words what the chart shows, for alt text

	w, h   int // CSS px
	spark  bool
	months []string
	series []series
	// kind ("count" or "money") and currency write the value labels.
	kind, currency string
	// pace says the latest month is not over: its point is the run rate,
	// drawn hollow and labelled "(pace)", not a value.
	pace bool
}

// series is a line of a chart.
type series struct {
	label          string    // in the legend
	values, target []float64 // by month, NaN where undefined; target may be nil
	color          color.Color
	dashes         []vg.Length
	// one and many say a value in words for the alt text, with %s for the
	// value: "%s lead", "%s leads".
	one, many string
}

// value is the series' value of month i, NaN where there is none.
func value(vs []float64, i int) float64 {
	if i < 0 || i >= len(vs) {
		return math.NaN()
	}
	return vs[i]
}

// Charts are the report's 13-month trends: volumes and values apart, since
// their scales differ by orders of magnitude.
func (d *Data) Charts() []Chart {
	dashed := []vg.Length{px(7), px(4)}
	line := func(metric, label, one, many string, c color.Color, dashes []vg.Length) series {
		return series{label: label, values: d.Trend[metric], target: d.TrendTarget[metric], color: c, dashes: dashes, one: one, many: many}
	}
	charts := []Chart{
		{Name: "trend-volume", Title: "Leads and MQLs", kind: "count", series: []series{
			line("leads_created", "Leads", "%s lead", "%s leads", blue, nil),
			line("mqls", "MQLs", "%s MQL", "%s MQLs", orange, dashed),
		}},
		{Name: "trend-value", Title: "Pipeline created and bookings", kind: "money", series: []series{
			line("pipeline_created", "Pipeline created", "%s of pipeline created", "%s of pipeline created", blue, nil),
			line("bookings", "Bookings", "%s of bookings", "%s of bookings", orange, dashed),
		}},
	}
	for i := range charts {
		c := &charts[i]
		c.w, c.h, c.months, c.currency = trendW, trendH, d.Months, d.Currency
		c.pace = d.projects("run_rate")
		c.Alt = c.trendAlt()
	}
	return charts
}

// Sparkline is the 13-month line of a headline metric for its card: no
// axes and no text, the latest month marked with a dot. It is false when
// the metric has fewer than two defined months, too few to draw a line.
func (d *Data) Sparkline(metric, kind string) (Chart, bool) {
	values := d.Trend[metric]
	var defined []int
	for i := range d.Months {
		if !math.IsNaN(value(values, i)) {
			defined = append(defined, i)
		}
	}
	if len(defined) < 2 {
		return Chart{}, false
	}
	label := metric
	for _, group := range [][]Headline{d.Headlines, d.Marketing, d.Sales, d.Efficiency} {
		if i := slices.IndexFunc(group, func(h Headline) bool { return h.Metric == metric }); i >= 0 {
			label = group[i].Label
			break
		}
	}
	first, last := defined[0], defined[len(defined)-1]
	return Chart{
		Name:  "spark-" + metric,
		Title: label,
		Alt: label + " by month: " + Short(values[first], kind, d.Currency) + " in " + MonthName(d.Months[first]) +
			", " + Short(values[last], kind, d.Currency) + " in " + MonthName(d.Months[last]) + ".",
		w: sparkW, h: sparkH, spark: true, months: d.Months, kind: kind, currency: d.Currency,
		series: []series{{values: values, color: blue}},
	}, true
}

// trendAlt says in words what a trend chart shows: its months and the
// latest value of each line, against its target where there is one, as in
// "Leads and MQLs by month, October 2025 to October 2026: 427 leads
// (target 450) and 143 MQLs in October 2026."
func (c Chart) trendAlt() string {
	var b strings.Builder
	b.WriteString(c.Title + " by month")
	if len(c.months) == 0 {
		return b.String() + "."
	}
	b.WriteString(", " + MonthName(c.months[0]) + " to " + MonthName(c.months[len(c.months)-1]) + ": ")
	type latest struct{ words, month string }
	var ls []latest
	for _, s := range c.series {
		i := lastDefined(s.values, len(c.months))
		if i < 0 {
			continue
		}
		v := s.values[i]
		words := strings.Replace(s.many, "%s", Short(v, c.kind, c.currency), 1)
		if c.kind == "count" && v == 1 {
			words = strings.Replace(s.one, "%s", Short(v, c.kind, c.currency), 1)
		}
		if t := value(s.target, i); !math.IsNaN(t) {
			words += " (target " + Short(t, c.kind, c.currency) + ")"
		}
		ls = append(ls, latest{words, c.months[i]})
	}
	if len(ls) == 0 {
		return b.String() + "no figures yet."
	}
	sameMonth := !slices.ContainsFunc(ls, func(l latest) bool { return l.month != ls[0].month })
	var parts []string
	for _, l := range ls {
		if sameMonth {
			parts = append(parts, l.words)
		} else {
			parts = append(parts, l.words+" in "+MonthName(l.month))
		}
	}
	b.WriteString(strings.Join(parts, " and "))
	if sameMonth {
		b.WriteString(" in " + MonthName(ls[0].month))
	}
	return b.String() + "."
}

// lastDefined is the index of the last defined value of the first n, -1
// when there is none.
func lastDefined(vs []float64, n int) int {
	for i := n - 1; i >= 0; i-- {
		if !math.IsNaN(value(vs, i)) {
			return i
		}
	}
	return -1
}

// Size is the size the chart is shown at, in CSS px.
func (c Chart) Size() (w, h int) { return c.w, c.h }

// PNG draws the chart at twice its Size, for high-density screens.
func (c Chart) PNG() ([]byte, error) {
	img := vgimg.NewWith(vgimg.UseWH(px(float64(c.w)), px(float64(c.h))), vgimg.UseDPI(pngScale*96))
	dc := draw.New(img)
	if c.spark {
		c.drawSpark(dc)
	} else {
		c.drawTrend(dc)
	}
	var buf bytes.Buffer
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// drawTrend lays a trend chart out as a title, the legend in a row below
// it (never over the lines), then the plot.
func (c Chart) drawTrend(dc draw.Canvas) {
	p := plot.New()
	style := func(size vg.Length, weight stdfont.Weight, col color.Color) text.Style {
		return text.Style{Color: col, Font: sans(size, weight), Handler: p.TextHandler}
	}
	pad := px(10)
	y := dc.Max.Y - pad

	title := style(titleSize, stdfont.WeightBold, ink)
	title.YAlign = draw.YTop
	dc.FillText(title, vg.Point{X: dc.Min.X + pad, Y: y}, c.Title)
	y -= title.Height(c.Title) + px(6)

	y = c.drawLegend(dc, style(textSize, stdfont.WeightNormal, ink), dc.Min.X+pad, y)
	y -= px(10)

	n := len(c.months)
	top, yticks := c.valueTicks()
	p.BackgroundColor = nil
	for _, a := range []*plot.Axis{&p.X, &p.Y} {
		a.Padding = 0
		a.Label.TextStyle = style(textSize, stdfont.WeightNormal, muted)
		a.Tick.Label.Font = sans(textSize, stdfont.WeightNormal)
		a.Tick.Label.Color = muted
	}
	// Half a month of room before the first, so that its label clears
	// the value axis's; the value labels make room after the last.
	p.X.Min, p.X.Max = -0.5, math.Max(float64(n-1), 1)
	p.X.LineStyle = draw.LineStyle{Color: axis, Width: px(1)}
	p.X.Tick.LineStyle = p.X.LineStyle
	p.X.Tick.Length = px(7)
	p.X.Tick.Marker = plot.ConstantTicks(monthTicks(c.months))
	p.Y.Min, p.Y.Max = 0, top
	p.Y.LineStyle.Width = 0
	p.Y.Tick.Length = 0
	p.Y.Tick.Marker = plot.ConstantTicks(yticks)

	grid := plotter.NewGrid()
	grid.Vertical.Color = nil
	grid.Horizontal = draw.LineStyle{Color: rule, Width: px(1)}
	p.Add(grid, &trendLines{chart: c, label: style(textSize, stdfont.WeightBold, nil)})
	p.Draw(draw.Crop(dc, pad, -pad, pad, y-dc.Max.Y))
}

// drawLegend draws the legend as one row from (x, y) down, a sample of
// each line before its label, and returns the y below it.
func (c Chart) drawLegend(dc draw.Canvas, sty text.Style, x, y vg.Length) vg.Length {
	h := sty.Height("M")
	mid := y - h/2
	sty.YAlign = draw.YCenter
	sample := px(26)
	item := func(label string, line draw.LineStyle) {
		dc.StrokeLine2(line, x, mid, x+sample, mid)
		x += sample + px(6)
		dc.FillText(sty, vg.Point{X: x, Y: mid}, label)
		x += sty.Width(label) + px(18)
	}
	hasTarget := false
	for _, s := range c.series {
		item(s.label, seriesLine(s))
		hasTarget = hasTarget || slices.ContainsFunc(s.target, func(t float64) bool { return !math.IsNaN(t) })
	}
	if hasTarget {
		item("target", targetLine)
	}
	return y - h
}

// seriesLine is how a series is stroked.
func seriesLine(s series) draw.LineStyle {
	return draw.LineStyle{Color: s.color, Width: px(2.5), Dashes: s.dashes}
}

// targetLine is thinner, grey and finely dashed: a reference, not data.
var targetLine = draw.LineStyle{Color: target, Width: px(1.5), Dashes: []vg.Length{px(4), px(3)}}

// monthTicks marks every month on the x axis and labels every few, always
// with the latest: at most six labels, so that "Oct 26" never collides.
func monthTicks(months []string) []plot.Tick {
	step := max((len(months)+5)/6, 1)
	ticks := make([]plot.Tick, len(months))
	for i, m := range months {
		ticks[i].Value = float64(i)
		if (len(months)-1-i)%step == 0 {
			ticks[i].Label = ShortMonth(m)
		}
	}
	return ticks
}

// valueTicks are the value axis's ticks from 0, three or four round steps
// up to the first step at or above the largest value or target, labelled
// short: 400k, $1.2M. It returns the top of the axis with them.
func (c Chart) valueTicks() (float64, []plot.Tick) {
	high := 0.0
	for _, s := range c.series {
		for _, vs := range [][]float64{s.values, s.target} {
			for i := range c.months {
				if v := value(vs, i); v > high {
					high = v
				}
			}
		}
	}
	if high <= 0 {
		high = 1
	}
	// The step is 1, 2, 2.5 or 5 times a power of ten, whole for counts.
	raw := high / 4
	mag := math.Pow(10, math.Floor(math.Log10(raw)))
	step := 10 * mag
	for _, f := range []float64{1, 2, 2.5, 5} {
		if f*mag >= raw && (f != 2.5 || mag >= 10) {
			step = f * mag
			break
		}
	}
	step = math.Max(step, 1)
	top := math.Ceil(high/step) * step
	var ticks []plot.Tick
	for i := 0; float64(i)*step <= top*(1+1e-9); i++ {
		v := float64(i) * step
		label := Short(v, c.kind, c.currency)
		if c.kind != "money" {
			// Money's short form without a currency is the compact
			// number (12k, 1.2M) that suits an axis.
			label = Short(v, "money", "")
		}
		ticks = append(ticks, plot.Tick{Value: v, Label: label})
	}
	return top, ticks
}

// trendLines draws a trend chart's targets, lines and the latest value of
// each line, labelled at its point.
type trendLines struct {
	chart Chart
	label text.Style // the value labels' style; its colour is the series'
}

// runs splits the first n values into runs of defined months, so that an
// undefined month is a gap in the line rather than a fall to zero.
func runs(vs []float64, n int) [][]int {
	var out [][]int
	var cur []int
	for i := range n {
		if math.IsNaN(value(vs, i)) {
			if len(cur) > 0 {
				out = append(out, cur)
			}
			cur = nil
			continue
		}
		cur = append(cur, i)
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// Plot implements plot.Plotter.
func (t *trendLines) Plot(c draw.Canvas, p *plot.Plot) {
	xf, yf := p.Transforms(&c)
	n := len(t.chart.months)
	// Targets first, under the lines: a step across each month that has
	// one, held from half a month before to half a month after (not past
	// the latest month, so it never runs under a value label).
	for _, s := range t.chart.series {
		for _, run := range runs(s.target, n) {
			var pts []vg.Point
			for _, i := range run {
				y := yf(s.target[i])
				from, to := float64(i)-0.5, math.Min(float64(i)+0.5, float64(n-1))
				pts = append(pts, vg.Point{X: xf(from), Y: y}, vg.Point{X: xf(to), Y: y})
			}
			// In the series' colour, faded, so that each target reads as its line's.
			line := targetLine
			r, g, b, _ := s.color.RGBA()
			line.Color = color.NRGBA{R: uint8(r >> 8), G: uint8(g >> 8), B: uint8(b >> 8), A: 0x99}
			c.StrokeLines(line, pts)
		}
	}
	// The first series on top.
	for _, s := range slices.Backward(t.chart.series) {
		for _, run := range runs(s.values, n) {
			pts := make([]vg.Point, len(run))
			for j, i := range run {
				pts[j] = vg.Point{X: xf(float64(i)), Y: yf(s.values[i])}
			}
			c.StrokeLines(seriesLine(s), pts)
			if len(run) == 1 {
				// A month between two gaps would otherwise not show.
				c.DrawGlyph(draw.GlyphStyle{Color: s.color, Radius: px(3), Shape: draw.CircleGlyph{}}, pts[0])
			}
		}
		if i := lastDefined(s.values, n); i >= 0 {
			at := vg.Point{X: xf(float64(i)), Y: yf(s.values[i])}
			if t.chart.pace && i == n-1 {
				ring(c, s.color, px(4), at)
			} else {
				dot(c, s.color, px(4), at)
			}
		}
	}
	for _, l := range t.labels(c, p) {
		sty := t.label
		sty.Color, sty.YAlign = l.color, draw.YCenter
		c.FillText(sty, vg.Point{X: l.point.X + px(8), Y: l.at}, l.text)
	}
}

// valueLabel is the latest value of a series, at its point.
type valueLabel struct {
	text  string
	color color.Color
	point vg.Point
	at    vg.Length // the label's middle, moved off the others
}

// labels places the value labels: beside their points, moved apart
// where two would overlap, and never below the zero line.
func (t *trendLines) labels(c draw.Canvas, p *plot.Plot) []valueLabel {
	xf, yf := p.Transforms(&c)
	n := len(t.chart.months)
	var ls []valueLabel
	for _, s := range t.chart.series {
		i := lastDefined(s.values, n)
		if i < 0 {
			continue
		}
		pt := vg.Point{X: xf(float64(i)), Y: yf(s.values[i])}
		ls = append(ls, valueLabel{text: t.chart.valueText(s.values[i], i), color: s.color, point: pt, at: pt.Y})
	}
	h := t.label.Height("0")
	slices.SortStableFunc(ls, func(a, b valueLabel) int {
		switch {
		case a.at < b.at:
			return -1
		case a.at > b.at:
			return 1
		}
		return 0
	})
	floor := c.Min.Y + h/2
	for i := range ls {
		if i > 0 {
			floor = ls[i-1].at + h
		}
		ls[i].at = max(ls[i].at, floor)
	}
	return ls
}

// GlyphBoxes implements plot.GlyphBoxer, so that the plot leaves room on
// the right for the value labels and above for the top one.
func (t *trendLines) GlyphBoxes(p *plot.Plot) []plot.GlyphBox {
	n := len(t.chart.months)
	var boxes []plot.GlyphBox
	for _, s := range t.chart.series {
		i := lastDefined(s.values, n)
		if i < 0 {
			continue
		}
		r := t.label.Rectangle(t.chart.valueText(s.values[i], i))
		w, h := r.Size().X, r.Size().Y
		// Only the top half counts vertically: a label at the zero line is
		// lifted above it rather than pushing the zero line off the axis.
		boxes = append(boxes, plot.GlyphBox{
			X: p.X.Norm(float64(i)), Y: p.Y.Norm(s.values[i]),
			Rectangle: vg.Rectangle{Min: vg.Point{X: -px(6)}, Max: vg.Point{X: px(8) + w, Y: h / 2}},
		})
	}
	return boxes
}

// drawSpark draws a sparkline: the line alone, from zero like the trend
// charts so that a small change looks small, and a dot on the latest month.
func (c Chart) drawSpark(dc draw.Canvas) {
	s := c.series[0]
	n := len(c.months)
	low, high := 0.0, 0.0
	for i := range n {
		if v := value(s.values, i); !math.IsNaN(v) {
			low, high = math.Min(low, v), math.Max(high, v)
		}
	}
	if high == low {
		high = low + 1
	}
	// Room for the dot, which is drawn centred on the first or last point.
	r := px(3.5)
	area := draw.Crop(dc, r+px(1), -r-px(1), r+px(1), -r-px(1))
	x := func(i int) vg.Length { return area.X(float64(i) / float64(max(n-1, 1))) }
	y := func(v float64) vg.Length { return area.Y((v - low) / (high - low)) }
	for _, run := range runs(s.values, n) {
		pts := make([]vg.Point, len(run))
		for j, i := range run {
			pts[j] = vg.Point{X: x(i), Y: y(s.values[i])}
		}
		dc.StrokeLines(draw.LineStyle{Color: s.color, Width: px(1.75)}, pts)
		if len(run) == 1 {
			dc.DrawGlyph(draw.GlyphStyle{Color: s.color, Radius: px(1.5), Shape: draw.CircleGlyph{}}, pts[0])
		}
	}
	last := lastDefined(s.values, n)
	if c.pace && last == n-1 {
		ring(dc, s.color, r, vg.Point{X: x(last), Y: y(s.values[last])})
	} else {
		dot(dc, s.color, r, vg.Point{X: x(last), Y: y(s.values[last])})
	}
}

// dot marks the latest value of a line, ringed in white to stand off the
// lines it sits on.
// valueText is a value label: the value, and "(pace)" for a run rate.
func (c Chart) valueText(v float64, month int) string {
	s := Short(v, c.kind, c.currency)
	if c.pace && month == len(c.months)-1 {
		s += " (pace)"
	}
	return s
}

// ring marks a point that is a projection, not a value: hollow.
func ring(c draw.Canvas, col color.Color, r vg.Length, at vg.Point) {
	c.DrawGlyph(draw.GlyphStyle{Color: col, Radius: r + px(1), Shape: draw.CircleGlyph{}}, at)
	c.DrawGlyph(draw.GlyphStyle{Color: color.White, Radius: r - px(1), Shape: draw.CircleGlyph{}}, at)
}

func dot(c draw.Canvas, col color.Color, r vg.Length, at vg.Point) {
	c.DrawGlyph(draw.GlyphStyle{Color: color.White, Radius: r + px(1.5), Shape: draw.CircleGlyph{}}, at)
	c.DrawGlyph(draw.GlyphStyle{Color: col, Radius: r, Shape: draw.CircleGlyph{}}, at)
}
