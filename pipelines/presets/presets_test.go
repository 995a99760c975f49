package presets

import (
	"strings"
	"testing"

	"coxswain"
)

func TestGet_EveryPresetParses(t *testing.T) {
	for _, name := range Names() {
		p, err := Get(name)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		for obj, om := range p.Objects {
			if len(om.Files) == 0 {
				t.Errorf("%s: object %s names no files", name, obj)
			}
		}
	}
}

func TestResolve_Overrides(t *testing.T) {
	m, err := Resolve(coxswain.Source{Name: "crm", Preset: "salesforce", Fields: map[string]coxswain.ColumnSpec{
		"mql_at":             {Names: []string{"Marketing_Qualified__c"}},
		"opportunity.amount": {Names: []string{"ARR__c"}},
		"lead.sql_at":        {Names: []string{"SQL_Date__c"}, Type: "date"},
	}}, "sources[0]")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, obj := range []coxswain.Object{coxswain.Lead, coxswain.Opportunity} {
		for _, c := range m.Objects[obj].Columns {
			got[string(obj)+"."+c.Field.Name] = strings.Join(c.Names, "|") + ":" + string(c.Type)
		}
	}
	for k, want := range map[string]string{
		"lead.mql_at":        "Marketing_Qualified__c:timestamp",
		"lead.sql_at":        "SQL_Date__c:date",
		"lead.created_at":    "CreatedDate:timestamp",
		"opportunity.amount": "ARR__c:money",
	} {
		if got[k] != want {
			t.Errorf("%s: got %q, want %q", k, got[k], want)
		}
	}
}

func TestResolve_Errors(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  coxswain.Source
		want string
	}{
		{"unknown preset", coxswain.Source{Preset: "marketoo"}, `sources[0].preset: "marketoo" is not a preset (known: generic, hubspot, salesforce)`},
		{"ambiguous field", coxswain.Source{Preset: "salesforce", Fields: map[string]coxswain.ColumnSpec{"created_at": {Names: []string{"X"}}}},
			`sources[0].fields.created_at: several objects have "created_at": write one of`},
		{"unknown field", coxswain.Source{Preset: "salesforce", Fields: map[string]coxswain.ColumnSpec{"lead.mqls": {Names: []string{"X"}}}},
			`sources[0].fields.lead.mqls: lead has no field "mqls"`},
		{"bad type", coxswain.Source{Preset: "salesforce", Fields: map[string]coxswain.ColumnSpec{"mql_at": {Names: []string{"X"}, Type: "datetime"}}},
			`sources[0].fields.mql_at.type: "datetime" is not a field type`},
		{"unknown object in files", coxswain.Source{Preset: "generic", Files: map[string]string{"deal": "*.csv"}},
			`sources[0].files.deal: is not an object`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Resolve(tc.src, "sources[0]")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestMapping_ObjectFor(t *testing.T) {
	m, err := Resolve(coxswain.Source{Preset: "salesforce"}, "s")
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]coxswain.Object{"Lead.csv": coxswain.Lead, "lead.CSV": coxswain.Lead, "Task.csv": coxswain.Activity, "Event.csv": coxswain.Activity, "Case.csv": ""} {
		if got, _ := m.ObjectFor(name); got != want {
			t.Errorf("ObjectFor(%s) = %q, want %q", name, got, want)
		}
	}
}
