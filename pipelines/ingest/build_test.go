package ingest

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/unicode"

	"coxswain"
)

// A Salesforce Data Export Lead file as the service writes it: every value
// quoted, 0/1 booleans, zone-less GMT datetimes, a date-only field with
// 00:00:00, the dummy id for an empty lookup, 15- and 18-character ids.
const dataExportLeads = `"Id","IsDeleted","CreatedDate","MQL_Date__c","ConvertedDate","ConvertedOpportunityId","OwnerId","LeadSource","Name","Company","Street"
"00Q5g0000000001EAA","0","2026-10-31 23:30:00","2026-11-01 03:30:00","2026-10-31 00:00:00","000000000000000AAA","0055g0000000001","Web","Zoë Martin","Société Générale","1 Rue de l'Église
Bâtiment B"
"00Q5g0000000002","1","2026-11-02 10:00:00","","","0065g0000000001AAA","0055g0000000001AAA","","O'Neil & Co","<script>alert(1)</script>",""
`

func TestBuild_SalesforceDataExport(t *testing.T) {
	e := newEnv(t, "")
	e.drop("crm", "2026-11-15", map[string]string{"Lead.csv": dataExportLeads})
	res := e.mustBuild()
	if loaded, _, rows, rejected := res.Counts(); loaded != 1 || rows != 2 || rejected != 0 {
		t.Fatalf("loaded %d drops, %d rows, %d rejected; want 1, 2, 0", loaded, rows, rejected)
	}
	// Worked by hand: zone-less values are GMT; ConvertedDate 2026-10-31 is a
	// calendar date, so sql_at is its start in New York (04:00 UTC, EDT);
	// 0055g0000000001 has no capitals, so its suffix is AAA; 00Q5g0000000002
	// has a capital Q third in its first five characters: bit 2, 4, "E".
	equalRows(t, "staging.leads", e.query(`SELECT id, is_deleted, created_at, mql_at, sql_at, converted_opportunity_id, owner_id,
		lead_source, name, company FROM staging.leads ORDER BY id`), []string{
		"00Q5g0000000001EAA|false|2026-10-31 23:30:00|2026-11-01 03:30:00|2026-10-31 04:00:00|NULL|0055g0000000001AAA|Web|Zoë Martin|Société Générale",
		"00Q5g0000000002EAA|true|2026-11-02 10:00:00|NULL|NULL|0065g0000000001AAA|0055g0000000001AAA|NULL|O'Neil & Co|<script>alert(1)</script>",
	})
	// The raw layer keeps columns no preset maps, with embedded newlines intact.
	equalRows(t, "raw street", e.query(`SELECT "Street" FROM raw.crm__lead WHERE "Id" LIKE '%01EAA'`),
		[]string{`1 Rue de l'Église\nBâtiment B`})
}

func TestBuild_DataLoaderDialects(t *testing.T) {
	// Data Loader and Bulk API: ISO-8601 with an offset or Z, true/false,
	// lower-case headers, and any of the Bulk API delimiters.
	for _, tc := range []struct{ name, delim, yamlDelim string }{
		{"comma", ",", ""}, {"semicolon", ";", ""}, {"tab", "\t", ""}, {"pipe", "|", ""},
		{"caret configured", "^", "^"}, {"backquote configured", "`", "`"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := "sources:\n  - {name: crm, preset: salesforce, path: exports/crm}\n"
			if tc.yamlDelim != "" {
				cfg = fmt.Sprintf("sources:\n  - {name: crm, preset: salesforce, path: exports/crm, delimiter: %q}\n", tc.yamlDelim)
			}
			e := newEnv(t, cfg)
			rows := [][]string{
				{"id", "isdeleted", "createddate", "isconverted", "convertedopportunityid", "leadsource"},
				{"00Q5g0000000003EAA", "false", "2024-01-23T03:54:57.000+0000", "true", "0065g0000000009AAA", "Paid Search"},
				{"00Q5g0000000004EAA", "true", "2024-01-23T03:54:57Z", "false", "", "Event"},
				{"00Q5g0000000005EAA", "false", "2024-01-23T05:54:57.000+0200", "false", "", ""},
			}
			var b strings.Builder
			for _, r := range rows {
				b.WriteString(strings.Join(r, tc.delim) + "\n")
			}
			e.drop("crm", "d1", map[string]string{"Lead.csv": b.String()})
			e.mustBuild()
			equalRows(t, "leads", e.query(`SELECT id, is_deleted, created_at, is_converted, converted_opportunity_id, lead_source FROM staging.leads ORDER BY id`), []string{
				"00Q5g0000000003EAA|false|2024-01-23 03:54:57|true|0065g0000000009AAA|Paid Search",
				"00Q5g0000000004EAA|true|2024-01-23 03:54:57|false|NULL|Event",
				"00Q5g0000000005EAA|false|2024-01-23 03:54:57|false|NULL|NULL",
			})
		})
	}
}

func TestBuild_Encodings(t *testing.T) {
	utf8File := "Id,CreatedDate,Name,Company\r\n00Q5g0000000001EAA,2026-01-05 10:00:00,Zoë Müller,Société “Générale” €\r\n"
	cp1252, err := charmap.Windows1252.NewEncoder().String(utf8File)
	if err != nil {
		t.Fatal(err)
	}
	latin1Text := strings.NewReplacer("“", `"`, "”", `"`, " €", "").Replace(utf8File)
	latin1Text = strings.Replace(latin1Text, `"Générale"`, `Générale`, 1)
	latin1, err := charmap.ISO8859_1.NewEncoder().String(latin1Text)
	if err != nil {
		t.Fatal(err)
	}
	utf16, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().String(strings.ReplaceAll(utf8File, ",", "\t"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, content, encoding, wantEnc, wantCompany string
	}{
		{"utf-8", utf8File, "", "utf-8", "Société “Générale” €"},
		{"utf-8 with BOM (Excel CSV UTF-8)", "\xEF\xBB\xBF" + utf8File, "", "utf-8", "Société “Générale” €"},
		{"utf-16 with BOM and tabs (Excel Unicode Text)", utf16, "", "utf-16", "Société “Générale” €"},
		{"cp1252 detected (Excel CSV)", cp1252, "", "cp1252", "Société “Générale” €"},
		{"latin-1 configured", latin1, "latin-1", "latin-1", "Société Générale"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := "sources:\n  - {name: crm, preset: salesforce, path: exports/crm}\n"
			if tc.encoding != "" {
				cfg = "sources:\n  - {name: crm, preset: salesforce, path: exports/crm, encoding: " + tc.encoding + "}\n"
			}
			e := newEnv(t, cfg)
			e.drop("crm", "d1", map[string]string{"Lead.csv": tc.content})
			e.mustBuild()
			equalRows(t, "lead", e.query(`SELECT name, company FROM staging.leads`), []string{"Zoë Müller|" + tc.wantCompany})
			equalRows(t, "encoding", e.query(`SELECT encoding FROM meta.files`), []string{tc.wantEnc})
		})
	}
}

func TestBuild_HubSpot(t *testing.T) {
	// Portal in Paris: 2026-02-25 22:36 there is 21:36 UTC. Labels and
	// internal names both work; a repeated header is kept under a new name.
	cfg := "sources:\n  - {name: hs, preset: hubspot, path: exports/hs, timezone: Europe/Paris}\n"
	for _, tc := range []struct{ name, contacts, deals string }{
		{"labels",
			`"Record ID","First Name","Create Date","Lifecycle Stage","Contact owner","Original Source","Became a Marketing Qualified Lead Date","Associated Deal IDs","Email","Email"` + "\n" +
				`"501","Zoë","2026-02-25 22:36","marketingqualifiedlead","O'Neil & Co","Organic Search","2026-02-26 09:00","9001;9002","z@example.com","z2@example.com"` + "\n",
			`"Record ID","Deal Name","Deal Stage","Amount","Close Date","Create Date","Deal owner"` + "\n" +
				`"9001","Big deal","closedwon","1234.5","2026-03-31 00:00","2026-02-27 10:00","Ana Silva"` + "\n" +
				`"9002","Small deal","appointmentscheduled","3.0","","2026-02-28 10:00","Ana Silva"` + "\n"},
		{"internal names",
			`"hs_object_id","firstname","createdate","lifecyclestage","hubspot_owner_id","hs_analytics_source","hs_lifecyclestage_marketingqualifiedlead_date","associateddealids","email"` + "\n" +
				`"501","Zoë","2026-02-25 22:36","marketingqualifiedlead","77","Organic Search","2026-02-26 09:00","9001;9002","z@example.com"` + "\n",
			`"hs_object_id","dealname","dealstage","amount","closedate","createdate","hubspot_owner_id"` + "\n" +
				`"9001","Big deal","closedwon","1234.5","2026-03-31 00:00","2026-02-27 10:00","77"` + "\n" +
				`"9002","Small deal","appointmentscheduled","3.0","","2026-02-28 10:00","77"` + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, cfg)
			e.drop("hs", "2026-03-01", map[string]string{"hubspot-crm-exports-all-contacts-2026-03-01.csv": tc.contacts, "hubspot-crm-exports-all-deals-2026-03-01.csv": tc.deals})
			e.mustBuild()
			equalRows(t, "leads", e.query(`SELECT id, created_at, mql_at, converted_opportunity_id, lead_source, email FROM staging.leads`),
				[]string{"501|2026-02-25 21:36:00|2026-02-26 08:00:00|9001|Organic Search|z@example.com"})
			equalRows(t, "opportunities", e.query(`SELECT id, stage, amount, close_date, created_at, is_won, is_closed FROM staging.opportunities ORDER BY id`), []string{
				"9001|closedwon|1234.5|2026-03-31|2026-02-27 09:00:00|true|true",
				"9002|appointmentscheduled|3|NULL|2026-02-28 09:00:00|false|false",
			})
		})
	}
}

func TestBuild_FilesRecognisedByHeader(t *testing.T) {
	// Exports named after saved views: the header says what they hold. A
	// file that fits no object is named with the closest one and what it lacked.
	e := newEnv(t, "sources:\n  - {name: hs, preset: hubspot, path: exports/hs}\n")
	e.drop("hs", "2026-11-21", map[string]string{
		"hubspot-crm-exports-q4-pipeline-review-2026-11-21.csv": "Record ID,Deal Name,Deal Stage,Amount,Create Date\n9001,Big deal,closedwon,100,2026-11-02 10:00\n",
		"hubspot-crm-exports-mqls-this-week-2026-11-21.csv":     "Record ID,Email,Create Date\n501,a@example.com,2026-11-01 09:00\n",
		"hubspot-crm-exports-forecast-2026-11-21.csv":           "Record ID,Deal Name,Create Date\n9002,No stage,2026-11-03 10:00\n",
	})
	res := e.mustBuild()
	got := map[string]string{}
	for _, f := range res.Drops[0].Files {
		got[f.Name] = f.Object
		if f.Ignored {
			got[f.Name] = "ignored: " + f.Reason
		}
	}
	for name, want := range map[string]string{
		"hubspot-crm-exports-q4-pipeline-review-2026-11-21.csv": "opportunity",
		"hubspot-crm-exports-mqls-this-week-2026-11-21.csv":     "lead",
		"hubspot-crm-exports-forecast-2026-11-21.csv":           `ignored: closest object opportunity, but it lacks "Deal Stage" or "dealstage" or "Deal-Phase" or ...`,
	} {
		if got[name] != want {
			t.Errorf("%s: got %q, want %q", name, got[name], want)
		}
	}
	equalRows(t, "opportunities", e.query(`SELECT id FROM staging.opportunities`), []string{"9001"})
	equalRows(t, "leads", e.query(`SELECT id FROM staging.leads`), []string{"501"})
}

func TestBuild_HubSpotActivities(t *testing.T) {
	// One export per kind of activity, told by its columns; a call on two
	// contacts keeps both, once each; a deal's companies are all kept.
	e := newEnv(t, "sources:\n  - {name: hs, preset: hubspot, path: exports/hs}\n")
	e.drop("hs", "2026-11-02", map[string]string{
		"hubspot-crm-exports-week-44-2026-11-02.csv": `"Record ID","Activity date","Call Title","Call direction","Associated Contact IDs","Associated Company IDs"` + "\n" +
			`"5001","2026-10-05 15:00","Intro","OUTBOUND","101;102;101",""` + "\n",
		"notes.csv":  `"Record ID","Activity date","Note body","Associated Contact IDs"` + "\n" + `"6001","2026-10-06 11:00","left a voicemail","102"` + "\n",
		"emails.csv": `"Record ID","Create Date","Email subject","Email direction","Associated Contact IDs"` + "\n" + `"7001","2026-10-07 12:00","Re: pricing","INCOMING_EMAIL","103"` + "\n",
		"deals.csv":  `"Record ID","Deal Name","Deal Stage","Create Date","Associated Company IDs"` + "\n" + `"9001","Acme","closedwon","2026-10-01 10:00","31;32"` + "\n",
	})
	e.mustBuild()
	equalRows(t, "activities", e.query(`SELECT id, kind, direction, occurred_at, who_id, list_sort(who_ids), list_sort(who_keys) FROM staging.activities ORDER BY id`), []string{
		"5001|call|OUTBOUND|2026-10-05 15:00:00|101|[101 102]|[hs:101 hs:102]",
		"6001|note|NULL|2026-10-06 11:00:00|102|[102]|[hs:102]",
		"7001|email|INCOMING_EMAIL|2026-10-07 12:00:00|103|[103]|[hs:103]",
	})
	equalRows(t, "opportunities", e.query(`SELECT id, account_id, list_sort(account_keys) FROM staging.opportunities`), []string{"9001|31|[hs:31 hs:32]"})
}

func TestBuild_StagesByPipeline(t *testing.T) {
	// A portal with a renamed won stage, a renewals pipeline whose stages
	// mean something only there, numeric custom stage ids, and the defaults.
	cfg := `sources:
  - name: hs
    preset: hubspot
    path: exports/hs
    stages:
      won: [Deal signed]
      pipelines:
        Renewals: {won: [Renewed, "1002830265"], lost: [Churned], open: [Up for renewal]}
`
	e := newEnv(t, cfg)
	e.drop("hs", "2026-11-02", map[string]string{"deals.csv": "Record ID,Deal Stage,Pipeline,Create Date,Is Closed Won\n" +
		"1,Deal signed,Sales Pipeline,2026-10-01 10:00,\n" +
		"2,closedlost,Sales Pipeline,2026-10-01 10:00,\n" +
		"3,Renewed,renewals,2026-10-01 10:00,\n" +
		"4,Renewed,Sales Pipeline,2026-10-01 10:00,\n" + // a stage of another pipeline: in no list here
		"5,1002830265,Renewals,2026-10-01 10:00,\n" +
		"6,Churned,Renewals,2026-10-01 10:00,\n" +
		"7,Up for renewal,Renewals,2026-10-01 10:00,\n" +
		"9,Contract Sent,Sales Pipeline,2026-10-01 10:00,true\n"}) // the export's own flag wins
	e.mustBuild()
	equalRows(t, "opportunities", e.query(`SELECT id, stage_status, is_won, is_closed FROM staging.opportunities ORDER BY id::INT`), []string{
		"1|won|true|true", "2|lost|false|true", "3|won|true|true", "4|NULL|false|false", "5|won|true|true",
		"6|lost|false|true", "7|open|false|false", "9|won|true|true",
	})
}

func TestBuild_GenericColumnMap(t *testing.T) {
	// Pipedrive-style labels mapped onto canonical fields in the config.
	cfg := `sources:
  - name: gen
    preset: generic
    path: exports/gen
    files: {opportunity: "deals*.csv"}
    fields:
      opportunity.id: "Deal - ID"
      opportunity.created_at: "Deal - Deal created"
      opportunity.amount: "Deal - Value"
      opportunity.stage: "Deal - Status"
`
	e := newEnv(t, cfg)
	e.drop("gen", "2026-11-01", map[string]string{"deals-export.csv": "Deal - ID,Deal - Title,Deal - Value,Deal - Status,Deal - Deal created\n7,Acme renewal,1500,won,2026-10-03 12:00:00\n"})
	e.mustBuild()
	equalRows(t, "opportunities", e.query(`SELECT id, amount, stage, is_won, created_at FROM staging.opportunities`),
		[]string{"7|1500|won|false|2026-10-03 12:00:00"})
	equalRows(t, "raw keeps unmapped columns", e.query(`SELECT "Deal - Title" FROM raw.gen__opportunity`), []string{"Acme renewal"})
}

func TestBuild_AlternativeColumnsPerFile(t *testing.T) {
	// Export headers drift between versions: each drop's rows read the
	// alternative their own file had, not the one a newer drop has.
	cfg := `sources:
  - name: gen
    preset: generic
    path: exports/gen
    fields:
      lead.lead_source: [Person - Source channel, Person - Lead source]
`
	e := newEnv(t, cfg)
	e.drop("gen", "2026-11-01", map[string]string{"leads.csv": "id,created_at,Person - Lead source\n1,2026-10-03 12:00:00,Webinar\n"})
	e.drop("gen", "2026-11-08", map[string]string{"leads.csv": "id,created_at,Person - Source channel\n2,2026-11-03 12:00:00,Paid search\n"})
	res := e.mustBuild()
	equalRows(t, "leads", e.query(`SELECT id, lead_source FROM staging.leads ORDER BY id`),
		[]string{"1|Webinar", "2|Paid search"})
	// The build says which column each file used where it was not the first.
	if got := res.Drops[0].Files[0].Alternates; !slices.Equal(got, []string{`lead_source: "Person - Lead source"`}) {
		t.Errorf("the older drop's file says it used %q", got)
	}
	if got := res.Drops[1].Files[0].Alternates; len(got) != 0 {
		t.Errorf("the newer drop's file used its first columns, but says %q", got)
	}
}

func TestBuild_DateFromAnInstant(t *testing.T) {
	// Exported in Tokyo, reported in New York (the harness's zone). A close
	// date mapped from an instant is its date in the reporting zone: won at
	// 00:30 on 1 November in Tokyo is 11:30 on 31 October in New York. A
	// real date-only field is never shifted.
	for _, tc := range []struct {
		name, fields, header, row, want string
	}{
		{"an instant", "opportunity.close_date: {column: Deal - Won time, type: timestamp}", "Deal - ID,Deal - Deal created,Deal - Won time", "7,2026-10-03 12:00:00,2026-11-01 00:30:00", "2026-10-31"},
		{"a date", "opportunity.close_date: Deal - Expected close date", "Deal - ID,Deal - Deal created,Deal - Expected close date", "7,2026-10-03 12:00:00,2026-11-01", "2026-11-01"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, `sources:
  - name: gen
    preset: generic
    path: exports/gen
    timezone: Asia/Tokyo
    files: {opportunity: "deals*.csv"}
    fields:
      opportunity.id: Deal - ID
      opportunity.created_at: Deal - Deal created
      `+tc.fields+"\n")
			e.drop("gen", "2026-11-02", map[string]string{"deals.csv": tc.header + "\n" + tc.row + "\n"})
			e.mustBuild()
			equalRows(t, "close date", e.query(`SELECT close_date FROM staging.opportunities`), []string{tc.want})
		})
	}
}

func TestBuild_SnapshotDeclared(t *testing.T) {
	// A full Pipedrive export through the generic preset: declared a
	// snapshot, a person missing from the newer drop (merged away) is gone,
	// and the snapshot guard holds a drop cut short.
	cfg := "sources:\n  - {name: gen, preset: generic, path: exports/gen, snapshot: true}\n"
	e := newEnv(t, cfg)
	e.drop("gen", "2026-11-01", map[string]string{"leads.csv": "id,created_at\n1,2026-10-01 10:00\n2,2026-10-02 10:00\n3,2026-10-03 10:00\n4,2026-10-04 10:00\n5,2026-10-05 10:00\n6,2026-10-06 10:00\n7,2026-10-07 10:00\n8,2026-10-08 10:00\n9,2026-10-09 10:00\n10,2026-10-10 10:00\n"})
	e.drop("gen", "2026-11-08", map[string]string{"leads.csv": "id,created_at\n1,2026-10-01 10:00\n2,2026-10-02 10:00\n3,2026-10-03 10:00\n4,2026-10-04 10:00\n5,2026-10-05 10:00\n6,2026-10-06 10:00\n7,2026-10-07 10:00\n8,2026-10-08 10:00\n9,2026-10-09 10:00\n"})
	e.mustBuild()
	equalRows(t, "the merged-away person is gone", e.query(`SELECT count(*) FROM staging.leads`), []string{"9"})
	e.drop("gen", "2026-11-15", map[string]string{"leads.csv": "id,created_at\n1,2026-10-01 10:00\n"})
	var se *SnapshotShrinkError
	if _, err := e.build(); !errors.As(err, &se) {
		t.Errorf("a cut-short snapshot of a generic source loaded: %v", err)
	}

	// Not declared: the generic preset's exports are incremental.
	e2 := newEnv(t, "sources:\n  - {name: gen, preset: generic, path: exports/gen}\n")
	e2.drop("gen", "2026-11-01", map[string]string{"leads.csv": "id,created_at\n1,2026-10-01 10:00\n2,2026-10-02 10:00\n"})
	e2.drop("gen", "2026-11-08", map[string]string{"leads.csv": "id,created_at\n1,2026-10-01 10:00\n"})
	e2.mustBuild()
	equalRows(t, "incremental keeps both", e2.query(`SELECT count(*) FROM staging.leads`), []string{"2"})
}

func TestBuild_FlagsFromValues(t *testing.T) {
	// Pipedrive writes Deal - Status as open, won or lost: the flags come
	// from its values. A value in no list (deleted) is left empty and named.
	cfg := `sources:
  - name: gen
    preset: generic
    path: exports/gen
    files: {opportunity: "deals*.csv"}
    fields:
      opportunity.id: Deal - ID
      opportunity.created_at: Deal - Deal created
      opportunity.is_won: {column: Deal - Status, values: [won], not: [open, lost]}
      opportunity.is_closed: {column: Deal - Status, values: [won, lost], not: [Open]}
`
	e := newEnv(t, cfg)
	e.drop("gen", "2026-11-02", map[string]string{"deals.csv": "Deal - ID,Deal - Status,Deal - Deal created\n" +
		"1,won,2026-10-01 10:00\n2,lost,2026-10-01 10:00\n3,open,2026-10-01 10:00\n4, Won ,2026-10-01 10:00\n5,deleted,2026-10-01 10:00\n6,,2026-10-01 10:00\n"})
	e.mustBuild()
	equalRows(t, "flags", e.query(`SELECT id, is_won, is_closed FROM staging.opportunities ORDER BY id`), []string{
		"1|true|true", "2|false|true", "3|false|false", "4|true|true", "5|NULL|NULL", "6|NULL|NULL",
	})
	equalRows(t, "unknown values", e.query(`SELECT key, value FROM staging.unknown_values ORDER BY value`), []string{
		"gen:5|is_closed: deleted", "gen:5|is_won: deleted",
	})
	// A column typed BOOLEAN by an earlier mapping, mapped by its values later.
	e2 := newEnv(t, "sources:\n  - name: gen\n    preset: generic\n    path: exports/gen\n    files: {opportunity: \"deals*.csv\"}\n    fields: {opportunity.is_won: Won}\n")
	e2.drop("gen", "2026-11-01", map[string]string{"deals.csv": "id,created_at,Won\n1,2026-10-01 10:00,true\n"})
	e2.mustBuild()
	e2.yaml = strings.Replace(e2.yaml, "fields: {opportunity.is_won: Won}", "fields: {opportunity.is_won: {column: Won, values: [won, true], not: [lost, open, false]}}", 1)
	e2.drop("gen", "2026-11-02", map[string]string{"deals.csv": "id,created_at,Won\n2,2026-10-01 10:00,Won\n3,2026-10-01 10:00,Open\n"})
	e2.mustBuild()
	equalRows(t, "flags after the column became text", e2.query(`SELECT id, is_won FROM staging.opportunities ORDER BY id`), []string{"1|true", "2|true", "3|false"})

	// Fixed in a newer drop: the current state has no unknown value left.
	e.drop("gen", "2026-11-09", map[string]string{"deals.csv": "Deal - ID,Deal - Status,Deal - Deal created\n5,lost,2026-10-01 10:00\n"})
	e.mustBuild()
	equalRows(t, "unknown values after the fix", e.query(`SELECT count(*) FROM staging.unknown_values`), []string{"0"})
}

func TestBuild_QuarantineUnderThreshold(t *testing.T) {
	e := newEnv(t, "load: {max_reject_share: 0.05}\nsources:\n  - {name: crm, preset: salesforce, path: exports/crm}\n")
	var b strings.Builder
	b.WriteString(`"Id","IsDeleted","CreatedDate","AnnualRevenue"` + "\n")
	for i := 1; i <= 100; i++ {
		del, created := "0", "2026-01-02 03:04:05"
		switch i {
		case 10:
			del = "maybe" // line 11: not a boolean
		case 20:
			created = "31/12/2025 10:00" // line 21: not a datetime
		}
		fmt.Fprintf(&b, "\"00Q5g%010dAAA\",\"%s\",\"%s\",\"1.000,50\"\n", i, del, created)
	}
	e.drop("crm", "d1", map[string]string{"Lead.csv": b.String()})
	res := e.mustBuild()
	if _, _, rows, rejected := res.Counts(); rows != 98 || rejected != 2 {
		t.Errorf("rows %d, rejected %d; want 98 and 2", rows, rejected)
	}
	equalRows(t, "rejects", e.query(`SELECT file, line, column_name, value, error_type FROM meta.rejects ORDER BY line`), []string{
		"Lead.csv|11|IsDeleted|maybe|CAST",
		"Lead.csv|21|CreatedDate|31/12/2025 10:00|CAST",
	})
	equalRows(t, "file manifest", e.query(`SELECT name, rows_read, rows_loaded, rows_rejected, first_error FROM meta.files`), []string{
		`Lead.csv|100|98|2|line 11, column IsDeleted: Error when converting column "IsDeleted". Could not convert string "maybe" to 'BOOLEAN'`,
	})
	equalRows(t, "staging has no rejected row", e.query(`SELECT count(*) FROM staging.leads WHERE id IN ('00Q5g0000000010AAA', '00Q5g0000000020AAA')`), []string{"0"})
}

func TestBuild_QuarantineOverThresholdKeepsPreviousState(t *testing.T) {
	e := newEnv(t, "")
	e.drop("crm", "2026-11-01", map[string]string{"Lead.csv": dataExportLeads})
	e.mustBuild()

	e.drop("crm", "2026-11-08", map[string]string{
		"Lead.csv":        `"Id","CreatedDate"` + "\n" + `"00Q5g0000000009AAA","02/23/26 08:55 PM"` + "\n" + `"00Q5g0000000010AAA","2026-11-05 10:00:00"` + "\n",
		"Opportunity.csv": `"Id","CreatedDate","IsWon"` + "\n" + `"0065g0000000001AAA","2026-11-05 10:00:00","yes please"` + "\n",
	})
	_, err := e.build()
	var de *DropError
	if !errors.As(err, &de) {
		t.Fatalf("want a DropError, got %v", err)
	}
	msg := err.Error()
	for _, want := range []string{
		"drop crm/2026-11-08 was not loaded",
		"crm/2026-11-08/Lead.csv: 1 of 2 rows (50.0%) could not be read, more than the 1% allowed",
		`line 2, column CreatedDate: Could not convert string "02/23/26 08:55 PM" to a date and time`,
		"crm/2026-11-08/Opportunity.csv: 1 of 1 rows",
		`line 2, column IsWon`,
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error does not say %q:\n%s", want, msg)
		}
	}
	if hints := coxswain.Hints(de); len(hints) == 0 || !strings.Contains(hints[0].Advice, `formats.timestamp: "%m/%d/%y %I:%M %p"`) {
		t.Errorf("hints %v do not suggest the timestamp format", hints)
	}
	// Nothing of the failed drop is visible; the first drop's state is intact.
	equalRows(t, "drops", e.query(`SELECT name FROM meta.drops`), []string{"2026-11-01"})
	equalRows(t, "leads", e.query(`SELECT count(*) FROM staging.leads`), []string{"2"})
	equalRows(t, "raw", e.query(`SELECT count(*) FROM raw.crm__lead`), []string{"2"})
	equalRows(t, "rejects", e.query(`SELECT count(*) FROM meta.rejects`), []string{"0"})
}

func TestBuild_TimestampFormatConfigured(t *testing.T) {
	// A file that passed through Excel, read with the format the hint gives.
	e := newEnv(t, "sources:\n  - {name: crm, preset: salesforce, path: exports/crm, timezone: America/Chicago, formats: {timestamp: \"%m/%d/%y %I:%M %p\", date: \"%m/%d/%y\"}}\n")
	e.drop("crm", "d1", map[string]string{"Lead.csv": "Id,CreatedDate,ConvertedDate\n00Q5g0000000009AAA,02/23/26 08:55 PM,02/24/26\n"})
	e.mustBuild()
	// 20:55 in Chicago (CST, UTC-6) is 02:55 UTC the next day.
	equalRows(t, "lead", e.query(`SELECT created_at, sql_at FROM staging.leads`), []string{"2026-02-24 02:55:00|2026-02-24 05:00:00"})
}

func TestBuild_MissingRequiredColumn(t *testing.T) {
	e := newEnv(t, "")
	e.drop("crm", "d1", map[string]string{
		"Lead.csv":        "Id,Name\n00Q5g0000000009AAA,Zoë\n",
		"Opportunity.csv": "Name,CreatedDate\nx,2026-01-01 00:00:00\n",
	})
	_, err := e.build()
	if err == nil {
		t.Fatal("build passed with a file missing a required column")
	}
	for _, want := range []string{
		`crm/d1/Lead.csv: required column for lead.created_at not found (looked for "CreatedDate"; preset salesforce); the file's columns are: Id, Name`,
		`crm/d1/Opportunity.csv: required column for opportunity.id not found (looked for "Id"; preset salesforce); the file's columns are: Name, CreatedDate`,
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%s", want, err)
		}
	}
	if hints := coxswain.Hints(err); len(hints) == 0 || !strings.Contains(hints[0].Advice, "sources[0].fields: {lead.created_at: YOUR_COLUMN}") {
		t.Errorf("hints %v do not say how to map the column", hints)
	}
	equalRows(t, "nothing loaded", e.query(`SELECT count(*) FROM meta.drops`), []string{"0"})
}

func TestBuild_ZipSlipRefused(t *testing.T) {
	e := newEnv(t, "")
	e.zipDrop("crm", "WE_00D_1.ZIP", map[string]string{"Lead.csv": dataExportLeads, "../../evil.csv": "x\n"})
	_, err := e.build()
	if err == nil || !strings.Contains(err.Error(), `entry "../../evil.csv" points outside the archive's folder; the archive is refused`) {
		t.Fatalf("want the archive refused, got %v", err)
	}
	equalRows(t, "nothing loaded", e.query(`SELECT count(*) FROM meta.drops`), []string{"0"})
}

func TestBuild_ReloadIsNoOp(t *testing.T) {
	e := newEnv(t, "")
	e.zipDrop("crm", "2026-11-01_WE_00D_1.ZIP", map[string]string{"Lead.csv": dataExportLeads})
	e.mustBuild()
	res := e.mustBuild()
	if loaded, skipped, _, _ := res.Counts(); loaded != 0 || skipped != 1 {
		t.Errorf("second build loaded %d, skipped %d; want 0 and 1", loaded, skipped)
	}
	// The same content under another name, as a folder, is not loaded again either.
	e.drop("crm", "2026-11-02-copy", map[string]string{"Lead.csv": dataExportLeads})
	res = e.mustBuild()
	if loaded, skipped, _, _ := res.Counts(); loaded != 0 || skipped != 2 {
		t.Errorf("third build loaded %d, skipped %d; want 0 and 2", loaded, skipped)
	}
	equalRows(t, "raw rows", e.query(`SELECT count(*) FROM raw.crm__lead`), []string{"2"})
}

func TestBuild_CurrentState(t *testing.T) {
	// Salesforce exports are full snapshots: a lead missing from the latest
	// drop was deleted. HubSpot exports are not: a missing contact stays.
	t.Run("salesforce snapshot", func(t *testing.T) {
		// One lead of two goes: more than the default 10% guard allows.
		e := newEnv(t, "load: { max_delete_share: 0.5 }\nsources:\n  - {name: crm, preset: salesforce, path: exports/crm}\n")
		e.drop("crm", "2026-11-01", map[string]string{"Lead.csv": "Id,CreatedDate,Status\n00Q5g0000000001EAA,2026-10-01 00:00:00,Open\n00Q5g0000000002EAA,2026-10-02 00:00:00,Open\n"})
		e.mustBuild()
		e.drop("crm", "2026-11-08", map[string]string{"Lead.csv": "Id,CreatedDate,Status\n00Q5g0000000001,2026-10-01 00:00:00,Working\n00Q5g0000000003EAA,2026-11-03 00:00:00,Open\n"})
		e.mustBuild()
		equalRows(t, "leads", e.query(`SELECT id, status, drop_name FROM staging.leads ORDER BY id`), []string{
			"00Q5g0000000001EAA|Working|2026-11-08",
			"00Q5g0000000003EAA|Open|2026-11-08",
		})
	})
	t.Run("hubspot incremental", func(t *testing.T) {
		e := newEnv(t, "sources:\n  - {name: hs, preset: hubspot, path: exports/hs}\n")
		e.drop("hs", "2026-11-01", map[string]string{"contacts.csv": "Record ID,Create Date,Lifecycle Stage\n1,2026-10-01 10:00,lead\n2,2026-10-02 10:00,lead\n"})
		e.drop("hs", "2026-11-08", map[string]string{"contacts.csv": "Record ID,Create Date,Lifecycle Stage\n1,2026-10-01 10:00,marketingqualifiedlead\n"})
		e.mustBuild()
		equalRows(t, "leads", e.query(`SELECT id, status FROM staging.leads ORDER BY id`), []string{"1|marketingqualifiedlead", "2|lead"})
	})
}

func TestBuild_LaterDropWaitsForFailedOne(t *testing.T) {
	e := newEnv(t, "")
	e.drop("crm", "2026-11-01", map[string]string{"Lead.csv": "Id,Name\n1,x\n"})
	e.drop("crm", "2026-11-08", map[string]string{"Lead.csv": dataExportLeads})
	res, err := e.build()
	if err == nil {
		t.Fatal("build passed")
	}
	var statuses []string
	for _, d := range res.Drops {
		statuses = append(statuses, d.Name+":"+d.Status)
	}
	equalRows(t, "drops", statuses, []string{"2026-11-01:failed", "2026-11-08:blocked"})
}

func TestBuild_NotUTF8AfterFirstMegabyte(t *testing.T) {
	// The encoding is chosen from a file's first megabyte while the whole
	// file is hashed alongside the load; a cp1252 byte further on makes the
	// drop load again as cp1252, with the text intact.
	var b strings.Builder
	b.WriteString("Id,CreatedDate,Company\n")
	n := 0
	for b.Len() < 1<<20+1000 {
		n++
		fmt.Fprintf(&b, "00Q5g%010dAAA,2026-01-02 03:04:05,Plain ASCII Company Number %d\n", n, n)
	}
	b.WriteString("00Q5g9999999999AAA,2026-01-02 03:04:05,Soci\xe9t\xe9 G\xe9n\xe9rale \x80\n")
	e := newEnv(t, "")
	e.drop("crm", "d1", map[string]string{"Lead.csv": b.String()})
	res := e.mustBuild()
	if _, _, rows, rejected := res.Counts(); rows != int64(n+1) || rejected != 0 {
		t.Errorf("rows %d, rejected %d; want %d and 0", rows, rejected, n+1)
	}
	equalRows(t, "encoding", e.query(`SELECT encoding FROM meta.files`), []string{"cp1252"})
	equalRows(t, "text", e.query(`SELECT company FROM staging.leads WHERE id = '00Q5g9999999999AAA'`), []string{"Société Générale €"})
}

func TestBuild_Plans(t *testing.T) {
	e := newEnv(t, "plans: {spend: spend.csv, targets: targets.csv}\nsources:\n  - {name: crm, preset: salesforce, path: exports/crm}\n")
	write := func(name, content string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(e.dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("spend.csv", "\uFEFFmonth,channel,amount\n2026-10,Paid Search,1500.50\n2026-10,=cmd(),20\n")
	write("targets.csv", "month,metric,target\n2026-10,mqls,40\n")
	e.mustBuild()
	equalRows(t, "spend", e.query(`SELECT month, channel, amount FROM plans.spend ORDER BY channel`), []string{"2026-10|=cmd()|20", "2026-10|Paid Search|1500.5"})
	equalRows(t, "targets", e.query(`SELECT * FROM plans.targets`), []string{"2026-10|mqls|40"})

	// Bad cells are named by line and column; the previous plans stay.
	write("spend.csv", "month,channel,amount\n2026-10,Paid Search,\"1.500,50\"\nOct 2026,Web,10\n")
	_, err := e.build()
	for _, want := range []string{
		`spend.csv:2:3: amount "1.500,50" must be a plain number with a dot for decimals (1234.50)`,
		`spend.csv:3:1: month "Oct 2026" must be YYYY-MM (2026-11)`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q: %v", want, err)
		}
	}
	equalRows(t, "spend kept", e.query(`SELECT count(*) FROM plans.spend`), []string{"2"})
	write("targets.csv", "month,target\n")
	if _, err := e.build(); err == nil || !strings.Contains(err.Error(), `targets.csv:1:1: the header is "month,target"; it must be month,metric,target`) {
		t.Errorf("bad header: %v", err)
	}
}

func TestBuild_WarnsOfMissingKeyFields(t *testing.T) {
	e := newEnv(t, "")
	e.drop("crm", "d1", map[string]string{"Lead.csv": "Id,CreatedDate,LeadSource,OwnerId,ConvertedDate,ConvertedOpportunityId\n00Q5g0000000001EAA,2026-01-01 00:00:00,Web,0055g0000000001AAA,,\n"})
	res := e.mustBuild()
	equalRows(t, "warnings", res.Drops[0].Files[0].Warnings, []string{
		`no column for lead.mql_at (looked for "MQL_Date__c"): the metrics that use it will be empty; map it with sources[0].fields: {lead.mql_at: YOUR_COLUMN}`,
	})
}

func TestWaiting_RenamedCopyIsNotWaiting(t *testing.T) {
	// The last drop replaces every lead: not what this test is about.
	e := newEnv(t, "load: { max_delete_share: 1 }\nsources:\n  - {name: crm, preset: salesforce, path: exports/crm}\n")
	e.drop("crm", "2026-11-01", map[string]string{"Lead.csv": dataExportLeads})
	e.mustBuild()
	e.drop("crm", "2026-11-02-copy", map[string]string{"Lead.csv": dataExportLeads})
	e.drop("crm", "2026-11-03", map[string]string{"Lead.csv": "Id,CreatedDate\n00Q5g0000000009AAA,2026-11-03 00:00:00\n"})
	names := func() []string {
		drops, err := Waiting(context.Background(), e.warehouse().DB, "crm", filepath.Join(e.dir, "exports", "crm"))
		if err != nil {
			t.Fatal(err)
		}
		var n []string
		for _, d := range drops {
			n = append(n, d.Name)
		}
		return n
	}
	// Before a build has hashed the copy it looks new; after, it does not.
	equalRows(t, "waiting before", names(), []string{"2026-11-02-copy", "2026-11-03"})
	e.mustBuild()
	equalRows(t, "waiting after", names(), nil)
}

// leadsCSV is a Lead export of the ids n to m (Salesforce 18-character ids).
func leadsCSV(n, m int) string {
	var b strings.Builder
	b.WriteString("Id,CreatedDate,Status\n")
	for i := n; i <= m; i++ {
		fmt.Fprintf(&b, "00Q5g%010dAAA,2026-10-01 00:00:00,Open\n", i)
	}
	return b.String()
}

// TestBuild_SnapshotGuard: a full snapshot that would delete more than
// max_delete_share (10%) of an object's records is held with the counts and
// how to accept it; within the share, or accepted, it loads; what was
// accepted is recorded with the drop.
func TestBuild_SnapshotGuard(t *testing.T) {
	e := newEnv(t, "")
	e.drop("crm", "2026-11-01", map[string]string{"Lead.csv": leadsCSV(1, 20)})
	e.mustBuild()

	// 2 of 20 gone (10%): not more than allowed.
	e.drop("crm", "2026-11-02", map[string]string{"Lead.csv": leadsCSV(1, 18)})
	e.mustBuild()
	equalRows(t, "leads after 10%", e.query(`SELECT count(*) FROM staging.leads`), []string{"18"})

	// Cut short: 7 of 18 left.
	e.drop("crm", "2026-11-08", map[string]string{"Lead.csv": leadsCSV(1, 7)})
	_, err := e.build()
	var se *SnapshotShrinkError
	if !errors.As(err, &se) || se.Before != 18 || se.After != 7 || se.Missing != 11 {
		t.Fatalf("a truncated snapshot: %v", err)
	}
	for _, want := range []string{"crm/2026-11-08/Lead.csv: this full snapshot of leads lists 7 records where the previous one had 18: 11 of them (61.1%) would be deleted, more than the 10% allowed", "the drop is held"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not say %q:\n%v", want, err)
		}
	}
	var says []string
	for _, h := range coxswain.Hints(err) {
		says = append(says, h.String())
	}
	if !slices.Contains(says, "coxswain build --accept-drop 2026-11-08") {
		t.Errorf("hints %q do not say how to accept the drop", says)
	}
	equalRows(t, "leads kept", e.query(`SELECT count(*) FROM staging.leads`), []string{"18"})
	equalRows(t, "held, for the pack to say", e.query(`SELECT source, drop_name, object, records_before, records_after, missing FROM meta.held_drops`),
		[]string{"crm|2026-11-08|lead|18|7|11"})

	// A header-only export is held too.
	e2 := newEnv(t, "")
	e2.drop("crm", "2026-11-01", map[string]string{"Lead.csv": leadsCSV(1, 3)})
	e2.mustBuild()
	e2.drop("crm", "2026-11-02", map[string]string{"Lead.csv": "Id,CreatedDate,Status\n"})
	if _, err := e2.build(); !errors.As(err, &se) || se.After != 0 {
		t.Errorf("a header-only snapshot: %v", err)
	}

	// Accepted: it loads, and the acceptance is kept.
	e.accept = []string{"2026-11-08"}
	res := e.mustBuild()
	if loaded, _, _, _ := res.Counts(); loaded != 1 {
		t.Fatalf("the accepted drop did not load: %+v", res.Drops)
	}
	equalRows(t, "leads after acceptance", e.query(`SELECT count(*) FROM staging.leads`), []string{"7"})
	equalRows(t, "no longer held", e.query(`SELECT count(*) FROM meta.held_drops`), []string{"0"})
	equalRows(t, "accepted", e.query(`SELECT name, accepted FROM meta.drops WHERE accepted IS NOT NULL`),
		[]string{"2026-11-08|leads: 11 of 18 records deleted (61.1%), accepted"})

	// A late export older than the current state deletes nothing: it loads
	// without being held, and the current state stays the newest snapshot's.
	e.accept = nil
	e.drop("crm", "2026-11-05", map[string]string{"Lead.csv": leadsCSV(1, 2)})
	e.mustBuild()
	equalRows(t, "leads after a late older drop", e.query(`SELECT count(*) FROM staging.leads`), []string{"7"})
}

// TestBuild_CutSnapshot: a full snapshot that ends inside a record is held
// even when the cut loses fewer records than max_delete_share, because
// under snapshot semantics every record after the cut would be deleted;
// accepted, it loads, and its cut row is quarantined.
func TestBuild_CutSnapshot(t *testing.T) {
	for _, tc := range []struct{ name, cut string }{
		{"inside a quote", `00Q5g0000000200AAA,2026-10-01 00:00:00,"Op`},
		{"inside a row", `00Q5g0000000200AAA,2026-10-01 00:`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, "")
			e.drop("crm", "2026-11-01", map[string]string{"Lead.csv": leadsCSV(1, 200)})
			e.mustBuild()
			e.drop("crm", "2026-11-02", map[string]string{"Lead.csv": leadsCSV(1, 199) + tc.cut})
			_, err := e.build()
			var se *SnapshotShrinkError
			if !errors.As(err, &se) || !se.Cut || se.Before != 200 || se.After != 199 || se.Missing != 1 {
				t.Fatalf("a snapshot cut short: %v", err)
			}
			if !strings.Contains(err.Error(), "crm/2026-11-02/Lead.csv: the file ends inside a record") {
				t.Errorf("the error does not name the file and the cut: %v", err)
			}
			equalRows(t, "leads kept", e.query(`SELECT count(*) FROM staging.leads`), []string{"200"})
			equalRows(t, "held", e.query(`SELECT drop_name, records_before, records_after, missing FROM meta.held_drops`), []string{"2026-11-02|200|199|1"})

			e.accept = []string{"2026-11-02"}
			res := e.mustBuild()
			equalRows(t, "leads once accepted", e.query(`SELECT count(*) FROM staging.leads`), []string{"199"})
			equalRows(t, "the cut row is quarantined", e.query(`SELECT DISTINCT line FROM meta.rejects`), []string{"201"})
			var warnings []string
			for _, d := range res.Drops {
				for _, f := range d.Files {
					warnings = append(warnings, f.Warnings...)
				}
			}
			if !slices.ContainsFunc(warnings, func(s string) bool { return strings.Contains(s, "cut short") }) {
				t.Errorf("warnings %q do not say the file was cut", warnings)
			}
		})
	}
}

// TestBuild_ReportExport: a report export with a title above its header and
// a copyright footer below its rows loads every row and rejects none; the
// build says what it passed over.
func TestBuild_ReportExport(t *testing.T) {
	e := newEnv(t, "")
	body := "\"Leads by status\"\n\"As of 11/01/2026\"\n\n" + leadsCSV(1, 5) +
		"\n\n\"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved.\"\n\"Confidential Information - Do Not Distribute\"\n\"Generated By:  Ann Lee  11/1/2026 10:12 AM\"\n\"Acme, Inc.\"\n"
	e.drop("crm", "2026-11-01", map[string]string{"Lead.csv": body})
	res := e.mustBuild()
	equalRows(t, "leads", e.query(`SELECT count(*) FROM staging.leads`), []string{"5"})
	equalRows(t, "rejects", e.query(`SELECT count(*) FROM meta.rejects`), []string{"0"})
	f := res.Drops[0].Files[0]
	if f.Rows != 5 || f.Rejected != 0 {
		t.Errorf("rows %d, rejected %d", f.Rows, f.Rejected)
	}
	want := []string{"3 line(s) before the header skipped (a title, a note: a preamble)",
		`4 footer line(s) after the data set aside, such as "Copyright (c) 2000-2026 salesforce.com, inc. All rights res… (7 more characters)`}
	for _, w := range want {
		if !slices.Contains(f.Warnings, w) {
			t.Errorf("warnings %q lack %q", f.Warnings, w)
		}
	}
}

// TestBuild_DatetimeOutOfRange: a datetime past the end of the instant
// parser's range (in a zone behind UTC) is quarantined with a record of its
// own, though no line can be named for it, and the drop loads (found by
// FuzzDatetimeExpr in St John's, which is 3.5 hours behind UTC).
func TestBuild_DatetimeOutOfRange(t *testing.T) {
	e := newEnv(t, "load: { max_reject_share: 0.5 }\nsources:\n  - {name: crm, preset: salesforce, path: exports/crm, timezone: America/St_Johns}\n")
	e.drop("crm", "2026-11-01", map[string]string{"Lead.csv": leadsCSV(1, 3) + "00Q5g0000000004AAA,294247-1-10 1:,Open\n"})
	e.mustBuild()
	equalRows(t, "loaded, rejected", e.query(`SELECT rows_loaded, rows_rejected FROM meta.files`), []string{"3|1"})
	equalRows(t, "its record", e.query(`SELECT column_name, line IS NULL, reason FROM meta.rejects`),
		[]string{"CreatedDate|true|a date and time the instant parser could not read (out of its range); its line is not known"})
}

// TestBuild_ReportExportWithBadDatetime: the re-read that finds a bad
// datetime's line records only datetimes: the footer set aside stays aside,
// and a value with no line keeps its own record.
func TestBuild_ReportExportWithBadDatetime(t *testing.T) {
	e := newEnv(t, "load: { max_reject_share: 0.5 }\nsources:\n  - {name: crm, preset: salesforce, path: exports/crm, timezone: America/St_Johns}\n")
	body := leadsCSV(1, 30) + "00Q5g0000000098AAA,yesterday,Open\n00Q5g0000000099AAA,294247-1-10 1:,Open\n" +
		"\n\n\"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved.\"\n\"Generated By:  Ann Lee  11/1/2026 10:12 AM\"\n"
	e.drop("crm", "2026-11-01", map[string]string{"Lead.csv": body})
	e.mustBuild()
	equalRows(t, "loaded, rejected", e.query(`SELECT rows_loaded, rows_rejected FROM meta.files`), []string{"30|2"})
	equalRows(t, "records", e.query(`SELECT coalesce(line, -1), column_name, coalesce(value, '') FROM meta.rejects ORDER BY line NULLS LAST`),
		[]string{"32|CreatedDate|yesterday", "-1|CreatedDate|"})
}

// TestBuild_EmptyDrop: a drop folder made before its files arrive, or an
// archive of nothing, is left waiting, not recorded as loaded; once its
// files are there it loads.
func TestBuild_EmptyDrop(t *testing.T) {
	e := newEnv(t, "")
	d := e.drop("crm", "2026-11-01", nil)
	writeZip(t, filepath.Join(e.dir, "exports", "crm", "2026-11-02_WE_1.ZIP"), map[*zip.FileHeader]string{})
	res := e.mustBuild()
	for _, dr := range res.Drops {
		if dr.Status != "empty" {
			t.Errorf("%s: %s, want empty", dr.Name, dr.Status)
		}
	}
	equalRows(t, "nothing recorded", e.query(`SELECT count(*) FROM meta.drops`), []string{"0"})
	if err := os.WriteFile(filepath.Join(d, "Lead.csv"), []byte(leadsCSV(1, 3)), 0o644); err != nil {
		t.Fatal(err)
	}
	e.mustBuild()
	equalRows(t, "loaded once its files are there", e.query(`SELECT name, files, rows_loaded FROM meta.drops`), []string{"2026-11-01|1|3"})
}
