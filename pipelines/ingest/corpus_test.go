package ingest

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"unicode/utf8"
)

// corpusDir holds the public export samples, copied byte for byte from
// their repositories (provenance and licences in its SOURCES.md).
const corpusDir = "../../testdata/corpus"

// corpusTargets says which object and preset each sample is fed to, by the
// object its file name carries; the rest are other objects (Case, Product...)
// and must be ignored with a message, not loaded into the wrong table.
var corpusTargets = []struct {
	pattern      *regexp.Regexp
	preset, name string // the name the file gets in its drop
}{
	{regexp.MustCompile(`(?i)^salesforce/.*/(sf_)?lead(_data)?\.csv$`), "salesforce", "Lead.csv"},
	{regexp.MustCompile(`(?i)^salesforce/.*/(sf_)?contact(_data)?\.csv$`), "salesforce", "Contact.csv"},
	{regexp.MustCompile(`(?i)^salesforce/.*/(sf_)?opportunity(_data)?\.csv$`), "salesforce", "Opportunity.csv"},
	{regexp.MustCompile(`(?i)^salesforce/.*/(sf_)?task(_data)?\.csv$`), "salesforce", "Task.csv"},
	{regexp.MustCompile(`(?i)^salesforce/.*/(sf_)?event(_data)?\.csv$`), "salesforce", "Event.csv"},
	{regexp.MustCompile(`(?i)^salesforce/.*/(sf_)?user(_data)?\.csv$`), "salesforce", "User.csv"},
	{regexp.MustCompile(`(?i)^salesforce/.*/(sf_)?account(_data)?\.csv$`), "salesforce", "Account.csv"},
	{regexp.MustCompile(`(?i)^salesforce/.*/campaign\.csv$`), "salesforce", "Campaign.csv"},
	{regexp.MustCompile(`(?i)^salesforce/.*/campaignmember\.csv$`), "salesforce", "CampaignMember.csv"},
	{regexp.MustCompile(`(?i)^hubspot/.*/contact_data\.csv$`), "hubspot", "contacts.csv"},
	{regexp.MustCompile(`(?i)^hubspot/.*/deal_data\.csv$`), "hubspot", "deals.csv"},
	// Marketo's and Pardot's samples are their connector tables (snake_case
	// names), which the marketing presets read too.
	{regexp.MustCompile(`(?i)^marketo/.*/marketo_lead_data\.csv$`), "marketo", "leads.csv"},
	{regexp.MustCompile(`(?i)^marketo/.*/marketo_activity_.*\.csv$`), "marketo", "activities.csv"},
	{regexp.MustCompile(`(?i)^pardot/.*/pardot_prospect_data\.csv$`), "pardot", "prospects.csv"},
	{regexp.MustCompile(`(?i)^pardot/.*/pardot_visitor_activity_data\.csv$`), "pardot", "visitor_activities.csv"},
	{regexp.MustCompile(`(?i)^pardot/.*/pardot_opportunity_data\.csv$`), "generic", "opportunities.csv"},
}

func presetOfTool(rel string) string {
	switch strings.SplitN(rel, "/", 2)[0] {
	case "salesforce":
		return "salesforce"
	case "hubspot":
		return "hubspot"
	case "marketo":
		return "marketo"
	case "pardot":
		return "pardot"
	}
	return "generic"
}

// TestBuild_Corpus feeds every public sample to its tool's preset. Each one
// must load with its text intact, or be refused with a message that names
// the file and says what is wrong; none may crash the build.
func TestBuild_Corpus(t *testing.T) {
	var files []string
	err := filepath.Walk(corpusDir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() && strings.EqualFold(filepath.Ext(p), ".csv") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatalf("the corpus must be at %s: %v", corpusDir, err)
	}
	if len(files) < 100 {
		t.Fatalf("found only %d corpus files", len(files))
	}
	sort.Strings(files)
	outcomes := map[string]int{}
	var report []string
	for _, p := range files {
		rel := filepath.ToSlash(strings.TrimPrefix(p, corpusDir+"/"))
		preset, name := presetOfTool(rel), filepath.Base(p)
		for _, c := range corpusTargets {
			if c.pattern.MatchString(rel) {
				preset, name = c.preset, c.name
				break
			}
		}
		t.Run(rel, func(t *testing.T) {
			src := map[string]string{"salesforce": "crm", "hubspot": "hs", "generic": "gen", "marketo": "mkto", "pardot": "pardot"}[preset]
			e := newEnv(t, fmt.Sprintf("sources:\n  - {name: %s, preset: %s, path: exports/%s}\n", src, preset, src))
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			e.drop(src, "sample", map[string]string{name: string(data)})
			res, err := e.build()
			outcome := ""
			switch {
			case err != nil:
				var de *DropError
				if !errors.As(err, &de) {
					t.Fatalf("not a drop error: %v", err)
				}
				var mc *MissingColumnError
				var re *RejectsError
				switch {
				case errors.As(err, &mc):
					outcome = "refused: missing " + string(mc.Object) + "." + mc.Field
				case errors.As(err, &re):
					outcome = "refused: too many unreadable rows"
				default:
					t.Errorf("refused without a known reason: %v", err)
				}
				if !strings.Contains(err.Error(), src+"/sample/"+name) {
					t.Errorf("error does not name the file: %v", err)
				}
			case len(res.Drops) == 1 && len(res.Drops[0].Files) == 1 && res.Drops[0].Files[0].Ignored:
				outcome = "ignored: not an object of the " + preset + " preset"
			default:
				f := res.Drops[0].Files[0]
				outcome = "loaded"
				if f.Rejected > 0 {
					outcome = "loaded with quarantined rows"
				}
				checkIntactText(t, e, src, data)
			}
			outcomes[outcome]++
			report = append(report, fmt.Sprintf("%-75s %-10s %s", rel, preset, outcome))
		})
	}
	t.Logf("corpus outcomes:\n%s", strings.Join(report, "\n"))
	t.Logf("totals: %v", outcomes)
	if outcomes["loaded"]+outcomes["loaded with quarantined rows"] < 15 {
		t.Errorf("only %d corpus files loaded", outcomes["loaded"])
	}
}

// checkIntactText checks that every non-ASCII word of the file arrived in
// the raw layer unchanged, and that no replacement character appeared.
func checkIntactText(t *testing.T, e *testEnv, src string, data []byte) {
	t.Helper()
	if !utf8.Valid(data) {
		return
	}
	tables := e.query(`SELECT table_name FROM duckdb_tables() WHERE schema_name = 'raw'`)
	var all strings.Builder
	for _, table := range tables {
		cols := e.query(`SELECT column_name FROM duckdb_columns() WHERE schema_name = 'raw' AND table_name = ? AND data_type = 'VARCHAR'`, table)
		for _, c := range cols {
			for _, v := range e.query(fmt.Sprintf(`SELECT %q FROM raw.%q WHERE %q IS NOT NULL`, c, table, c)) {
				all.WriteString(v)
				all.WriteByte('\n')
			}
		}
	}
	text := all.String()
	source := strings.TrimPrefix(string(data), "\uFEFF") // the byte-order mark is not text
	// One sample arrived with replacement characters in it; none may be added.
	if got, want := strings.Count(text, "\uFFFD"), strings.Count(source, "\uFFFD"); got > want {
		t.Errorf("%d replacement characters in the loaded text, %d in the file", got, want)
	}
	words := regexp.MustCompile(`[\p{L}]*[^\x00-\x7F]+[\p{L}]*`).FindAllString(source, -1)
	for _, w := range words {
		if !strings.Contains(text, w) {
			t.Errorf("%q is in the file but not in the warehouse", w)
			return
		}
	}
}
