package report

import (
	"bytes"
	"fmt"
	"image/color"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Chart is one trend chart, drawn in the format a copy of the report needs.
type Chart struct {
	Name, Title, Alt string
	series           []series
	months           []string
}

type series struct {
	label  string
	values []float64
	color  color.Color
	dashes []vg.Length
}

// Charts are the report's 13-month trends: volumes and values apart, since
// their scales differ by orders of magnitude.
func (d *Data) Charts() []Chart {
	blue, orange := color.RGBA{R: 0x1f, G: 0x5f, B: 0xa8, A: 0xff}, color.RGBA{R: 0xd9, G: 0x6c, B: 0x00, A: 0xff}
	dash := []vg.Length{vg.Points(5), vg.Points(3)}
	return []Chart{
		{Name: "trend-volume", Title: "Leads and MQLs", months: d.Months,
			Alt:    fmt.Sprintf("Leads and MQLs by month, %s to %s", d.Months[0], d.Month),
			series: []series{{"Leads", d.Trend["leads_created"], blue, nil}, {"MQLs", d.Trend["mqls"], orange, dash}}},
		{Name: "trend-value", Title: "Pipeline created and bookings", months: d.Months,
			Alt:    fmt.Sprintf("Pipeline created and bookings by month, %s to %s", d.Months[0], d.Month),
			series: []series{{"Pipeline", d.Trend["pipeline_created"], blue, nil}, {"Bookings", d.Trend["bookings"], orange, dash}}},
	}
}

// Render draws the chart as "svg" or "png".
func (c Chart) Render(format string) ([]byte, error) {
	p := plot.New()
	p.Title.Text = c.Title
	p.Legend.Top = true
	p.Legend.Left = true
	labels := make([]string, len(c.months))
	for i, m := range c.months {
		if i%3 == 0 || i == len(c.months)-1 {
			labels[i] = m
		}
	}
	p.NominalX(labels...)
	p.Y.Min = 0
	p.Y.Tick.Marker = shortTicks{}
	for _, s := range c.series {
		xys := make(plotter.XYs, len(s.values))
		for i, v := range s.values {
			xys[i] = plotter.XY{X: float64(i), Y: v}
		}
		line, points, err := plotter.NewLinePoints(xys)
		if err != nil {
			return nil, err
		}
		line.Color, line.Width, line.Dashes = s.color, vg.Points(2), s.dashes
		points.Color, points.Shape = s.color, draw.CircleGlyph{}
		p.Add(line, points)
		p.Legend.Add(s.label, line)
	}
	p.Add(plotter.NewGrid())
	wt, err := p.WriterTo(6*vg.Inch, 2.6*vg.Inch, format)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := wt.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// shortTicks labels the value axis 400k and 1.2M rather than 1200000.
type shortTicks struct{}

// Ticks returns the default ticks with short labels.
func (shortTicks) Ticks(min, max float64) []plot.Tick {
	ticks := plot.DefaultTicks{}.Ticks(min, max)
	for i, t := range ticks {
		if t.Label == "" {
			continue
		}
		switch v := t.Value; {
		case v >= 1e6:
			ticks[i].Label = strconv.FormatFloat(v/1e6, 'f', -1, 64) + "M"
		case v >= 1e3:
			ticks[i].Label = strconv.FormatFloat(v/1e3, 'f', -1, 64) + "k"
		}
	}
	return ticks
}
