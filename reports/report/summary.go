package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The words the report uses for metrics in sentences, where the label
// reads badly mid-sentence.
var inSentence = map[string]string{"leads_created": "leads", "mqls": "MQLs", "sqls": "SQLs",
	"opportunities_created": "opportunities", "pipeline_created": "pipeline created", "bookings": "bookings",
	"closed_won": "deals won", "new_customers": "new customers"}

func (h Headline) words() string {
	if w, ok := inSentence[h.Metric]; ok {
		return w
	}
	r, n := utf8.DecodeRuneInString(h.Label)
	if len(h.Label) > n && unicode.IsUpper(rune(h.Label[n])) { // CAC, MQLs stay
		return h.Label
	}
	return string(unicode.ToLower(r)) + h.Label[n:]
}

// pick finds a metric among the report's sections.
func (d *Data) pick(metric string) (Headline, bool) {
	for _, group := range [][]Headline{d.Headlines, d.Marketing, d.Sales, d.Efficiency} {
		for _, h := range group {
			if h.Metric == metric {
				return h, true
			}
		}
	}
	return Headline{}, false
}

// Summary is the month in one line, for an inbox's subject: the numbers
// first, each beside its target where there is one, such as
// "bookings €583k (159% of target), pipeline €1.43M (124%), follow-up 75.0% (target 90.0%), 626 leads".
func (d *Data) Summary() string {
	var parts []string
	for _, m := range []struct{ metric, words string }{{"bookings", "bookings"}, {"pipeline_created", "pipeline"}} {
		h, ok := d.pick(m.metric)
		if !ok || !h.Value.Valid {
			continue
		}
		p := m.words + " " + d.fmt(h)
		if a, ok := h.Attainment(); ok && d.MonthToDate == nil {
			p += " (" + percent(a) + " of target)"
		}
		parts = append(parts, p)
	}
	if h, ok := d.pick("sla_compliance"); ok && h.Value.Valid {
		p := "follow-up " + d.fmt(h)
		if h.Target.Valid {
			p += " (target " + Format(h.Target, h.Kind, "") + ")"
		}
		parts = append(parts, p)
	}
	if h, ok := d.pick("leads_created"); ok && h.Value.Valid {
		parts = append(parts, d.fmt(h)+" leads")
	}
	return strings.Join(parts, ", ")
}

func (d *Data) fmt(h Headline) string { return Format(h.Value, h.Kind, d.Currency) }

// Sentences are the three sentences at the top of the report, each one a
// leader can repeat: what moved most against plan and against last month,
// the SLA on both sides against its commitment, and what needs attention.
func (d *Data) Sentences() []string {
	var out []string
	if s := d.movedMost(); s != "" {
		out = append(out, s)
	}
	if s := d.bothSides(); s != "" {
		out = append(out, s)
	}
	return append(out, d.attention())
}

// movedMost names the headline furthest from its target and the one that
// changed most since the previous month (for a month not yet over, against
// the same days of it).
func (d *Data) movedMost() string {
	var plan, moved *Headline
	var planGap, moveBy float64
	for i, h := range d.Headlines {
		if a, ok := h.Attainment(); ok && h.Kind != "ratio" && h.Note == "" && (plan == nil || math.Abs(a-1) > planGap) {
			plan, planGap = &d.Headlines[i], math.Abs(a-1)
		}
		now, then := h.Value, h.Prev
		switch {
		case h.SameDays.Valid:
			then = h.SameDays
		case h.Projected.Valid:
			now = h.Projected
		}
		if h.Note == "" && h.VsPrev != "" && now.Valid && then.Valid && then.Float64 != 0 && h.Kind != "ratio" {
			if r := math.Abs(now.Float64/then.Float64 - 1); moved == nil || r > moveBy {
				moved, moveBy = &d.Headlines[i], r
			}
		}
	}
	var parts []string
	if plan != nil {
		a, _ := plan.Attainment()
		if plan.Projected.Valid {
			// "bookings are €227k, down 22% on the same days of October, and on course for €484k, 128% of the €378k target"
			p := fmt.Sprintf("%s %s %s", plan.words(), be(plan.words()), d.fmt(*plan))
			if plan.SameDays.Valid && plan.VsPrev != "" {
				p += fmt.Sprintf(", %s on the same days of %s,", upDown(plan.VsPrev), vsMonth(d.PrevMonth, d.Month))
			}
			p += fmt.Sprintf(" and on course for %s, %s of the %s target", Format(plan.Projected, plan.Kind, d.Currency),
				percent(a), Format(plan.Target, plan.Kind, d.Currency))
			parts = append(parts, p)
		} else {
			parts = append(parts, fmt.Sprintf("%s came to %s, %s of the %s target", plan.words(), d.fmt(*plan),
				percent(a), Format(plan.Target, plan.Kind, d.Currency)))
		}
	}
	if moved != nil && !(moved == plan && plan.Projected.Valid && plan.SameDays.Valid) {
		on := moved.PrevLabel
		on = strings.TrimPrefix(strings.TrimPrefix(on, "run rate "), "vs ")
		clause := fmt.Sprintf("%s on %s", upDown(moved.VsPrev), on)
		if moved.PrevLabel != "" && strings.HasPrefix(moved.PrevLabel, "run rate") {
			clause = fmt.Sprintf("%s on %s at its run rate", upDown(moved.VsPrev), on)
		}
		if moved != plan {
			parts = append(parts, fmt.Sprintf("%s moved most, %s", moved.words(), clause))
		} else {
			parts[0] += ", and moved most: " + clause
		}
	}
	if len(parts) == 0 {
		return ""
	}
	s := strings.Join(parts, "; ")
	if p := d.MonthToDate; p != nil {
		when := "On the first day of " + MonthName(d.Month)
		if p.Through != "" {
			when = "Through " + p.Through
		}
		return when + ", " + s + "."
	}
	return capitalize(s) + "."
}

// be is the verb for a metric's words: "leads are", "pipeline created is".
func be(words string) string {
	if strings.HasSuffix(words, "s") {
		return "are"
	}
	return "is"
}

// bothSides is the SLA's two halves: the MQLs marketing delivered and the
// share sales followed up in time, each against its commitment.
func (d *Data) bothSides() string {
	mqls, okM := d.pick("mqls")
	sla, okS := d.pick("sla_compliance")
	var parts []string
	if okM && mqls.Value.Valid {
		p := "Marketing delivered " + d.fmt(mqls) + " MQLs"
		a, hasTarget := mqls.Attainment()
		switch {
		case mqls.Projected.Valid && hasTarget:
			p += " so far, on course for " + Format(mqls.Projected, mqls.Kind, "") + " (" + percent(a) + " of the " + Format(mqls.Target, mqls.Kind, "") + " target)"
		case d.MonthToDate != nil:
			p += " so far"
		case hasTarget:
			p += " (" + percent(a) + " of the " + Format(mqls.Target, mqls.Kind, "") + " target)"
		case mqls.VsPrev != "":
			p += " (" + mqls.VsPrev + " on " + vsMonth(d.PrevMonth, d.Month) + ")"
		}
		parts = append(parts, p)
	}
	if okS && sla.Value.Valid {
		p := "sales followed up " + d.fmt(sla) + " of them in time"
		if sla.Target.Valid {
			verdict := "meeting"
			if sla.Value.Float64 < sla.Target.Float64 {
				verdict = "short of"
			}
			p += ", " + verdict + " the " + Format(sla.Target, sla.Kind, "") + " commitment"
		}
		parts = append(parts, p)
	}
	if len(parts) == 0 {
		return ""
	}
	return capitalize(strings.Join(parts, "; ")) + "."
}

// attention is the one thing to look at first: data problems that change
// the picture (a failing check, or more than a small share left out), then
// a missed follow-up commitment, then the headline furthest below plan. A
// small loss of data is the data line's, not this sentence's.
func (d *Data) attention() string {
	if d.dataMatters() {
		return "Needs attention: " + d.leftOutOrFailing() + " (see Data quality)."
	}
	if sla, ok := d.pick("sla_compliance"); ok && sla.Value.Valid && sla.Target.Valid && sla.Value.Float64 < sla.Target.Float64 {
		s := "Needs attention: the follow-up of MQLs is below its commitment"
		if late, ok := d.pick("sla_breached"); ok && late.Value.Valid && late.Value.Float64 > 0 {
			s = fmt.Sprintf("Needs attention: %s MQLs were followed up late or not at all", d.fmt(late))
		}
		if len(d.Owners) > 0 && d.Owners[0].Compliance != "–" {
			s += fmt.Sprintf("; %s has the lowest follow-up, %s", d.Owners[0].Owner, d.Owners[0].Compliance)
		}
		return s + "."
	}
	var worst *Headline
	var worstA float64
	for i, h := range d.Headlines {
		if a, ok := h.Attainment(); ok && a < 0.9 && h.Note == "" && (worst == nil || a < worstA) {
			worst, worstA = &d.Headlines[i], a
		}
	}
	if worst != nil {
		verb := be(worst.words())
		if worst.Projected.Valid {
			return fmt.Sprintf("Needs attention: %s %s on course for only %s of target.", worst.words(), verb, percent(worstA))
		}
		return fmt.Sprintf("Needs attention: %s %s at %s of target.", worst.words(), verb, percent(worstA))
	}
	if d.Quality() != "" {
		return "Nothing else needs attention: the headline numbers are on plan."
	}
	return "Nothing needs attention: the headline numbers are on plan and the data is complete."
}

// dataMatters says whether the data's problems change the picture: a data
// check of error severity found rows, or a file lost more than 1% of its
// rows.
func (d *Data) dataMatters() bool {
	for _, t := range d.Tests {
		if t.Severity == "error" {
			return true
		}
	}
	for _, f := range d.Files {
		if f.Read > 0 && float64(f.Rejected) > 0.01*float64(f.Read) {
			return true
		}
	}
	return false
}

func (d *Data) leftOutOrFailing() string {
	if q := d.leftOut(); q != "" {
		return q
	}
	return "a data check failed"
}

// nouns are the words for an object's records, one and many.
var nouns = map[string][2]string{"lead": {"lead", "leads"}, "opportunity": {"opportunity", "opportunities"},
	"activity": {"activity", "activities"}, "contact": {"contact", "contacts"}, "account": {"account", "accounts"},
	"campaign": {"campaign", "campaigns"}, "campaign_member": {"campaign response", "campaign responses"},
	"user": {"user", "users"}, "person": {"person", "people"}}

// leftOut says what the rejected rows of the build's files leave out of
// the numbers, in business terms: "1 opportunity (≈ $8,850) and 3 leads
// could not be read and are left out". Empty when nothing was.
func (d *Data) leftOut() string {
	by := map[string]int64{}
	var order []string
	for _, f := range d.Files {
		if f.Rejected == 0 {
			continue
		}
		if by[f.Object] == 0 {
			order = append(order, f.Object)
		}
		by[f.Object] += f.Rejected
	}
	if len(order) == 0 {
		return ""
	}
	var parts []string
	for _, o := range order {
		n := by[o]
		noun, ok := nouns[o]
		if !ok {
			noun = [2]string{o + " record", o + " records"}
		}
		p := strconv.FormatInt(n, 10) + " " + noun[1]
		if n == 1 {
			p = "1 " + noun[0]
		}
		if o == "opportunity" && d.LeftOutAmount > 0 {
			if d.LeftOutUnknown {
				p += " (at least " + Short(d.LeftOutAmount, "money", d.Currency) + ")"
			} else {
				p += " (≈ " + Short(d.LeftOutAmount, "money", d.Currency) + ")"
			}
		}
		parts = append(parts, p)
	}
	list := strings.Join(parts[:len(parts)-1], ", ")
	if list != "" {
		list += " and "
	}
	list += parts[len(parts)-1]
	verb := "could not be read and are left out of the numbers"
	if len(parts) == 1 && by[order[0]] == 1 {
		verb = "could not be read and is left out of the numbers"
	}
	return list + " " + verb
}

// Quality is the data's state in one line near the top: what is left out,
// in business terms, and how many checks warn; "" when all is well.
func (d *Data) Quality() string {
	var parts []string
	if q := d.leftOut(); q != "" {
		parts = append(parts, capitalize(q))
	}
	var errs, warns int
	for _, t := range d.Tests {
		if t.Severity == "error" {
			errs++
		} else {
			warns++
		}
	}
	checks := func(n int, what string) string {
		if n == 1 {
			return "1 data check " + what + "s"
		}
		return strconv.Itoa(n) + " data checks " + what
	}
	if errs > 0 {
		parts = append(parts, checks(errs, "fail"))
	}
	if warns > 0 {
		parts = append(parts, checks(warns, "warn"))
	}
	if len(parts) == 0 {
		return ""
	}
	return strings.Join(parts, "; ") + "."
}

// lenientNumber reads an amount as people write it: 8850, 8,850.00,
// 8.850,00, 8 850, €8.850, (8,850.00) for a negative, 8.85E+03. The text
// is one DuckDB could not read as a number, so a lone dot before three
// digits is a thousands separator (8.850 would have been read).
func lenientNumber(s string) (float64, bool) {
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "(") && strings.HasSuffix(s, ")")
	if x, err := strconv.ParseFloat(strings.Trim(s, "()"), 64); err == nil && !math.IsInf(x, 0) && !math.IsNaN(x) {
		if neg {
			x = -x
		}
		return x, true
	}
	s = strings.Map(func(r rune) rune {
		switch {
		case r >= '0' && r <= '9', r == '.', r == ',', r == '-':
			return r
		}
		return -1
	}, s)
	dot, comma := strings.LastIndexByte(s, '.'), strings.LastIndexByte(s, ',')
	switch {
	case comma > dot && (len(s)-comma-1 != 3 || dot >= 0):
		// the comma is the decimal mark: 8.850,00 or 12,5
		s = strings.ReplaceAll(s[:comma], ".", "") + "." + s[comma+1:]
	case dot > comma && comma < 0 && strings.Count(s, ".") == 1 && len(s)-dot-1 == 3:
		s = strings.ReplaceAll(s, ".", "") // €8.850
	default:
		s = strings.ReplaceAll(s, ",", "")
		if strings.Count(s, ".") > 1 { // 8.850.000
			s = strings.ReplaceAll(s, ".", "")
		}
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(x, 0) || math.IsNaN(x) {
		return 0, false
	}
	if neg {
		x = -x
	}
	return x, true
}

func percent(share float64) string { return strconv.FormatFloat(100*share, 'f', 0, 64) + "%" }

// upDown words a rendered change: "+12%" is "up 12%".
func upDown(change string) string {
	switch {
	case strings.HasPrefix(change, "+"):
		return "up " + change[1:]
	case strings.HasPrefix(change, "-"):
		return "down " + change[1:]
	}
	return "unchanged"
}

func capitalize(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}
