// Package pack writes the monthly metrics pack of the contract (section 5):
// CSV files finance loads into spreadsheets and a warehouse, a report, and a
// manifest with every file's size, rows and SHA-256. It only reads the marts
// the build made, so writing a pack twice from one build gives the same bytes.
package pack

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/jszwec/csvutil"

	"coxswain"
	"coxswain/pipelines/warehouse"
	"coxswain/reports/report"
	"coxswain/reports/workbook"
)

// Options say which pack to write.
type Options struct {
	Month   string     // YYYY-MM
	OutDir  string     // the pack goes to OutDir/Month
	AsOf    *time.Time // if set, must be the as-of of the build the marts come from
	Version string
}

// Manifest describes a pack: its files, the build it came from, and the
// export files that fed that build.
type Manifest struct {
	Tool              string       `json:"tool"`
	Version           string       `json:"version"`
	Month             string       `json:"month"`
	Months            []string     `json:"months"`
	AsOf              time.Time    `json:"as_of"`
	BuildID           int64        `json:"build_id"`
	ReportingTimezone string       `json:"reporting_timezone"`
	Files             []FileEntry  `json:"files"`
	Exports           []ExportFile `json:"exports"`
}

// FileEntry is a file of the pack.
type FileEntry struct {
	Name   string `json:"name"`
	Bytes  int64  `json:"bytes"`
	Rows   *int   `json:"rows,omitempty"` // data rows of a CSV file, header excluded
	SHA256 string `json:"sha256"`
}

// ExportFile is an export file that fed the build.
type ExportFile struct {
	Source string `json:"source"`
	Drop   string `json:"drop"`
	File   string `json:"file"`
	SHA256 string `json:"sha256"`
}

var monthRe = regexp.MustCompile(`^\d{4}-(0[1-9]|1[0-2])$`)

// Months is the report month and the 12 before it, oldest first.
func Months(month string) ([]string, error) {
	if !monthRe.MatchString(month) {
		return nil, fmt.Errorf("--month %q must be YYYY-MM (2026-10)", month)
	}
	t, _ := time.Parse("2006-01", month)
	out := make([]string, 13)
	for i := 0; i < 13; i++ {
		out[i] = t.AddDate(0, i-12, 0).Format("2006-01")
	}
	return out, nil
}

// Write writes the pack of opt.Month into opt.OutDir/<month>, atomically: the
// files are written into a temporary folder that is renamed into place, so a
// pack that fails half-way leaves no partial folder (and an older pack of the
// same month stays until the new one is complete).
func Write(ctx context.Context, db *sql.DB, opt Options) (string, *Manifest, error) {
	months, err := Months(opt.Month)
	if err != nil {
		return "", nil, err
	}
	m := &Manifest{Tool: "coxswain", Version: opt.Version, Month: opt.Month, Months: months}
	if err := db.QueryRowContext(ctx, `SELECT p.as_of, p.reporting_tz, (SELECT max(build_id) FROM meta.builds WHERE outcome = 'ok')
		FROM intermediate.params p`).Scan(&m.AsOf, &m.ReportingTimezone, &m.BuildID); err != nil {
		return "", nil, fmt.Errorf("the warehouse has no marts yet (run coxswain build first): %w", err)
	}
	m.AsOf = m.AsOf.UTC()
	if opt.AsOf != nil && !opt.AsOf.Equal(m.AsOf) {
		return "", nil, fmt.Errorf("the marts were built as of %s, not %s: run coxswain build --as-of %s first, then report",
			m.AsOf.Format(time.RFC3339), opt.AsOf.UTC().Format(time.RFC3339), opt.AsOf.UTC().Format(time.RFC3339))
	}
	var first, last string
	if err := db.QueryRowContext(ctx, `SELECT min(month), max(month) FROM intermediate.months`).Scan(&first, &last); err != nil {
		return "", nil, err
	}
	if months[0] < first || months[12] > last {
		return "", nil, fmt.Errorf("the warehouse has the months %s to %s (as of %s); a pack for %s needs %s to %s",
			first, last, m.AsOf.Format(time.RFC3339), opt.Month, months[0], months[12])
	}

	files := []struct {
		name  string
		write func(context.Context, *sql.DB, []string) ([]byte, int, error)
	}{
		{"kpis.csv", writeKPIs},
		{"kpis_by_channel.csv", writeKPIsByChannel},
		{"sla_by_owner.csv", writeSLAByOwner},
		{"funnel.csv", writeFunnel},
		{"targets.csv", writeTargets},
		{"data_quality.csv", writeDataQuality},
		{"data_checks.csv", writeDataChecks},
		{"definitions.csv", writeDefinitions},
	}
	contents := map[string][]byte{}
	var sheets []workbook.File
	for _, f := range files {
		data, rows, err := f.write(ctx, db, months)
		if err != nil {
			return "", nil, fmt.Errorf("%s: %w", f.name, err)
		}
		contents[f.name] = data
		sheets = append(sheets, workbook.File{Name: f.name, CSV: data})
		m.Files = append(m.Files, entry(f.name, data, &rows))
	}
	data, err := report.Load(ctx, db, opt.Month, months)
	if err != nil {
		return "", nil, fmt.Errorf("report.html: %w", err)
	}
	// The same values as one workbook, typed, for finance to open.
	xlsx, err := workbook.Build(sheets, workbook.About{Month: opt.Month, Months: months, AsOf: m.AsOf, Zone: m.ReportingTimezone,
		BuildID: m.BuildID, Version: opt.Version, Currency: data.Currency, ToDate: toDate(data.MonthToDate, opt.Month),
		Explanations: explanations(data.Glossary)})
	if err != nil {
		return "", nil, fmt.Errorf("pack.xlsx: %w", err)
	}
	contents["pack.xlsx"] = xlsx
	m.Files = append(m.Files, entry("pack.xlsx", xlsx, nil))
	html, _, err := report.Render(data, report.FileCopy)
	if err != nil {
		return "", nil, fmt.Errorf("report.html: %w", err)
	}
	contents["report.html"] = html
	m.Files = append(m.Files, entry("report.html", html, nil))
	if m.Exports, err = exports(ctx, db); err != nil {
		return "", nil, err
	}
	manifest, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return "", nil, err
	}
	contents["manifest.json"] = append(manifest, '\n')

	dir := filepath.Join(opt.OutDir, opt.Month)
	return dir, m, writeAtomically(dir, contents)
}

// explanations are the glossary's plain words by metric.
func explanations(glossary []report.Term) map[string]string {
	out := map[string]string{}
	for _, t := range glossary {
		if t.Explain != "" {
			out[t.Metric] = t.Explain
		}
	}
	return out
}

// toDate words how far a month not yet over had come: "through 14
// November"; "" for a month that is over.
func toDate(p *report.Progress, month string) string {
	switch {
	case p == nil:
		return ""
	case p.Through == "":
		return "on its first day, " + report.MonthName(month)
	}
	return "through " + p.Through
}

func entry(name string, data []byte, rows *int) FileEntry {
	sum := sha256.Sum256(data)
	return FileEntry{Name: name, Bytes: int64(len(data)), Rows: rows, SHA256: hex.EncodeToString(sum[:])}
}

// packScratch is the prefix of the folders a month's pack is written in.
func packScratch(month string) string { return "." + month + ".tmp-" }

var scratchMonth = regexp.MustCompile(`^\.(\d{4}-\d{2})\.tmp-`)

// SweepPacks removes the half-written packs of killed reports in dir, the
// packs folder, of every month.
func SweepPacks(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var removed []string
	seen := map[string]bool{}
	for _, e := range entries {
		m := scratchMonth.FindStringSubmatch(e.Name())
		if m == nil || seen[m[1]] {
			continue
		}
		seen[m[1]] = true
		r, err := coxswain.SweepScratch(dir, packScratch(m[1]))
		removed = append(removed, r...)
		if err != nil {
			return removed, err
		}
	}
	return removed, nil
}

// writeAtomically writes the files into a temporary folder beside dir, syncs
// them, and renames the folder into place.
func writeAtomically(dir string, contents map[string][]byte) error {
	parent := filepath.Dir(dir)
	if err := os.MkdirAll(parent, coxswain.DirMode); err != nil {
		return err
	}
	// A killed report's half-written pack goes (only a dead process's).
	if _, err := coxswain.SweepScratch(parent, packScratch(filepath.Base(dir))); err != nil {
		return err
	}
	tmp, err := coxswain.MkdirScratch(parent, packScratch(filepath.Base(dir)))
	if err != nil {
		return err
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(tmp)
		}
	}()
	for name, data := range contents {
		if err := writeSynced(filepath.Join(tmp, name), data); err != nil {
			return err
		}
	}
	if err := os.Chmod(tmp, coxswain.DirMode); err != nil {
		return err
	}
	var old string
	if _, err := os.Stat(dir); err == nil {
		// Named apart from the scratch folders, so that a sweep never takes
		// the previous pack while it is the only copy (a kill between the
		// two renames).
		old = filepath.Join(parent, "."+filepath.Base(dir)+".old-"+strconv.Itoa(os.Getpid()))
		os.RemoveAll(old)
		if err := os.Rename(dir, old); err != nil {
			return err
		}
	}
	if err := os.Rename(tmp, dir); err != nil {
		if old != "" {
			os.Rename(old, dir)
		}
		return err
	}
	done = true
	// The previous pack, and any a killed report left set aside: the new
	// one is in place.
	olds, _ := filepath.Glob(filepath.Join(parent, "."+filepath.Base(dir)+".old-*"))
	for _, o := range olds {
		if err := os.RemoveAll(o); err != nil {
			return err
		}
	}
	return nil
}

func writeSynced(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, coxswain.FileMode)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// encode writes rows as RFC 4180 CSV with \n line ends and the header from
// the struct tags.
func encode[T any](rows []T) ([]byte, int, error) {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	enc := csvutil.NewEncoder(w)
	if len(rows) == 0 {
		var zero T
		if err := enc.EncodeHeader(zero); err != nil {
			return nil, 0, err
		}
	}
	for _, r := range rows {
		if err := enc.Encode(r); err != nil {
			return nil, 0, err
		}
	}
	w.Flush()
	return buf.Bytes(), len(rows), w.Error()
}

// Number formats of the contract: integers plain, money and hours (and
// days) with 2 decimals, ratios and multiples as fractions with 4
// decimals, empty for undefined. The marts have already rounded each value half away from zero.
func formatValue(v sql.NullFloat64, kind string) string {
	if !v.Valid {
		return ""
	}
	switch kind {
	case "count":
		if v.Float64 == float64(int64(v.Float64)) {
			return strconv.FormatInt(int64(v.Float64), 10)
		}
		return strconv.FormatFloat(v.Float64, 'f', 2, 64)
	case "ratio", "multiple":
		return strconv.FormatFloat(v.Float64, 'f', 4, 64)
	}
	return strconv.FormatFloat(v.Float64, 'f', 2, 64)
}

// Text guards a cell of a text column: one that begins with = + - @, a tab
// or a carriage return gets a leading apostrophe, so that a spreadsheet
// shows it rather than running it as a formula.
func Text(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func monthArgs(months []string) []any { return []any{months[0], months[len(months)-1]} }

// collect runs a query and encodes one CSV row per result row, as scan
// makes it.
func collect[T any](ctx context.Context, db *sql.DB, q string, args []any, scan func(*sql.Rows) (T, error)) ([]byte, int, error) {
	rows, err := db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		r, err := scan(rows)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	return encode(out)
}

type kpiRow struct {
	Month  string `csv:"month"`
	Metric string `csv:"metric"`
	Value  string `csv:"value"`
}

func writeKPIs(ctx context.Context, db *sql.DB, months []string) ([]byte, int, error) {
	return collect(ctx, db, `SELECT month, metric, value, kind FROM marts.kpis
		WHERE month BETWEEN ? AND ? ORDER BY month, position`, monthArgs(months), func(rows *sql.Rows) (kpiRow, error) {
		var r kpiRow
		var v sql.NullFloat64
		var kind string
		err := rows.Scan(&r.Month, &r.Metric, &v, &kind)
		r.Value = formatValue(v, kind)
		return r, err
	})
}

type channelRow struct {
	Month   string `csv:"month"`
	Channel string `csv:"channel"`
	Metric  string `csv:"metric"`
	Value   string `csv:"value"`
}

func writeKPIsByChannel(ctx context.Context, db *sql.DB, months []string) ([]byte, int, error) {
	return collect(ctx, db, `SELECT month, channel, metric, value, kind FROM marts.kpis_by_channel
		WHERE month BETWEEN ? AND ? ORDER BY month, channel, position`, monthArgs(months), func(rows *sql.Rows) (channelRow, error) {
		var r channelRow
		var v sql.NullFloat64
		var kind string
		err := rows.Scan(&r.Month, &r.Channel, &r.Metric, &v, &kind)
		r.Channel, r.Value = Text(r.Channel), formatValue(v, kind)
		return r, err
	})
}

type ownerRow struct {
	Month      string `csv:"month"`
	Owner      string `csv:"owner"`
	MQLs       string `csv:"mqls"`
	Met        string `csv:"sla_met"`
	Breached   string `csv:"sla_breached"`
	Pending    string `csv:"sla_pending"`
	Compliance string `csv:"sla_compliance"`
	Hours      string `csv:"first_touch_hours_median"`
}

func writeSLAByOwner(ctx context.Context, db *sql.DB, months []string) ([]byte, int, error) {
	return collect(ctx, db, `SELECT month, owner, mqls, sla_met, sla_breached, sla_pending, sla_compliance, first_touch_hours_median
		FROM marts.sla_by_owner WHERE month BETWEEN ? AND ? ORDER BY month, owner`, monthArgs(months), func(rows *sql.Rows) (ownerRow, error) {
		var r ownerRow
		var mqls, met, breached, pending, compliance, hours sql.NullFloat64
		err := rows.Scan(&r.Month, &r.Owner, &mqls, &met, &breached, &pending, &compliance, &hours)
		r.Owner = Text(r.Owner)
		r.MQLs, r.Met, r.Breached, r.Pending = formatValue(mqls, "count"), formatValue(met, "count"), formatValue(breached, "count"), formatValue(pending, "count")
		r.Compliance, r.Hours = formatValue(compliance, "ratio"), formatValue(hours, "hours")
		return r, err
	})
}

type funnelRow struct {
	CohortMonth   string `csv:"cohort_month"`
	Leads         int64  `csv:"leads"`
	MQLs          int64  `csv:"mqls"`
	SQLs          int64  `csv:"sqls"`
	Opportunities int64  `csv:"opportunities"`
	Won           int64  `csv:"won"`
}

func writeFunnel(ctx context.Context, db *sql.DB, months []string) ([]byte, int, error) {
	return collect(ctx, db, `SELECT cohort_month, leads, mqls, sqls, opportunities, won FROM marts.funnel
		WHERE cohort_month BETWEEN ? AND ? ORDER BY cohort_month`, monthArgs(months), func(rows *sql.Rows) (funnelRow, error) {
		var r funnelRow
		err := rows.Scan(&r.CohortMonth, &r.Leads, &r.MQLs, &r.SQLs, &r.Opportunities, &r.Won)
		return r, err
	})
}

type targetRow struct {
	Month      string `csv:"month"`
	Metric     string `csv:"metric"`
	Target     string `csv:"target"`
	Actual     string `csv:"actual"`
	Attainment string `csv:"attainment"`
	Projected  string `csv:"projected"`
}

func writeTargets(ctx context.Context, db *sql.DB, months []string) ([]byte, int, error) {
	// A target for a metric the contract does not know is written as money.
	return collect(ctx, db, `SELECT month, metric, target::DOUBLE, actual, attainment, projected, coalesce(kind, 'money')
		FROM marts.targets WHERE month BETWEEN ? AND ?`, monthArgs(months), func(rows *sql.Rows) (targetRow, error) {
		var r targetRow
		var target, actual, attainment, projected sql.NullFloat64
		var kind string
		err := rows.Scan(&r.Month, &r.Metric, &target, &actual, &attainment, &projected, &kind)
		r.Metric = Text(r.Metric)
		r.Target, r.Actual, r.Attainment, r.Projected = formatValue(target, kind), formatValue(actual, kind), formatValue(attainment, "ratio"), formatValue(projected, kind)
		return r, err
	})
}

type definitionRow struct {
	Metric     string `csv:"metric"`
	Label      string `csv:"label"`
	Unit       string `csv:"unit"`
	Definition string `csv:"definition"`
}

// writeDefinitions writes the metric catalog for the pack's readers: each
// metric's label, its unit (the catalog's kind: count, money, hours, days,
// ratio as a fraction, multiple) and the contract's definition, in the
// catalog's order.
func writeDefinitions(ctx context.Context, db *sql.DB, _ []string) ([]byte, int, error) {
	// A warehouse built by an older release has no labels in its marts
	// (its pack is written before the next build): the metric names then.
	label := "metric"
	var has bool
	if err := db.QueryRowContext(ctx, `SELECT count(*) > 0 FROM duckdb_columns()
		WHERE schema_name = 'marts' AND table_name = 'metric_definitions' AND column_name = 'label'`).Scan(&has); err != nil {
		return nil, 0, err
	}
	if has {
		label = "coalesce(label, metric)"
	}
	return collect(ctx, db, `SELECT metric, `+label+`, kind, coalesce(definition, '')
		FROM marts.metric_definitions ORDER BY position`, nil, func(rows *sql.Rows) (definitionRow, error) {
		var r definitionRow
		err := rows.Scan(&r.Metric, &r.Label, &r.Unit, &r.Definition)
		r.Metric, r.Label, r.Definition = Text(r.Metric), Text(r.Label), Text(r.Definition)
		return r, err
	})
}

type qualityRow struct {
	Source     string `csv:"source"`
	Object     string `csv:"object"`
	File       string `csv:"file"`
	RowsRead   int64  `csv:"rows_read"`
	RowsLoaded int64  `csv:"rows_loaded"`
	Rejected   int64  `csv:"rows_rejected"`
	FirstError string `csv:"first_error"`
}

func writeDataQuality(ctx context.Context, db *sql.DB, _ []string) ([]byte, int, error) {
	return collect(ctx, db, `SELECT source, object, file, rows_read, rows_loaded, rows_rejected, coalesce(first_error, '')
		FROM marts.export_files ORDER BY source, object, file`, nil, func(rows *sql.Rows) (qualityRow, error) {
		var r qualityRow
		err := rows.Scan(&r.Source, &r.Object, &r.File, &r.RowsRead, &r.RowsLoaded, &r.Rejected, &r.FirstError)
		r.Source, r.Object, r.File, r.FirstError = Text(r.Source), Text(r.Object), Text(r.File), Text(r.FirstError)
		return r, err
	})
}

type checkRow struct {
	Check    string `csv:"check"`
	Source   string `csv:"source"`
	Object   string `csv:"object"`
	Records  int64  `csv:"records"`
	Examples string `csv:"examples"`
}

// writeDataChecks lists what the build's checks and data tests found: the
// checks of marts.data_checks, the snapshots held (held_snapshot, with the
// drop as example), then each data test of the latest build that found
// rows, as test:<name> with its first rows as examples.
func writeDataChecks(ctx context.Context, db *sql.DB, _ []string) ([]byte, int, error) {
	// A warehouse of an earlier release has its marts until the next build.
	checks := `SELECT NULL AS "check", NULL AS source, NULL AS object, NULL::BIGINT AS records, NULL AS examples WHERE false`
	if ok, err := warehouse.HasTable(ctx, db, "marts", "data_checks"); err != nil {
		return nil, 0, err
	} else if ok {
		checks = `SELECT "check", source, object, records, examples FROM marts.data_checks`
	}
	// Snapshots held and not loaded since: records = the records they would delete.
	held := `SELECT NULL AS source, NULL AS object, NULL::BIGINT AS missing, NULL AS drop_name WHERE false`
	if ok, err := warehouse.HasTable(ctx, db, "meta", "held_drops"); err != nil {
		return nil, 0, err
	} else if ok {
		held = `SELECT source, object, missing, drop_name FROM meta.held_drops`
	}
	return collect(ctx, db, `SELECT "check", source, object, records, coalesce(examples, '') FROM (
			SELECT *, 0 AS part FROM (`+checks+`)
			UNION ALL
			SELECT 'held_snapshot', source, object, missing, drop_name, 0 FROM (`+held+`)
			UNION ALL
			SELECT 'test:' || test, '', '', failures, coalesce(replace(sample, chr(10), ';'), ''), 1
			FROM meta.test_results
			WHERE failures > 0 AND build_id = (SELECT max(build_id) FROM meta.test_results))
		ORDER BY part, "check", source, object`, nil, func(rows *sql.Rows) (checkRow, error) {
		var r checkRow
		err := rows.Scan(&r.Check, &r.Source, &r.Object, &r.Records, &r.Examples)
		r.Check, r.Source, r.Object, r.Examples = Text(r.Check), Text(r.Source), Text(r.Object), Text(r.Examples)
		return r, err
	})
}

func exports(ctx context.Context, db *sql.DB) ([]ExportFile, error) {
	rows, err := db.QueryContext(ctx, `SELECT source, drop_name, file_name, sha256 FROM marts.export_files ORDER BY source, drop_name, file_name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []ExportFile{}
	for rows.Next() {
		var e ExportFile
		if err := rows.Scan(&e.Source, &e.Drop, &e.File, &e.SHA256); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// Problem is a difference between a pack and its manifest.
type Problem struct{ File, Msg string }

func (p Problem) String() string { return p.File + ": " + p.Msg }

// Verify checks a pack folder against its manifest: every file listed is
// there with its size, SHA-256 and row count, and no other file is.
func Verify(dir string) ([]Problem, error) {
	data, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, fmt.Errorf("read the manifest: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("manifest.json is not a manifest: %w", err)
	}
	var problems []Problem
	listed := map[string]bool{"manifest.json": true}
	for _, f := range m.Files {
		listed[f.Name] = true
		content, err := os.ReadFile(filepath.Join(dir, f.Name))
		if err != nil {
			problems = append(problems, Problem{f.Name, "missing"})
			continue
		}
		got := entry(f.Name, content, nil)
		if got.Bytes != f.Bytes {
			problems = append(problems, Problem{f.Name, fmt.Sprintf("%d bytes, the manifest says %d", got.Bytes, f.Bytes)})
		}
		if got.SHA256 != f.SHA256 {
			problems = append(problems, Problem{f.Name, "SHA-256 differs from the manifest's: the file was changed"})
		}
		if f.Rows != nil {
			records, err := csv.NewReader(bytes.NewReader(content)).ReadAll()
			switch {
			case err != nil:
				problems = append(problems, Problem{f.Name, "not valid CSV: " + err.Error()})
			case len(records)-1 != *f.Rows:
				problems = append(problems, Problem{f.Name, fmt.Sprintf("%d rows, the manifest says %d", len(records)-1, *f.Rows)})
			}
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		if !listed[e.Name()] {
			problems = append(problems, Problem{e.Name(), "not in the manifest"})
		}
	}
	return problems, nil
}
