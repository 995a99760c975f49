package coxswain

import (
	"strings"
	"testing"
	"testing/fstest"
)

func TestLoadCatalog(t *testing.T) {
	c, err := LoadCatalog(SQL)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Metrics) != 29 {
		t.Errorf("the catalog has %d metrics, the contract 29", len(c.Metrics))
	}
	for _, s := range ReportSections {
		if len(c.Section(s)) == 0 {
			t.Errorf("report section %s lists no metric", s)
		}
	}
	if m, _ := c.Metric("cac"); m.Good != "down" || m.Kind != "money" || m.MonthToDate != "when_over" {
		t.Errorf("cac = %+v", m)
	}
}

// TestLoadCatalog_Refuses: a catalog entry that the marts, the pack or the
// report could not use is refused, with every problem named.
func TestLoadCatalog_Refuses(t *testing.T) {
	bad := `metrics:
  - {name: leads_created, label: Leads, kind: count, good: up, definition: x}
  - {name: leads_created, label: Leads, kind: count, good: up, definition: x}
  - {name: mqls, kind: percent, good: sideways, definition: x}
report:
  headlines: [leads_created, sqls]
  sidebar: [mqls]
`
	_, err := LoadCatalog(fstest.MapFS{CatalogPath: {Data: []byte(bad)}})
	if err == nil {
		t.Fatal("a bad catalog loaded")
	}
	for _, want := range []string{"leads_created is listed twice", "mqls needs a label", `kind "percent"`, `good "sideways"`,
		`names "sqls", which is not a metric`, `section "sidebar"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
}
