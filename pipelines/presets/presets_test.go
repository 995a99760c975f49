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
		{"unknown preset", coxswain.Source{Preset: "marketoo"}, `sources[0].preset: "marketoo" is not a preset (known: generic, hubspot, marketo, pardot, pipedrive, salesforce)`},
		{"ambiguous field", coxswain.Source{Preset: "salesforce", Fields: map[string]coxswain.ColumnSpec{"created_at": {Names: []string{"X"}}}},
			`sources[0].fields.created_at: several objects have "created_at": write one of`},
		{"unknown field", coxswain.Source{Preset: "salesforce", Fields: map[string]coxswain.ColumnSpec{"lead.mqls": {Names: []string{"X"}}}},
			`sources[0].fields.lead.mqls: lead has no field "mqls"`},
		{"bad type", coxswain.Source{Preset: "salesforce", Fields: map[string]coxswain.ColumnSpec{"mql_at": {Names: []string{"X"}, Type: "datetime"}}},
			`sources[0].fields.mql_at.type: "datetime" is not a field type`},
		{"unknown object in files", coxswain.Source{Preset: "generic", Files: map[string]string{"deal": "*.csv"}},
			`sources[0].files.deal: is not an object`},
		{"values on a field that is no flag", coxswain.Source{Preset: "generic", Fields: map[string]coxswain.ColumnSpec{"opportunity.amount": {Names: []string{"Deal - Value"}, Values: []string{"won"}}}},
			`sources[0].fields.opportunity.amount.values: amount is not a flag`},
		{"an MQL rule a tool cannot follow", coxswain.Source{Preset: "pardot", MQL: coxswain.MQLRule{Score: 100}},
			`sources[0].mql.score: the pardot preset's exports record no score changes`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Resolve(tc.src, "sources[0]")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestMapping_Recognize(t *testing.T) {
	sf, err := Resolve(coxswain.Source{Preset: "salesforce"}, "s")
	if err != nil {
		t.Fatal(err)
	}
	hs, err := Resolve(coxswain.Source{Preset: "hubspot", Files: map[string]string{"opportunity": "pipeline-*.csv"}}, "s")
	if err != nil {
		t.Fatal(err)
	}
	gen, err := Resolve(coxswain.Source{Preset: "generic"}, "s")
	if err != nil {
		t.Fatal(err)
	}
	contactHeader := []string{"Record ID", "First Name", "Email", "Create Date", "Company Name"}
	dealHeader := []string{"Record ID", "Deal Name", "Deal Stage", "Create Date", "Amount"}
	for _, tc := range []struct {
		m      *Mapping
		name   string
		header []string
		want   coxswain.Object
		by     string
		reason string
	}{
		// Named after the object, with or without a header that fits.
		{sf, "Lead.csv", []string{"Id", "CreatedDate", "IsConverted"}, coxswain.Lead, "name", ""},
		{sf, "lead.CSV", []string{"Id", "CreatedDate"}, coxswain.Lead, "name", ""},
		{sf, "Event.csv", nil, coxswain.Activity, "name", ""},
		// Named after nothing: the header decides.
		{sf, "extract-0001.csv", []string{"ID", "CreatedDate", "WhoId", "WhatId", "Subject"}, coxswain.Activity, "header", ""},
		{sf, "Case.csv", []string{"Id", "CaseNumber", "Status"}, "", "", "its columns match no object"},
		// Sibling objects share columns: a history file is not its object.
		{sf, "OpportunityHistory.csv", []string{"Id", "OpportunityId", "CreatedDate", "StageName", "Amount", "CloseDate", "Probability"}, "", "", "closest object opportunity"},
		{sf, "AccountContactRelation.csv", []string{"Id", "AccountId", "ContactId", "IsActive", "StartDate", "EndDate"}, "", "", ""},
		{sf, "Quote.csv", []string{"Id", "Name", "AccountId", "Email", "CreatedDate", "Status"}, "", "", ""},
		// A companies or tickets export with associations is no activity,
		// a call export logged on deals is no deal, and a marketing e-mail
		// report named like an activity export is ignored, not refused.
		{hs, "hubspot-crm-exports-todas-las-empresas.csv", []string{"Record ID", "Company name", "Create Date", "Associated Contact IDs"}, "", "", ""},
		{hs, "hubspot-crm-exports-deal-calls-2026-11-02.csv", []string{"Record ID", "Activity date", "Call direction", "Associated Deal IDs"}, coxswain.Activity, "name", ""},
		{hs, "marketing-email-performance-2026-11-02.csv", []string{"Email name", "Publish date", "Sent"}, "", "", ""},
		{hs, "hubspot-crm-exports-notas.csv", []string{"ID de registro", "Fecha de actividad", "Cuerpo de la nota", "Associated Contact IDs"}, coxswain.Activity, "header", ""},
		// A generic preset says nothing of what identifies its objects: names only.
		{gen, "export.csv", []string{"id", "created_at", "email"}, "", "", "its columns fit lead, whose files this preset knows by name only (leads.csv, lead.csv)"},
		{gen, "leads.csv", []string{"id", "created_at", "email"}, coxswain.Lead, "name", ""},
		{hs, "hubspot-crm-exports-q4-pipeline-review-2026-11-21.csv", dealHeader, coxswain.Opportunity, "header", ""},
		{hs, "hubspot-crm-exports-all-people-2026-11-21.csv", contactHeader, coxswain.Lead, "header", ""},
		// A name that says one object does not override a header that says another.
		{hs, "contacts-with-deals.csv", dealHeader, coxswain.Opportunity, "header", ""},
		// The source's files: setting decides outright.
		{hs, "pipeline-2026.csv", contactHeader, coxswain.Opportunity, "config", ""},
		// The closest object and what it lacked.
		{hs, "view.csv", []string{"Record ID", "Deal Name", "Create Date"}, "", "", `closest object opportunity, but it lacks "Deal Stage" or "dealstage"`},
	} {
		rec := tc.m.Recognize(tc.name, tc.header)
		if rec.Object != tc.want || rec.By != tc.by || !strings.Contains(rec.Reason(), tc.reason) {
			t.Errorf("Recognize(%s, %v) = %q by %q (%s), want %q by %q (%s)", tc.name, tc.header, rec.Object, rec.By, rec.Reason(), tc.want, tc.by, tc.reason)
		}
	}
}
