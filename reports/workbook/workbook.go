// Package workbook builds pack.xlsx, the monthly pack's CSV files as one
// Excel workbook for the people in finance who open it with a double click.
//
// The CSV files stay the contract (docs/metrics.md, section 5); the workbook
// is a convenience copy with the same values, typed: numbers are number
// cells with a format taken from the metric's unit, months are dates, an
// undefined value is an empty cell and text is never a formula. Build gives
// the same bytes for the same input, so that a pack written twice from one
// build is byte-identical.
package workbook

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
)

// File is a CSV file of the pack, in the pack's order.
type File struct {
	Name string // as in the pack, e.g. "kpis.csv"
	CSV  []byte
}

// About says where the pack came from; the About sheet shows it.
type About struct {
	Month    string    // the report month, YYYY-MM
	Months   []string  // the months of the pack, oldest first, YYYY-MM
	AsOf     time.Time // the build's as-of
	Zone     string    // the reporting time zone (IANA)
	BuildID  int64
	Version  string // coxswain's version
	Currency string // ISO 4217 code from the config, e.g. "USD"; "" shows money as plain numbers
	// Explanations are the metrics' plain words (the catalog's explain),
	// added to the Definitions sheet beside the contract's definitions.
	Explanations map[string]string
	// ToDate, when the report month is not over at the as-of, says how
	// far it had come ("through 14 November"): its column is marked as a
	// month to date, so that a half month is never read as a whole one.
	ToDate string
}

// CellError is a CSV cell that does not hold what its column needs.
type CellError struct {
	File   string
	Line   int // 1-based, as a text editor counts
	Column string
	Value  string
	Want   string // e.g. "a number", "a month (YYYY-MM)"
}

// Error says where the cell is, what it holds and what it should.
func (e *CellError) Error() string {
	return fmt.Sprintf("%s: line %d, column %s: %q is not %s", e.File, e.Line, e.Column, e.Value, e.Want)
}

// Sheet names the workbook adds to the CSV files' sheets. Excel compares
// sheet names without case, so the wide KPI sheet cannot be "KPIs" beside
// kpis.csv's "kpis".
const (
	KPISheet         = "KPIs by month"
	DefinitionsSheet = "Definitions"
	AboutSheet       = "About"
)

// The units of the metric catalog (definitions.csv's unit column), and
// "month" for a column of months.
const (
	unitCount    = "count"
	unitMoney    = "money"
	unitHours    = "hours"
	unitDays     = "days"
	unitRatio    = "ratio"
	unitMultiple = "multiple"
	unitMonth    = "month"
	unitNumber   = "number" // a number of no known unit
	unitText     = ""
	byMetric     = "metric" // the unit of the row's metric
)

// columnUnit is the unit of a column of the pack's CSV files, by its
// header; a column not named here is text.
func columnUnit(column string) string {
	switch column {
	case "month", "cohort_month":
		return unitMonth
	case "value", "target", "actual", "projected":
		return byMetric
	case "attainment", "sla_compliance":
		return unitRatio
	case "first_touch_hours_median":
		return unitHours
	case "mqls", "sla_met", "sla_breached", "sla_pending",
		"leads", "sqls", "opportunities", "won",
		"rows_read", "rows_loaded", "rows_rejected", "records":
		return unitCount
	}
	return unitText
}

// Number formats. Excel shows the grouping and decimal marks of the
// reader's locale whatever the format says.
const (
	fmtCount    = "#,##0"
	fmtDecimal  = "#,##0.00"
	fmtRatio    = "0.0%"
	fmtMultiple = `0.00"×"`
	fmtDuration = "0.00"
	fmtMonth    = "yyyy-mm"
	fmtInstant  = "yyyy-mm-dd hh:mm:ss"
	fmtID       = "0"
)

var currencyRe = regexp.MustCompile(`^[A-Z]{3}$`)

// moneyFormat is the number format of money in currency: the symbol before
// the amount for the currencies that have a symbol of their own, the code
// after it for the others, and no decimals where the currency has no minor
// unit in practice.
func moneyFormat(currency string) (string, error) {
	switch currency {
	case "":
		return fmtDecimal, nil
	case "USD":
		return `"$"#,##0.00`, nil
	case "EUR":
		return `"€"#,##0.00`, nil
	case "GBP":
		return `"£"#,##0.00`, nil
	case "JPY":
		return `"¥"#,##0`, nil
	case "KRW":
		return `"₩"#,##0`, nil
	case "ISK", "CLP", "VND", "HUF":
		return `#,##0 "` + currency + `"`, nil
	}
	if !currencyRe.MatchString(currency) {
		return "", fmt.Errorf("currency %q is not an ISO 4217 code (USD, EUR)", currency)
	}
	return `#,##0.00 "` + currency + `"`, nil
}

// excelEpoch is day 0 of Excel's 1900 date system, as it counts days from
// March 1900 on (it takes 1900 for a leap year).
var excelEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

// serial is t as an Excel date-time number. Excel's dates have no zone: t
// is shown as the wall time of its own location.
func serial(t time.Time) float64 {
	wall := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	return wall.Sub(excelEpoch).Seconds() / 86400
}

var (
	monthRe  = regexp.MustCompile(`^\d{4}-(0[1-9]|1[0-2])$`)
	numberRe = regexp.MustCompile(`^-?\d+(\.\d+)?$`) // the CSV files' numbers: no exponent, no NaN
)

// maxCell is the most characters (UTF-16 units) Excel holds in a cell.
const maxCell = 32767

// cutMark ends a text cut to fit a cell, so that nobody takes it for the whole.
const cutMark = " … [cut: a cell holds 32,767 characters; the CSV file has the full text]"

// fit cuts s to maxCell UTF-16 units, with cutMark at the end.
func fit(s string) string {
	if utf16Len(s) <= maxCell {
		return s
	}
	room := maxCell - utf16Len(cutMark)
	n := 0
	for i, r := range s {
		if n+utf16.RuneLen(r) > room {
			return s[:i] + cutMark
		}
		n += utf16.RuneLen(r)
	}
	return s
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// unguard takes off the apostrophe the pack's CSV writer puts before a text
// that begins with = + - @, a tab or a carriage return (pack.Text): a string
// cell is never run as a formula, and the apostrophe would show. A text
// that began with an apostrophe and one of those characters itself reads
// the same in the CSV file and loses its apostrophe too.
func unguard(s string) string {
	if len(s) > 1 && s[0] == '\'' && strings.IndexByte("=+-@\t\r", s[1]) >= 0 {
		return s[1:]
	}
	return s
}

// cell is a typed cell: text, a number with its format, or empty.
type cell struct {
	text   string
	num    float64
	format string // "" for a text cell
	empty  bool
}

func textCell(s string) cell                   { return cell{text: fit(s)} }
func numberCell(v float64, format string) cell { return cell{num: v, format: format} }

// table is a parsed CSV file: its header, its records and the line each
// record starts on.
type table struct {
	file   string
	header []string
	rows   [][]string
	lines  []int
}

func parse(f File) (*table, error) {
	r := csv.NewReader(bytes.NewReader(f.CSV))
	t := &table{file: f.Name}
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f.Name, err)
		}
		if t.header == nil {
			t.header = rec
			continue
		}
		line, _ := r.FieldPos(0)
		t.rows = append(t.rows, rec)
		t.lines = append(t.lines, line)
	}
	if t.header == nil {
		return nil, fmt.Errorf("%s: empty, not even a header", f.Name)
	}
	return t, nil
}

// column is the index of the named column, or an error that lists the
// columns there are.
func (t *table) column(name string) (int, error) {
	for i, h := range t.header {
		if h == name {
			return i, nil
		}
	}
	return 0, fmt.Errorf("%s: no column %s (the columns are %s)", t.file, name, strings.Join(t.header, ","))
}

// metric is a metric of definitions.csv.
type metric struct {
	name, label, unit string
}

// catalog reads definitions.csv: the metrics in order, with their label
// and unit.
func catalog(t *table) ([]metric, map[string]string, error) {
	var idx [3]int
	for i, name := range []string{"metric", "label", "unit"} {
		c, err := t.column(name)
		if err != nil {
			return nil, nil, err
		}
		idx[i] = c
	}
	var metrics []metric
	units := map[string]string{}
	for i, rec := range t.rows {
		m := metric{unguard(rec[idx[0]]), unguard(rec[idx[1]]), rec[idx[2]]}
		switch m.unit {
		case unitCount, unitMoney, unitHours, unitDays, unitRatio, unitMultiple:
		default:
			return nil, nil, &CellError{t.file, t.lines[i], "unit", m.unit, "a unit (count, money, hours, days, ratio, multiple)"}
		}
		if _, dup := units[m.name]; dup {
			return nil, nil, &CellError{t.file, t.lines[i], "metric", m.name, "a new metric (it is there twice)"}
		}
		units[m.name] = m.unit
		metrics = append(metrics, m)
	}
	return metrics, units, nil
}

// typer turns CSV cells into typed cells.
type typer struct {
	units map[string]string // metric → unit, from definitions.csv
	money string            // the number format of money
}

func (ty *typer) format(unit string, v float64) string {
	switch unit {
	case unitCount:
		// A count the marts averaged (written with decimals) keeps them.
		if v != float64(int64(v)) {
			return fmtDecimal
		}
		return fmtCount
	case unitMoney:
		return ty.money
	case unitRatio:
		return fmtRatio
	case unitMultiple:
		return fmtMultiple
	case unitHours, unitDays:
		return fmtDuration
	}
	return fmtDecimal
}

// value types s, the cell at line and column of file, as unit.
func (ty *typer) value(file string, line int, column, unit, s string) (cell, error) {
	if s == "" {
		return cell{empty: true}, nil
	}
	if unit == unitText {
		return textCell(unguard(s)), nil
	}
	if unit == unitMonth {
		t, err := time.Parse("2006-01", s)
		if err != nil || !monthRe.MatchString(s) {
			return cell{}, &CellError{file, line, column, s, "a month (YYYY-MM)"}
		}
		return numberCell(serial(t), fmtMonth), nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || !numberRe.MatchString(s) {
		return cell{}, &CellError{file, line, column, s, "a number"}
	}
	return numberCell(v, ty.format(unit, v)), nil
}

// cells types every cell of t.
func (ty *typer) cells(t *table) ([][]cell, error) {
	units := make([]string, len(t.header))
	metricCol := -1
	for i, h := range t.header {
		units[i] = columnUnit(h)
		if h == "metric" {
			metricCol = i
		}
	}
	out := make([][]cell, len(t.rows))
	for r, rec := range t.rows {
		out[r] = make([]cell, len(rec))
		for c, s := range rec {
			unit := units[c]
			if unit == byMetric {
				var err error
				if unit, err = ty.metricUnit(t, r, metricCol); err != nil {
					return nil, err
				}
			}
			v, err := ty.value(t.file, t.lines[r], t.header[c], unit, s)
			if err != nil {
				return nil, err
			}
			out[r][c] = v
		}
	}
	return out, nil
}

// metricUnit is the unit of row r's metric.
func (ty *typer) metricUnit(t *table, r, metricCol int) (string, error) {
	if metricCol < 0 {
		return unitNumber, nil
	}
	name := unguard(t.rows[r][metricCol])
	if unit, ok := ty.units[name]; ok {
		return unit, nil
	}
	// The pack writes a target for a metric the contract does not know
	// as money; any other file names only the catalog's metrics.
	if t.file == "targets.csv" {
		return unitMoney, nil
	}
	return "", &CellError{t.file, t.lines[r], "metric", name, "a metric of definitions.csv"}
}

// Build builds pack.xlsx from the pack's CSV files, which must include
// kpis.csv and definitions.csv: a wide sheet of the KPIs by month, a sheet
// per file in the order given, and an About sheet. An error names the file,
// line and column of a cell that does not hold what its column needs.
func Build(files []File, about About) ([]byte, error) {
	if err := about.validate(); err != nil {
		return nil, err
	}
	money, err := moneyFormat(about.Currency)
	if err != nil {
		return nil, err
	}
	tables := make([]*table, len(files))
	byName := map[string]*table{}
	var errs []error
	for i, f := range files {
		if byName[f.Name] != nil {
			return nil, fmt.Errorf("%s: given twice", f.Name)
		}
		t, err := parse(f)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		tables[i], byName[f.Name] = t, t
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for _, name := range []string{"definitions.csv", "kpis.csv"} {
		if byName[name] == nil {
			return nil, fmt.Errorf("%s is missing: the KPI sheet is made from kpis.csv and definitions.csv", name)
		}
	}
	metrics, units, err := catalog(byName["definitions.csv"])
	if err != nil {
		return nil, err
	}
	ty := &typer{units: units, money: money}

	// Every file is typed before anything is written; each bad file
	// reports its first bad cell.
	errs = nil
	typed := make([][][]cell, len(tables))
	kpisOK := true
	for i, t := range tables {
		if typed[i], err = ty.cells(t); err != nil {
			errs = append(errs, err)
			kpisOK = kpisOK && t.file != "kpis.csv"
		}
	}
	var wide [][]cell
	if kpisOK {
		if wide, err = kpiGrid(byName["kpis.csv"], about.Months, metrics, ty); err != nil {
			errs = append(errs, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	w := &writer{f: excelize.NewFile(), styles: map[string]int{}, tables: map[string]bool{}}
	defer w.f.Close()
	if err := w.f.SetSheetName("Sheet1", KPISheet); err != nil {
		return nil, err
	}
	if err := w.grid(KPISheet, kpiHeader(about.Months, about.Month, about.ToDate), wide, 1); err != nil {
		return nil, fmt.Errorf("sheet %s: %w", KPISheet, err)
	}
	taken := map[string]bool{strings.ToLower(KPISheet): true, strings.ToLower(AboutSheet): true}
	for i, t := range tables {
		name := sheetName(t.file, taken)
		if _, err := w.f.NewSheet(name); err != nil {
			return nil, fmt.Errorf("%s: %w", t.file, err)
		}
		if len(typed[i]) >= maxSheetRows {
			// A sheet holds 1,048,576 rows; the CSV file holds them all.
			note := fmt.Sprintf("%s has %d rows, more than a sheet holds: open the CSV file of the pack.", t.file, len(typed[i]))
			if err := w.set(name, 1, 1, textCell(note)); err != nil {
				return nil, fmt.Errorf("%s: %w", t.file, err)
			}
			continue
		}
		header, rows := t.header, typed[i]
		if t.file == "definitions.csv" && len(about.Explanations) > 0 {
			header, rows = explained(header, rows, metrics, about.Explanations)
		}
		if err := w.grid(name, header, rows, 0); err != nil {
			return nil, fmt.Errorf("%s: %w", t.file, err)
		}
	}
	if err := w.about(about, files, tables); err != nil {
		return nil, fmt.Errorf("sheet %s: %w", AboutSheet, err)
	}
	w.f.SetActiveSheet(0)
	stamp := about.AsOf.UTC().Format(time.RFC3339)
	if err := w.f.SetDocProps(&excelize.DocProperties{
		Title:          "Metrics pack " + about.Month,
		Creator:        "coxswain " + about.Version,
		LastModifiedBy: "coxswain " + about.Version,
		Created:        stamp,
		Modified:       stamp,
	}); err != nil {
		return nil, err
	}
	// Every zip entry gets the as-of for its time. excelize writes the
	// package's parts sorted (it only leaves the order to a map for stream
	// writers, which Build does not use), so the bytes depend on the input
	// alone.
	asOf := about.AsOf.UTC()
	w.f.SetZipWriter(func(out io.Writer) excelize.ZipWriter {
		return &stampedZip{Writer: zip.NewWriter(out), modified: asOf}
	})
	buf, err := w.f.WriteToBuffer()
	if err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (a About) validate() error {
	if !monthRe.MatchString(a.Month) {
		return fmt.Errorf("report month %q is not YYYY-MM", a.Month)
	}
	if len(a.Months) == 0 {
		return errors.New("no months: the pack's months are the KPI sheet's columns")
	}
	seen := map[string]bool{}
	for i, m := range a.Months {
		if !monthRe.MatchString(m) || seen[m] || (i > 0 && m < a.Months[i-1]) {
			return fmt.Errorf("months %s: want distinct YYYY-MM months, oldest first", strings.Join(a.Months, ","))
		}
		seen[m] = true
	}
	if a.AsOf.IsZero() {
		return errors.New("no as-of: the workbook's dates are the build's as-of")
	}
	return nil
}

// stampedZip writes each entry with one fixed modification time, where
// archive/zip's Create would leave the DOS date empty.
type stampedZip struct {
	*zip.Writer
	modified time.Time
}

// Create adds a compressed entry stamped with z's time.
func (z *stampedZip) Create(name string) (io.Writer, error) {
	return z.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: z.modified})
}

// explained adds the plain words to the Definitions sheet: a last column
// "explanation", row by row (the rows are the catalog's, in its order).
func explained(header []string, rows [][]cell, metrics []metric, words map[string]string) ([]string, [][]cell) {
	out := make([][]cell, len(rows))
	for i, r := range rows {
		out[i] = append(slices.Clone(r), textCell(words[metrics[i].name]))
	}
	return append(slices.Clone(header), "explanation"), out
}

// maxSheetRows is how many data rows a sheet takes: Excel's 1,048,576
// rows, less the header.
const maxSheetRows = 1<<20 - 1

// kpiHeader is the wide KPI sheet's header: table headers are text, so
// the months are written as "Oct 2025"; a month not yet over as "Nov 2026
// (to date)".
func kpiHeader(months []string, month, toDate string) []string {
	header := []string{"Label", "Metric", "Unit"}
	for _, m := range months {
		t, _ := time.Parse("2006-01", m)
		h := t.Format("Jan 2006")
		if m == month && toDate != "" {
			h += " (to date)"
		}
		header = append(header, h)
	}
	return header
}

// kpiGrid is the wide KPI sheet: a row per metric of the catalog, a column
// per month, the values of kpis.csv.
func kpiGrid(t *table, months []string, metrics []metric, ty *typer) ([][]cell, error) {
	var idx [3]int
	for i, name := range []string{"month", "metric", "value"} {
		c, err := t.column(name)
		if err != nil {
			return nil, err
		}
		idx[i] = c
	}
	col := map[string]int{}
	for i, m := range months {
		col[m] = 3 + i
	}
	row := map[string]int{}
	grid := make([][]cell, len(metrics))
	for i, m := range metrics {
		row[m.name] = i
		grid[i] = make([]cell, 3+len(months))
		grid[i][0], grid[i][1], grid[i][2] = textCell(m.label), textCell(m.name), textCell(m.unit)
		for j := 3; j < len(grid[i]); j++ {
			grid[i][j] = cell{empty: true}
		}
	}
	seen := map[[2]int]bool{}
	for n, rec := range t.rows {
		month, name, s := rec[idx[0]], unguard(rec[idx[1]]), rec[idx[2]]
		r, ok := row[name]
		if !ok {
			return nil, &CellError{t.file, t.lines[n], "metric", name, "a metric of definitions.csv"}
		}
		c, ok := col[month]
		if !ok {
			return nil, &CellError{t.file, t.lines[n], "month", month, fmt.Sprintf("a month of the pack (%s to %s)", months[0], months[len(months)-1])}
		}
		if seen[[2]int{r, c}] {
			return nil, &CellError{t.file, t.lines[n], "metric", name, "a new metric of its month (it is there twice)"}
		}
		seen[[2]int{r, c}] = true
		v, err := ty.value(t.file, t.lines[n], "value", metrics[r].unit, s)
		if err != nil {
			return nil, err
		}
		grid[r][c] = v
	}
	return grid, nil
}

// sheetName is the sheet of a CSV file: its name without .csv, made a legal
// sheet name and kept apart from the names taken (Excel compares them
// without case).
func sheetName(file string, taken map[string]bool) string {
	base := strings.TrimSuffix(file, ".csv")
	if base == "definitions" {
		base = DefinitionsSheet
	}
	base = strings.Map(func(r rune) rune {
		if strings.ContainsRune(`[]:*?/\`, r) {
			return '_'
		}
		return r
	}, base)
	base = strings.Trim(base, "'")
	if base == "" {
		base = "Sheet"
	}
	name := truncate(base, 31)
	for n := 2; taken[strings.ToLower(name)]; n++ {
		suffix := " (" + strconv.Itoa(n) + ")"
		name = truncate(base, 31-utf16Len(suffix)) + suffix
	}
	taken[strings.ToLower(name)] = true
	return name
}

// truncate cuts s to n UTF-16 units.
func truncate(s string, n int) string {
	units := 0
	for i, r := range s {
		if units+utf16.RuneLen(r) > n {
			return s[:i]
		}
		units += utf16.RuneLen(r)
	}
	return s
}

// writer writes the sheets of a workbook, with a style per number format.
type writer struct {
	f      *excelize.File
	styles map[string]int  // number format → style
	tables map[string]bool // the table names taken, in lower case
}

func (w *writer) style(format string) (int, error) {
	if id, ok := w.styles[format]; ok {
		return id, nil
	}
	id, err := w.f.NewStyle(&excelize.Style{CustomNumFmt: &format})
	if err != nil {
		return 0, err
	}
	w.styles[format] = id
	return id, nil
}

func (w *writer) set(sheet string, col, row int, c cell) error {
	if c.empty {
		return nil
	}
	ref, err := excelize.CoordinatesToCellName(col, row)
	if err != nil {
		return err
	}
	if c.format == "" {
		return w.f.SetCellStr(sheet, ref, c.text)
	}
	if err := w.f.SetCellFloat(sheet, ref, c.num, -1, 64); err != nil {
		return err
	}
	style, err := w.style(c.format)
	if err != nil {
		return err
	}
	return w.f.SetCellStyle(sheet, ref, ref, style)
}

// grid writes a header and rows as an Excel table with the header row (and
// the first freezeCols columns) frozen.
func (w *writer) grid(sheet string, header []string, rows [][]cell, freezeCols int) error {
	widths := make([]int, len(header))
	for i, h := range header {
		// Room for the filter button.
		widths[i] = utf8.RuneCountInString(h) + 3
		if err := w.set(sheet, i+1, 1, textCell(h)); err != nil {
			return err
		}
	}
	for r, row := range rows {
		for c, v := range row {
			if err := w.set(sheet, c+1, r+2, v); err != nil {
				return err
			}
			widths[c] = max(widths[c], v.width())
		}
	}
	for i, width := range widths {
		col, err := excelize.ColumnNumberToName(i + 1)
		if err != nil {
			return err
		}
		if err := w.f.SetColWidth(sheet, col, col, float64(min(max(width+2, 8), 60))); err != nil {
			return err
		}
	}
	// The used range, which some readers trust to size the sheet.
	used, err := excelize.CoordinatesToCellName(len(header), len(rows)+1)
	if err != nil {
		return err
	}
	if err := w.f.SetSheetDimension(sheet, "A1:"+used); err != nil {
		return err
	}
	// A table has at least one data row: a file with none gets an empty one.
	last, err := excelize.CoordinatesToCellName(len(header), max(len(rows)+1, 2))
	if err != nil {
		return err
	}
	if err := w.f.AddTable(sheet, &excelize.Table{
		Range:     "A1:" + last,
		Name:      w.tableName(sheet),
		StyleName: "TableStyleMedium2",
	}); err != nil {
		return err
	}
	topLeft, err := excelize.CoordinatesToCellName(freezeCols+1, 2)
	if err != nil {
		return err
	}
	pane := "bottomLeft"
	if freezeCols > 0 {
		pane = "bottomRight"
	}
	return w.f.SetPanes(sheet, &excelize.Panes{
		Freeze: true, XSplit: freezeCols, YSplit: 1, TopLeftCell: topLeft, ActivePane: pane,
		Selection: []excelize.Selection{{SQRef: topLeft, ActiveCell: topLeft, Pane: pane}},
	})
}

// tableName is the table of a sheet: its name in ASCII letters, digits
// and underscores, after "T_" so that it never reads as a cell reference,
// and apart from the tables before (Excel compares them without case).
func (w *writer) tableName(sheet string) string {
	base := "T_" + strings.Map(func(r rune) rune {
		if r < utf8.RuneSelf && (r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return r
		}
		return '_'
	}, sheet)
	name := base
	for n := 2; w.tables[strings.ToLower(name)]; n++ {
		name = base + "_" + strconv.Itoa(n)
	}
	w.tables[strings.ToLower(name)] = true
	return name
}

// width is about how many characters c shows.
func (c cell) width() int {
	switch {
	case c.empty:
		return 0
	case c.format == "":
		return utf8.RuneCountInString(c.text)
	case c.format == fmtMonth:
		return 7
	}
	digits := len(strconv.FormatFloat(c.num, 'f', 0, 64))
	return digits + digits/3 + 4 // separators, decimals, a symbol
}

// about writes the About sheet: where the pack came from, and each CSV
// file's name, rows and SHA-256.
// toDate says whether the report month was over at the as-of.
func toDate(a About) string {
	if a.ToDate == "" {
		return "no: the report month was over at the as-of"
	}
	return "yes, " + a.ToDate + ": the report month was not over at the as-of, so its values are partial"
}

func (w *writer) about(a About, files []File, tables []*table) error {
	const sheet = AboutSheet
	if _, err := w.f.NewSheet(sheet); err != nil {
		return err
	}
	bold, err := w.f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	currency := a.Currency
	if currency == "" {
		currency = "none (money as plain numbers)"
	}
	rows := [][2]cell{
		{textCell("Report month"), textCell(a.Month)},
		{textCell("Period"), textCell(fmt.Sprintf("%s to %s (%d months)", a.Months[0], a.Months[len(a.Months)-1], len(a.Months)))},
		{textCell("As of (UTC)"), numberCell(serial(a.AsOf.UTC()), fmtInstant)},
		{textCell("Reporting time zone"), textCell(a.Zone)},
		{textCell("Build"), numberCell(float64(a.BuildID), fmtID)},
		{textCell("coxswain version"), textCell(a.Version)},
		{textCell("Currency"), textCell(currency)},
		{textCell("Month to date"), textCell(toDate(a))},
	}
	for i, r := range rows {
		for j, c := range r {
			if err := w.set(sheet, j+1, i+1, c); err != nil {
				return err
			}
		}
		if err := w.f.SetCellStyle(sheet, fmt.Sprintf("A%d", i+1), fmt.Sprintf("A%d", i+1), bold); err != nil {
			return err
		}
	}
	row := len(rows) + 2
	note := "The CSV files are the contract: UTF-8, for machines and for loading. " +
		"This workbook is a convenience copy of them for people, with the same values."
	if err := w.set(sheet, 1, row, textCell(note)); err != nil {
		return err
	}
	row += 2
	for j, h := range []string{"File", "Rows", "SHA-256"} {
		if err := w.set(sheet, j+1, row, textCell(h)); err != nil {
			return err
		}
	}
	if err := w.f.SetCellStyle(sheet, fmt.Sprintf("A%d", row), fmt.Sprintf("C%d", row), bold); err != nil {
		return err
	}
	if err := w.f.SetSheetDimension(sheet, fmt.Sprintf("A1:C%d", row+len(files))); err != nil {
		return err
	}
	for i, f := range files {
		row++
		sum := sha256.Sum256(f.CSV)
		for j, c := range []cell{textCell(f.Name), numberCell(float64(len(tables[i].rows)), fmtCount), textCell(hex.EncodeToString(sum[:]))} {
			if err := w.set(sheet, j+1, row, c); err != nil {
				return err
			}
		}
	}
	for i, width := range []float64{22, 34, 68} {
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := w.f.SetColWidth(sheet, col, col, width); err != nil {
			return err
		}
	}
	return nil
}
