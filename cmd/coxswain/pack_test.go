package main

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// copyCase copies testdata/<name> (less its expected/ folder) into a temp dir.
func copyCase(t *testing.T, name string) string {
	t.Helper()
	src := filepath.Join("..", "..", "testdata", name)
	dst := filepath.Join(t.TempDir(), name)
	copyDir(t, src, dst, func(rel string) bool { return rel == "expected" || strings.HasSuffix(rel, ".md") })
	// A drop's files carry the time of the export its name gives, so that
	// freshness does not depend on when the test copied them.
	drops, _ := filepath.Glob(filepath.Join(dst, "exports", "*", "*"))
	for _, d := range drops {
		at, err := time.Parse("2006-01-02", filepath.Base(d))
		if err != nil {
			continue
		}
		at = at.Add(6 * time.Hour)
		files, _ := filepath.Glob(filepath.Join(d, "*"))
		for _, f := range append(files, d) {
			os.Chtimes(f, at, at)
		}
	}
	return dst
}

// builtCase copies a testdata case, builds it as of 2026-11-03 12:00 UTC,
// and returns its folder and config.
func builtCase(t *testing.T, name string) (dir, config string) {
	t.Helper()
	dir = copyCase(t, name)
	config = filepath.Join(dir, "coxswain.yaml")
	mustRun(t, "build", "--config", config, "--as-of", "2026-11-03T12:00:00Z")
	return dir, config
}

// reportedCase builds a testdata case (builtCase) and writes its pack for
// month; it returns the case's folder and config, the pack's folder, and
// the case's expected/ folder.
func reportedCase(t *testing.T, name, month string) (dir, config, pack, want string) {
	t.Helper()
	dir, config = builtCase(t, name)
	mustRun(t, "report", "--config", config, "--month", month, "--out", filepath.Join(dir, "packs"))
	return dir, config, filepath.Join(dir, "packs", month), filepath.Join("..", "..", "testdata", name, "expected")
}

// diffFiles compares files of a pack with the same files of expected/.
func diffFiles(t *testing.T, pack, want string, files ...string) {
	t.Helper()
	for _, f := range files {
		diffLines(t, f, readLines(t, filepath.Join(pack, f)), readLines(t, filepath.Join(want, f)))
	}
}

// editConfig replaces old with new in a case's coxswain.yaml.
func editConfig(t *testing.T, config, old, new string) {
	t.Helper()
	data, err := os.ReadFile(config)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("%s does not contain %q", config, old)
	}
	os.WriteFile(config, []byte(strings.Replace(string(data), old, new, 1)), 0o644)
}

// copyDir copies the folder src to dst, less what skip says (by path
// relative to src; nil: nothing).
func copyDir(t *testing.T, src, dst string, skip func(rel string) bool) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if skip != nil && skip(rel) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
}

// diffLines reports the first lines where got and want differ.
func diffLines(t *testing.T, what string, got, want []string) {
	t.Helper()
	n := max(len(got), len(want))
	shown := 0
	for i := 0; i < n && shown < 10; i++ {
		var g, w string
		if i < len(got) {
			g = got[i]
		}
		if i < len(want) {
			w = want[i]
		}
		if g != w {
			t.Errorf("%s line %d:\n got: %s\nwant: %s", what, i+1, g, w)
			shown++
		}
	}
}

// TestPack_HandWorkedEdges builds testdata/pack_edges as of 2026-11-03
// 12:00 UTC and compares the pack for 2026-11 with the numbers worked out by
// hand in testdata/pack_edges/README.md.
func TestPack_HandWorkedEdges(t *testing.T) {
	dir, config, pack, want := reportedCase(t, "pack_edges", "2026-11")
	diffFiles(t, pack, want, "funnel.csv", "sla_by_owner.csv", "targets.csv", "data_quality.csv", "data_checks.csv")

	// kpis.csv: the four months with activity as worked out; the nine
	// before have none, so counts are 0, sums of amounts 0.00, and every
	// ratio, mean, median and spend-based value is empty.
	kpis := readLines(t, filepath.Join(pack, "kpis.csv"))
	if len(kpis) != 1+13*29 {
		t.Fatalf("kpis.csv has %d lines, want a header and 13 months of 29 metrics", len(kpis))
	}
	wantKPIs := readLines(t, filepath.Join(want, "kpis_2026-08_to_2026-11.csv"))
	diffLines(t, "kpis.csv (2026-08 to 2026-11)", append(kpis[:1:1], kpis[1+9*29:]...), wantKPIs)
	empty := map[string]string{
		"leads_created": "0", "mqls": "0", "sqls": "0", "opportunities_created": "0", "pipeline_created": "0.00",
		"marketing_sourced_opportunities": "0", "marketing_sourced_pipeline": "0.00", "marketing_influenced_opportunities": "0",
		"marketing_influenced_pipeline": "0.00", "closed_won": "0", "bookings": "0.00", "closed_lost": "0", "new_customers": "0",
		"sla_met": "0", "sla_breached": "0", "sla_pending": "0", "mqls_untouched_30d": "0",
	}
	for _, line := range kpis[1 : 1+9*29] {
		parts := strings.Split(line, ",")
		if parts[0] < "2025-11" || parts[0] > "2026-07" || parts[2] != empty[parts[1]] {
			t.Errorf("kpis.csv: %s, want %s,%s,%s", line, parts[0], parts[1], empty[parts[1]])
		}
	}

	var oct []string
	for _, line := range readLines(t, filepath.Join(pack, "kpis_by_channel.csv")) {
		if strings.HasPrefix(line, "2026-10,") || strings.HasPrefix(line, "month,") {
			oct = append(oct, line)
		}
	}
	diffLines(t, "kpis_by_channel.csv (2026-10)", oct, readLines(t, filepath.Join(want, "kpis_by_channel_2026-10.csv")))

	// definitions.csv: the catalog, one row per metric of kpis.csv, in its
	// order, with the contract's wording.
	defs := readLines(t, filepath.Join(pack, "definitions.csv"))
	if len(defs) != 1+29 || defs[0] != "metric,label,unit,definition" || defs[1] != "leads_created,Leads,count,leads with created_at in month" {
		t.Errorf("definitions.csv: %d lines, starting %q", len(defs), defs[:min(2, len(defs))])
	}
	for i, line := range defs[1:] {
		if metric, _, _ := strings.Cut(line, ","); !strings.HasPrefix(kpis[1+i], "2025-11,"+metric+",") {
			t.Errorf("definitions.csv row %d is %s, kpis.csv's metric %d is %s", i+1, metric, i+1, kpis[1+i])
		}
	}

	// The same days of October as the as-of has reached of November
	// (README, "The same days of last month"): 56 of November's 721 hours,
	// so October up to 57.8 of its 744, 2026-10-03 13:47 UTC.
	sameDays := map[string]int64{"leads_created": 0, "mqls": 1, "sqls": 1, "opportunities_created": 2, "pipeline_created": 300, "closed_won": 0, "bookings": 0}
	for metric, want := range sameDays {
		got := queryInt(t, filepath.Join(dir, "warehouse.duckdb"),
			`SELECT value::BIGINT FROM marts.kpis_same_days WHERE month = '2026-11' AND prev_month = '2026-10' AND metric = '`+metric+`'`)
		if got != want {
			t.Errorf("kpis_same_days %s = %d, want %d", metric, got, want)
		}
	}

	// The pack checks out against its manifest, and a second report of
	// the same build gives the same bytes.
	mustRun(t, "verify", pack)
	first := map[string][]byte{}
	entries, _ := os.ReadDir(pack)
	for _, e := range entries {
		first[e.Name()], _ = os.ReadFile(filepath.Join(pack, e.Name()))
	}
	mustRun(t, "report", "--config", config, "--month", "2026-11", "--out", filepath.Dir(pack))
	for name, data := range first {
		again, _ := os.ReadFile(filepath.Join(pack, name))
		if !bytes.Equal(data, again) {
			t.Errorf("%s differs between two reports of one build", name)
		}
	}

	// The warehouse feeds: the marts as Parquet, partitioned by month, and
	// as Iceberg tables, each read back through iceberg-go.
	if m, _ := filepath.Glob(filepath.Join(dir, "export", "kpis", "month=2026-10", "*.parquet")); len(m) == 0 {
		t.Error("no Parquet export of kpis for 2026-10")
	}
	for _, d := range icebergDiffs(t, dir) {
		t.Error(d)
	}
}

func TestPack_VerifyFindsTampering(t *testing.T) {
	_, _, pack, _ := reportedCase(t, "pack_edges", "2026-10")
	kpis := filepath.Join(pack, "kpis.csv")
	data, _ := os.ReadFile(kpis)
	os.WriteFile(kpis, bytes.Replace(data, []byte("2026-10,leads_created,3"), []byte("2026-10,leads_created,4"), 1), 0o644)
	os.WriteFile(filepath.Join(pack, "notes.txt"), []byte("x"), 0o644)
	_, errOut, code := run(t, "verify", pack)
	if code != 1 {
		t.Fatalf("verify of a changed pack exited %d", code)
	}
	mustSay(t, "stderr", errOut, "does not match its manifest", "kpis.csv: SHA-256 differs from the manifest's", "notes.txt: not in the manifest")
}

func TestPack_Refusals(t *testing.T) {
	dir, config := builtCase(t, "pack_edges")
	out := filepath.Join(dir, "packs")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--month", "2026-12"}, "the warehouse has the months"},
		{[]string{"--month", "Oct"}, `--month "Oct" must be YYYY-MM`},
		{[]string{"--month", "2026-10", "--as-of", "2026-11-04"}, "the marts were built as of 2026-11-03T12:00:00Z, not 2026-11-04T00:00:00Z"},
	} {
		_, errOut, code := run(t, append([]string{"report", "--config", config, "--out", out}, tc.args...)...)
		if code == 0 {
			t.Errorf("report %v passed", tc.args)
		}
		mustSay(t, "stderr", errOut, tc.want)
	}
	// A refused report leaves no folder, partial or not.
	if entries, _ := os.ReadDir(out); len(entries) != 0 {
		t.Errorf("refused reports left %d entries in %s", len(entries), out)
	}
}

// TestBuild_ErrorTestKeepsPreviousMarts: a source older than its
// error_after fails the freshness test, which stops the build; the marts
// stay those of the last good build, and the failure is recorded.
func TestBuild_ErrorTestKeepsPreviousMarts(t *testing.T) {
	dir, config := builtCase(t, "pack_edges")
	editConfig(t, config, "warn_after: 10000h", "warn_after: 24h\n    error_after: 72h")
	out, errOut, code := run(t, "build", "--config", config, "--as-of", "2026-11-10T12:00:00Z")
	if code != 1 {
		t.Fatalf("build with a stale source exited %d\n%s%s", code, out, errOut)
	}
	mustSay(t, "stderr", errOut, "data tests failed; the marts keep their previous build:",
		"freshness_error (error): 1 offending rows", "source=crm, newest_drop=2026-11-02T06:00:00Z")
	mustSay(t, "stdout", out, "error freshness_error", "warn freshness_warn")
	// The marts are still those built as of 2026-11-03.
	packs := filepath.Join(dir, "packs")
	mustRun(t, "report", "--config", config, "--month", "2026-10", "--out", packs, "--as-of", "2026-11-03T12:00:00Z")
	status := mustRun(t, "status", "--config", config)
	mustSay(t, "status", status, "build 2: failed")
}

// TestPack_BusinessHours: with the window counted in working hours (9 to
// 17, Monday to Friday, New York), L3's first touch 48 wall-clock hours
// after its MQL (Tuesday 08:00 to Thursday 08:00) is 16 working hours:
// met, where wall-clock time breached it. L1 (no touch) stays breached, L2
// (5 hours within Thursday) met: October compliance 2/3.
func TestPack_BusinessHours(t *testing.T) {
	dir := copyCase(t, "pack_edges")
	config := filepath.Join(dir, "coxswain.yaml")
	editConfig(t, config, "sla: { follow_up_hours: 24 }", "sla: { follow_up_hours: 24, business_hours: { enabled: true, holidays: [2026-12-25] } }")
	mustRun(t, "build", "--config", config, "--as-of", "2026-11-03T12:00:00Z")
	out := filepath.Join(dir, "packs")
	mustRun(t, "report", "--config", config, "--month", "2026-11", "--out", out)
	var got []string
	for _, line := range readLines(t, filepath.Join(out, "2026-11", "kpis.csv")) {
		if strings.HasPrefix(line, "2026-10,sla_") {
			got = append(got, line)
		}
	}
	diffLines(t, "kpis.csv", got, []string{
		"2026-10,sla_met,2", "2026-10,sla_breached,1", "2026-10,sla_pending,0", "2026-10,sla_compliance,0.6667",
	})
}

func TestSend_DryRunAndRefusals(t *testing.T) {
	dir, config := builtCase(t, "pack_edges")
	packs := filepath.Join(dir, "packs")
	// No email section yet: send says what to add.
	_, errOut, code := run(t, "send", "--config", config, "--month", "2026-10", "--out", packs, "--dry-run")
	if code == 0 {
		t.Fatal("send without an email section passed")
	}
	mustSay(t, "stderr", errOut, "email.from, email.to, email.smtp.host: must be set to send the report")

	data, _ := os.ReadFile(config)
	os.WriteFile(config, append(data, []byte("email: {from: coxswain@example.com, to: [leaders@example.com], smtp: {host: localhost}}\n")...), 0o644)
	mustRun(t, "report", "--config", config, "--month", "2026-10", "--out", packs)
	out := mustRun(t, "send", "--config", config, "--month", "2026-10", "--out", packs, "--dry-run")
	mustSay(t, "stdout", out, "dry run: the message for 2026-10 is in", "2026-10.eml (not sent)")
	eml, err := os.ReadFile(filepath.Join(packs, "2026-10.eml"))
	if err != nil {
		t.Fatal(err)
	}
	mustSay(t, "the .eml", string(eml), "Subject: Scorecard October 2026: bookings ", "Content-Type: image/png", `filename="kpis.csv"`, `filename="pack.xlsx"`)
	mustRun(t, "verify", filepath.Join(packs, "2026-10")) // the .eml is beside the pack, not in it

	// A later build makes the pack stale: send refuses it until it is written again.
	mustRun(t, "build", "--config", config, "--as-of", "2026-11-04T12:00:00Z")
	_, errOut, code = run(t, "send", "--config", config, "--month", "2026-10", "--out", packs, "--dry-run")
	if code == 0 {
		t.Fatal("send of a stale pack passed")
	}
	mustSay(t, "stderr", errOut, "is as of 2026-11-03T12:00:00Z but the warehouse is now as of 2026-11-04T12:00:00Z")

	// Credentials never go in the file.
	os.WriteFile(config, append(data, []byte("email: {from: a@example.com, to: [b@example.com], smtp: {host: localhost, password: hunter2}}\n")...), 0o644)
	_, errOut, _ = run(t, "send", "--config", config, "--month", "2026-10", "--out", packs, "--dry-run")
	mustSay(t, "stderr", errOut, "email.smtp.password: the SMTP user and password are never kept in the config file; set COXSWAIN_SMTP_USER and COXSWAIN_SMTP_PASSWORD")
	if strings.Contains(errOut, "hunter2") {
		t.Error("the error repeats the password")
	}
}

// TestBuild_DuplicateIDsNameTheirFile: a snapshot that lists a record twice
// stops the build at the unique tests, which name the id and the file.
func TestBuild_DuplicateIDsNameTheirFile(t *testing.T) {
	dir := copyCase(t, "pack_edges")
	config := filepath.Join(dir, "coxswain.yaml")
	lead := filepath.Join(dir, "exports", "crm", "2026-11-02", "Lead.csv")
	lines := readLines(t, lead)
	at, _ := os.Stat(lead)
	if err := os.WriteFile(lead, []byte(strings.Join(append(lines, lines[1]), "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(lead, at.ModTime(), at.ModTime())
	out, errOut, code := run(t, "build", "--config", config, "--as-of", "2026-11-03T12:00:00Z")
	if code != 1 {
		t.Fatalf("build over a doubled record: exit %d\n%s%s", code, out, errOut)
	}
	id := strings.Split(lines[1], ",")[0]
	mustSay(t, "build output", out+errOut, "error unique_leads: 1 row", "id="+strings.Trim(id, `"`), "rows=2", "files=2026-11-02/Lead.csv")
}

// TestPack_HubSpotEdges builds testdata/hubspot_edges (a Spanish-labelled
// portal with activities, several pipelines and many-to-many associations)
// and compares its pack with the numbers worked out in its README.md.
func TestPack_HubSpotEdges(t *testing.T) {
	_, _, pack, want := reportedCase(t, "hubspot_edges", "2026-11")
	diffFiles(t, pack, want, "data_checks.csv", "sla_by_owner.csv", "funnel.csv")
	kpis := readLines(t, filepath.Join(pack, "kpis.csv"))
	diffLines(t, "kpis.csv (2026-10 to 2026-11)", append(kpis[:1:1], kpis[1+11*29:]...), readLines(t, filepath.Join(want, "kpis_2026-10_to_2026-11.csv")))
}

// TestPack_MarketingEdges builds testdata/ma_edges (a Salesforce org and a
// Marketo instance: people joined by CRM id and by e-mail, ambiguous and
// conflicting matches, MQL dates from Marketo's activities, marketing
// touches in and out of the influence window) and compares its pack with
// the numbers worked out in its README.md.
func TestPack_MarketingEdges(t *testing.T) {
	_, _, pack, want := reportedCase(t, "ma_edges", "2026-10")
	diffFiles(t, pack, want, "kpis.csv", "data_checks.csv", "sla_by_owner.csv", "funnel.csv")
	// The glossary says where each source's MQL date comes from.
	html, err := os.ReadFile(filepath.Join(pack, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(html, []byte("mkto: the first change of its status to MQL, or the first time its score reached 100")) {
		t.Error("report.html does not say where Marketo's MQL date comes from")
	}
}

// TestPack_HubSpotMergedContact: a contact merged into another is gone in
// HubSpot, but an older drop still has it; the winner lists it in Merged
// Contact IDs. It must not count as a person of its own, and the pack says so.
func TestPack_HubSpotMergedContact(t *testing.T) {
	dir := copyCase(t, "hubspot_edges")
	config := filepath.Join(dir, "coxswain.yaml")
	write := func(drop, name, content string) {
		p := filepath.Join(dir, "exports", "hs", drop, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		at, _ := time.Parse("2006-01-02", drop)
		os.Chtimes(p, at.Add(6*time.Hour), at.Add(6*time.Hour))
		os.Chtimes(filepath.Dir(p), at.Add(6*time.Hour), at.Add(6*time.Hour))
	}
	write("2026-10-26", "contacts.csv", "Record ID,Email,Create Date\n106,ana.perez@acme.example,2026-10-03 09:00\n")
	write("2026-11-03", "contacts.csv", "Record ID,Email,Create Date,Merged Contact IDs\n101,ana@acme.example,2026-10-01 09:00,106\n")
	mustRun(t, "build", "--config", config, "--as-of", "2026-11-03T12:00:00Z")
	out := filepath.Join(dir, "packs")
	mustRun(t, "report", "--config", config, "--month", "2026-10", "--out", out)
	checks := readLines(t, filepath.Join(out, "2026-10", "data_checks.csv"))
	if !slices.Contains(checks, "merged_away,hs,lead,1,106") {
		t.Errorf("data_checks.csv does not report 106 as merged away:\n%s", strings.Join(checks, "\n"))
	}
	if kpis := readLines(t, filepath.Join(out, "2026-10", "kpis.csv")); !slices.Contains(kpis, "2026-10,leads_created,5") {
		t.Error("the merged-away contact was counted: leads_created for 2026-10 is not 5")
	}
}

// TestPack_HeldSnapshot: a snapshot the guard holds fails the build, the
// pack is written from the state before it, and data_checks.csv says so.
func TestPack_HeldSnapshot(t *testing.T) {
	dir, config := builtCase(t, "pack_edges")
	lead, err := os.ReadFile(filepath.Join(dir, "exports", "crm", "2026-11-02", "Lead.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(lead), "\n")
	drop := filepath.Join(dir, "exports", "crm", "2026-11-03")
	os.MkdirAll(drop, 0o755)
	if err := os.WriteFile(filepath.Join(drop, "Lead.csv"), []byte(lines[0]+lines[1]), 0o644); err != nil { // cut short: one lead of seven
		t.Fatal(err)
	}
	if _, _, code := run(t, "build", "--config", config, "--as-of", "2026-11-03T12:00:00Z"); code != 1 {
		t.Fatalf("build with a truncated snapshot: exit %d, want 1", code)
	}
	out := filepath.Join(dir, "packs")
	mustRun(t, "report", "--config", config, "--month", "2026-11", "--out", out)
	checks := readLines(t, filepath.Join(out, "2026-11", "data_checks.csv"))
	if !slices.Contains(checks, "held_snapshot,crm,lead,6,2026-11-03") {
		t.Errorf("data_checks.csv does not list the held snapshot:\n%s", strings.Join(checks, "\n"))
	}
}

// TestPack_MarketingEdgeVariants changes testdata/ma_edges in the ways a
// person could be counted twice, or a touch lost, and checks the numbers
// the README works out still hold (or move as they must).
func TestPack_MarketingEdgeVariants(t *testing.T) {
	type edit struct{ file, old, new string } // new replaces old; old "" appends new
	leads := "exports/mkto/2026-11-02/marketo-leads-2026-11-02.csv"
	acts := "exports/mkto/2026-11-02/marketo-activities-2026-11-02.csv"
	for _, tc := range []struct {
		name  string
		edits []edit
		want  []string // lines of kpis.csv
		check string   // a line of data_checks.csv
	}{
		{"a record merged away shares its winner's e-mail", []edit{
			{leads, "1008,m8@eight.example", "1008,l5@five.example"},
			{acts, "900008,1003,", "900008,1007,"},
		}, []string{"2026-10,leads_created,7"}, ""},
		{"a chain of merges", []edit{
			{leads, "", "1009,m9@nine.example,2026-10-16T09:00:00Z,2026-10-19T10:00:00Z,Open,5,null,null,Webinar\n"},
			{acts, "", `900009,1008,2026-10-19T09:00:00Z,32,null,1008,1008,"{""Merge IDs"":[1009]}"` + "\n"},
		}, []string{"2026-10,leads_created,7"}, ""},
		{"the e-mail of the contact a lead became", []edit{
			{"exports/crm/2026-11-02/Contact.csv", "l4@four.example", "leo@four-new.example"},
			{leads, "", "1015,leo@four-new.example,2026-10-16T09:00:00Z,2026-10-19T10:00:00Z,Open,5,null,null,Webinar\n"},
		}, []string{"2026-10,leads_created,7"}, ""},
		{"a marketing touch by a converted person counts for its account", []edit{
			{"exports/crm/2026-11-02/Opportunity.csv", "", `"0065g00000OpA03AAF","0","2026-10-25 12:00:00","2026-12-15 00:00:00","200","Prospecting","0","0","0015g00000AcA01AAF","0055g00000UsA02AAF","Referral","Four Co upsell"` + "\n"},
			{acts, "", `900010,1006,2026-10-22T12:00:00Z,2,2002,4001,Contact Us,"{}"` + "\n"},
		}, []string{"2026-10,opportunities_created,3", "2026-10,marketing_influenced_opportunities,2", "2026-10,marketing_influenced_pipeline,1200.00"}, ""},
		{"a record whose lead id and contact id name two people", []edit{
			{leads, "", "1016,null,2026-10-16T09:00:00Z,2026-10-19T10:00:00Z,Open,5,00Q5g00000LdA01,0035g00000CtA01,Webinar\n"},
		}, []string{"2026-10,leads_created,7"}, "identity_conflict,mkto,person,2,1001;1016"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyCase(t, "ma_edges")
			for _, e := range tc.edits {
				p := filepath.Join(dir, e.file)
				data, err := os.ReadFile(p)
				if err != nil {
					t.Fatal(err)
				}
				text := string(data)
				switch {
				case e.old == "":
					if !strings.HasSuffix(text, "\n") {
						text += "\n"
					}
					text += e.new
				case !strings.Contains(text, e.old):
					t.Fatalf("%s has no %q", e.file, e.old)
				default:
					text = strings.Replace(text, e.old, e.new, 1)
				}
				st, _ := os.Stat(p)
				os.WriteFile(p, []byte(text), 0o644)
				os.Chtimes(p, st.ModTime(), st.ModTime())
			}
			config := filepath.Join(dir, "coxswain.yaml")
			mustRun(t, "build", "--config", config, "--as-of", "2026-11-03T12:00:00Z")
			out := filepath.Join(dir, "packs")
			mustRun(t, "report", "--config", config, "--month", "2026-10", "--out", out)
			kpis := readLines(t, filepath.Join(out, "2026-10", "kpis.csv"))
			for _, w := range tc.want {
				if !slices.Contains(kpis, w) {
					t.Errorf("kpis.csv has no %q", w)
				}
			}
			if checks := readLines(t, filepath.Join(out, "2026-10", "data_checks.csv")); tc.check != "" && !slices.Contains(checks, tc.check) {
				t.Errorf("data_checks.csv has no %q:\n%s", tc.check, strings.Join(checks, "\n"))
			}
		})
	}
}

// TestPack_OpportunityNamesItsPerson: a tool without lead conversion
// (Pipedrive) names each deal's person instead. The person's first deal by
// creation is its converted one; an activity on a deal and no person
// touches the deal's person; a planned activity (To do) touches no one.
// Read with the pipedrive preset (files named after saved views), and with
// the generic preset and the same mapping written out in fields:.
func TestPack_OpportunityNamesItsPerson(t *testing.T) {
	files := map[string]string{
		"people-2026-11-02.csv": "Person - ID,Person - Name,Person - Person created,Person - MQL date\n" +
			"1,Ann,2026-10-01 09:00:00,2026-10-02 09:00:00\n" +
			"2,Bob,2026-10-01 09:00:00,2026-10-20 09:00:00\n",
		"deals-q4-review.csv": "Deal - ID,Deal - Title,Deal - Status,Deal - Deal created,Deal - Value,Deal - Contact person ID\n" +
			"11,A,Open,2026-10-10 09:00:00,100,1\n" + // 1's first deal: converted, marketing-sourced
			"12,B,Open,2026-10-05 09:00:00,200,2\n" + // 2's first deal, created before its MQL: not marketing-sourced
			"13,C,Open,2026-10-12 09:00:00,400,1\n", // 1's second deal
		"activities-this-month.csv": "Activity - ID,Activity - Add time,Activity - Deal ID,Activity - Contact person ID,Activity - Done\n" +
			"21,2026-10-02 10:00:00,11,,Done\n" + // on deal 11 only: touches person 1, an hour after its MQL
			"22,2026-10-20 10:00:00,,2,To do\n", // planned, not done: no touch of person 2
	}
	for _, tc := range []struct{ name, source string }{
		{"pipedrive preset", `    preset: pipedrive
    fields: {lead.mql_at: Person - MQL date}
`},
		{"generic preset", `    preset: generic
    files: {lead: "people*.csv", opportunity: "deals*.csv", activity: "activities*.csv"}
    fields:
      lead.id: Person - ID
      lead.created_at: Person - Person created
      lead.mql_at: Person - MQL date
      opportunity.id: Deal - ID
      opportunity.created_at: Deal - Deal created
      opportunity.amount: Deal - Value
      opportunity.lead_id: Deal - Contact person ID
      activity.id: Activity - ID
      activity.occurred_at: Activity - Add time
      activity.what_id: Activity - Deal ID
      activity.who_id: Activity - Contact person ID
      activity.is_done: {column: Activity - Done, values: [Done], not: [To do]}
`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			drop := filepath.Join(dir, "exports", "pd", "2026-11-02")
			os.MkdirAll(drop, 0o755)
			for name, content := range files {
				if err := os.WriteFile(filepath.Join(drop, name), []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			config := filepath.Join(dir, "coxswain.yaml")
			os.WriteFile(config, []byte("timezone: UTC\nwarehouse: warehouse.duckdb\nsources:\n  - name: pd\n    path: exports/pd\n    warn_after: 10000h\n"+tc.source), 0o644)
			mustRun(t, "build", "--config", config, "--as-of", "2026-11-03T12:00:00Z")
			out := filepath.Join(dir, "packs")
			mustRun(t, "report", "--config", config, "--month", "2026-10", "--out", out)
			kpis := readLines(t, filepath.Join(out, "2026-10", "kpis.csv"))
			for _, w := range []string{
				"2026-10,leads_created,2",
				"2026-10,opportunities_created,3",
				"2026-10,marketing_sourced_opportunities,1",
				"2026-10,marketing_sourced_pipeline,100.00",
				"2026-10,sla_met,1",
				"2026-10,sla_breached,1",
				"2026-10,first_touch_hours_median,1.00",
			} {
				if !slices.Contains(kpis, w) {
					t.Errorf("kpis.csv has no %q", w)
				}
			}
			funnel := readLines(t, filepath.Join(out, "2026-10", "funnel.csv"))
			if !slices.Contains(funnel, "2026-10,2,2,0,2,0") {
				t.Errorf("funnel.csv: the October cohort's two people each converted into a deal:\n%s", strings.Join(funnel, "\n"))
			}
		})
	}
}

// TestPack_PipedriveEdges builds testdata/pipedrive_edges (two drops of a
// Pipedrive account in Denver, reported in Los Angeles) and compares its
// pack with the numbers worked out in its README.md.
func TestPack_PipedriveEdges(t *testing.T) {
	dir, config, pack, want := reportedCase(t, "pipedrive_edges", "2026-10")
	diffFiles(t, pack, want, "kpis.csv", "data_checks.csv", "sla_by_owner.csv", "funnel.csv")

	// A user naming the preset's own status column for is_won keeps its
	// values: the numbers do not move.
	editConfig(t, config, "      lead.mql_at: Person - MQL date", "      lead.mql_at: Person - MQL date\n      opportunity.is_won: Deal - Status")
	mustRun(t, "build", "--config", config, "--as-of", "2026-11-03T12:00:00Z")
	mustRun(t, "report", "--config", config, "--month", "2026-10", "--out", filepath.Join(dir, "packs2"))
	diffLines(t, "kpis.csv with is_won named", readLines(t, filepath.Join(dir, "packs2", "2026-10", "kpis.csv")), readLines(t, filepath.Join(want, "kpis.csv")))
}
