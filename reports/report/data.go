// Package report renders the monthly report leaders open from an e-mail:
// one self-contained HTML file with inline CSS and no script, its charts as
// inline SVG in the file copy and as PNG parts referenced by cid: in the
// e-mailed copy. Every string from a CRM goes through html/template.
package report

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"coxswain"
	"coxswain/pipelines/warehouse"
)

// Data is everything the report shows, read from the marts of one build.
type Data struct {
	Month, PrevMonth, YearAgo string
	Months                    []string // the 13 months, oldest first
	AsOf                      time.Time
	Zone                      string
	BuildID                   int64
	Currency                  string    // ISO 4217 code of the amounts; "" when not configured
	MonthToDate               *Progress // set when the month is not over at the as-of

	Warnings  []string // failed or warning data tests, stale sources: shown at the top
	Headlines []Headline
	Marketing []Headline // marketing's side of the SLA: the MQL commitment
	Sales     []Headline // sales' side: follow-up
	// Trend holds each trend metric's 13 monthly values, oldest first,
	// NaN where undefined; TrendTarget the targets of those months, NaN
	// where the plan has none.
	Trend       map[string][]float64
	TrendTarget map[string][]float64
	Funnel      []FunnelRow
	Channels    []ChannelRow
	Efficiency  []Headline
	Owners      []OwnerRow
	Glossary    []Term
	Files       []FileRow
	Tests       []TestRow
	// ChannelTotal sums the channels (the cost per lead is the total
	// spend over the total leads).
	ChannelTotal *ChannelRow
	// LeftOutAmount is the amount of the opportunities left out because
	// their amount could not be read, as far as it can be made out.
	LeftOutAmount float64
	// LeftOutUnknown says some left-out opportunity's amount is unknown:
	// LeftOutAmount is then a lower bound.
	LeftOutUnknown bool
}

// Progress is how far a month not yet over had come at the as-of.
type Progress struct {
	Days, DaysIn int     // whole days elapsed at the as-of, days in the month
	Share        float64 // of the month's time elapsed, 0 to 1
	Through      string  // the last whole day, "14 November"; "" on the first day
}

// minRunRateShare is how much of a month must have passed before its
// run rate is projected: on the first days one MQL would project to
// hundreds.
const minRunRateShare = 0.1

// Headline is a metric of the month with its comparisons.
type Headline struct {
	Metric, Label, Kind string
	Good                string // up, down or neutral: which direction is good news
	ToDate              string // the catalog's month_to_date: run_rate, as_is or when_over
	// Final is when a metric that looks past its month's end (MQLs
	// untouched for 30 days) has its final value, in the reporting zone;
	// zero for others.
	Final                time.Time
	Value, Prev, YearAgo sql.NullFloat64
	Target               sql.NullFloat64
	// Projected is the run-rate forecast of a month not yet over: the
	// value so far over the share of the month elapsed (counts and money).
	Projected sql.NullFloat64
	// SameDays is the previous month up to the same point, for a month
	// not yet over (the metrics that add up over days).
	SameDays       sql.NullFloat64
	VsPrev, VsYear string // rendered changes, "" when not defined
	// PrevLabel and YearLabel say what VsPrev and VsYear compare with:
	// "vs September", "vs the same days of September", "run rate vs
	// October 2025".
	PrevLabel, YearLabel string
	// Note replaces the comparisons when there are none yet: "compared
	// when the month is over", "final on 14 December".
	Note string
}

// Attainment is the value as a share of the target (of the projection,
// for a month not yet over); false when there is no target.
func (h Headline) Attainment() (float64, bool) {
	v := h.Value
	if h.Projected.Valid {
		v = h.Projected
	}
	if !v.Valid || !h.Target.Valid || h.Target.Float64 == 0 {
		return 0, false
	}
	return v.Float64 / h.Target.Float64, true
}

// FunnelRow is a cohort of the funnel.
type FunnelRow struct {
	Cohort                           string
	Leads, MQLs, SQLs, Opps, Won     int64
	MQLRate, SQLRate, OppRate, WinOf string
}

// ChannelRow is a channel's volume in the month, formatted.
type ChannelRow struct {
	Channel                         string
	Leads, MQLs, Pipeline, Bookings string
	Spend, CostPerLead              string
}

// OwnerRow is an owner's follow-up in the month.
type OwnerRow struct {
	Owner                                         string
	MQLs, Met, Breached, Pending, Compliance, Hrs string
}

// Term is a glossary entry: the label, the plain words, and the
// contract's definition.
type Term struct{ Metric, Label, Explain, Definition string }

// FileRow is an export file that fed the build.
type FileRow struct {
	Source, Object, File, FirstError string
	Read, Loaded, Rejected           int64
}

// TestRow is a data test that found rows at the build.
type TestRow struct {
	Name, Severity, Description string
	Failures                    int64
}

// Load reads the report's data for month from the marts.
func Load(ctx context.Context, db *sql.DB, month string, months []string) (*Data, error) {
	catalog, err := coxswain.LoadCatalog(coxswain.SQL)
	if err != nil {
		return nil, err
	}
	d := &Data{Month: month, Months: months, PrevMonth: months[len(months)-2], YearAgo: months[0],
		Trend: map[string][]float64{}, TrendTarget: map[string][]float64{}}
	if err := db.QueryRowContext(ctx, `SELECT p.as_of, p.reporting_tz, coalesce((SELECT max(build_id) FROM meta.builds WHERE outcome = 'ok'), 0)
		FROM intermediate.params p`).Scan(&d.AsOf, &d.Zone, &d.BuildID); err != nil {
		return nil, fmt.Errorf("the warehouse has no marts yet: %w", err)
	}
	// The currency and the SLA's commitment (marts of a release before
	// them have neither).
	var slaTarget sql.NullFloat64
	hasCurrency, err := warehouse.HasColumn(ctx, db, "intermediate", "params", "currency")
	if err != nil {
		return nil, err
	}
	if hasCurrency {
		var currency sql.NullString
		if err := db.QueryRowContext(ctx, `SELECT currency, sla_target FROM intermediate.params`).Scan(&currency, &slaTarget); err != nil {
			return nil, err
		}
		d.Currency = currency.String
	}
	if d.MonthToDate, err = progress(month, d.AsOf, d.Zone); err != nil {
		return nil, err
	}

	// Every KPI and target of the 13 months.
	type kv struct {
		v    sql.NullFloat64
		kind string
	}
	kpis := map[string]map[string]kv{}
	err = each(ctx, db, `SELECT month, metric, value, kind FROM marts.kpis WHERE month BETWEEN ? AND ?`, []any{months[0], month}, func(r *sql.Rows) error {
		var m, metric string
		var x kv
		if err := r.Scan(&m, &metric, &x.v, &x.kind); err != nil {
			return err
		}
		if kpis[metric] == nil {
			kpis[metric] = map[string]kv{}
		}
		kpis[metric][m] = x
		return nil
	})
	if err != nil {
		return nil, err
	}
	targets := map[string]map[string]sql.NullFloat64{}
	err = each(ctx, db, `SELECT month, metric, target::DOUBLE FROM marts.targets WHERE month BETWEEN ? AND ?`, []any{months[0], month}, func(r *sql.Rows) error {
		var m, metric string
		var t sql.NullFloat64
		if err := r.Scan(&m, &metric, &t); err != nil {
			return err
		}
		if targets[metric] == nil {
			targets[metric] = map[string]sql.NullFloat64{}
		}
		targets[metric][m] = t
		return nil
	})
	if err != nil {
		return nil, err
	}
	// The SLA's commitment is the target of every month the plan gives none.
	if slaTarget.Valid {
		if targets["sla_compliance"] == nil {
			targets["sla_compliance"] = map[string]sql.NullFloat64{}
		}
		for _, m := range months {
			if !targets["sla_compliance"][m].Valid {
				targets["sla_compliance"][m] = slaTarget
			}
		}
	}

	// The same days of the previous month, for a month not yet over
	// (marts of a release before them have none).
	sameDays := map[string]sql.NullFloat64{}
	if d.MonthToDate != nil {
		has, err := warehouse.HasTable(ctx, db, "marts", "kpis_same_days")
		if err != nil {
			return nil, err
		}
		if has {
			err := each(ctx, db, `SELECT metric, value FROM marts.kpis_same_days WHERE month = ?`, []any{month}, func(r *sql.Rows) error {
				var metric string
				var v sql.NullFloat64
				if err := r.Scan(&metric, &v); err != nil {
					return err
				}
				sameDays[metric] = v
				return nil
			})
			if err != nil {
				return nil, err
			}
		}
	}

	loc, err := time.LoadLocation(d.Zone)
	if err != nil {
		return nil, err
	}
	monthStart, err := time.ParseInLocation("2006-01", month, loc)
	if err != nil {
		return nil, err
	}
	monthEnd := monthStart.AddDate(0, 1, 0)
	headline := func(m coxswain.Metric) Headline {
		metric := m.Name
		h := Headline{Metric: metric, Label: m.Label, Kind: m.Kind, Good: m.Good, ToDate: m.MonthToDate,
			Value: kpis[metric][month].v, Prev: kpis[metric][d.PrevMonth].v, YearAgo: kpis[metric][d.YearAgo].v, Target: targets[metric][month]}
		if m.MaturesDays > 0 {
			h.Final = monthEnd.AddDate(0, 0, m.MaturesDays)
		}
		d.compare(&h, sameDays[metric])
		return h
	}
	// The sections list their metrics in the catalog (sql/metrics.yaml).
	for section, into := range map[string]*[]Headline{"headlines": &d.Headlines, "marketing": &d.Marketing, "sales": &d.Sales, "efficiency": &d.Efficiency} {
		for _, m := range catalog.Section(section) {
			*into = append(*into, headline(m))
		}
	}
	// Thirteen months of every metric, for the trends and the cards'
	// sparklines; a month not yet over at its run rate, as the cards
	// compare it (its value so far would draw a collapse).
	for _, metric := range catalog.Metrics {
		for _, m := range months {
			v, t := math.NaN(), math.NaN()
			if x := kpis[metric.Name][m].v; x.Valid {
				v = x.Float64
				if m == month && d.projects(metric.MonthToDate) {
					v /= d.MonthToDate.Share
				}
			}
			if x := targets[metric.Name][m]; x.Valid {
				t = x.Float64
			}
			d.Trend[metric.Name] = append(d.Trend[metric.Name], v)
			d.TrendTarget[metric.Name] = append(d.TrendTarget[metric.Name], t)
		}
	}

	if err := d.loadTables(ctx, db, catalog); err != nil {
		return nil, err
	}
	return d, nil
}

// projects says whether a metric of the month is shown at its run rate:
// one that adds up over days, in a month not yet over, once enough of it
// has passed.
func (d *Data) projects(toDate string) bool {
	return d.MonthToDate != nil && toDate == "run_rate" && d.MonthToDate.Share >= minRunRateShare
}

// compare sets a headline's changes and what they compare with: the
// previous month and the same month a year before. A month not yet over
// compares what adds up over days by its run rate, and with the same days
// of the month before where sameDays is known; rates and plans as they
// are; and the rest (cohort rates, costs per unit) not until it is over.
// A value not yet final is not compared.
func (d *Data) compare(h *Headline, sameDays sql.NullFloat64) {
	prev, year := vsMonth(d.PrevMonth, d.Month), vsMonth(d.YearAgo, d.Month)
	h.VsPrev, h.VsYear = change(h.Value, h.Prev, h.Kind), change(h.Value, h.YearAgo, h.Kind)
	h.PrevLabel, h.YearLabel, h.Note = "vs "+prev, "vs "+year, ""
	h.Projected, h.SameDays = sql.NullFloat64{}, sql.NullFloat64{}
	if !h.Final.IsZero() && d.AsOf.Before(h.Final) {
		h.Note = "final on " + h.Final.Format("2 January") // Final is in the reporting zone
		return
	}
	if d.MonthToDate == nil || !h.Value.Valid {
		return
	}
	switch h.ToDate {
	case "as_is":
		return
	case "when_over":
		h.Note = "compared when the month is over"
		return
	}
	if sameDays.Valid {
		h.SameDays = sameDays
		h.VsPrev, h.PrevLabel = change(h.Value, sameDays, h.Kind), "vs the same days of "+prev
	}
	if !d.projects(h.ToDate) {
		if !sameDays.Valid {
			h.Note = "too early in the month to compare"
		}
		h.VsYear, h.YearLabel = "", ""
		return
	}
	// Its value so far would read as a collapse against a whole month.
	h.Projected = sql.NullFloat64{Float64: h.Value.Float64 / d.MonthToDate.Share, Valid: true}
	h.VsYear, h.YearLabel = change(h.Projected, h.YearAgo, h.Kind), "run rate vs "+year
	if !sameDays.Valid {
		h.VsPrev, h.PrevLabel = change(h.Projected, h.Prev, h.Kind), "run rate vs "+prev
	}
}

// each runs a query and calls scan on every row it returns.
func each(ctx context.Context, db *sql.DB, query string, args []any, scan func(*sql.Rows) error) error {
	rows, err := db.QueryContext(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// progress says how far month had come at asOf in zone; nil when the
// month is over (or not begun).
func progress(month string, asOf time.Time, zone string) (*Progress, error) {
	loc, err := time.LoadLocation(zone)
	if err != nil {
		return nil, err
	}
	t, err := time.ParseInLocation("2006-01", month, loc)
	if err != nil {
		return nil, err
	}
	end := t.AddDate(0, 1, 0)
	if !asOf.After(t) || !asOf.Before(end) {
		return nil, nil
	}
	p := &Progress{DaysIn: end.AddDate(0, 0, -1).Day(), Share: asOf.Sub(t).Seconds() / end.Sub(t).Seconds()}
	// Whole days by the calendar of the zone (a DST change makes one day
	// 23 or 25 hours).
	for p.Days < p.DaysIn && !t.AddDate(0, 0, p.Days+1).After(asOf) {
		p.Days++
	}
	if p.Days > 0 {
		p.Through = t.AddDate(0, 0, p.Days-1).Format("2 January")
	}
	return p, nil
}

func (d *Data) loadTables(ctx context.Context, db *sql.DB, catalog *coxswain.Catalog) error {
	err := each(ctx, db, `SELECT cohort_month, leads, mqls, sqls, opportunities, won FROM marts.funnel WHERE cohort_month BETWEEN ? AND ? ORDER BY cohort_month`,
		[]any{d.Months[0], d.Month}, func(r *sql.Rows) error {
			var f FunnelRow
			if err := r.Scan(&f.Cohort, &f.Leads, &f.MQLs, &f.SQLs, &f.Opps, &f.Won); err != nil {
				return err
			}
			if t, err := time.Parse("2006-01", f.Cohort); err == nil {
				f.Cohort = t.Format("Jan 2006")
			}
			f.MQLRate, f.SQLRate, f.OppRate, f.WinOf = pct(f.MQLs, f.Leads), pct(f.SQLs, f.MQLs), pct(f.Opps, f.SQLs), pct(f.Won, f.Opps)
			d.Funnel = append(d.Funnel, f)
			return nil
		})
	if err != nil {
		return err
	}
	if err := d.loadChannels(ctx, db); err != nil {
		return err
	}
	err = each(ctx, db, `SELECT owner, mqls, sla_met, sla_breached, sla_pending, sla_compliance, first_touch_hours_median
		FROM marts.sla_by_owner WHERE month = ? ORDER BY sla_compliance NULLS LAST, owner`, []any{d.Month}, func(r *sql.Rows) error {
		var o OwnerRow
		var mqls, met, breached, pending, compliance, hrs sql.NullFloat64
		if err := r.Scan(&o.Owner, &mqls, &met, &breached, &pending, &compliance, &hrs); err != nil {
			return err
		}
		o.MQLs, o.Met, o.Breached, o.Pending = Format(mqls, "count", ""), Format(met, "count", ""), Format(breached, "count", ""), Format(pending, "count", "")
		o.Compliance, o.Hrs = Format(compliance, "ratio", ""), Format(hrs, "hours", "")
		d.Owners = append(d.Owners, o)
		return nil
	})
	if err != nil {
		return err
	}
	// The definitions as the build wrote them; the labels from the catalog,
	// so that marts written by an older release (without labels) still read.
	err = each(ctx, db, `SELECT metric, definition FROM marts.metric_definitions ORDER BY position`, nil, func(r *sql.Rows) error {
		var t Term
		if err := r.Scan(&t.Metric, &t.Definition); err != nil {
			return err
		}
		m, _ := catalog.Metric(t.Metric)
		t.Label, t.Explain = m.Label, m.Explain
		d.Glossary = append(d.Glossary, t)
		return nil
	})
	if err != nil {
		return err
	}
	// Where the MQL date comes from, source by source, after the mqls
	// definition (marts of a release before mql_rules have no such table).
	var rules []string
	hasRules, err := warehouse.HasTable(ctx, db, "marts", "mql_rules")
	if err != nil {
		return err
	}
	if hasRules {
		err = each(ctx, db, `SELECT source, rule FROM marts.mql_rules ORDER BY source`, nil, func(r *sql.Rows) error {
			var source, rule string
			if err := r.Scan(&source, &rule); err != nil {
				return err
			}
			rules = append(rules, source+": "+rule)
			return nil
		})
		if err != nil {
			return err
		}
	}
	if len(rules) > 0 {
		for i, t := range d.Glossary {
			if t.Metric == "mqls" {
				rule := Term{Metric: "mql_at", Label: "Where the MQL date comes from",
					Definition: strings.Join(rules, "; ") + ". A person known to several sources takes the earliest."}
				d.Glossary = slices.Insert(d.Glossary, i+1, rule)
				break
			}
		}
	}
	err = each(ctx, db, `SELECT source, object, file, rows_read, rows_loaded, rows_rejected, coalesce(first_error, '') FROM marts.export_files ORDER BY rows_rejected DESC, source, object, file`,
		nil, func(r *sql.Rows) error {
			var f FileRow
			if err := r.Scan(&f.Source, &f.Object, &f.File, &f.Read, &f.Loaded, &f.Rejected, &f.FirstError); err != nil {
				return err
			}
			d.Files = append(d.Files, f)
			if f.Rejected > 0 {
				d.Warnings = append(d.Warnings, fmt.Sprintf("%s/%s: %s could not be read and left out (first: %s)", f.Source, f.File, rows(f.Rejected), f.FirstError))
			}
			return nil
		})
	if err != nil {
		return err
	}
	// What the rejected opportunities were worth, where the amount is
	// what could not be read ("8.850,00"): the report states the impact.
	// Each rejected line counts once; one whose amount is unknown makes
	// the sum a lower bound.
	hasFileID, err := warehouse.HasColumn(ctx, db, "marts", "export_files", "file_id")
	if err != nil {
		return err
	}
	if hasFileID {
		err = each(ctx, db, `SELECT max(r.value) FILTER (WHERE lower(r.column_name) LIKE '%amount%' OR lower(r.column_name) LIKE '%value%')
			FROM meta.rejects r
			WHERE r.object = 'opportunity' AND r.line IS NOT NULL AND r.file_id IN (SELECT file_id FROM marts.export_files)
			GROUP BY r.file_id, r.line`, nil, func(r *sql.Rows) error {
			var v sql.NullString
			if err := r.Scan(&v); err != nil {
				return err
			}
			if x, ok := lenientNumber(v.String); ok && v.Valid {
				d.LeftOutAmount += x
			} else {
				d.LeftOutUnknown = true
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return each(ctx, db, `SELECT test, severity, description, failures FROM meta.test_results
		WHERE build_id = (SELECT max(build_id) FROM meta.test_results) AND failures > 0 ORDER BY severity, test`, nil, func(r *sql.Rows) error {
		var t TestRow
		if err := r.Scan(&t.Name, &t.Severity, &t.Description, &t.Failures); err != nil {
			return err
		}
		d.Tests = append(d.Tests, t)
		d.Warnings = append(d.Warnings, fmt.Sprintf("data test %s (%s): %s: %s", t.Name, t.Severity, rows(t.Failures), t.Description))
		return nil
	})
}

// change renders the change from then to now: a relative change for
// counts and money, a difference in points for ratios; "" when undefined.
func change(now, then sql.NullFloat64, kind string) string {
	if !now.Valid || !then.Valid {
		return ""
	}
	if kind == "ratio" {
		return fmt.Sprintf("%+.1f pts", 100*(now.Float64-then.Float64))
	}
	if then.Float64 == 0 {
		return ""
	}
	if then.Float64 > 0 && now.Float64 >= 10*then.Float64 {
		// "+1687%" is noise; ten times and more reads as a multiple
		return fmt.Sprintf("+%.0f×", now.Float64/then.Float64)
	}
	r := 100 * (now.Float64 - then.Float64) / math.Abs(then.Float64)
	return fmt.Sprintf("%+.0f%%", r)
}

func pct(n, of int64) string {
	if of == 0 {
		return ""
	}
	return strconv.FormatFloat(100*float64(n)/float64(of), 'f', 0, 64) + "%"
}

// NoChannel is how the report names the leads and deals with no channel.
const NoChannel = "No channel recorded"

// loadChannels reads the month's channels, largest pipeline first and the
// unattributed last, with a total row.
func (d *Data) loadChannels(ctx context.Context, db *sql.DB) error {
	type channel struct {
		name string
		v    map[string]sql.NullFloat64
	}
	byName := map[string]*channel{}
	var all []*channel
	err := each(ctx, db, `SELECT channel, metric, value FROM marts.kpis_by_channel WHERE month = ?`, []any{d.Month}, func(r *sql.Rows) error {
		var name, metric string
		var v sql.NullFloat64
		if err := r.Scan(&name, &metric, &v); err != nil {
			return err
		}
		c := byName[name]
		if c == nil {
			c = &channel{name: name, v: map[string]sql.NullFloat64{}}
			byName[name] = c
			all = append(all, c)
		}
		c.v[metric] = v
		return nil
	})
	if err != nil {
		return err
	}
	none := func(c *channel) bool { return c.name == "(none)" || c.name == "" }
	slices.SortFunc(all, func(a, b *channel) int {
		if none(a) != none(b) {
			if none(a) {
				return 1
			}
			return -1
		}
		if c := cmp.Compare(b.v["pipeline_created"].Float64, a.v["pipeline_created"].Float64); c != 0 {
			return c
		}
		if c := cmp.Compare(b.v["leads_created"].Float64, a.v["leads_created"].Float64); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	total := map[string]sql.NullFloat64{}
	for _, c := range all {
		for _, m := range []string{"leads_created", "mqls", "pipeline_created", "bookings", "marketing_spend"} {
			if v := c.v[m]; v.Valid {
				total[m] = sql.NullFloat64{Float64: total[m].Float64 + v.Float64, Valid: true}
			}
		}
	}
	if l := total["leads_created"]; l.Valid && l.Float64 > 0 && total["marketing_spend"].Valid {
		total["cost_per_lead"] = sql.NullFloat64{Float64: total["marketing_spend"].Float64 / l.Float64, Valid: true}
	}
	row := func(name string, v map[string]sql.NullFloat64) ChannelRow {
		f := func(metric, kind string) string { return Format(v[metric], kind, d.Currency) }
		return ChannelRow{Channel: name, Leads: f("leads_created", "count"), MQLs: f("mqls", "count"),
			Pipeline: f("pipeline_created", "money"), Bookings: f("bookings", "money"),
			Spend: f("marketing_spend", "money"), CostPerLead: f("cost_per_lead", "money")}
	}
	for _, c := range all {
		name := c.name
		if none(c) {
			name = NoChannel
		}
		d.Channels = append(d.Channels, row(name, c.v))
	}
	if len(all) > 0 {
		t := row("Total", total)
		d.ChannelTotal = &t
	}
	return nil
}
