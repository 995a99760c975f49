// Package models runs the SQL models of sql/models and the data tests of
// sql/tests over the staged warehouse. A model is one .sql file holding one
// SELECT; it is materialised as a table named after the file, in the schema
// named after its folder (intermediate, marts). A model reveals its
// dependencies by the tables it reads (intermediate.x, marts.y), and models
// run in dependency order, each written beside the table in place; one
// transaction at the end of a build puts them all in place (next.go), so
// the marts a pack reads are always from one consistent build.
package models

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"sort"
	"strings"
	"time"

	"coxswain"
	"coxswain/pipelines/presets"
	"coxswain/pipelines/warehouse"
)

// Layers are the model folders, in the order their schemas are created.
var Layers = []string{"intermediate", "marts"}

// Model is one SQL model.
type Model struct {
	Layer, Name string
	SQL         string
	Deps        []string     // "layer.name" of the models it reads
	Incremental *Incremental // nil: rebuilt whole at every build
}

// ID is the model's qualified name.
func (m Model) ID() string { return m.Layer + "." + m.Name }

// external are the tables models read that the runner writes from Go.
var external = map[string]bool{"intermediate.params": true, "intermediate.source_params": true, "intermediate.metric_catalog": true}

var refRe = regexp.MustCompile(`(?i)\b(intermediate|marts)\.([a-z_][a-z0-9_]*)\b`)

// Load reads the models from the embedded sql/models folder and orders them
// so that each comes after the models it reads.
func Load(fsys fs.FS) ([]Model, error) {
	byID := map[string]Model{}
	for _, layer := range Layers {
		entries, err := fs.ReadDir(fsys, "sql/models/"+layer)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if !strings.HasSuffix(e.Name(), ".sql") || strings.HasSuffix(e.Name(), changesSuffix) {
				continue
			}
			data, err := fs.ReadFile(fsys, path.Join("sql/models", layer, e.Name()))
			if err != nil {
				return nil, err
			}
			m := Model{Layer: layer, Name: strings.TrimSuffix(e.Name(), ".sql"), SQL: strings.TrimRight(strings.TrimSpace(string(data)), ";")}
			if strings.HasSuffix(m.Name, nextSuffix) {
				return nil, fmt.Errorf("sql/models/%s/%s: a model's name cannot end in %s, which names the tables a build writes before putting them in place", layer, e.Name(), nextSuffix)
			}
			if m.Incremental, err = readIncremental(fsys, path.Join("sql/models", layer), m); err != nil {
				return nil, err
			}
			seen := map[string]bool{}
			refs := code(m.SQL)
			if m.Incremental != nil {
				refs += "\n" + code(m.Incremental.Changes)
				for _, c := range m.Incremental.Compares {
					refs += " " + c
				}
			}
			for _, ref := range refRe.FindAllStringSubmatch(refs, -1) {
				id := strings.ToLower(ref[1] + "." + ref[2])
				if id != m.ID() && !seen[id] && !external[id] {
					m.Deps = append(m.Deps, id)
					seen[id] = true
				}
			}
			byID[m.ID()] = m
		}
	}
	for _, m := range byID {
		if m.Incremental == nil {
			continue
		}
		for _, c := range m.Incremental.Compares {
			if d, ok := byID[c]; ok && d.Incremental != nil {
				// An incremental model changes in place: its previous rows
				// would be gone when the changes compare them.
				return nil, fmt.Errorf("sql/models/%s/%s.sql compares %s, which is incremental too: an incremental model can compare only models rebuilt whole", m.Layer, m.Name, c)
			}
		}
	}
	var order []Model
	state := map[string]int{} // 1 visiting, 2 done
	var visit func(id string, chain []string) error
	visit = func(id string, chain []string) error {
		m, ok := byID[id]
		if !ok {
			return fmt.Errorf("model %s reads %s, which is not a model (sql/models/%s.sql)", chain[len(chain)-1], id, strings.Replace(id, ".", "/", 1))
		}
		switch state[id] {
		case 1:
			return fmt.Errorf("models depend on each other in a cycle: %s", strings.Join(append(chain, id), " -> "))
		case 2:
			return nil
		}
		state[id] = 1
		deps := append([]string(nil), m.Deps...)
		sort.Strings(deps)
		for _, d := range deps {
			if err := visit(d, append(chain, id)); err != nil {
				return err
			}
		}
		state[id] = 2
		order = append(order, m)
		return nil
	}
	ids := make([]string, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if err := visit(id, nil); err != nil {
			return nil, err
		}
	}
	return order, nil
}

// Params are the configuration values the models read from intermediate.params.
type Params struct {
	ReportingTZ        string
	AsOf               time.Time
	Currency           string   // ISO 4217 code of the amounts, "" when not configured
	SLATarget          *float64 // the committed share of MQLs followed up in time
	FollowUpHours      float64
	UntouchedDays      int
	InfluenceDays      int
	TouchTypes         []string // activity types that count as marketing touches
	CloseDateSlackDays int
	BusinessHours      bool
	WorkdayStart       int // hour of day, reporting zone
	WorkdayEnd         int
	Workdays           []int // ISO day of week, 1 = Monday
	Holidays           []string
	Sources            []SourceParams
}

// SourceParams are a source's freshness thresholds, its role, and how its
// persons' mql_at is derived from its activities.
type SourceParams struct {
	Name              string
	WarnAfter, FailAt time.Duration
	Role              string // crm or marketing
	MQL               coxswain.MQLRule
	Changes           presets.Changes
	MQLRule           string // where its mql_at comes from, in words, for the glossary
	CRM               string // the CRM source whose ids its records carry; "": any
	Snapshot          bool   // each drop is a full export of the source
}

// ParamsFrom takes the models' parameters from the configuration.
func ParamsFrom(cfg *coxswain.Config, asOf time.Time) Params {
	p := Params{
		ReportingTZ:        cfg.Timezone,
		AsOf:               asOf,
		Currency:           cfg.Currency,
		SLATarget:          cfg.SLA.TargetShare,
		FollowUpHours:      cfg.SLA.FollowUpHours,
		UntouchedDays:      30,
		InfluenceDays:      cfg.Influence.WindowDays,
		TouchTypes:         cfg.Influence.TouchTypes,
		CloseDateSlackDays: *cfg.Tests.CloseDateSlackDays,
		BusinessHours:      cfg.SLA.BusinessHours.Enabled,
		WorkdayStart:       cfg.SLA.BusinessHours.Start,
		WorkdayEnd:         cfg.SLA.BusinessHours.End,
		Workdays:           cfg.SLA.BusinessHours.Days,
		Holidays:           cfg.SLA.BusinessHours.Holidays,
	}
	for _, s := range cfg.Sources {
		warn, fail := s.Freshness()
		sp := SourceParams{Name: s.Name, WarnAfter: warn, FailAt: fail, Role: presets.CRM, MQL: s.MQL, CRM: s.CRM}
		if m, err := presets.Resolve(s, ""); err == nil { // the configuration was checked when it was loaded
			sp.Role, sp.Changes, sp.MQLRule, sp.Snapshot = m.Role, m.Preset.Changes, mqlRule(m, s.MQL), m.Snapshot
		}
		p.Sources = append(p.Sources, sp)
	}
	return p
}

// mqlRule says in words where a source's mql_at comes from.
func mqlRule(m *presets.Mapping, rule coxswain.MQLRule) string {
	var parts []string
	for _, obj := range []coxswain.Object{coxswain.Lead, coxswain.Person} {
		for _, c := range m.Objects[obj].Columns {
			if c.Field.Name == "mql_at" && len(c.Names) > 0 {
				parts = append(parts, fmt.Sprintf("the %s's %q", obj, c.Names[0]))
			}
		}
	}
	if len(rule.Status) > 0 {
		parts = append(parts, "the first change of its status to "+strings.Join(rule.Status, " or "))
	}
	if rule.Score > 0 {
		parts = append(parts, fmt.Sprintf("the first time its score reached %g", rule.Score))
	}
	if len(parts) == 0 {
		return ""
	}
	return strings.Join(parts, ", or ")
}

// writeParams (re)creates intermediate.params, the one row every model can
// join to read the configuration, with bind parameters, and
// intermediate.source_params; under their next names (next.go).
func writeParams(ctx context.Context, conn *sql.Conn, p Params) error {
	if _, err := conn.ExecContext(ctx, `CREATE OR REPLACE TABLE intermediate.params__next (
		reporting_tz VARCHAR, as_of TIMESTAMPTZ, follow_up_hours DOUBLE, untouched_days INTEGER,
		influence_days INTEGER, touch_types VARCHAR[], close_date_slack_days INTEGER,
		business_hours BOOLEAN, workday_start INTEGER, workday_end INTEGER, workdays INTEGER[], holidays DATE[],
		currency VARCHAR, sla_target DOUBLE)`); err != nil {
		return err
	}
	_, err := conn.ExecContext(ctx, `INSERT INTO intermediate.params__next (reporting_tz, as_of, follow_up_hours, untouched_days, influence_days, touch_types,
		close_date_slack_days, business_hours, workday_start, workday_end, workdays, holidays, currency, sla_target)
		VALUES (?, ?, ?, ?, ?, ?::VARCHAR[], ?, ?, ?, ?, ?::INTEGER[], ?::DATE[], nullif(?, ''), ?)`,
		p.ReportingTZ, p.AsOf, p.FollowUpHours, p.UntouchedDays, p.InfluenceDays, listLiteral(p.TouchTypes), p.CloseDateSlackDays,
		p.BusinessHours, p.WorkdayStart, p.WorkdayEnd, intListLiteral(p.Workdays), listLiteral(p.Holidays), p.Currency, p.SLATarget)
	if err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, `CREATE OR REPLACE TABLE intermediate.source_params__next (source VARCHAR, warn_after_hours DOUBLE, error_after_hours DOUBLE,
		role VARCHAR, mql_status VARCHAR[], mql_score DOUBLE,
		status_type VARCHAR, status_detail VARCHAR[], status_value VARCHAR, score_type VARCHAR, score_value VARCHAR,
		merge_type VARCHAR, merge_value VARCHAR, mql_rule VARCHAR, crm_source VARCHAR, snapshot BOOLEAN)`); err != nil {
		return err
	}
	for _, s := range p.Sources {
		var fail, score any
		if s.FailAt > 0 {
			fail = s.FailAt.Hours()
		}
		if s.MQL.Score > 0 {
			score = s.MQL.Score
		}
		status := make([]string, len(s.MQL.Status))
		for i, v := range s.MQL.Status {
			status[i] = strings.ToLower(strings.TrimSpace(v))
		}
		detail := make([]string, len(s.Changes.Status.Detail))
		for i, v := range s.Changes.Status.Detail {
			detail[i] = strings.ToLower(strings.TrimSpace(v))
		}
		if _, err := conn.ExecContext(ctx, `INSERT INTO intermediate.source_params__next (source, warn_after_hours, error_after_hours,
			role, mql_status, mql_score, status_type, status_detail, status_value, score_type, score_value, merge_type, merge_value, mql_rule, crm_source, snapshot)
			VALUES (?, ?, ?, ?, ?::VARCHAR[], ?, ?, ?::VARCHAR[], ?, ?, ?, ?, ?, ?, ?, ?)`,
			s.Name, s.WarnAfter.Hours(), fail, s.Role, listLiteral(status), score,
			s.Changes.Status.Type, listLiteral(detail), s.Changes.Status.Value, s.Changes.Score.Type, s.Changes.Score.Value,
			s.Changes.Merge.Type, s.Changes.Merge.Value, warehouse.NullIfEmpty(s.MQLRule), warehouse.NullIfEmpty(s.CRM), s.Snapshot); err != nil {
			return err
		}
	}
	return nil
}

// writeCatalog (re)creates intermediate.metric_catalog from the metric
// catalog (sql/metrics.yaml): the seed marts.metric_definitions reads, so
// that the SQL and the Go side share one description of each metric. Under
// its next name, as the models.
func writeCatalog(ctx context.Context, conn *sql.Conn, c *coxswain.Catalog) error {
	if _, err := conn.ExecContext(ctx, `CREATE OR REPLACE TABLE intermediate.metric_catalog__next (
		position INTEGER, metric VARCHAR, kind VARCHAR, definition VARCHAR, label VARCHAR, good VARCHAR, by_channel BOOLEAN)`); err != nil {
		return err
	}
	for i, m := range c.Metrics {
		if _, err := conn.ExecContext(ctx, `INSERT INTO intermediate.metric_catalog__next (position, metric, kind, definition, label, good, by_channel)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, i+1, m.Name, m.Kind, m.Definition, m.Label, m.Good, m.ByChannel); err != nil {
			return err
		}
	}
	return nil
}

// listLiteral renders strings as a DuckDB list literal, passed as one bind
// parameter and cast, since lists do not bind directly.
func listLiteral(xs []string) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = "'" + strings.ReplaceAll(x, "'", "''") + "'"
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func intListLiteral(xs []int) string {
	q := make([]string, len(xs))
	for i, x := range xs {
		q[i] = fmt.Sprint(x)
	}
	return "[" + strings.Join(q, ", ") + "]"
}
