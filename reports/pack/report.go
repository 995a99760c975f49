package pack

import (
	"bytes"
	"context"
	"database/sql"
	"html/template"
)

// The placeholder report: the month's KPIs as a plain table and the
// glossary, until the leaders' report replaces it. html/template escapes
// every string that came from a CRM.
var reportTemplate = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>coxswain metrics {{.Month}}</title></head>
<body style="font-family: sans-serif; max-width: 48rem; margin: 1rem auto; padding: 0 1rem">
<h1>Metrics for {{.Month}}</h1>
<p>As of {{.AsOf}} (reporting zone {{.Zone}}), build {{.BuildID}}.</p>
<table style="border-collapse: collapse">
<tr><th style="text-align: left">metric</th><th style="text-align: right">value</th></tr>
{{range .KPIs}}<tr><td>{{.Metric}}</td><td style="text-align: right">{{.Value}}</td></tr>
{{end}}</table>
<h2>Glossary</h2>
<dl>{{range .KPIs}}<dt>{{.Metric}}</dt><dd>{{.Definition}}</dd>
{{end}}</dl>
</body></html>
`))

func renderReport(ctx context.Context, db *sql.DB, m *Manifest) ([]byte, error) {
	type kpi struct{ Metric, Value, Definition string }
	data := struct {
		Month, AsOf, Zone string
		BuildID           int64
		KPIs              []kpi
	}{Month: m.Month, AsOf: m.AsOf.Format("2006-01-02 15:04 MST"), Zone: m.ReportingTimezone, BuildID: m.BuildID}
	rows, err := db.QueryContext(ctx, `SELECT k.metric, k.value, k.kind, d.definition FROM marts.kpis k
		JOIN marts.metric_definitions d USING (metric) WHERE k.month = ? ORDER BY k.position`, m.Month)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var k kpi
		var v sql.NullFloat64
		var kind string
		if err := rows.Scan(&k.Metric, &v, &kind, &k.Definition); err != nil {
			return nil, err
		}
		k.Value = formatValue(v, kind)
		data.KPIs = append(data.KPIs, k)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	err = reportTemplate.Execute(&buf, data)
	return buf.Bytes(), err
}
