package coxswain

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParseConfig_DefaultsAndPaths(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "exports", "sf"), 0o755)
	cfg, err := ParseConfig(strings.NewReader(`
sources:
  - name: crm
    preset: salesforce
    path: exports/sf
    fields: { mql_at: MQL_Date__c, lead.sql_at: {column: SQL_Date__c, type: date}, opportunity.amount: [ARR__c, Amount] }
`), dir)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Timezone != "UTC" || cfg.Warehouse != "warehouse.duckdb" || cfg.SLA.FollowUpHours != 24 {
		t.Errorf("defaults: timezone %q, warehouse %q, follow-up %v", cfg.Timezone, cfg.Warehouse, cfg.SLA.FollowUpHours)
	}
	if got, want := cfg.WarehousePath(), filepath.Join(dir, "warehouse.duckdb"); got != want {
		t.Errorf("warehouse path %s, want %s (relative to the config file)", got, want)
	}
	if got := cfg.MaxRejectShare(cfg.Sources[0]); got != 0.01 {
		t.Errorf("max reject share %v, want 0.01", got)
	}
	f := cfg.Sources[0].Fields
	if f["mql_at"].Names[0] != "MQL_Date__c" || f["lead.sql_at"].Type != "date" || len(f["opportunity.amount"].Names) != 2 {
		t.Errorf("fields: %+v", f)
	}
}

func TestParseConfig_Errors(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "exports"), 0o755)
	for _, tc := range []struct{ name, yaml, want string }{
		{"unknown key", "timezon: UTC\nsources: [{name: a, preset: salesforce, path: exports}]", "field timezon not found"},
		{"bad zone", "timezone: Mars/Olympus\nsources: [{name: a, preset: salesforce, path: exports}]", `timezone: "Mars/Olympus" is not an IANA time zone name`},
		{"no sources", "timezone: UTC", "sources: must list at least one source"},
		{"bad name", "sources: [{name: CRM-1, preset: salesforce, path: exports}]", `sources[0].name: "CRM-1" must be lower-case letters`},
		{"duplicate name", "sources: [{name: a, preset: salesforce, path: exports}, {name: a, preset: hubspot, path: exports}]", `sources[1].name: "a" is used by another source`},
		{"missing folder", "sources: [{name: a, preset: salesforce, path: nowhere}]", `sources[0].path: "nowhere" is not a folder`},
		{"bad encoding", "sources: [{name: a, preset: salesforce, path: exports, encoding: ebcdic}]", `sources[0].encoding: "ebcdic" must be one of auto, utf-8, utf-16, latin-1, cp1252`},
		{"bad delimiter", "sources: [{name: a, preset: salesforce, path: exports, delimiter: ';;'}]", `sources[0].delimiter: ";;" must be auto, tab, or one character`},
		{"bad share", "load: {max_reject_share: 5}\nsources: [{name: a, preset: salesforce, path: exports}]", `load.max_reject_share: "5" must be a share between 0 and 1`},
		{"bad memory", "duckdb: {memory_limit: lots}\nsources: [{name: a, preset: salesforce, path: exports}]", `duckdb.memory_limit: "lots" must be a size`},
		{"missing plan", "plans: {spend: plans/spend.csv}\nsources: [{name: a, preset: salesforce, path: exports}]", `plans.spend: "plans/spend.csv" does not exist`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig(strings.NewReader(tc.yaml), dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestParseConfig_AllErrorsAtOnce(t *testing.T) {
	_, err := ParseConfig(strings.NewReader("timezone: Nowhere\nsources: [{name: A, preset: salesforce, path: x}]"), t.TempDir())
	if err == nil {
		t.Fatal("no error")
	}
	for _, key := range []string{"timezone:", "sources[0].name:", "sources[0].path:"} {
		if !strings.Contains(err.Error(), key) {
			t.Errorf("error does not name %s:\n%v", key, err)
		}
	}
}
