package coxswain

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
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
		{"unknown key", "timezon: UTC\nsources: [{name: a, preset: salesforce, path: exports}]", "line 1: timezon: unknown key; did you mean timezone?"},
		{"bad zone", "timezone: Mars/Olympus\nsources: [{name: a, preset: salesforce, path: exports}]", `timezone: "Mars/Olympus" is not an IANA time zone name`},
		{"no sources", "timezone: UTC", "sources: must list at least one source"},
		{"bad name", "sources: [{name: CRM-1, preset: salesforce, path: exports}]", `sources[0].name: "CRM-1" must be lower-case letters`},
		{"duplicate name", "sources: [{name: a, preset: salesforce, path: exports}, {name: a, preset: hubspot, path: exports}]", `sources[1].name: "a" is used by another source`},
		{"crm names no source", "sources: [{name: a, preset: salesforce, path: exports}, {name: m, preset: marketo, path: exports, crm: sfdc}]", `sources[1].crm: "sfdc" must name another source`},
		{"missing folder", "sources: [{name: a, preset: salesforce, path: nowhere}]", `sources[0].path: "nowhere" is not a folder`},
		{"bad encoding", "sources: [{name: a, preset: salesforce, path: exports, encoding: ebcdic}]", `sources[0].encoding: "ebcdic" must be one of auto, utf-8, utf-16, latin-1, cp1252`},
		{"bad delimiter", "sources: [{name: a, preset: salesforce, path: exports, delimiter: ';;'}]", `sources[0].delimiter: ";;" must be auto, tab, or one character`},
		{"bad share", "load: {max_reject_share: 5}\nsources: [{name: a, preset: salesforce, path: exports}]", `load.max_reject_share: "5" must be a share between 0 and 1`},
		{"bad SLA target", "sla: {target_share: 90}\nsources: [{name: a, preset: salesforce, path: exports}]", `sla.target_share: "90" must be a share between 0 and 1 (0.01 is 1%)`},
		{"bad currency", "currency: $\nsources: [{name: a, preset: salesforce, path: exports}]", `currency: "$" must be an ISO 4217 code`},
		{"bad memory", "duckdb: {memory_limit: lots}\nsources: [{name: a, preset: salesforce, path: exports}]", `duckdb.memory_limit: "lots" must be a size`},
		{"iceberg location without a bucket", "iceberg_location: /mnt/lake\nsources: [{name: a, preset: salesforce, path: exports}]", `iceberg_location: "/mnt/lake" is not a bucket address: write it as scheme://bucket/prefix`},
		{"iceberg location in capitals", "iceberg_location: S3://lake/x\nsources: [{name: a, preset: salesforce, path: exports}]", `is not a bucket address`},
		{"iceberg location with a space", "iceberg_location: s3://lake/my prefix\nsources: [{name: a, preset: salesforce, path: exports}]", `has a space, % or backslash`},
		{"iceberg location of another scheme", "iceberg_location: https://lake.example.com/x\nsources: [{name: a, preset: salesforce, path: exports}]", `the scheme one of s3, s3a, gs, abfs, abfss, hdfs`},
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

// readmeConfig is the example of the README's Configuration section: every
// key a user may write, so the walk must accept all of it.
const readmeConfig = `timezone: America/New_York
warehouse: warehouse.duckdb
duckdb:
  threads: 2
  memory_limit: 4GB
  temp_directory: /var/tmp/cox
load:
  max_reject_share: 0.01
sources:
  - name: crm
    preset: salesforce
    path: exports/salesforce
    timezone: UTC
    encoding: auto
    delimiter: auto
    fields:
      mql_at: MQL_Date__c
      lead.sql_at: {column: SQL_Date__c, type: date}
      opportunity.amount: [ARR__c, Amount]
    files: { activity: "Activities*.csv" }
    formats:
      timestamp: "%m/%d/%y %I:%M %p"
      date: "%m/%d/%y"
    max_reject_share: 0.05
    warn_after: 48h
    error_after: 96h
sla:
  follow_up_hours: 24
  business_hours:
    enabled: false
    start: 9
    end: 17
    days: [1, 2, 3, 4, 5]
    holidays: [2026-12-25]
influence:
  window_days: 90
  touch_types: [Form Fill, Email Click, Event Attendance]
tests:
  close_date_slack_days: 7
plans: { spend: plans/spend.csv, targets: plans/targets.csv }
export: export
email:
  from: coxswain@example.com
  to: [sales-leaders@example.com, marketing-leaders@example.com]
  cc: [finance@example.com]
  subject: "Sales and marketing scorecard, {month}"
  smtp: { host: smtp.example.com, port: 587, starttls: true }
schedule:
  timezone: Europe/London
  build: "0 2 * * *"
  report: "30 0 7 1 * *"
alerts:
  to: [ops@example.com]
`

// configDir is a folder with the paths readmeConfig and the cases below name.
func configDir(tb testing.TB) string {
	tb.Helper()
	dir := tb.TempDir()
	for _, d := range []string{"exports/salesforce", "plans"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			tb.Fatal(err)
		}
	}
	for _, f := range []string{"plans/spend.csv", "plans/targets.csv"} {
		if err := os.WriteFile(filepath.Join(dir, f), []byte("month\n"), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	return dir
}

// problemLines gives the problems of a *ConfigError as "line: key: message",
// as a user reads them; nil for no error.
func problemLines(tb testing.TB, err error) []string {
	tb.Helper()
	if err == nil {
		return nil
	}
	var ce *ConfigError
	if !errors.As(err, &ce) {
		tb.Fatalf("got %T %v, want a *ConfigError", err, err)
	}
	var out []string
	for _, p := range ce.Problems {
		out = append(out, fmt.Sprintf("%d: %s", p.Line, p))
	}
	return out
}

func TestParseConfig_Problems(t *testing.T) {
	const src = "sources: [{name: a, preset: salesforce, path: exports/salesforce}]\n"
	rootKeys := "timezone, currency, warehouse, duckdb, load, sources, sla, plans, influence, tests, export, iceberg, iceberg_location, email, run_log, packs, schedule, alerts"
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"the README's example", readmeConfig, nil},
		{"misspelt key", src + "sla:\n  folow_up_hours: 12\n", []string{
			"3: sla.folow_up_hours: unknown key; did you mean follow_up_hours?",
		}},
		{"strptime formats", "sources: [{name: a, preset: salesforce, path: exports/salesforce,\n  formats: {timestamp: '%m/%d/%Y %-I:%M %P', date: '%-d.%m.%Y'}}]\n", []string{
			`2: sources[0].formats.timestamp: "%m/%d/%Y %-I:%M %P" has "%P", which DuckDB's strptime does not know (see https://duckdb.org/docs/sql/functions/dateformat)`,
		}},
		{"swapped letters", src + "timeozne: UTC\n", []string{
			"2: timeozne: unknown key; did you mean timezone?",
		}},
		{"another spelling", src + "sla: {followUpHours: 12}\n", []string{
			"2: sla.followUpHours: unknown key; did you mean follow_up_hours?",
		}},
		{"no key close", src + "sla: {deadline: 12}\n", []string{
			"2: sla.deadline: unknown key; the keys here are follow_up_hours, target_share, business_hours",
		}},
		{"every problem in one run", src + "timezone: Mars/Base\nwarehose: w.duckdb\nduckdb: {threads: many}\nemail: {to: [ok@example.com, nobody]}\n", []string{
			`2: timezone: "Mars/Base" is not an IANA time zone name (for example America/New_York)`,
			"3: warehose: unknown key; did you mean warehouse?",
			`4: duckdb.threads: "many" must be a whole number`,
			`5: email.to[1]: "nobody" is not an e-mail address`,
		}},
		{"wrong types", src + "sla:\n  follow_up_hours: a day\n  business_hours: {enabled: maybe, days: 1-5}\nload: {max_reject_share: [1]}\nemail: {smtp: {port: 587.5}, from: {a: b}}\ntests: 7\n", []string{
			`3: sla.follow_up_hours: "a day" must be a number`,
			`4: sla.business_hours.days: "1-5" must be a list, such as [a, b]`,
			`4: sla.business_hours.enabled: "maybe" must be true or false`,
			"5: load.max_reject_share: must be a number, not a list",
			"6: email.from: must be text, not a mapping",
			`6: email.smtp.port: "587.5" must be a whole number`,
			`7: tests: "7" must be a mapping of key: value (close_date_slack_days)`,
		}},
		{"a wrong type is not reported again by Validate", "sources: crm\nsla: {business_hours: {days: [1, x]}}\n", []string{
			`1: sources: "crm" must be a list, such as [a, b]`,
			`2: sla.business_hours.days[1]: "x" must be a whole number`,
		}},
		{"password under smtp", src + "email:\n  smtp: {host: smtp.example.com, password: hunter2}\n  user: me\n", []string{
			"3: email.smtp.password: " + credentialMsg,
			"4: email.user: " + credentialMsg,
		}},
		{"password under an unknown key", src + "email: {smtp_auth: {username: me, password: hunter2}}\n", []string{
			"2: email.smtp_auth: unknown key; the keys here are from, to, cc, subject, smtp",
			"2: email.smtp_auth.password: " + credentialMsg,
			"2: email.smtp_auth.username: " + credentialMsg,
		}},
		{"password at the top", "smtp_password: hunter2\n" + src, []string{
			"1: smtp_password: " + credentialMsg,
		}},
		{"a bad timezone once", src + "timezone: Mars/Base\n", []string{
			`2: timezone: "Mars/Base" is not an IANA time zone name (for example America/New_York)`,
		}},
		{"a bad timezone written twice", src + "timezone: Mars/Base\nschedule: {timezone: Mars/Base}\n", []string{
			`2: timezone: "Mars/Base" is not an IANA time zone name (for example America/New_York)`,
			`3: schedule.timezone: "Mars/Base" is not an IANA time zone name`,
		}},
		{"bad crontab lines", src + "schedule:\n  build: \"0 2 * *\"\n  report: \"61 7 1 * *\"\n", []string{
			`3: schedule.build: "0 2 * *" is not a crontab line (minute hour day month weekday): expected exactly 5 fields, found 4: [0 2 * *]`,
			`4: schedule.report: "61 7 1 * *" is not a crontab line (minute hour day month weekday): end of range (61) above maximum (59): 61`,
		}},
		{"a crontab line with seconds", src + "schedule: {build: \"30 0 2 * * *\"}\n", nil},
		{"a crontab zone without fields", src + "schedule: {build: TZ=UTC}\n", []string{
			`2: schedule.build: "TZ=UTC" is not a crontab line (minute hour day month weekday): a TZ= prefix needs the fields after it`,
		}},
		{"a key written twice", src + "sla:\n  follow_up_hours: 12\n  follow_up_hours: 24\n", []string{
			"4: sla.follow_up_hours: is written twice (first at line 3); keep one",
		}},
		{"a bad column spec", "sources:\n  - {name: a, preset: salesforce, path: exports/salesforce, fields: {mql_at: {column: X, tpye: date}, sql_at: {type: date}}}\n", []string{
			"2: sources[0].fields.mql_at: tpye: unknown key; did you mean type?",
			"2: sources[0].fields.sql_at: needs column: NAME",
		}},
		{"merge keys", "defaults: &d {preset: salesforce, path: exports/salesforce}\nsources:\n  - <<: *d\n    name: a\n", []string{
			"1: defaults: unknown key; the keys here are " + rootKeys,
		}},
		{"YAML syntax", src + "sla:\n  follow_up_hours: [12\n", []string{
			"3: YAML syntax error: did not find expected ',' or ']'",
		}},
		{"YAML that is not a mapping", "- a\n- b\n", []string{
			"1: the config must be a mapping of key: value (" + rootKeys + ")",
		}},
		{"two documents", src + "---\ntimezone: UTC\n", []string{
			"3: a second YAML document (after ---): the config is one document",
		}},
		{"an empty file", "", []string{
			"0: sources: must list at least one source (name, preset, path)",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseConfig(strings.NewReader(tc.yaml), configDir(t))
			got := problemLines(t, err)
			if !slices.Equal(got, tc.want) {
				t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
			if err != nil && strings.Contains(err.Error(), "hunter2") {
				t.Errorf("the error prints the password:\n%v", err)
			}
		})
	}
}

func TestLoadConfig_Report(t *testing.T) {
	t.Chdir(configDir(t))
	if err := os.MkdirAll("demo/exports", 0o755); err != nil {
		t.Fatal(err)
	}
	yaml := `timezone: Mars/Base
sources:
  - name: crm
    preset: salesforce
    path: exports
sla:
  folow_up_hours: 12
email:
  from: reports@example.com
  smtp: {host: smtp.example.com, password: hunter2}
`
	if err := os.WriteFile("demo/coxswain.yaml", []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LoadConfig("demo/coxswain.yaml")
	want := `config demo/coxswain.yaml has 3 problems:
  demo/coxswain.yaml:1: timezone: "Mars/Base" is not an IANA time zone name (for example America/New_York)
  demo/coxswain.yaml:7: sla.folow_up_hours: unknown key; did you mean follow_up_hours?
  demo/coxswain.yaml:10: email.smtp.password: ` + credentialMsg
	if err == nil || err.Error() != want {
		t.Fatalf("got\n%v\nwant\n%s", err, want)
	}
	var ve *ValidationError
	if !errors.As(err, &ve) || ve.Key != "timezone" || ve.Line != 1 {
		t.Errorf("errors.As gives %+v, want the timezone problem at line 1", ve)
	}
}

func TestLoadConfig_Errors(t *testing.T) {
	dir := configDir(t)
	write := func(name, yaml string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	t.Run("missing file", func(t *testing.T) {
		_, err := LoadConfig(filepath.Join(dir, "none.yaml"))
		if !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), "config: ") {
			t.Errorf("got %v, want a config: error that is fs.ErrNotExist", err)
		}
	})
	t.Run("YAML syntax", func(t *testing.T) {
		path := write("syntax.yaml", "timezone: UTC\nsla:\n  follow_up_hours: [12\n")
		called := false
		_, err := LoadConfig(path, func(*Config) error { called = true; return nil })
		want := "config " + path + " has 1 problem:\n  " + path + ":3: YAML syntax error: did not find expected ',' or ']'"
		if err == nil || err.Error() != want {
			t.Errorf("got\n%v\nwant\n%s", err, want)
		}
		if called {
			t.Error("a check ran on a file that is not YAML")
		}
	})
}

func TestLoadConfig_Checks(t *testing.T) {
	dir := configDir(t)
	path := filepath.Join(dir, "coxswain.yaml")
	yaml := `sources:
  - name: crm
    preset: salesforce
    path: exports/salesforce
    fields:
      mql_at: MQL__c
timezone: Mars/Base
duckdb: {threads: many}
`
	if err := os.WriteFile(path, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := LoadConfig(path,
		func(c *Config) error {
			return errors.Join(
				&ValidationError{Key: "sources[0].fields.mql_at", Msg: "is not a field of salesforce"},
				&ValidationError{Key: "sources[0].files.lead", Value: "[", Msg: "is not a valid glob"},
				&ValidationError{Key: "duckdb.threads", Msg: "follows from the type problem, so is dropped"},
			)
		},
		func(c *Config) error { return errors.New("presets: cannot read the preset files") },
	)
	want := []string{
		"0: presets: cannot read the preset files",
		`2: sources[0].files.lead: "[" is not a valid glob`,
		"6: sources[0].fields.mql_at: is not a field of salesforce",
		`7: timezone: "Mars/Base" is not an IANA time zone name (for example America/New_York)`,
		`8: duckdb.threads: "many" must be a whole number`,
	}
	if got := problemLines(t, err); !slices.Equal(got, want) {
		t.Errorf("got\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestConfig_Line(t *testing.T) {
	dir := configDir(t)
	cfg, err := ParseConfig(strings.NewReader(`timezone: UTC
sources:
  - name: crm
    preset: salesforce
    path: exports/salesforce
    fields:
      lead.sql_at: SQL_Date__c
email:
  to:
    - a@example.com
    - b@example.com
`), dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		key  string
		want int
	}{
		{"timezone", 1},
		{"sources", 2},
		{"sources[0]", 3},
		{"sources[0].fields.lead.sql_at", 7},
		{"sources[0].fields.lead.sql_at.type", 7},
		{"sources[0].fields.mql_at", 6},
		{"sources[0].timezone", 3},
		{"sources[1].name", 2},
		{"email.to[1]", 11},
		{"email.smtp.host", 8},
		{"schedule.build", 0},
		{"", 0},
	} {
		if got := cfg.Line(tc.key); got != tc.want {
			t.Errorf("Line(%q) = %d, want %d", tc.key, got, tc.want)
		}
	}
	if got := (&Config{}).Line("timezone"); got != 0 {
		t.Errorf("Line of a config not read from a file = %d, want 0", got)
	}
}

func TestCheckIcebergLocation(t *testing.T) {
	for _, ok := range []string{"s3://finance-lake/coxswain", "s3a://lake/x/", "gs://lake", "abfss://feeds@finance.dfs.core.windows.net/coxswain", "hdfs://namenode:8020/warehouse"} {
		if err := CheckIcebergLocation(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"/mnt/lake", "file:///mnt/lake", "s3:/lake", "s3://", "https://lake/x", "s3://user@lake/x", "s3://lake/x?y=1", "S3://lake"} {
		if err := CheckIcebergLocation(bad); err == nil {
			t.Errorf("%s is accepted", bad)
		}
	}
}
