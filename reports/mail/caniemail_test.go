package mail

import (
	"bytes"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"os"
	"path"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"coxswain/reports/report"
)

// The e-mailed report is read in Gmail, Outlook (the Word engine on
// Windows, and Outlook.com), Yahoo and Apple Mail, often on phones. What
// each of them lacks is kept as data, with its source, in
// testdata/caniemail.csv; the checker below holds the HTML to it.

// TestBuild_EmailClientSupport renders the e-mail with every section of the
// report filled and reports, all at once, each feature a client lacks.
func TestBuild_EmailClientSupport(t *testing.T) {
	facts := loadFacts(t)
	doc, contentIDs := emailedHTML(t, fullData())
	got := unsupported(doc, facts)
	got = append(got, emailRules(doc)...)
	got = append(got, missingParts(doc, contentIDs)...)
	if len(got) > 0 {
		var b strings.Builder
		for _, f := range got {
			b.WriteString("\n" + f.String())
		}
		t.Errorf("the e-mailed HTML has %d problems for mail clients (facts in testdata/caniemail.csv):%s", len(got), b.String())
	}
}

func TestUnsupported(t *testing.T) {
	facts := loadFacts(t)
	for _, tc := range []struct {
		name, html string
		want       []string
	}{
		{"section", `<section><h2>The month</h2></section>`, []string{"html:section"}},
		{"overflow-wrap in a style attribute", `<p style="margin:0;overflow-wrap:anywhere">Lead.csv</p>`, []string{"css:overflow-wrap"}},
		{"box-sizing in a style rule", `<style>.card { box-sizing: border-box }</style><div class="card">x</div>`, []string{"css:box-sizing"}},
		{"box-sizing in @media still reaches Yahoo",
			`<style>@media (max-width: 480px) { .card { box-sizing:border-box !important } }</style><div class="card">x</div>`,
			[]string{"css:box-sizing"}},
		{"max-width and margin:auto with no fixed-width table", `<div style="max-width:600px;margin:0 auto">x</div>`,
			[]string{"css:margin:auto", "css:max-width"}},
		{"max-width in a style rule", `<style>.wrap { max-width: 600px }</style><div class="wrap">x</div>`, []string{"css:max-width"}},
		{"a rule for no element", `<style>.gone { max-width: 600px }</style><div>x</div>`, nil},
		{"Outlook-only facts inside @media",
			`<style>@media (max-width: 480px) { .wrap { width:100% !important; max-width:100% !important } }</style><div class="wrap">x</div>`, nil},
		{"inline SVG and images as data URIs",
			`<svg width="10" height="10"></svg><img src="data:image/svg+xml;base64,PHN2Zz4=" alt="Leads" width="10">`,
			[]string{"html:svg", "img:data-uri", "img:svg"}},
		{"height:auto that cannot undo a height attribute in Yahoo",
			`<img src="cid:a" alt="Leads" width="600" height="300" style="width:100%;height:auto">`, []string{"css:height:auto on img"}},
		{"style element in the body", `<html><head></head><body><p>x</p><style>p { color: red }</style></body></html>`,
			[]string{"html:style in body"}},
		{"flex and position", `<div style="display:flex"><span style="position:relative">x</span></div>`,
			[]string{"css:display:flex", "css:position"}},
		{"clean table layout", cleanEmail, nil},
		{"the clean layout without its Outlook ghost tables", regexp.MustCompile(`(?s)<!--\[if mso\]>.*?<!\[endif\]-->`).ReplaceAllString(cleanEmail, ""),
			[]string{"css:display:inline-block", "css:margin:auto", "css:max-width", "css:width on body/div/p/span"}},
		{"a preheader Outlook shows", strings.Replace(cleanEmail, ";mso-hide:all", "", 1), []string{"css:max-width", "css:overflow"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			found := unsupported([]byte(tc.html), facts)
			if got := featureNames(found); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v%s", got, tc.want, describe(found))
			}
		})
	}
}

func TestEmailRules(t *testing.T) {
	for _, tc := range []struct {
		name, html string
		want       []string
	}{
		{"image with no alt, no width, not a part", `<img src="chart.png">`, []string{"img:alt", "img:cid", "img:width"}},
		{"layout table without role", `<table><tr><td>x</td></tr></table>`, []string{"table:role"}},
		{"data table inside a layout table",
			`<table role="presentation"><tr><td><table><tr><th>Cohort</th></tr><tr><td>2026-10</td></tr></table></td></tr></table>`, nil},
		{"a data table inside does not make the outer table data",
			`<table><tr><td><table><tr><th>Cohort</th></tr></table></td></tr></table>`, []string{"table:role"}},
		{"clean table layout", cleanEmail, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			found := emailRules([]byte(tc.html))
			if got := featureNames(found); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v%s", got, tc.want, describe(found))
			}
		})
	}
}

func TestMissingParts(t *testing.T) {
	doc := []byte(`<img src="cid:trend-volume.png@coxswain" alt="Leads" width="600"><img src="cid:trend-value.png@coxswain" alt="Bookings" width="600">`)
	got := featureNames(missingParts(doc, map[string]bool{"trend-volume.png@coxswain": true}))
	if !slices.Equal(got, []string{"img:cid-part"}) {
		t.Errorf("got %v, want the image whose part is missing", got)
	}
}

func TestReadFacts_ReportsEveryBadRow(t *testing.T) {
	in := "feature,check,target,elements,value,unsupported_in,verdict,fallback,source,data,checked,note\n" +
		"css:a,css,a,,,hotmail,forbidden,,https://www.caniemail.com/features/css-a/,https://github.com/hteumeuleu/caniemail/blob/x/_features/css-a.md,2026-12-05,\n" +
		"css:b,css,b,,([,gmail,fallback,,https://www.caniemail.com/features/css-b/,https://github.com/hteumeuleu/caniemail/blob/x/_features/css-c.md,2026-12-05,\n"
	_, err := readFacts(strings.NewReader(in), "caniemail.csv")
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{`caniemail.csv:2: unsupported_in: unknown client "hotmail"`, "caniemail.csv:3: value:",
		"caniemail.csv:3: fallback: a fallback verdict needs", "caniemail.csv:3: data: "} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("the error lacks %q:\n%v", want, err)
		}
	}
}

// cleanEmail is a table layout that every client in the facts can show:
// Outlook gets fixed widths from ghost tables in conditional comments,
// the rest fluid widths capped by max-width.
const cleanEmail = `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<style>
  @media (max-width: 480px) { .col { display:block !important; width:100% !important; max-width:100% !important; } }
</style></head>
<body style="margin:0;padding:0;background-color:#f4f5f7">
<div style="display:none;max-height:0;max-width:0;overflow:hidden;opacity:0;mso-hide:all">Leads 626, +9% vs 2026-09</div>
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"><tr><td align="center">
<!--[if mso]><table role="presentation" width="600" align="center" cellpadding="0" cellspacing="0"><tr><td><![endif]-->
<div style="max-width:600px;margin:0 auto;background-color:#ffffff">
<!--[if mso]><table role="presentation" width="600"><tr><td width="300" valign="top"><![endif]-->
<div class="col" style="display:inline-block;width:100%;max-width:300px;vertical-align:top">
<p style="margin:0;font-size:13px">Leads</p><p style="margin:0;font-size:22px">626</p>
</div>
<!--[if mso]></td><td width="300" valign="top"><![endif]-->
<div class="col" style="display:inline-block;width:100%;max-width:300px;vertical-align:top">
<p style="margin:0;font-size:13px">MQLs</p><p style="margin:0;font-size:22px">83</p>
</div>
<!--[if mso]></td></tr></table><![endif]-->
<img src="cid:trend-volume.png@coxswain" alt="Leads and MQLs by month" width="600" style="display:block;width:100%;max-width:600px;height:auto">
<table width="100%" style="border-collapse:collapse;width:100%">
<tr><th style="text-align:left;padding:4px">Export file</th><th style="text-align:right;padding:4px">Read</th></tr>
<tr><td style="padding:4px;word-wrap:break-word">crm/Lead.csv</td><td style="text-align:right;padding:4px">10</td></tr>
</table>
</div>
<!--[if mso]></td></tr></table><![endif]-->
</td></tr></table>
<!--[if mso]><div style="position:absolute;box-sizing:border-box"><svg></svg></div><![endif]-->
</body></html>`

// fullData is testData with every section of the report filled, so that
// the e-mail holds all the markup the template can make.
func fullData() *report.Data {
	d := testData()
	d.Warnings = []string{"crm/Lead.csv is 9 days old: check-the-export-schedule-of-lead-records-in-the-crm"}
	d.Marketing = d.Headlines
	d.Sales = d.Headlines
	d.Efficiency = d.Headlines
	d.Funnel = []report.FunnelRow{{Cohort: "2026-10", Leads: 626, MQLs: 83}}
	d.Channels = []report.ChannelRow{{Channel: "Paid search", Leads: "120", MQLs: "14"}}
	d.Owners = []report.OwnerRow{{Owner: "Ada Lovelace", MQLs: "12", Met: "11"}}
	d.Glossary = []report.Term{{Metric: "leads_created", Label: "Leads", Definition: "Leads created in the month."}}
	d.Files = []report.FileRow{{Source: "crm", File: "Lead.csv", FirstError: "line 4: bad date", Read: 10, Loaded: 9, Rejected: 1}}
	d.Tests = []report.TestRow{{Name: "leads_unique", Severity: "warn", Description: "Lead ids are unique.", Failures: 1}}
	d.Headlines[0].Target = sql.NullFloat64{Float64: 600, Valid: true}
	return d
}

// emailedHTML builds the message for d and returns its text/html part and
// the content ids, without their angle brackets, of the parts whose
// Content-ID header has them.
func emailedHTML(t *testing.T, d *report.Data) ([]byte, map[string]bool) {
	t.Helper()
	m, err := Build(config(), d, packDir(t))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := m.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	msg, err := mail.ReadMessage(&buf)
	if err != nil {
		t.Fatal(err)
	}
	var doc []byte
	ids := map[string]bool{}
	for _, p := range walk(t, msg.Header.Get("Content-Type"), msg.Body, msg.Header) {
		if p.contentType == "text/html" {
			doc = p.body
		}
		for _, raw := range p.header["Content-Id"] {
			if strings.HasPrefix(raw, "<") && strings.HasSuffix(raw, ">") {
				ids[raw[1:len(raw)-1]] = true
			}
		}
	}
	if doc == nil {
		t.Fatal("the message has no text/html part")
	}
	return doc, ids
}

// missingParts reports each cid: the HTML references that no part of the
// message carries as Content-ID <id>. (TestSend_ToLoopbackServer checks
// the other way: that the HTML references every part.)
func missingParts(htmlDoc []byte, contentIDs map[string]bool) []finding {
	root, err := html.Parse(bytes.NewReader(htmlDoc))
	if err != nil {
		return []finding{{Feature: "html", Snippet: err.Error(), Rule: "the HTML must parse"}}
	}
	var out findings
	for _, n := range surveyHTML(root).elems {
		src := attrOf(n, "src")
		if id, ok := strings.CutPrefix(src, "cid:"); ok && !contentIDs[id] {
			out.add(finding{Feature: "img:cid-part", Snippet: fmt.Sprintf("<%s src=%q>", n.Data, src),
				Rule: "no part of the message has Content-ID <" + id + ">, so clients show a broken image"})
		}
	}
	return out.list
}

// clientIDs are the clients the facts name: outlook-windows is Outlook for
// Windows on the Word engine (2007 to 2021), ios-mail Apple Mail on iOS.
var clientIDs = []string{"gmail", "outlook-windows", "outlook-com", "yahoo", "apple-mail", "ios-mail"}

// clientSet is a set of clientIDs, bit i for clientIDs[i].
type clientSet uint8

var (
	allClients     = clientSet(1)<<len(clientIDs) - 1
	outlookWindows = clientSet(1) << slices.Index(clientIDs, "outlook-windows")
)

func parseClients(s string) (clientSet, error) {
	var c clientSet
	for _, name := range strings.Fields(s) {
		i := slices.Index(clientIDs, name)
		if i < 0 {
			return 0, fmt.Errorf("unknown client %q, want some of %s", name, strings.Join(clientIDs, " "))
		}
		c |= 1 << i
	}
	if c == 0 {
		return 0, errors.New("names no client")
	}
	return c, nil
}

func (c clientSet) String() string {
	var names []string
	for i, name := range clientIDs {
		if c&(1<<i) != 0 {
			names = append(names, name)
		}
	}
	return strings.Join(names, ", ")
}

// fact is a row of testdata/caniemail.csv: a feature, where it shows in
// the HTML, the clients that lack it and what the report may do about it.
type fact struct {
	Feature   string
	Check     string         // css, element, attr, element-in-body or at-rule
	Targets   []string       // property, element, attribute or at-rule names
	Elements  []string       // css and attr: the elements it is about; none is any
	Value     *regexp.Regexp // css and attr: the values it is about; nil is any
	Lacking   clientSet
	Verdict   string   // forbidden or fallback
	Fallbacks []string // for fallback: any one of them will do
	Source    string   // the caniemail.com page
	Note      string
}

var (
	factChecks    = []string{"css", "element", "attr", "element-in-body", "at-rule"}
	factFallbacks = []string{"fixed-width", "width-attribute", "no-height-attribute", "progressive-enhancement"}
	factColumns   = []string{"feature", "check", "target", "elements", "value", "unsupported_in", "verdict", "fallback", "source", "data", "checked", "note"}
)

func loadFacts(tb testing.TB) []fact {
	tb.Helper()
	f, err := os.Open("testdata/caniemail.csv")
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	facts, err := readFacts(f, "testdata/caniemail.csv")
	if err != nil {
		tb.Fatal(err)
	}
	return facts
}

// readFacts reads the facts table, reporting every bad row with its line.
func readFacts(r io.Reader, name string) ([]fact, error) {
	cr := csv.NewReader(r)
	cr.Comment = '#'
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if !slices.Equal(header, factColumns) {
		return nil, fmt.Errorf("%s: columns %v, want %v", name, header, factColumns)
	}
	var facts []fact
	var errs []error
	seen := map[string]bool{}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		line, _ := cr.FieldPos(0)
		bad := func(column, format string, args ...any) {
			errs = append(errs, fmt.Errorf("%s:%d: %s: %s", name, line, column, fmt.Sprintf(format, args...)))
		}
		col := func(c string) string { return strings.TrimSpace(rec[slices.Index(factColumns, c)]) }
		f := fact{Feature: col("feature"), Check: col("check"), Targets: strings.Fields(col("target")),
			Elements: strings.Fields(col("elements")), Verdict: col("verdict"), Fallbacks: strings.Fields(col("fallback")),
			Source: col("source"), Note: col("note")}
		if f.Feature == "" || seen[f.Feature] {
			bad("feature", "%q is empty or named twice", f.Feature)
		}
		seen[f.Feature] = true
		if !slices.Contains(factChecks, f.Check) {
			bad("check", "%q, want one of %s", f.Check, strings.Join(factChecks, " "))
		}
		if len(f.Targets) == 0 {
			bad("target", "empty")
		}
		if len(f.Elements) > 0 && f.Check != "css" && f.Check != "attr" {
			bad("elements", "only css and attr checks name elements")
		}
		if v := col("value"); v != "" {
			if f.Value, err = regexp.Compile("(?i)" + v); err != nil {
				bad("value", "%v", err)
			}
		}
		if f.Lacking, err = parseClients(col("unsupported_in")); err != nil {
			bad("unsupported_in", "%v", err)
		}
		switch f.Verdict {
		case "forbidden":
			if len(f.Fallbacks) > 0 {
				bad("fallback", "a forbidden feature has none")
			}
		case "fallback":
			if len(f.Fallbacks) == 0 {
				bad("fallback", "a fallback verdict needs one of %s", strings.Join(factFallbacks, " "))
			}
			for _, fb := range f.Fallbacks {
				if !slices.Contains(factFallbacks, fb) {
					bad("fallback", "%q, want one of %s", fb, strings.Join(factFallbacks, " "))
				}
			}
		default:
			bad("verdict", "%q, want forbidden or fallback", f.Verdict)
		}
		slug, ok := strings.CutPrefix(f.Source, "https://www.caniemail.com/features/")
		slug = strings.TrimSuffix(slug, "/")
		if !ok || slug == "" || strings.Contains(slug, "/") {
			bad("source", "%q is not a https://www.caniemail.com/features/<name>/ page", f.Source)
		}
		if data := col("data"); !strings.HasPrefix(data, "https://github.com/hteumeuleu/caniemail/blob/") || path.Base(data) != slug+".md" {
			bad("data", "%q is not the caniemail _features file of %s", data, f.Source)
		}
		if _, err := time.Parse(time.DateOnly, col("checked")); err != nil {
			bad("checked", "%q is not a date", col("checked"))
		}
		facts = append(facts, f)
	}
	return facts, errors.Join(errs...)
}

func (f fact) about(element string) bool {
	return len(f.Elements) == 0 || slices.Contains(f.Elements, element)
}

func (f fact) matches(d decl) bool {
	return f.Check == "css" && slices.Contains(f.Targets, d.prop) && (f.Value == nil || f.Value.MatchString(d.value))
}

// fallbackMet says whether n has one of the fact's fallbacks.
func (f fact) fallbackMet(n *html.Node, sc scope) bool {
	if f.Verdict != "fallback" {
		return false
	}
	for _, fb := range f.Fallbacks {
		switch {
		case fb == "fixed-width" && sc.fixed,
			fb == "width-attribute" && hasAttr(n, "width"),
			fb == "no-height-attribute" && !hasAttr(n, "height"):
			return true
		}
	}
	return false
}

// finding is a place where the HTML uses what some clients lack.
type finding struct {
	Feature string
	Snippet string    // the offending markup, shortened
	Lacking clientSet // the clients that see it and lack it
	Rule    string    // why it is a problem
	Source  string
	Note    string
	Count   int // how many times the same snippet occurs
}

func (f finding) String() string {
	s := f.Feature + ": " + f.Snippet
	if f.Count > 1 {
		s += fmt.Sprintf(" (%d times)", f.Count)
	}
	if f.Lacking != 0 {
		s += "\n    not in " + f.Lacking.String() + "; " + f.Rule
	} else {
		s += "\n    " + f.Rule
	}
	if f.Source != "" {
		s += "\n    " + f.Source
	}
	if f.Note != "" {
		s += ": " + f.Note
	}
	return s
}

// findings collects findings, counting repeats of the same snippet (a
// table row's cells, say) rather than listing them again.
type findings struct {
	list []finding
	at   map[string]int
}

func (fs *findings) add(f finding) {
	key := f.Feature + "\x00" + f.Snippet
	if i, ok := fs.at[key]; ok {
		fs.list[i].Count++
		return
	}
	if fs.at == nil {
		fs.at = map[string]int{}
	}
	f.Count = 1
	fs.at[key] = len(fs.list)
	fs.list = append(fs.list, f)
}

// report adds a finding for a fact, unless every client that lacks it is
// one that does not show the place (hidden).
func (fs *findings) report(f fact, hidden clientSet, snippet string) {
	lacking := f.Lacking &^ hidden
	if lacking == 0 {
		return
	}
	rule := "forbidden"
	if f.Verdict == "fallback" {
		rule = "allowed only with a fallback (" + strings.Join(f.Fallbacks, " or ") + "), and there is none"
	}
	fs.add(finding{Feature: f.Feature, Snippet: snippet, Lacking: lacking, Rule: rule, Source: f.Source, Note: f.Note})
}

// unsupported checks every element, attribute, style attribute
// declaration and <style> rule of htmlDoc against the facts. Where the
// checker stands:
//   - Markup in Outlook conditional comments (<!--[if mso]>…<![endif]-->)
//     is for Outlook alone and is not checked; the widths of the tables
//     and cells it opens count as fixed widths for what follows, as they
//     do in Outlook (the "ghost table").
//   - What is inside <!--[if !mso]><!-->…<!--<![endif]--> is hidden from
//     Outlook for Windows, so facts only it lacks do not apply there.
//   - An element with display:none is hidden from every client but
//     Outlook for Windows, and from that one too with mso-hide:all (the
//     preheader): facts do not apply to what no client shows.
//   - Rules inside @media are progressive enhancement: the clients the
//     at-rule fact says ignore @media (Outlook for Windows) never see them,
//     so facts only those clients lack do not apply there; every other
//     fact does, since Gmail, Outlook.com, Yahoo and Apple Mail read the
//     queries. Other at-rules (@page, @font-face) hold no element styles.
//   - A <style> rule is matched to elements by its last compound selector
//     (type, classes, id), ignoring combinators and pseudo-classes, which
//     errs towards matching; a forbidden feature is reported whether or
//     not the rule matches anything.
func unsupported(htmlDoc []byte, facts []fact) []finding {
	root, err := html.Parse(bytes.NewReader(htmlDoc))
	if err != nil {
		return []finding{{Feature: "html", Snippet: err.Error(), Rule: "the HTML must parse"}}
	}
	s := surveyHTML(root)
	var ignoreMedia clientSet
	for _, f := range facts {
		if f.Check == "at-rule" && slices.Contains(f.Targets, "media") {
			ignoreMedia |= f.Lacking
		}
	}
	var out findings
	for _, n := range s.elems {
		sc := s.scopes[n]
		for _, f := range facts {
			switch f.Check {
			case "element":
				if slices.Contains(f.Targets, n.Data) {
					out.report(f, sc.hidden, openTag(n))
				}
			case "element-in-body":
				if sc.inBody && slices.Contains(f.Targets, n.Data) {
					out.report(f, sc.hidden, openTag(n)+" inside <body>")
				}
			case "attr":
				if !f.about(n.Data) {
					continue
				}
				for _, a := range n.Attr {
					if slices.Contains(f.Targets, a.Key) && (f.Value == nil || f.Value.MatchString(a.Val)) {
						out.report(f, sc.hidden, fmt.Sprintf("<%s %s=%q>", n.Data, a.Key, shorten(a.Val, 60)))
					}
				}
			}
		}
		for _, d := range declarations(attrOf(n, "style")) {
			for _, f := range facts {
				if f.matches(d) && f.about(n.Data) && !f.fallbackMet(n, sc) {
					out.report(f, sc.hidden, styleSnippet(n, d))
				}
			}
		}
		if n.Data != "style" {
			continue
		}
		for _, r := range styleRules(textOf(n)) {
			hidden := sc.hidden
			if r.media != "" {
				hidden |= ignoreMedia
			}
			for _, d := range r.decls {
				for _, f := range facts {
					if !f.matches(d) {
						continue
					}
					snippet := ruleSnippet(r, d)
					if len(f.Elements) == 0 && f.Verdict == "forbidden" {
						out.report(f, hidden, snippet)
						continue
					}
					// Which elements it is about, and their fallbacks,
					// depend on the elements the rule styles.
					for _, el := range s.elems {
						es := s.scopes[el]
						if f.about(el.Data) && f.Lacking&^(hidden|es.hidden) != 0 && selectorMatches(r.selectors, el) && !f.fallbackMet(el, es) {
							out.report(f, hidden|es.hidden, snippet)
							break
						}
					}
				}
			}
		}
	}
	return out.list
}

// emailRules checks what the e-mailed copy owes every client beyond the
// facts table: images that say what they show, keep their width in Outlook
// and travel with the message, and layout tables that screen readers do
// not read out as data. A table with a <th> or <caption> of its own is
// data; any other is layout.
func emailRules(htmlDoc []byte) []finding {
	root, err := html.Parse(bytes.NewReader(htmlDoc))
	if err != nil {
		return []finding{{Feature: "html", Snippet: err.Error(), Rule: "the HTML must parse"}}
	}
	var out findings
	for _, n := range surveyHTML(root).elems {
		switch n.Data {
		case "img":
			snippet := fmt.Sprintf("<img src=%q>", shorten(attrOf(n, "src"), 60))
			if !hasAttr(n, "alt") {
				out.add(finding{Feature: "img:alt", Snippet: snippet,
					Rule: "every image needs alt text: clients that block images, and screen readers, show it instead"})
			}
			if !hasAttr(n, "width") {
				out.add(finding{Feature: "img:width", Snippet: snippet, Source: "https://www.caniemail.com/features/css-width/",
					Rule: "every image needs a width attribute: Outlook for Windows ignores CSS width on <img> and shows the file's own size"})
			}
			if !strings.HasPrefix(attrOf(n, "src"), "cid:") {
				out.add(finding{Feature: "img:cid", Snippet: snippet,
					Rule: "the e-mailed copy carries its images as parts referenced by cid:"})
			}
		case "table":
			if !hasOwn(n, "th", "caption") && attrOf(n, "role") != "presentation" {
				out.add(finding{Feature: "table:role", Snippet: openTag(n) + " " + shorten(words(n), 40),
					Rule: `a layout table (no <th> or <caption>) needs role="presentation", or screen readers announce its rows and columns`})
			}
		}
	}
	return out.list
}

// scope is what the checker knows of an element from where it stands.
type scope struct {
	hidden clientSet // clients that do not show it
	fixed  bool      // it, or a table or cell around it (real or Outlook's ghost), has a pixel width
	inBody bool
}

// survey is the elements of a document in order, each with its scope.
type survey struct {
	elems  []*html.Node
	scopes map[*html.Node]scope
	ghosts []ghostCell // Outlook-only tables and cells open at this point of the document
	notMSO int         // depth of <!--[if !mso]><!--> blocks open at this point
}

type ghostCell struct {
	tag   string
	fixed bool
}

func surveyHTML(root *html.Node) *survey {
	s := &survey{scopes: map[*html.Node]scope{}}
	s.walk(root, scope{})
	return s
}

func (s *survey) walk(n *html.Node, parent scope) {
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		switch c.Type {
		case html.CommentNode:
			s.comment(c.Data)
		case html.ElementNode:
			sc := parent
			if c.Data == "body" {
				sc.inBody = true
			}
			if s.notMSO > 0 {
				sc.hidden |= outlookWindows
			}
			if slices.Contains([]string{"table", "td", "th", "img"}, c.Data) && pixels(attrOf(c, "width")) || slices.ContainsFunc(s.ghosts, func(g ghostCell) bool { return g.fixed }) {
				sc.fixed = true
			}
			decls := declarations(attrOf(c, "style"))
			if slices.ContainsFunc(decls, func(d decl) bool { return d.prop == "display" && strings.EqualFold(d.value, "none") }) {
				sc.hidden |= allClients &^ outlookWindows
				if slices.ContainsFunc(decls, func(d decl) bool { return d.prop == "mso-hide" && strings.EqualFold(d.value, "all") }) {
					sc.hidden |= outlookWindows
				}
			}
			s.elems = append(s.elems, c)
			s.scopes[c] = sc
			s.walk(c, sc)
		default:
			s.walk(c, parent)
		}
	}
}

// comment follows Outlook's conditional comments: <!--[if !mso]><!--> and
// <!--<![endif]--> around markup for every client but Outlook for Windows,
// and <!--[if mso]>…<![endif]--> around markup for Outlook alone, whose
// tables and cells stay open across comments.
func (s *survey) comment(data string) {
	d := strings.TrimSpace(data)
	cond, rest, ok := strings.Cut(d, "]>")
	switch {
	case d == "<![endif]":
		if s.notMSO > 0 {
			s.notMSO--
		}
	case !ok || !strings.HasPrefix(cond, "[if"):
	case strings.Contains(cond, "!mso"):
		if rest == "<!" {
			s.notMSO++
		}
	case strings.Contains(cond, "mso"):
		z := html.NewTokenizer(strings.NewReader(strings.TrimSuffix(rest, "<![endif]")))
		for {
			tt := z.Next()
			if tt == html.ErrorToken {
				return
			}
			tok := z.Token()
			if !slices.Contains([]string{"table", "td", "th"}, tok.Data) {
				continue
			}
			switch tt {
			case html.StartTagToken:
				width := ""
				for _, a := range tok.Attr {
					if a.Key == "width" {
						width = a.Val
					}
				}
				s.ghosts = append(s.ghosts, ghostCell{tok.Data, pixels(width)})
			case html.EndTagToken:
				for i := len(s.ghosts) - 1; i >= 0; i-- {
					if s.ghosts[i].tag == tok.Data {
						s.ghosts = s.ghosts[:i]
						break
					}
				}
			}
		}
	}
}

var pixelWidth = regexp.MustCompile(`^\s*\d+(px)?\s*$`)

func pixels(width string) bool { return pixelWidth.MatchString(width) }

// decl is a CSS declaration: value is without !important, text as written.
type decl struct{ prop, value, text string }

var important = regexp.MustCompile(`(?i)\s*!\s*important\s*$`)

func declarations(block string) []decl {
	var out []decl
	for _, part := range splitTop(block, ';') {
		prop, value, ok := strings.Cut(part, ":")
		if !ok {
			continue
		}
		prop, value = strings.ToLower(strings.TrimSpace(prop)), strings.TrimSpace(value)
		out = append(out, decl{prop, important.ReplaceAllString(value, ""), prop + ":" + value})
	}
	return out
}

// cssRule is a rule of a <style> block, with the @media prelude it is in.
type cssRule struct {
	selectors string
	decls     []decl
	media     string
}

var cssComment = regexp.MustCompile(`(?s)/\*.*?\*/`)

func styleRules(css string) []cssRule {
	css = cssComment.ReplaceAllString(css, "")
	css = strings.NewReplacer("<!--", "", "-->", "").Replace(css)
	var out []cssRule
	parseRules(css, "", &out)
	return out
}

func parseRules(css, media string, out *[]cssRule) {
	for {
		open := indexTop(css, "{;", 0)
		if open < 0 {
			return
		}
		prelude := strings.TrimSpace(css[:open])
		if css[open] == ';' { // @import, @charset
			css = css[open+1:]
			continue
		}
		end := indexTop(css, "}", open+1)
		if end < 0 {
			end = len(css)
		}
		body := css[open+1 : end]
		css = css[min(end+1, len(css)):]
		at := strings.ToLower(prelude)
		switch {
		case strings.HasPrefix(at, "@media"):
			parseRules(body, prelude, out)
		case strings.HasPrefix(at, "@supports"):
			parseRules(body, media, out)
		case strings.HasPrefix(at, "@"):
		default:
			*out = append(*out, cssRule{prelude, declarations(body), media})
		}
	}
}

// indexTop is the index from start of the first byte of chars in s that is
// outside quotes, parentheses and nested braces; -1 if there is none.
func indexTop(s, chars string, start int) int {
	var quote byte
	depth := 0
	for i := start; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == '\\' {
				i++
			} else if c == quote {
				quote = 0
			}
		case depth == 0 && strings.IndexByte(chars, c) >= 0:
			return i
		case c == '"' || c == '\'':
			quote = c
		case c == '(' || c == '[' || c == '{':
			depth++
		case c == ')' || c == ']' || c == '}':
			depth--
		}
	}
	return -1
}

func splitTop(s string, sep byte) []string {
	var parts []string
	for {
		i := indexTop(s, string(sep), 0)
		if i < 0 {
			return append(parts, s)
		}
		parts = append(parts, s[:i])
		s = s[i+1:]
	}
}

var (
	selAttribute = regexp.MustCompile(`\[[^\]]*\]`)
	selPseudo    = regexp.MustCompile(`::?[\w-]+(\([^)]*\))?`)
	selPart      = regexp.MustCompile(`([.#]?)([\w-]+|\*)`)
)

// selectorMatches says whether n may be what one of the selectors styles.
func selectorMatches(selectors string, n *html.Node) bool {
	for _, sel := range splitTop(selectors, ',') {
		sel = strings.TrimSpace(selPseudo.ReplaceAllString(selAttribute.ReplaceAllString(sel, ""), ""))
		if i := strings.LastIndexAny(sel, " \t\n>+~"); i >= 0 {
			sel = sel[i+1:]
		}
		ok := true
		for _, m := range selPart.FindAllStringSubmatch(sel, -1) {
			switch m[1] {
			case "":
				ok = ok && (m[2] == "*" || strings.EqualFold(m[2], n.Data))
			case ".":
				ok = ok && slices.Contains(strings.Fields(attrOf(n, "class")), m[2])
			case "#":
				ok = ok && attrOf(n, "id") == m[2]
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func attrOf(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, key string) bool {
	return slices.ContainsFunc(n.Attr, func(a html.Attribute) bool { return a.Key == key })
}

// hasOwn says whether table has one of the elements, outside the tables
// nested in it.
func hasOwn(table *html.Node, elements ...string) bool {
	for c := table.FirstChild; c != nil; c = c.NextSibling {
		if c.Type != html.ElementNode || c.Data == "table" {
			continue
		}
		if slices.Contains(elements, c.Data) || hasOwn(c, elements...) {
			return true
		}
	}
	return false
}

func textOf(n *html.Node) string {
	var b strings.Builder
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		} else {
			b.WriteString(textOf(c))
		}
	}
	return b.String()
}

// words is the text of n, its text nodes apart.
func words(n *html.Node) string {
	var w []string
	for c := range n.Descendants() {
		if c.Type == html.TextNode {
			w = append(w, strings.Fields(c.Data)...)
		}
	}
	return strings.Join(w, " ")
}

func openTag(n *html.Node) string {
	if c := attrOf(n, "class"); c != "" {
		return fmt.Sprintf("<%s class=%q>", n.Data, c)
	}
	return "<" + n.Data + ">"
}

func styleSnippet(n *html.Node, d decl) string {
	return strings.TrimSuffix(openTag(n), ">") + ` style="…` + d.text + `…">`
}

func ruleSnippet(r cssRule, d decl) string {
	s := "<style> " + strings.Join(strings.Fields(r.selectors), " ") + " { " + d.text + " }"
	if r.media != "" {
		s += " in " + strings.Join(strings.Fields(r.media), " ")
	}
	return s
}

func shorten(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n]) + "…"
	}
	return s
}

// featureNames is the sorted names of the features found, once each.
func featureNames(found []finding) []string {
	var names []string
	for _, f := range found {
		names = append(names, f.Feature)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

func describe(found []finding) string {
	var b strings.Builder
	for _, f := range found {
		b.WriteString("\n" + f.String())
	}
	return b.String()
}
