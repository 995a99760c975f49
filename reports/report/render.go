package report

import (
	"bytes"
	_ "embed"
	"encoding/base64"
	"html/template"
	"strconv"
	"strings"
)

//go:embed report.tmpl
var tmplText string

var tmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"fmt":    Format,
	"change": changeHTML,
	"rows":   rows,
}).Parse(tmplText))

// Copy is which copy of the report is rendered.
type Copy int

// The two copies: the file (charts as SVG data URIs) and the e-mail (charts
// as PNG parts the message carries, referenced by cid:, since common mail
// clients drop SVG).
const (
	FileCopy Copy = iota
	EmailCopy
)

// Image is a chart image the e-mailed copy references by its content id.
type Image struct {
	ContentID string // without the cid: prefix
	PNG       []byte
}

// Render renders the report; for the e-mail copy it also returns the PNG
// parts the message must carry.
func Render(d *Data, copy Copy) ([]byte, []Image, error) {
	type chartView struct {
		Title, Alt string
		Src        template.URL
	}
	var charts []chartView
	var images []Image
	for _, c := range d.Charts() {
		v := chartView{Title: c.Title, Alt: c.Alt}
		if copy == EmailCopy {
			png, err := c.Render("png")
			if err != nil {
				return nil, nil, err
			}
			id := c.Name + ".png@coxswain"
			images = append(images, Image{ContentID: id, PNG: png})
			v.Src = template.URL("cid:" + id)
		} else {
			svg, err := c.Render("svg")
			if err != nil {
				return nil, nil, err
			}
			v.Src = template.URL("data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString(svg))
		}
		charts = append(charts, v)
	}
	var buf bytes.Buffer
	err := tmpl.Execute(&buf, struct {
		*Data
		Charts []chartView
	}{d, charts})
	return buf.Bytes(), images, err
}

// changeHTML shows a change with an arrow and a sign as well as a colour,
// so that it reads in greyscale; green is good news, whichever direction.
func changeHTML(s string, lowerIsBetter bool) template.HTML {
	if s == "" {
		return template.HTML(`<span style="color:#666">–</span>`)
	}
	up := !strings.HasPrefix(s, "-")
	flat := strings.TrimLeft(s, "+-") == "0%" || strings.HasPrefix(strings.TrimLeft(s, "+-"), "0.0 pts")
	arrow, color := "▲", "#1a7f37"
	if !up {
		arrow = "▼"
	}
	if up == lowerIsBetter {
		color = "#b42318"
	}
	if flat {
		arrow, color = "▶", "#666"
	}
	return template.HTML(`<span style="color:` + color + `;white-space:nowrap">` + arrow + " " + template.HTMLEscapeString(s) + `</span>`)
}

// rows says how many rows, in words that agree with the number.
func rows(n int64) string {
	if n == 1 {
		return "1 row"
	}
	return strconv.FormatInt(n, 10) + " rows"
}
