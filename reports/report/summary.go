package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
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
	return strings.ToLower(h.Label[:1]) + h.Label[1:]
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

// Summary is the month in one line, for an inbox: the subject's headline,
// such as "427 leads (+9%), pipeline $1.25M, bookings $312k, follow-up SLA 75.0%".
func (d *Data) Summary() string {
	var parts []string
	if h, ok := d.pick("leads_created"); ok && h.Value.Valid {
		p := d.fmt(h) + " leads"
		if d.MonthToDate != nil {
			p += " so far"
		} else if h.VsPrev != "" {
			p += " (" + h.VsPrev + ")"
		}
		parts = append(parts, p)
	}
	for _, m := range []struct{ metric, words string }{
		{"pipeline_created", "pipeline"}, {"bookings", "bookings"}, {"sla_compliance", "follow-up SLA"},
	} {
		if h, ok := d.pick(m.metric); ok && h.Value.Valid {
			parts = append(parts, m.words+" "+d.fmt(h))
		}
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
// changed most since the previous month.
func (d *Data) movedMost() string {
	prev := vsMonth(d.PrevMonth, d.Month)
	var plan, moved *Headline
	var planGap, moveBy float64
	for i, h := range d.Headlines {
		if a, ok := h.Attainment(); ok && h.Kind != "ratio" && (plan == nil || math.Abs(a-1) > planGap) {
			plan, planGap = &d.Headlines[i], math.Abs(a-1)
		}
		now, then := h.Value, h.Prev
		switch {
		case h.SameDays.Valid:
			then = h.SameDays
		case h.Projected.Valid:
			now = h.Projected
		}
		if now.Valid && then.Valid && then.Float64 != 0 && h.Kind != "ratio" {
			if r := math.Abs(now.Float64/then.Float64 - 1); moved == nil || r > moveBy {
				moved, moveBy = &d.Headlines[i], r
			}
		}
	}
	var parts []string
	if plan != nil {
		a, _ := plan.Attainment()
		verb := "came to"
		if d.MonthToDate != nil {
			verb = "is on course for"
			if strings.HasSuffix(plan.words(), "s") { // leads, bookings
				verb = "are on course for"
			}
		}
		value := plan.Value
		if plan.Projected.Valid {
			value = plan.Projected
		}
		parts = append(parts, fmt.Sprintf("%s %s %s, %s of the %s target", capitalize(plan.words()), verb,
			Format(value, plan.Kind, d.Currency), percent(a), Format(plan.Target, plan.Kind, d.Currency)))
	}
	if moved != nil {
		on := prev
		if moved.SameDays.Valid {
			on = "the same days of " + prev
		}
		if moved != plan {
			parts = append(parts, fmt.Sprintf("%s moved most, %s on %s", moved.words(), upDown(moved.VsPrev), on))
		} else {
			parts[0] += fmt.Sprintf(", and moved most: %s on %s", upDown(moved.VsPrev), on)
		}
	}
	if len(parts) == 0 {
		return ""
	}
	s := strings.Join(parts, "; ")
	if d.MonthToDate != nil {
		s = fmt.Sprintf("%d days into %s, at the run rate: ", d.MonthToDate.Days, MonthName(d.Month)) + lowerFirst(s)
	}
	return s + "."
}

// bothSides is the SLA's two halves: the MQLs marketing delivered and the
// share sales followed up in time, each against its commitment.
func (d *Data) bothSides() string {
	mqls, okM := d.pick("mqls")
	sla, okS := d.pick("sla_compliance")
	var parts []string
	if okM && mqls.Value.Valid {
		p := "Marketing delivered " + d.fmt(mqls) + " MQLs"
		if d.MonthToDate != nil {
			p += " so far"
		}
		if a, ok := mqls.Attainment(); ok {
			p += " (" + percent(a) + " of target)"
		} else if mqls.VsPrev != "" {
			p += " (" + mqls.VsPrev + " on " + vsMonth(d.PrevMonth, d.Month) + ")"
		}
		parts = append(parts, p)
	}
	if okS && sla.Value.Valid {
		p := "sales followed up " + d.fmt(sla) + " of them in time"
		if sla.Target.Valid {
			verdict := "against"
			if sla.Value.Float64 >= sla.Target.Float64 {
				verdict = "meeting"
			} else {
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

// attention is the one thing to look at first: data that left numbers
// out, a missed follow-up commitment, or the headline furthest below plan.
func (d *Data) attention() string {
	if q := d.leftOut(); q != "" {
		return "Needs attention: " + q + " (see Data quality)."
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
	for i, h := range d.Headlines {
		if a, ok := h.Attainment(); ok && a < 0.9 {
			if w, _ := worstAttain(worst); worst == nil || a < w {
				worst = &d.Headlines[i]
			}
		}
	}
	if worst != nil {
		a, _ := worst.Attainment()
		return fmt.Sprintf("Needs attention: %s, at %s of target.", worst.words(), percent(a))
	}
	return "Nothing needs attention: the headline numbers are on plan and the data is complete."
}

func worstAttain(h *Headline) (float64, bool) {
	if h == nil {
		return 0, false
	}
	return h.Attainment()
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
			p += " (≈ " + Short(d.LeftOutAmount, "money", d.Currency) + ")"
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
// 8.850,00, 8 850, $8,850.
func lenientNumber(s string) (float64, bool) {
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
	default:
		s = strings.ReplaceAll(s, ",", "")
		if strings.Count(s, ".") > 1 { // 8.850.000
			s = strings.ReplaceAll(s, ".", "")
		}
	}
	x, err := strconv.ParseFloat(s, 64)
	return x, err == nil && !math.IsInf(x, 0) && !math.IsNaN(x)
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
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func lowerFirst(s string) string {
	if s == "" || (len(s) > 1 && s[1] >= 'A' && s[1] <= 'Z') { // MQLs stays
		return s
	}
	return strings.ToLower(s[:1]) + s[1:]
}
