package report

import (
	"bytes"
	"database/sql"
	_ "embed"
	"encoding/base64"
	"html/template"
	"strconv"
	"strings"
	"time"
	"unicode"
)

//go:embed report.tmpl
var tmplText string

var tmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"change":    changeHTML,
	"rows":      rows,
	"monthName": MonthName,
	"vs":        vsMonth,
	"wrap":      wrap,
	"outlook":   outlook,
}).Parse(tmplText))

// outlook wraps markup that only Outlook for Windows reads (its Word
// engine ignores max-width, so the page is centred by a fixed-width
// table) in a conditional comment. html/template drops the comments a
// template holds, so they are written from here; the markup is the
// template's own, never data.
func outlook(markup string) template.HTML {
	return template.HTML("<!--[if mso]>" + markup + "<![endif]-->")
}

// wrap lets a long unbroken string (an export file's path, a channel
// named without spaces) break on a narrow screen: a zero-width space goes
// after each / _ ; : (and a dot between letters), and inside every run of
// 20 characters without a break, never inside a number or between a
// letter and the marks that go with it. CSS that does this
// (overflow-wrap, word-break) is missing from common mail clients; a
// character works in every one.
func wrap(s string) string {
	rs := []rune(s)
	var b strings.Builder
	run := 0
	for i, r := range rs {
		b.WriteRune(r)
		run++
		if unicode.IsSpace(r) {
			run = 0
			continue
		}
		if i+1 == len(rs) {
			break
		}
		next := rs[i+1]
		joined := unicode.Is(unicode.Mn, next) || unicode.Is(unicode.Me, next) || next == '\u200d' || r == '\u200d' ||
			(next >= '\ufe00' && next <= '\ufe0f') || unicode.IsSpace(next)
		digits := unicode.IsDigit(next) && (unicode.IsDigit(r) || r == '.' || r == ',')
		after := strings.ContainsRune("/_;:", r) || (r == '.' && unicode.IsLetter(next))
		if !joined && !digits && (after || run >= 20) {
			b.WriteRune('\u200b')
			run = 0
		}
	}
	return b.String()
}

// Copy is which copy of the report is rendered.
type Copy int

// The two copies: the file (charts as PNG data URIs, so that it forwards
// intact) and the e-mail (charts as PNG parts the message carries,
// referenced by cid:).
const (
	FileCopy Copy = iota
	EmailCopy
)

// Image is a chart image the e-mailed copy references by its content id.
type Image struct {
	ContentID string // without the cid: prefix or angle brackets
	PNG       []byte
}

// img is a chart as the template places it.
type img struct {
	Title, Alt    string
	Src           template.URL
	Width, Height int // CSS px
}

// Render renders the report; for the e-mail copy it also returns the PNG
// parts the message must carry.
func Render(d *Data, copy Copy) ([]byte, []Image, error) {
	var images []Image
	place := func(c Chart) (img, error) {
		png, err := c.PNG()
		if err != nil {
			return img{}, err
		}
		w, h := c.Size()
		v := img{Title: c.Title, Alt: c.Alt, Width: w, Height: h}
		if copy == EmailCopy {
			id := c.Name + ".png@coxswain"
			images = append(images, Image{ContentID: id, PNG: png})
			v.Src = template.URL("cid:" + id)
		} else {
			v.Src = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
		}
		return v, nil
	}
	var charts []img
	for _, c := range d.Charts() {
		if d.MonthToDate != nil {
			c.Alt += " " + MonthName(d.Month) + " is drawn at its run rate."
		}
		v, err := place(c)
		if err != nil {
			return nil, nil, err
		}
		charts = append(charts, v)
	}
	sparks := map[string]img{}
	for _, h := range d.Headlines {
		c, ok := d.Sparkline(h.Metric, h.Kind)
		if !ok {
			continue
		}
		c.pace = h.Projected.Valid // its latest point is the run rate
		if c.pace {
			c.Alt += " " + MonthName(d.Month) + " is drawn at its run rate."
		}
		v, err := place(c)
		if err != nil {
			return nil, nil, err
		}
		sparks[h.Metric] = v
	}
	var buf bytes.Buffer
	err := tmpl.Execute(&buf, struct {
		*Data
		Charts []img
		Sparks map[string]img
		Rows   [][]Headline
	}{d, charts, sparks, inRows(d.Headlines, 3)})
	return buf.Bytes(), images, err
}

// inRows cuts the cards into rows of n, for a table layout.
func inRows(hs []Headline, n int) [][]Headline {
	var out [][]Headline
	for len(hs) > n {
		out = append(out, hs[:n])
		hs = hs[n:]
	}
	if len(hs) > 0 {
		out = append(out, hs)
	}
	return out
}

// LocalAsOf is the as-of in the reporting zone: "15 November 2026, 01:00".
func (d *Data) LocalAsOf() string {
	if loc, err := time.LoadLocation(d.Zone); err == nil {
		return d.AsOf.In(loc).Format("2 January 2006, 15:04")
	}
	return d.AsOf.UTC().Format("2 January 2006, 15:04 UTC")
}

// Fmt writes a value in the report's currency.
func (d *Data) Fmt(v sql.NullFloat64, kind string) string { return Format(v, kind, d.Currency) }

// The colours of news: green good, red bad, grey neither (spend, which
// is judged against its plan, not by its direction).
const (
	green = "#1a7f37"
	red   = "#b42318"
	grey  = "#57606a"
)

// changeHTML shows a change with an arrow and a sign as well as a colour,
// so that it reads in greyscale; the colour follows the metric's good
// direction in the catalog.
func changeHTML(s, good string) template.HTML {
	if s == "" {
		return template.HTML(`<span style="color:` + grey + `">–</span>`)
	}
	up := !strings.HasPrefix(s, "-")
	digits := strings.TrimLeft(s, "+-")
	flat := digits == "0%" || strings.HasPrefix(digits, "0.0 pts")
	arrow, color := "▲", green
	if !up {
		arrow = "▼"
	}
	if up == (good == "down") {
		color = red
	}
	if good != "up" && good != "down" {
		color = grey
	}
	if flat {
		arrow, color = "▶", grey
	}
	return template.HTML(`<span style="color:` + color + `;white-space:nowrap">` + arrow + " " + template.HTMLEscapeString(s) + `</span>`)
}

// Against shows a headline against its target, coloured by whether it
// is on plan; empty without a target.
func (d *Data) Against(h Headline) template.HTML {
	text, color := d.against(h)
	if text == "" {
		return ""
	}
	return template.HTML(`<span style="color:` + color + `">` + template.HTMLEscapeString(text) + `</span>`)
}

// AgainstText is Against in words alone, for the plain-text message.
func (d *Data) AgainstText(h Headline) string {
	text, _ := d.against(h)
	return text
}

// against words a headline against its target and picks its colour:
// green on the good side of plan, red on the other, grey on plan or for a
// metric judged only by its plan (spend); "" without a target.
func (d *Data) against(h Headline) (text, color string) {
	a, ok := h.Attainment()
	if !ok {
		return "", ""
	}
	color = green
	if (a < 1) == (h.Good != "down") {
		color = red
	}
	if (a >= 0.995 && a < 1.005) || h.Good == "neutral" {
		color = grey
	}
	text = percent(a) + " of target " + d.Fmt(h.Target, h.Kind)
	if h.Kind == "ratio" {
		text = "target " + d.Fmt(h.Target, h.Kind)
		color = green
		if (h.Value.Float64 < h.Target.Float64) == (h.Good != "down") {
			color = red
		}
	} else if h.Projected.Valid {
		text = "on course for " + percent(a) + " of target " + d.Fmt(h.Target, h.Kind)
	}
	return text, color
}

// rows says how many rows, in words that agree with the number.
func rows(n int64) string {
	if n == 1 {
		return "1 row"
	}
	return strconv.FormatInt(n, 10) + " rows"
}
