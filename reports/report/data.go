// Package report renders the monthly report leaders open from an e-mail:
// one self-contained HTML file with inline CSS and no script, its charts as
// inline SVG in the file copy and as PNG parts referenced by cid: in the
// e-mailed copy. Every string from a CRM goes through html/template.
package report

import (
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

	Warnings   []string // failed or warning data tests, stale sources: shown at the top
	Headlines  []Headline
	Marketing  []Headline // marketing's side of the SLA: the MQL commitment
	Sales      []Headline // sales' side: follow-up
	Trend      map[string][]float64
	Funnel     []FunnelRow
	Channels   []ChannelRow
	Efficiency []Headline
	Owners     []OwnerRow
	Glossary   []Term
	Files      []FileRow
	Tests      []TestRow
	Runs       []RunRow // the last command runs
}

// RunRow is a recent command run.
type RunRow struct {
	Command, Detail, Outcome, Error string
	Started                         time.Time
	Seconds                         float64
}

// Headline is a metric of the month with its comparisons.
type Headline struct {
	Metric, Label, Kind     string
	Value, Prev, YearAgo    sql.NullFloat64
	Target                  sql.NullFloat64
	LowerIsBetter           bool
	VsPrev, VsYear, Against string // rendered changes, "" when not defined
}

// FunnelRow is a cohort of the funnel.
type FunnelRow struct {
	Cohort                           string
	Leads, MQLs, SQLs, Opps, Won     int64
	MQLRate, SQLRate, OppRate, WinOf string
}

// ChannelRow is a channel's volume in the month.
type ChannelRow struct {
	Channel                      string
	Leads, MQLs, SQLs, Opps, Won string
	Pipeline, Bookings           string
}

// OwnerRow is an owner's follow-up in the month.
type OwnerRow struct {
	Owner                                         string
	MQLs, Met, Breached, Pending, Compliance, Hrs string
}

// Term is a glossary entry.
type Term struct{ Metric, Label, Definition string }

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
	d := &Data{Month: month, Months: months, PrevMonth: months[len(months)-2], YearAgo: months[0], Trend: map[string][]float64{}}
	if err := db.QueryRowContext(ctx, `SELECT p.as_of, p.reporting_tz, coalesce((SELECT max(build_id) FROM meta.builds WHERE outcome = 'ok'), 0)
		FROM intermediate.params p`).Scan(&d.AsOf, &d.Zone, &d.BuildID); err != nil {
		return nil, fmt.Errorf("the warehouse has no marts yet: %w", err)
	}
	// Every KPI of the 13 months.
	type kv struct {
		v    sql.NullFloat64
		kind string
	}
	kpis := map[string]map[string]kv{}
	rows, err := db.QueryContext(ctx, `SELECT month, metric, value, kind FROM marts.kpis WHERE month BETWEEN ? AND ?`, months[0], month)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var m, metric string
		var x kv
		if err := rows.Scan(&m, &metric, &x.v, &x.kind); err != nil {
			rows.Close()
			return nil, err
		}
		if kpis[metric] == nil {
			kpis[metric] = map[string]kv{}
		}
		kpis[metric][m] = x
	}
	rows.Close()
	targets := map[string]sql.NullFloat64{}
	rows, err = db.QueryContext(ctx, `SELECT metric, target::DOUBLE FROM marts.targets WHERE month = ?`, month)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var metric string
		var t sql.NullFloat64
		if err := rows.Scan(&metric, &t); err != nil {
			rows.Close()
			return nil, err
		}
		targets[metric] = t
	}
	rows.Close()

	headline := func(m coxswain.Metric) Headline {
		metric := m.Name
		h := Headline{Metric: metric, Label: m.Label, Kind: m.Kind, LowerIsBetter: m.LowerIsBetter(),
			Value: kpis[metric][month].v, Prev: kpis[metric][d.PrevMonth].v, YearAgo: kpis[metric][d.YearAgo].v, Target: targets[metric]}
		h.VsPrev, h.VsYear = change(h.Value, h.Prev, h.Kind), change(h.Value, h.YearAgo, h.Kind)
		if h.Target.Valid && h.Target.Float64 != 0 && h.Value.Valid {
			h.Against = strconv.FormatFloat(100*h.Value.Float64/h.Target.Float64, 'f', 0, 64) + "% of target"
		}
		return h
	}
	// The sections list their metrics in the catalog (sql/metrics.yaml).
	for section, into := range map[string]*[]Headline{"headlines": &d.Headlines, "marketing": &d.Marketing, "sales": &d.Sales, "efficiency": &d.Efficiency} {
		for _, m := range catalog.Section(section) {
			*into = append(*into, headline(m))
		}
	}
	for _, metric := range catalog.Section("trend") {
		for _, m := range months {
			d.Trend[metric.Name] = append(d.Trend[metric.Name], kpis[metric.Name][m].v.Float64)
		}
	}

	if err := d.loadTables(ctx, db, catalog); err != nil {
		return nil, err
	}
	return d, nil
}

func (d *Data) loadTables(ctx context.Context, db *sql.DB, catalog *coxswain.Catalog) error {
	q := func(query string, args []any, scan func(*sql.Rows) error) error {
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
	err := q(`SELECT cohort_month, leads, mqls, sqls, opportunities, won FROM marts.funnel WHERE cohort_month BETWEEN ? AND ? ORDER BY cohort_month`,
		[]any{d.Months[0], d.Month}, func(r *sql.Rows) error {
			var f FunnelRow
			if err := r.Scan(&f.Cohort, &f.Leads, &f.MQLs, &f.SQLs, &f.Opps, &f.Won); err != nil {
				return err
			}
			f.MQLRate, f.SQLRate, f.OppRate, f.WinOf = pct(f.MQLs, f.Leads), pct(f.SQLs, f.MQLs), pct(f.Opps, f.SQLs), pct(f.Won, f.Opps)
			d.Funnel = append(d.Funnel, f)
			return nil
		})
	if err != nil {
		return err
	}
	byChannel := map[string]*ChannelRow{}
	var order []string
	err = q(`SELECT channel, metric, value, kind FROM marts.kpis_by_channel WHERE month = ? ORDER BY channel, position`,
		[]any{d.Month}, func(r *sql.Rows) error {
			var channel, metric, kind string
			var v sql.NullFloat64
			if err := r.Scan(&channel, &metric, &v, &kind); err != nil {
				return err
			}
			c := byChannel[channel]
			if c == nil {
				c = &ChannelRow{Channel: channel}
				byChannel[channel] = c
				order = append(order, channel)
			}
			s := Format(v, kind)
			switch metric {
			case "leads_created":
				c.Leads = s
			case "mqls":
				c.MQLs = s
			case "sqls":
				c.SQLs = s
			case "opportunities_created":
				c.Opps = s
			case "pipeline_created":
				c.Pipeline = s
			case "closed_won":
				c.Won = s
			case "bookings":
				c.Bookings = s
			}
			return nil
		})
	if err != nil {
		return err
	}
	for _, ch := range order {
		d.Channels = append(d.Channels, *byChannel[ch])
	}
	err = q(`SELECT owner, mqls, sla_met, sla_breached, sla_pending, sla_compliance, first_touch_hours_median
		FROM marts.sla_by_owner WHERE month = ? ORDER BY sla_compliance NULLS LAST, owner`, []any{d.Month}, func(r *sql.Rows) error {
		var o OwnerRow
		var mqls, met, breached, pending, compliance, hrs sql.NullFloat64
		if err := r.Scan(&o.Owner, &mqls, &met, &breached, &pending, &compliance, &hrs); err != nil {
			return err
		}
		o.MQLs, o.Met, o.Breached, o.Pending = Format(mqls, "count"), Format(met, "count"), Format(breached, "count"), Format(pending, "count")
		o.Compliance, o.Hrs = Format(compliance, "ratio"), Format(hrs, "hours")
		d.Owners = append(d.Owners, o)
		return nil
	})
	if err != nil {
		return err
	}
	// The definitions as the build wrote them; the labels from the catalog,
	// so that marts written by an older release (without labels) still read.
	err = q(`SELECT metric, definition FROM marts.metric_definitions ORDER BY position`, nil, func(r *sql.Rows) error {
		var t Term
		if err := r.Scan(&t.Metric, &t.Definition); err != nil {
			return err
		}
		m, _ := catalog.Metric(t.Metric)
		t.Label = m.Label
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
		err = q(`SELECT source, rule FROM marts.mql_rules ORDER BY source`, nil, func(r *sql.Rows) error {
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
	err = q(`SELECT source, object, file, rows_read, rows_loaded, rows_rejected, coalesce(first_error, '') FROM marts.export_files ORDER BY rows_rejected DESC, source, object, file`,
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
	err = q(`SELECT command, coalesce(detail, ''), outcome, coalesce(error, ''), started_at, epoch(finished_at) - epoch(started_at)
		FROM meta.runs
		-- the runs up to the build the marts came from, so that the report
		-- of one build is the same however often it is written
		WHERE started_at <= (SELECT max(finished_at) FROM meta.builds WHERE build_id = ?)
		ORDER BY run_id DESC LIMIT 5`, []any{d.BuildID}, func(r *sql.Rows) error {
		var run RunRow
		if err := r.Scan(&run.Command, &run.Detail, &run.Outcome, &run.Error, &run.Started, &run.Seconds); err != nil {
			return err
		}
		if i := strings.IndexByte(run.Error, '\n'); i >= 0 {
			run.Error = run.Error[:i] + " ..."
		}
		d.Runs = append(d.Runs, run)
		return nil
	})
	if err != nil {
		return err
	}
	return q(`SELECT test, severity, description, failures FROM meta.test_results
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
	r := 100 * (now.Float64 - then.Float64) / math.Abs(then.Float64)
	return fmt.Sprintf("%+.0f%%", r)
}

func pct(n, of int64) string {
	if of == 0 {
		return ""
	}
	return strconv.FormatFloat(100*float64(n)/float64(of), 'f', 0, 64) + "%"
}

// Format writes a value for people: thousands separated, ratios as
// percentages; empty when undefined.
func Format(v sql.NullFloat64, kind string) string {
	if !v.Valid {
		return "–"
	}
	switch kind {
	case "ratio":
		return strconv.FormatFloat(100*v.Float64, 'f', 1, 64) + "%"
	case "multiple":
		return strconv.FormatFloat(v.Float64, 'f', 1, 64) + "×"
	case "money":
		return group(strconv.FormatFloat(v.Float64, 'f', 0, 64))
	case "count":
		return group(strconv.FormatFloat(v.Float64, 'f', 0, 64))
	}
	return strconv.FormatFloat(v.Float64, 'f', 1, 64)
}

// group puts thousands separators into an integer string.
func group(s string) string {
	neg := len(s) > 0 && s[0] == '-'
	if neg {
		s = s[1:]
	}
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	if neg {
		return "-" + string(out)
	}
	return string(out)
}

// Summary is the month in one line, for an inbox: the subject and the
// preview text that clients show before the message is opened, such as
// "427 leads (+9%), pipeline created 1,247,200, bookings 312,000, follow-up SLA 75.0%".
func (d *Data) Summary() string {
	pick := map[string]Headline{}
	for _, group := range [][]Headline{d.Headlines, d.Sales} {
		for _, h := range group {
			pick[h.Metric] = h
		}
	}
	var parts []string
	if h, ok := pick["leads_created"]; ok && h.Value.Valid {
		p := Format(h.Value, h.Kind) + " leads"
		if h.VsPrev != "" {
			p += " (" + h.VsPrev + ")"
		}
		parts = append(parts, p)
	}
	for _, m := range []struct{ metric, words string }{
		{"pipeline_created", "pipeline created"}, {"bookings", "bookings"}, {"sla_compliance", "follow-up SLA"},
	} {
		if h, ok := pick[m.metric]; ok && h.Value.Valid {
			parts = append(parts, m.words+" "+Format(h.Value, h.Kind))
		}
	}
	return strings.Join(parts, ", ")
}
