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
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/xuri/excelize/v2"
)

// The fixtures are cut from the demo pack (make run), with a few rows added
// for the edges: a channel that looks like a formula, one that begins with a
// minus, an undefined value, a target of a metric the catalog does not know,
// and data_checks.csv with no rows.
const (
	kpisCSV = `month,metric,value
2025-10,leads_created,253
2025-10,lead_to_mql_rate,0.3794
2025-10,pipeline_created,654550.00
2025-10,sales_cycle_days,41.25
2025-10,pipeline_roi,
2026-10,leads_created,1234
2026-10,pipeline_roi,3.5000
`
	channelCSV = `month,channel,metric,value
2025-10,(none),leads_created,40
2025-10,"'=HYPERLINK(""http://x"",""y"")",pipeline_created,-1234.50
2025-10,'-5 dB,leads_created,3
`
	slaCSV = `month,owner,mqls,sla_met,sla_breached,sla_pending,sla_compliance,first_touch_hours_median
2025-10,Ana Silva,27,21,6,0,0.7778,9.14
2025-10,José Álvarez,0,0,0,0,,
`
	funnelCSV = `cohort_month,leads,mqls,sqls,opportunities,won
2025-10,253,96,45,32,13
`
	targetsCSV = `month,metric,target,actual,attainment,projected
2025-10,leads_created,333,253,0.7598,
2026-10,pipeline_created,697714.00,654550.00,0.9381,712000.00
2026-10,arr,1000.00,,,
`
	qualityCSV = `source,object,file,rows_read,rows_loaded,rows_rejected,first_error
crm,account,2026-11-15_WE_00D5g000004SAMPL_1.ZIP/Account.csv,400,400,0,
`
	checksCSV = `check,source,object,records,examples
`
	definitionsCSV = `metric,label,unit,definition
leads_created,Leads,count,leads with created_at in month
lead_to_mql_rate,Lead → MQL,ratio,"of the leads created in month, the share that have any mql_at (cohort view, as of the build)"
pipeline_created,Pipeline created,money,sum of amount of those opportunities
sales_cycle_days,Sales cycle (days),days,"mean, over the month's closed-won opportunities, of days from created_at to close_date"
pipeline_roi,Pipeline per $ spent,multiple,marketing_sourced_pipeline / marketing_spend
`
)

func fixtureFiles() []File {
	return []File{
		{"kpis.csv", []byte(kpisCSV)},
		{"kpis_by_channel.csv", []byte(channelCSV)},
		{"sla_by_owner.csv", []byte(slaCSV)},
		{"funnel.csv", []byte(funnelCSV)},
		{"targets.csv", []byte(targetsCSV)},
		{"data_quality.csv", []byte(qualityCSV)},
		{"data_checks.csv", []byte(checksCSV)},
		{"definitions.csv", []byte(definitionsCSV)},
	}
}

func fixtureAbout() About {
	return About{
		Month: "2026-10",
		Months: []string{"2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03", "2026-04",
			"2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"},
		AsOf:     time.Date(2026, 11, 15, 6, 0, 0, 0, time.UTC),
		Zone:     "America/New_York",
		BuildID:  7,
		Version:  "0.1.0-test",
		Currency: "USD",
	}
}

// open builds the workbook of files and about and opens it with excelize.
func open(tb testing.TB, files []File, about About) (*excelize.File, []byte) {
	tb.Helper()
	data, err := Build(files, about)
	if err != nil {
		tb.Fatalf("Build: %v", err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		tb.Fatalf("open the workbook: %v", err)
	}
	tb.Cleanup(func() { f.Close() })
	return f, data
}

// numFmt is the custom number format of a cell, "" for none.
func numFmt(tb testing.TB, f *excelize.File, sheet, ref string) string {
	tb.Helper()
	id, err := f.GetCellStyle(sheet, ref)
	if err != nil {
		tb.Fatal(err)
	}
	style, err := f.GetStyle(id)
	if err != nil {
		tb.Fatal(err)
	}
	if style.CustomNumFmt == nil {
		return ""
	}
	return *style.CustomNumFmt
}

func TestBuild_Sheets(t *testing.T) {
	f, _ := open(t, fixtureFiles(), fixtureAbout())
	got := f.GetSheetList()
	want := []string{"KPIs by month", "kpis", "kpis_by_channel", "sla_by_owner", "funnel", "targets",
		"data_quality", "data_checks", "Definitions", "About"}
	if !slices.Equal(got, want) {
		t.Errorf("sheets = %q, want %q", got, want)
	}
	if got := f.GetActiveSheetIndex(); got != 0 {
		t.Errorf("active sheet = %d, want 0", got)
	}
}

func TestBuild_Cells(t *testing.T) {
	f, _ := open(t, fixtureFiles(), fixtureAbout())
	const (
		text  = excelize.CellTypeSharedString
		num   = excelize.CellTypeUnset // excelize reads a number cell (no t attribute) as unset
		money = `"$"#,##0.00`
	)
	tests := []struct {
		name       string
		sheet, ref string
		want       string // the raw value
		wantType   excelize.CellType
		wantFmt    string
	}{
		{"wide header", "KPIs by month", "D1", "Oct 2025", text, ""},
		{"wide header label", "KPIs by month", "A1", "Label", text, ""},
		{"wide header metric", "KPIs by month", "B1", "Metric", text, ""},
		{"wide last month", "KPIs by month", "P1", "Oct 2026", text, ""},
		{"wide label", "KPIs by month", "A3", "Lead → MQL", text, ""},
		{"wide name", "KPIs by month", "B4", "pipeline_created", text, ""},
		{"wide unit", "KPIs by month", "C4", "money", text, ""},
		{"wide count", "KPIs by month", "D2", "253", num, "#,##0"},
		{"wide ratio", "KPIs by month", "D3", "0.3794", num, "0.0%"},
		{"wide money", "KPIs by month", "D4", "654550", num, money},
		{"wide days", "KPIs by month", "D5", "41.25", num, "0.00"},
		{"wide undefined", "KPIs by month", "D6", "", num, ""},
		{"wide month with no row", "KPIs by month", "E2", "", num, ""},
		{"wide multiple", "KPIs by month", "P6", "3.5", num, `0.00"×"`},
		{"month is a date", "kpis", "A2", "45931", num, "yyyy-mm"},
		{"kpi count", "kpis", "C2", "253", num, "#,##0"},
		{"kpi undefined", "kpis", "C6", "", num, ""},
		{"channel money, negative", "kpis_by_channel", "D3", "-1234.5", num, money},
		{"guarded minus is text", "kpis_by_channel", "B4", "-5 dB", text, ""},
		{"owner", "sla_by_owner", "B3", "José Álvarez", text, ""},
		{"sla count", "sla_by_owner", "C2", "27", num, "#,##0"},
		{"sla zero is 0", "sla_by_owner", "C3", "0", num, "#,##0"},
		{"sla compliance", "sla_by_owner", "G2", "0.7778", num, "0.0%"},
		{"sla compliance undefined", "sla_by_owner", "G3", "", num, ""},
		{"hours", "sla_by_owner", "H2", "9.14", num, "0.00"},
		{"cohort month", "funnel", "A2", "45931", num, "yyyy-mm"},
		{"funnel count", "funnel", "F2", "13", num, "#,##0"},
		{"target of a count", "targets", "C2", "333", num, "#,##0"},
		{"attainment", "targets", "E2", "0.7598", num, "0.0%"},
		{"no projection", "targets", "F2", "", num, ""},
		{"projected money", "targets", "F3", "712000", num, money},
		{"target of an unknown metric is money", "targets", "C4", "1000", num, money},
		{"rows read", "data_quality", "D2", "400", num, "#,##0"},
		{"no error", "data_quality", "G2", "", num, ""},
		{"definitions header", "Definitions", "D1", "definition", text, ""},
		{"about as-of", "About", "B3", "46341.25", num, "yyyy-mm-dd hh:mm:ss"},
		{"about build", "About", "B5", "7", num, "0"},
		{"about currency", "About", "B7", "USD", text, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.GetCellValue(tt.sheet, tt.ref, excelize.Options{RawCellValue: true})
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("%s!%s = %q, want %q", tt.sheet, tt.ref, got, tt.want)
			}
			gotType, err := f.GetCellType(tt.sheet, tt.ref)
			if err != nil {
				t.Fatal(err)
			}
			if gotType != tt.wantType {
				t.Errorf("%s!%s type = %v, want %v", tt.sheet, tt.ref, gotType, tt.wantType)
			}
			if got := numFmt(t, f, tt.sheet, tt.ref); got != tt.wantFmt {
				t.Errorf("%s!%s format = %q, want %q", tt.sheet, tt.ref, got, tt.wantFmt)
			}
		})
	}
}

// An undefined value is no cell at all, not a 0 or an empty string.
func TestBuild_EmptyCellIsAbsent(t *testing.T) {
	f, _ := open(t, fixtureFiles(), fixtureAbout())
	rows, err := f.GetRows("targets", excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	got := rows[1]
	want := []string{"45931", "leads_created", "333", "253", "0.7598"} // F2 absent: the row ends at E
	if !slices.Equal(got, want) {
		t.Errorf("targets row 2 = %q, want %q", got, want)
	}
}

func TestBuild_MoneyFormat(t *testing.T) {
	tests := []struct {
		currency string
		want     string
	}{
		{"USD", `"$"#,##0.00`},
		{"EUR", `"€"#,##0.00`},
		{"GBP", `"£"#,##0.00`},
		{"JPY", `"¥"#,##0`},
		{"CHF", `#,##0.00 "CHF"`},
		{"", `#,##0.00`},
	}
	for _, tt := range tests {
		t.Run(tt.currency, func(t *testing.T) {
			about := fixtureAbout()
			about.Currency = tt.currency
			f, _ := open(t, fixtureFiles(), about)
			if got := numFmt(t, f, "KPIs by month", "D4"); got != tt.want {
				t.Errorf("money format = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestBuild_Panes(t *testing.T) {
	f, _ := open(t, fixtureFiles(), fixtureAbout())
	for _, sheet := range f.GetSheetList() {
		if sheet == "About" {
			continue
		}
		t.Run(sheet, func(t *testing.T) {
			got, err := f.GetPanes(sheet)
			if err != nil {
				t.Fatal(err)
			}
			want := excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}
			if sheet == "KPIs by month" {
				// The metric's label stays in view too.
				want = excelize.Panes{Freeze: true, XSplit: 1, YSplit: 1, TopLeftCell: "B2", ActivePane: "bottomRight"}
			}
			got.Selection = nil
			if got.Freeze != want.Freeze || got.XSplit != want.XSplit || got.YSplit != want.YSplit ||
				got.TopLeftCell != want.TopLeftCell || got.ActivePane != want.ActivePane {
				t.Errorf("panes = %+v, want %+v", got, want)
			}
		})
	}
}

func TestBuild_Tables(t *testing.T) {
	f, _ := open(t, fixtureFiles(), fixtureAbout())
	tests := []struct {
		sheet     string
		wantRange string
		wantName  string
		wantUsed  string
	}{
		{"KPIs by month", "A1:P6", "T_KPIs_by_month", "A1:P6"},
		{"kpis", "A1:C8", "T_kpis", "A1:C8"},
		{"kpis_by_channel", "A1:D4", "T_kpis_by_channel", "A1:D4"},
		{"sla_by_owner", "A1:H3", "T_sla_by_owner", "A1:H3"},
		{"funnel", "A1:F2", "T_funnel", "A1:F2"},
		{"targets", "A1:F4", "T_targets", "A1:F4"},
		{"data_quality", "A1:G2", "T_data_quality", "A1:G2"},
		{"data_checks", "A1:E2", "T_data_checks", "A1:E1"}, // no rows: the table gets an empty one
		{"Definitions", "A1:D6", "T_Definitions", "A1:D6"},
	}
	for _, tt := range tests {
		t.Run(tt.sheet, func(t *testing.T) {
			tables, err := f.GetTables(tt.sheet)
			if err != nil {
				t.Fatal(err)
			}
			if len(tables) != 1 {
				t.Fatalf("%d tables, want 1", len(tables))
			}
			if got := tables[0].Range; got != tt.wantRange {
				t.Errorf("range = %s, want %s", got, tt.wantRange)
			}
			if got := tables[0].Name; got != tt.wantName {
				t.Errorf("name = %s, want %s", got, tt.wantName)
			}
			if got, _ := f.GetSheetDimension(tt.sheet); got != tt.wantUsed {
				t.Errorf("used range = %s, want %s", got, tt.wantUsed)
			}
		})
	}
	rows, err := f.GetRows("data_checks")
	if err != nil {
		t.Fatal(err)
	}
	if want := [][]string{{"check", "source", "object", "records", "examples"}}; len(rows) != 1 || !slices.Equal(rows[0], want[0]) {
		t.Errorf("data_checks rows = %q, want %q", rows, want)
	}
}

// A text that looks like a formula is a string cell without the CSV's
// guard apostrophe, and the package holds no formula at all.
func TestBuild_FormulaLikeText(t *testing.T) {
	f, data := open(t, fixtureFiles(), fixtureAbout())
	const want = `=HYPERLINK("http://x","y")`
	got, err := f.GetCellValue("kpis_by_channel", "B3")
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("B3 = %q, want %q", got, want)
	}
	if typ, _ := f.GetCellType("kpis_by_channel", "B3"); typ != excelize.CellTypeSharedString {
		t.Errorf("B3 type = %v, want a shared string", typ)
	}
	if formula, _ := f.GetCellFormula("kpis_by_channel", "B3"); formula != "" {
		t.Errorf("B3 formula = %q, want none", formula)
	}
	for name, part := range parts(t, data) {
		if strings.HasPrefix(name, "xl/worksheets/") && (strings.Contains(part, "<f>") || strings.Contains(part, "<f ")) {
			t.Errorf("%s has a formula", name)
		}
	}
}

func TestBuild_About(t *testing.T) {
	files := fixtureFiles()
	f, _ := open(t, files, fixtureAbout())
	rows, err := f.GetRows("About")
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{
		{"Report month", "2026-10"},
		{"Period", "2025-10 to 2026-10 (13 months)"},
		{"As of (UTC)", "2026-11-15 06:00:00"},
		{"Reporting time zone", "America/New_York"},
		{"Build", "7"},
		{"coxswain version", "0.1.0-test"},
		{"Currency", "USD"},
		{"Month to date", "no: the report month was over at the as-of"},
		nil,
		{"The CSV files are the contract: UTF-8, for machines and for loading. This workbook is a convenience copy of them for people, with the same values."},
		nil,
		{"File", "Rows", "SHA-256"},
	}
	wantRows := map[string]string{
		"kpis.csv": "7", "kpis_by_channel.csv": "3", "sla_by_owner.csv": "2", "funnel.csv": "1",
		"targets.csv": "3", "data_quality.csv": "1", "data_checks.csv": "0", "definitions.csv": "5",
	}
	for _, file := range files {
		sum := sha256.Sum256(file.CSV)
		want = append(want, []string{file.Name, wantRows[file.Name], hex.EncodeToString(sum[:])})
	}
	if len(rows) != len(want) {
		t.Fatalf("About has %d rows, want %d:\n%q", len(rows), len(want), rows)
	}
	for i := range want {
		if !slices.Equal(rows[i], want[i]) {
			t.Errorf("About row %d = %q, want %q", i+1, rows[i], want[i])
		}
	}
	props, err := f.GetDocProps()
	if err != nil {
		t.Fatal(err)
	}
	if props.Created != "2026-11-15T06:00:00Z" || props.Modified != "2026-11-15T06:00:00Z" {
		t.Errorf("created, modified = %s, %s, want the as-of", props.Created, props.Modified)
	}
}

// TestBuild_MonthToDate: a report month not yet over is marked where a
// reader meets its numbers, in the wide sheet's header and in About.
func TestBuild_MonthToDate(t *testing.T) {
	about := fixtureAbout()
	about.ToDate = "through 14 October"
	f, _ := open(t, fixtureFiles(), about)
	rows, err := f.GetRows(KPISheet)
	if err != nil {
		t.Fatal(err)
	}
	if last := rows[0][len(rows[0])-1]; last != "Oct 2026 (to date)" {
		t.Errorf("the report month's column is %q, want it marked to date", last)
	}
	about2, _ := f.GetRows(AboutSheet)
	if got := about2[7]; len(got) < 2 || !strings.HasPrefix(got[1], "yes, through 14 October") {
		t.Errorf("About row 8 = %q", got)
	}
}

func TestBuild_Deterministic(t *testing.T) {
	about := fixtureAbout()
	first, err := Build(fixtureFiles(), about)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		got, err := Build(fixtureFiles(), about)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, first) {
			t.Fatalf("build %d differs from the first (%d and %d bytes)", i+2, len(got), len(first))
		}
	}
	zr, err := zip.NewReader(bytes.NewReader(first), int64(len(first)))
	if err != nil {
		t.Fatal(err)
	}
	for _, zf := range zr.File {
		if !zf.Modified.Equal(about.AsOf) {
			t.Errorf("%s modified %s, want the as-of %s", zf.Name, zf.Modified, about.AsOf)
		}
	}
	// The machine's zone plays no part: an as-of given in another zone is
	// the same instant.
	about.AsOf = about.AsOf.In(time.FixedZone("UTC+9", 9*3600))
	got, err := Build(fixtureFiles(), about)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, first) {
		t.Error("the as-of in another zone gives other bytes")
	}
}

func TestBuild_LongText(t *testing.T) {
	files := fixtureFiles()
	long := strings.Repeat("é", 40000)
	files[5].CSV = []byte("source,object,file,rows_read,rows_loaded,rows_rejected,first_error\ncrm,lead,Lead.csv,1,0,1," + long + "\n")
	f, _ := open(t, files, fixtureAbout())
	got, err := f.GetCellValue("data_quality", "G2")
	if err != nil {
		t.Fatal(err)
	}
	if n := len(utf16.Encode([]rune(got))); n != maxCell {
		t.Errorf("cut text has %d UTF-16 units, want %d", n, maxCell)
	}
	if !strings.HasSuffix(got, cutMark) || !strings.HasPrefix(got, "éééé") {
		t.Errorf("cut text ends %q, want the mark %q", got[len(got)-100:], cutMark)
	}
}

func TestBuild_Errors(t *testing.T) {
	replace := func(name, csv string) []File {
		files := fixtureFiles()
		for i := range files {
			if files[i].Name == name {
				files[i].CSV = []byte(csv)
			}
		}
		return files
	}
	drop := func(name string) []File {
		return slices.DeleteFunc(fixtureFiles(), func(f File) bool { return f.Name == name })
	}
	about := func(edit func(*About)) About {
		a := fixtureAbout()
		edit(&a)
		return a
	}
	tests := []struct {
		name  string
		files []File
		about About
		want  string
	}{
		{"metric not in the catalog", replace("kpis.csv", "month,metric,value\n2025-10,leads_created,253\n2025-10,mqls,1\n"), fixtureAbout(),
			`kpis.csv: line 3, column metric: "mqls" is not a metric of definitions.csv`},
		{"kpi value not a number", replace("kpis.csv", "month,metric,value\n2025-10,leads_created,253\n2025-10,pipeline_created,abc\n"), fixtureAbout(),
			`kpis.csv: line 3, column value: "abc" is not a number`},
		{"count not a number", replace("funnel.csv", "cohort_month,leads,mqls,sqls,opportunities,won\n2025-10,253,NaN,45,32,13\n"), fixtureAbout(),
			`funnel.csv: line 2, column mqls: "NaN" is not a number`},
		{"number with a thousands separator", replace("targets.csv", "month,metric,target,actual,attainment,projected\n2025-10,bookings,\"1,000.00\",,,\n"), fixtureAbout(),
			`targets.csv: line 2, column target: "1,000.00" is not a number`},
		{"not a month", replace("sla_by_owner.csv", "month,owner,mqls,sla_met,sla_breached,sla_pending,sla_compliance,first_touch_hours_median\n2025-13,Ana,1,1,0,0,1.0000,2.00\n"), fixtureAbout(),
			`sla_by_owner.csv: line 2, column month: "2025-13" is not a month (YYYY-MM)`},
		{"month outside the pack", replace("kpis.csv", "month,metric,value\n2024-10,leads_created,253\n"), fixtureAbout(),
			`kpis.csv: line 2, column month: "2024-10" is not a month of the pack (2025-10 to 2026-10)`},
		{"unknown unit", replace("definitions.csv", "metric,label,unit,definition\nleads_created,Leads,percent,x\n"), fixtureAbout(),
			`definitions.csv: line 2, column unit: "percent" is not a unit (count, money, hours, days, ratio, multiple)`},
		{"ragged CSV", replace("funnel.csv", "cohort_month,leads\n2025-10,1,2\n"), fixtureAbout(),
			`funnel.csv: record on line 2: wrong number of fields`},
		{"no definitions", drop("definitions.csv"), fixtureAbout(),
			`definitions.csv is missing: the KPI sheet is made from kpis.csv and definitions.csv`},
		{"bad currency", fixtureFiles(), about(func(a *About) { a.Currency = `US"D` }),
			`currency "US\"D" is not an ISO 4217 code (USD, EUR)`},
		{"no as-of", fixtureFiles(), about(func(a *About) { a.AsOf = time.Time{} }),
			`no as-of: the workbook's dates are the build's as-of`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Build(tt.files, tt.about)
			if err == nil {
				t.Fatalf("Build: no error, want %q", tt.want)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("error = %q, want %q", got, tt.want)
			}
		})
	}
}

// Every bad file is reported, each with its first bad cell.
func TestBuild_ErrorsOfEveryFile(t *testing.T) {
	files := fixtureFiles()
	files[3].CSV = []byte("cohort_month,leads,mqls,sqls,opportunities,won\n2025-10,x,y,45,32,13\n")
	files[5].CSV = []byte("source,object,file,rows_read,rows_loaded,rows_rejected,first_error\ncrm,lead,Lead.csv,1.5.1,0,1,\n")
	_, err := Build(files, fixtureAbout())
	var cells []*CellError
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		var ce *CellError
		if errors.As(e, &ce) {
			cells = append(cells, ce)
		}
	}
	want := []CellError{
		{File: "funnel.csv", Line: 2, Column: "leads", Value: "x", Want: "a number"},
		{File: "data_quality.csv", Line: 2, Column: "rows_read", Value: "1.5.1", Want: "a number"},
	}
	if len(cells) != len(want) {
		t.Fatalf("errors = %v, want %v", err, want)
	}
	for i := range want {
		if *cells[i] != want[i] {
			t.Errorf("error %d = %+v, want %+v", i, *cells[i], want[i])
		}
	}
}

func TestSheetName(t *testing.T) {
	taken := map[string]bool{"kpis by month": true, "about": true}
	tests := []struct {
		file string
		want string
	}{
		{"kpis.csv", "kpis"},
		{"definitions.csv", "Definitions"},
		{"About.csv", "About (2)"},
		{"KPIS.csv", "KPIS (2)"},
		{"a/b:c[1].csv", "a_b_c_1_"},
		{"'quoted'.csv", "quoted"},
		{"an_export_with_a_very_long_name_indeed.csv", "an_export_with_a_very_long_name"},
		{"an_export_with_a_very_long_name_too.csv", "an_export_with_a_very_long_ (2)"},
	}
	for _, tt := range tests {
		if got := sheetName(tt.file, taken); got != tt.want {
			t.Errorf("sheetName(%q) = %q, want %q", tt.file, got, tt.want)
		}
	}
}

// parts reads every part of the package.
func parts(tb testing.TB, data []byte) map[string]string {
	tb.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]string{}
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			tb.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			tb.Fatal(err)
		}
		out[zf.Name] = string(b)
	}
	return out
}

// TestBuild_Explanations: the Definitions sheet carries the plain words
// beside the contract's definition, metric by metric.
func TestBuild_Explanations(t *testing.T) {
	about := fixtureAbout()
	f0, err := csvRows(fixtureFiles(), "definitions.csv")
	if err != nil {
		t.Fatal(err)
	}
	about.Explanations = map[string]string{f0[1][0]: "New leads that came in during the month."}
	f, _ := open(t, fixtureFiles(), about)
	rows, err := f.GetRows(DefinitionsSheet)
	if err != nil {
		t.Fatal(err)
	}
	if h := rows[0]; h[len(h)-1] != "explanation" {
		t.Errorf("Definitions header %q, want an explanation column last", h)
	}
	if r := rows[1]; r[0] != f0[1][0] || r[len(r)-1] != "New leads that came in during the month." {
		t.Errorf("Definitions row 2 = %q", r)
	}
}

// csvRows reads one of the files as records.
func csvRows(files []File, name string) ([][]string, error) {
	for _, f := range files {
		if f.Name == name {
			return csv.NewReader(bytes.NewReader(f.CSV)).ReadAll()
		}
	}
	return nil, fmt.Errorf("no %s", name)
}
