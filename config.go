package coxswain

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"go.yaml.in/yaml/v3"
)

// Config is the whole configuration of a coxswain installation, read from one
// YAML file. Relative paths in it are resolved against the file's folder.
type Config struct {
	// Timezone is the reporting zone (IANA name): months are calendar months there.
	Timezone string `yaml:"timezone"`
	// Currency is the ISO 4217 code of the amounts (USD, EUR...): the report
	// writes money as $1.43M and the workbook in its currency format; empty:
	// plain numbers.
	Currency string `yaml:"currency"`
	// Warehouse is the DuckDB file the build writes.
	Warehouse string `yaml:"warehouse"`
	// DuckDB holds the engine's resource settings.
	DuckDB DuckDB `yaml:"duckdb"`
	// Load holds the loader's tolerance settings shared by all sources.
	Load Load `yaml:"load"`
	// Sources are the drop folders to load, one per exporting tool.
	Sources []Source `yaml:"sources"`
	// SLA configures the lead follow-up commitment.
	SLA SLA `yaml:"sla"`
	// Plans names the spend and targets plans.
	Plans Plans `yaml:"plans"`
	// Influence configures marketing_influenced_opportunities.
	Influence Influence `yaml:"influence"`
	// Tests configures the data tests' tolerances.
	Tests Tests `yaml:"tests"`
	// Export is the folder the marts are exported to as Parquet (default
	// "export" beside the config).
	Export string `yaml:"export"`
	// Iceberg is the folder of the Iceberg feed, a filesystem catalog whose
	// tables are the marts (default "iceberg" beside the config).
	Iceberg string `yaml:"iceberg"`
	// IcebergLocation is the address the Iceberg feed's metadata names
	// its files under (s3://bucket/prefix): the bucket the folder is
	// copied to, where engines in the cloud read it. Empty, the metadata
	// names the local folder.
	IcebergLocation string `yaml:"iceberg_location"`
	// Email says who receives the monthly report and through which server.
	Email Email `yaml:"email"`
	// RunLog is the JSON-lines log of every command run (default
	// coxswain-runs.jsonl beside the config).
	RunLog string `yaml:"run_log"`
	// Packs is where scheduled reports write their packs (default "packs").
	Packs string `yaml:"packs"`
	// Schedule says when coxswain schedule runs the jobs.
	Schedule Schedule `yaml:"schedule"`
	// Alerts says who hears of a failed scheduled run.
	Alerts Alerts `yaml:"alerts"`

	// Dir is the folder of the config file, against which paths resolve.
	Dir string `yaml:"-"`

	// lines holds the line of every key written in the file, by key path.
	lines map[string]int
}

// DuckDB holds resource settings passed to the engine when the warehouse opens.
type DuckDB struct {
	Threads       int    `yaml:"threads"`        // 0: DuckDB's default (all cores)
	MemoryLimit   string `yaml:"memory_limit"`   // e.g. "4GB"; empty: DuckDB's default (80% of RAM)
	TempDirectory string `yaml:"temp_directory"` // where large sorts spill; default beside the warehouse
}

// TempDir is where the engine spills and drops are extracted for the
// warehouse at path: temp_directory, or <warehouse>.tmp beside it.
func (d DuckDB) TempDir(warehouse string) string {
	if d.TempDirectory != "" {
		return d.TempDirectory
	}
	return warehouse + ".tmp"
}

// Load holds the loader's settings.
type Load struct {
	// MaxRejectShare is the share of a file's rows that may be quarantined
	// before the build fails (default 0.01, i.e. 1%).
	MaxRejectShare *float64 `yaml:"max_reject_share"`
	// MaxDeleteShare is the share of an object's current records a full
	// snapshot may delete before its drop is held (default 0.10): a
	// truncated or header-only export must not empty the warehouse.
	MaxDeleteShare *float64 `yaml:"max_delete_share"`
	// MaxZipRatio is how many times its compressed size an archive's entry
	// may expand to before the archive is refused as a ZIP bomb (default
	// 500; real CSV exports compress far less).
	MaxZipRatio *int `yaml:"max_zip_ratio"`
	// MaxColumns is how many columns a file's header may have (default
	// 4096; Salesforce objects have at most about 800 fields).
	MaxColumns *int `yaml:"max_columns"`
	// MaxLineBytes is how long a row (and so any field of it) may be, in
	// bytes, before it is quarantined (default 8 MiB; DuckDB's reader
	// stops there).
	MaxLineBytes *int64 `yaml:"max_line_bytes"`
	// MaxExtractedBytes is how much an archive's entries may expand to in
	// all (default 64 GiB), besides each entry's max_zip_ratio.
	MaxExtractedBytes *int64 `yaml:"max_extracted_bytes"`
}

// Source is one exporting tool whose drops arrive in a folder.
type Source struct {
	Name   string `yaml:"name"`
	Preset string `yaml:"preset"`
	Path   string `yaml:"path"`
	// Timezone is the zone of zone-less datetimes in this source's files;
	// empty means the preset's default.
	Timezone string `yaml:"timezone"`
	// Encoding is auto (default), utf-8, utf-16, latin-1 or cp1252.
	Encoding string `yaml:"encoding"`
	// Delimiter is auto (default) or one character; "tab" names a tab.
	Delimiter string `yaml:"delimiter"`
	// Fields overrides the preset's column for a canonical field, keyed
	// "field" (when one object has it) or "object.field".
	Fields map[string]ColumnSpec `yaml:"fields"`
	// Files overrides which file names in a drop feed an object (a glob).
	Files map[string]string `yaml:"files"`
	// Stages says which opportunity stages are won, lost or open, by label
	// or id, added to the preset's defaults.
	Stages Stages `yaml:"stages"`
	// ActivityTypes names a marketing tool's activity types by the id its
	// exports write, and says which are marketing touches; added to (and
	// overriding by id) the preset's.
	ActivityTypes []ActivityType `yaml:"activity_types"`
	// Snapshot says whether each drop is a full export of its objects (a
	// record missing from the latest is gone), overriding the preset's.
	Snapshot *bool `yaml:"snapshot"`
	// CRM names the CRM source whose ids a marketing tool's records carry
	// (sfdcLeadId...), when there are several; default: any CRM source.
	CRM string `yaml:"crm"`
	// MQL says when a marketing tool's person became an MQL, where the tool
	// has no MQL date field: the first change of its status to one of
	// Status, or the first time its score reached Score.
	MQL MQLRule `yaml:"mql"`
	// Formats gives strptime formats for datetimes the ISO parser cannot read
	// (Excel's 02/23/26 08:55 PM, say).
	Formats Formats `yaml:"formats"`
	// MaxRejectShare overrides load.max_reject_share for this source.
	MaxRejectShare *float64 `yaml:"max_reject_share"`
	// MaxDeleteShare overrides load.max_delete_share for this source.
	MaxDeleteShare *float64 `yaml:"max_delete_share"`
	// WarnAfter and ErrorAfter are how old the newest drop may be (Go
	// durations: 36h, 90m) before the freshness test warns or fails the
	// build. Defaults 48h and none.
	WarnAfter  string `yaml:"warn_after"`
	ErrorAfter string `yaml:"error_after"`
}

// Stages classifies opportunity stages, by label or id (compared trimmed and
// case-insensitively): the lists apply to every pipeline, and Pipelines
// adds lists for the stages of one pipeline (by its label or id; they need
// the export's pipeline column). A stage in no list is open unless the
// record's own closed/won flags say more (closed and not won: lost); a
// stage in no list whose opportunities look closed is reported in data
// checks as unmapped_stage.
type Stages struct {
	Won       []string              `yaml:"won"`
	Lost      []string              `yaml:"lost"`
	Open      []string              `yaml:"open"`
	Pipelines map[string]StageLists `yaml:"pipelines"`
}

// StageLists are the won, lost and open stages of one pipeline.
type StageLists struct {
	Won  []string `yaml:"won"`
	Lost []string `yaml:"lost"`
	Open []string `yaml:"open"`
}

// ActivityType is one type of a marketing tool's activities.
type ActivityType struct {
	ID    string `yaml:"id"`
	Name  string `yaml:"name"`
	Touch bool   `yaml:"touch"` // a marketing touch (form fill, e-mail click, event attendance)
}

// MQLRule derives mql_at from a marketing tool's activities.
type MQLRule struct {
	Status []string `yaml:"status"` // status values that make an MQL
	Score  float64  `yaml:"score"`  // the score that makes an MQL; 0: none
}

// strptimeSpecifiers are the letters DuckDB's strptime reads after %, and
// those it also reads after %- (asked of DuckDB 1.5 letter by letter).
const (
	strptimeSpecifiers = "ABGHIMSTUVWXYZabcdfghjmnpuwxyz%"
	strptimeDashed     = "HIMSdjmy"
)

// badStrptime names the first specifier of a strptime format that DuckDB
// does not know ("%P"), or "" when there is none; a format that passed the
// config check would otherwise fail every build.
func badStrptime(f string) string {
	for i := 0; i < len(f); i++ {
		if f[i] != '%' {
			continue
		}
		j, known := i+1, strptimeSpecifiers
		if j < len(f) && f[j] == '-' {
			j, known = j+1, strptimeDashed
		}
		if j >= len(f) {
			return "a % at its end"
		}
		if !strings.ContainsRune(known, rune(f[j])) {
			return fmt.Sprintf("%q", f[i:j+1])
		}
		i = j
	}
	return ""
}

// Formats are strptime formats for a source's datetime and date columns.
type Formats struct {
	Timestamp string `yaml:"timestamp"`
	Date      string `yaml:"date"`
}

// SLA configures the follow-up window for marketing qualified leads.
type SLA struct {
	FollowUpHours float64 `yaml:"follow_up_hours"`
	// TargetShare is the commitment: the share of MQLs sales follow up in
	// time (0.9 is 90%), shown beside the SLA in the report; nil: none.
	// A sla_compliance target in the targets plan wins for its month.
	TargetShare   *float64      `yaml:"target_share"`
	BusinessHours BusinessHours `yaml:"business_hours"`
}

// BusinessHours, when enabled, makes the follow-up window count only
// working hours of the reporting zone.
type BusinessHours struct {
	Enabled  bool     `yaml:"enabled"`
	Start    int      `yaml:"start"`    // hour the working day starts (default 9)
	End      int      `yaml:"end"`      // hour it ends (default 17)
	Days     []int    `yaml:"days"`     // ISO weekdays, 1 = Monday (default 1-5)
	Holidays []string `yaml:"holidays"` // dates, YYYY-MM-DD
}

// Influence configures which touches make an opportunity marketing-influenced.
type Influence struct {
	WindowDays int      `yaml:"window_days"` // default 90
	TouchTypes []string `yaml:"touch_types"` // activity types that are marketing touches
}

// Email configures coxswain send. The SMTP user and password come only
// from the environment (COXSWAIN_SMTP_USER, COXSWAIN_SMTP_PASSWORD), never
// from this file.
type Email struct {
	From    string   `yaml:"from"`
	To      []string `yaml:"to"`
	Cc      []string `yaml:"cc"`
	Subject string   `yaml:"subject"` // {month}: the report month; {headline}: its lead numbers
	SMTP    SMTP     `yaml:"smtp"`
}

// Schedule holds the jobs' crontab lines (five fields, or six with seconds).
type Schedule struct {
	Timezone string `yaml:"timezone"` // default: the reporting zone
	Build    string `yaml:"build"`    // default "0 2 * * *"
	Report   string `yaml:"report"`   // default "0 7 1 * *": the month just ended
}

// Alerts lists who is e-mailed when a scheduled run fails (through email.smtp).
type Alerts struct {
	To []string `yaml:"to"`
}

// SMTP is the mail server.
type SMTP struct {
	Host     string `yaml:"host"`
	Port     int    `yaml:"port"`     // default 587
	StartTLS *bool  `yaml:"starttls"` // default true: refuse to send unencrypted
}

// Tests holds the data tests' tolerances.
type Tests struct {
	// CloseDateSlackDays is how far a close date may precede creation
	// (deals backdated at entry) before the sanity test warns. Default 7.
	CloseDateSlackDays *int `yaml:"close_date_slack_days"`
}

// Plans names the spend plan (month,channel,amount) and targets plan (month,metric,target).
type Plans struct {
	Spend   string `yaml:"spend"`
	Targets string `yaml:"targets"`
}

// DefaultMaxRejectShare is the share of rejected rows a file may have before the build fails.
const DefaultMaxRejectShare = 0.01

// DefaultMaxDeleteShare is the share of an object's records a full snapshot
// may delete before its drop is held.
const DefaultMaxDeleteShare = 0.10

// ValidationError says which configuration key has which bad value and why.
type ValidationError struct {
	Key   string
	Value string
	Msg   string
	// Line is the line of the key in the config file (or of its nearest
	// written ancestor, for a key the user left out); 0 when unknown.
	Line int
}

// Error reads key: "value" message, the value quoted so that an empty or
// spaced value shows; a problem of the whole file has no key.
func (e *ValidationError) Error() string {
	switch {
	case e.Key == "":
		return e.Msg
	case e.Value == "":
		return fmt.Sprintf("%s: %s", e.Key, e.Msg)
	}
	return fmt.Sprintf("%s: %q %s", e.Key, e.Value, e.Msg)
}

// ConfigError is every problem of one configuration file, so that a user
// fixes them all after one run instead of one per run. It reads like a
// compiler's output: one problem a line, as file:line: key: message.
type ConfigError struct {
	File     string // as the user named it; empty when parsed from a reader
	Problems []*ValidationError
}

// Error lists the problems one a line, sorted by line, each prefixed by
// file:line so that editors and terminals can jump to it.
func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString("config")
	if e.File != "" {
		b.WriteString(" " + e.File)
	}
	if len(e.Problems) == 1 {
		b.WriteString(" has 1 problem:")
	} else {
		fmt.Fprintf(&b, " has %d problems:", len(e.Problems))
	}
	for _, p := range e.Problems {
		b.WriteString("\n  ")
		switch {
		case e.File != "" && p.Line > 0:
			fmt.Fprintf(&b, "%s:%d: ", e.File, p.Line)
		case e.File != "":
			b.WriteString(e.File + ": ")
		case p.Line > 0:
			fmt.Fprintf(&b, "line %d: ", p.Line)
		}
		b.WriteString(p.Error())
	}
	return b.String()
}

// Unwrap gives the problems, so that errors.As finds a *ValidationError.
func (e *ConfigError) Unwrap() []error {
	errs := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		errs[i] = p
	}
	return errs
}

// LoadConfig reads, defaults and validates the configuration file at path.
// The checks are the caller's further validations (resolving presets, say):
// they run after Validate, even when it found problems, and the
// *ValidationError problems they return join the same report, with lines.
// Every problem of the file comes back at once in a *ConfigError.
func LoadConfig(path string, checks ...func(*Config) error) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		// Wrapped, not replaced: the CLI tells a missing file by
		// fs.ErrNotExist and then suggests coxswain sample.
		return nil, fmt.Errorf("config: %w", err)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return parseConfig(data, filepath.Dir(abs), path, checks)
}

// ParseConfig reads a configuration from r; dir is the folder relative paths resolve against.
// Unknown keys are an error, so that a misspelt key never silently means its default.
// Problems come back at once in a *ConfigError with no file name.
func ParseConfig(r io.Reader, dir string) (*Config, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	return parseConfig(data, dir, "", nil)
}

// parseConfig vets the YAML against the Config type before decoding it,
// because yaml.v3's strict decoding stops at the first unknown key and names
// Go types; then it decodes, defaults and validates, and reports everything
// found on the way together.
func parseConfig(data []byte, dir, file string, checks []func(*Config) error) (*Config, error) {
	fail := func(problems []*ValidationError) error {
		sort.SliceStable(problems, func(i, j int) bool {
			if problems[i].Line != problems[j].Line {
				return problems[i].Line < problems[j].Line
			}
			return problems[i].Key < problems[j].Key
		})
		return &ConfigError{File: file, Problems: problems}
	}

	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) {
		return nil, fail([]*ValidationError{yamlProblem(err, data)})
	}
	w := newConfigWalk()
	if !w.document(&doc) {
		return nil, fail(w.problems)
	}
	var more yaml.Node
	switch err := dec.Decode(&more); {
	case err == nil && len(more.Content) > 0 && more.Content[0].ShortTag() != "!!null":
		w.problems = append(w.problems, &ValidationError{Line: more.Content[0].Line, Msg: "a second YAML document (after ---): the config is one document"})
	case err != nil && !errors.Is(err, io.EOF):
		w.problems = append(w.problems, yamlProblem(err, data))
	}

	cfg := &Config{Dir: dir, lines: w.lines}
	if doc.Kind == yaml.DocumentNode {
		var typeErr *yaml.TypeError
		switch err := doc.Decode(cfg); {
		case err == nil:
		case errors.As(err, &typeErr):
			// The walk reports the same mistakes in the user's terms; these
			// only surface if the walk missed one.
			if len(w.problems) == 0 {
				for _, msg := range typeErr.Errors {
					w.problems = append(w.problems, yamlProblem(errors.New(msg), data))
				}
			}
		default:
			// Not a value of the wrong type but a file yaml.v3 refuses to
			// decode at all (excessive aliasing, say): nothing to validate.
			return nil, fail(append(w.problems, yamlProblem(err, data)))
		}
	}
	cfg.setDefaults()

	problems := w.problems
	later := cfg.problems()
	for _, check := range checks {
		if err := check(cfg); err != nil {
			later = append(later, problemsOf(err)...)
		}
	}
	seen := map[ValidationError]bool{}
	for _, p := range later {
		if w.consequence(p.Key) || seen[*p] {
			continue
		}
		seen[*p] = true
		if p.Line == 0 {
			withLine := *p // the check's own error stays as it made it
			withLine.Line = cfg.Line(p.Key)
			p = &withLine
		}
		problems = append(problems, p)
	}
	if len(problems) > 0 {
		return nil, fail(problems)
	}
	return cfg, nil
}

// problemsOf takes the *ValidationError problems out of a check's error
// (errors.Join trees included); an error without one is reported whole.
func problemsOf(err error) []*ValidationError {
	switch e := err.(type) {
	case *ValidationError:
		return []*ValidationError{e}
	case *ConfigError:
		return e.Problems
	case interface{ Unwrap() []error }:
		var out []*ValidationError
		for _, inner := range e.Unwrap() {
			out = append(out, problemsOf(inner)...)
		}
		return out
	}
	var ve *ValidationError
	if errors.As(err, &ve) {
		return []*ValidationError{ve}
	}
	return []*ValidationError{{Msg: err.Error()}}
}

// Line is the line of key (as problems name it: sources[0].fields.mql_at) in
// the config file, or of its nearest ancestor the user wrote, so that a
// problem about a left-out key points at the mapping it belongs in. It is 0
// when the config did not come from a file or no ancestor was written.
func (c *Config) Line(key string) int {
	for key != "" {
		if line, ok := c.lines[key]; ok {
			return line
		}
		key = parentKey(key)
	}
	return 0
}

// parentKey strips the last step of a key: a [i] or a .name.
func parentKey(key string) string {
	if strings.HasSuffix(key, "]") {
		if i := strings.LastIndexByte(key, '['); i >= 0 {
			return key[:i]
		}
	}
	if i := strings.LastIndexByte(key, '.'); i >= 0 {
		return key[:i]
	}
	return ""
}

func (c *Config) setDefaults() {
	if c.Timezone == "" {
		c.Timezone = "UTC"
	}
	if c.Warehouse == "" {
		c.Warehouse = "warehouse.duckdb"
	}
	if c.SLA.FollowUpHours == 0 {
		c.SLA.FollowUpHours = 24
	}
	bh := &c.SLA.BusinessHours
	if bh.Start == 0 && bh.End == 0 {
		bh.Start, bh.End = 9, 17
	}
	if len(bh.Days) == 0 {
		bh.Days = []int{1, 2, 3, 4, 5}
	}
	if c.Influence.WindowDays == 0 {
		c.Influence.WindowDays = 90
	}
	if c.Influence.TouchTypes == nil {
		c.Influence.TouchTypes = []string{"Form Fill", "Email Click", "Event Attendance"}
	}
	if c.Tests.CloseDateSlackDays == nil {
		seven := 7
		c.Tests.CloseDateSlackDays = &seven
	}
	if c.Export == "" {
		c.Export = "export"
	}
	if c.Iceberg == "" {
		c.Iceberg = "iceberg"
	}
	if c.RunLog == "" {
		c.RunLog = "coxswain-runs.jsonl"
	}
	if c.Packs == "" {
		c.Packs = "packs"
	}
	if c.Schedule.Timezone == "" {
		c.Schedule.Timezone = c.Timezone
	}
	if c.Schedule.Build == "" {
		c.Schedule.Build = "0 2 * * *"
	}
	if c.Schedule.Report == "" {
		c.Schedule.Report = "0 7 1 * *"
	}
	if c.Email.Subject == "" {
		c.Email.Subject = "Scorecard {month}: {headline}"
	}
	if c.Email.SMTP.Port == 0 {
		c.Email.SMTP.Port = 587
	}
	if c.Email.SMTP.StartTLS == nil {
		yes := true
		c.Email.SMTP.StartTLS = &yes
	}
	for i := range c.Sources {
		s := &c.Sources[i]
		if s.Encoding == "" {
			s.Encoding = "auto"
		}
		if s.Delimiter == "" {
			s.Delimiter = "auto"
		}
	}
}

var sourceName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// Encodings lists the accepted values of a source's encoding.
var Encodings = []string{"auto", "utf-8", "utf-16", "latin-1", "cp1252"}

var currencyCode = regexp.MustCompile(`^[A-Z]{3}$`)

// Validate checks every key and returns all problems at once, each a
// *ValidationError naming its key (and its line, when the config came from a
// file). Preset-specific keys (fields, files) are checked by the presets package.
func (c *Config) Validate() error {
	var errs []error
	for _, p := range c.problems() {
		errs = append(errs, p)
	}
	return errors.Join(errs...)
}

func (c *Config) problems() []*ValidationError {
	var errs []*ValidationError
	bad := func(key, value, msg string) {
		errs = append(errs, &ValidationError{Key: key, Value: value, Msg: msg, Line: c.Line(key)})
	}

	if _, err := time.LoadLocation(c.Timezone); err != nil {
		bad("timezone", c.Timezone, "is not an IANA time zone name (for example America/New_York)")
	}
	if c.DuckDB.Threads < 0 {
		bad("duckdb.threads", fmt.Sprint(c.DuckDB.Threads), "must be 0 (all cores) or more")
	}
	if c.DuckDB.MemoryLimit != "" && !memoryLimit.MatchString(c.DuckDB.MemoryLimit) {
		bad("duckdb.memory_limit", c.DuckDB.MemoryLimit, "must be a size such as 4GB or 512MiB")
	}
	checkShare := func(key string, v *float64) {
		if v != nil && (*v < 0 || *v > 1) {
			bad(key, fmt.Sprint(*v), "must be a share between 0 and 1 (0.01 is 1%)")
		}
	}
	checkShare("load.max_reject_share", c.Load.MaxRejectShare)
	checkShare("load.max_delete_share", c.Load.MaxDeleteShare)
	if n := c.Load.MaxColumns; n != nil && *n < 1 {
		bad("load.max_columns", fmt.Sprint(*n), "must be 1 or more: how many columns a file's header may have")
	}
	if n := c.Load.MaxLineBytes; n != nil && *n < 1024 {
		bad("load.max_line_bytes", fmt.Sprint(*n), "must be 1024 or more: how many bytes a row may have")
	}
	if n := c.Load.MaxExtractedBytes; n != nil && *n < 1 {
		bad("load.max_extracted_bytes", fmt.Sprint(*n), "must be 1 or more: how many bytes an archive may expand to in all")
	}
	if r := c.Load.MaxZipRatio; r != nil && *r < 1 {
		bad("load.max_zip_ratio", fmt.Sprint(*r), "must be 1 or more: how many times its compressed size an archive entry may expand to")
	}
	if c.IcebergLocation != "" {
		if err := CheckIcebergLocation(c.IcebergLocation); err != nil {
			bad("iceberg_location", c.IcebergLocation, err.Error())
		}
	}
	if c.SLA.FollowUpHours < 0 {
		bad("sla.follow_up_hours", fmt.Sprint(c.SLA.FollowUpHours), "must be positive")
	}
	checkShare("sla.target_share", c.SLA.TargetShare)
	if c.Currency != "" && !currencyCode.MatchString(c.Currency) {
		bad("currency", c.Currency, "must be an ISO 4217 code of three capital letters (USD, EUR, GBP)")
	}
	if len(c.Sources) == 0 {
		bad("sources", "", "must list at least one source (name, preset, path)")
	}
	seen := map[string]bool{}
	for i, s := range c.Sources {
		key := fmt.Sprintf("sources[%d]", i)
		switch {
		case s.Name == "":
			bad(key+".name", "", "is required")
		case !sourceName.MatchString(s.Name):
			bad(key+".name", s.Name, "must be lower-case letters, digits and _ , starting with a letter (it names warehouse tables)")
		case seen[s.Name]:
			bad(key+".name", s.Name, "is used by another source")
		}
		seen[s.Name] = true
		if s.Preset == "" {
			bad(key+".preset", "", "is required (salesforce, hubspot, marketo, pardot, pipedrive or generic)")
		}
		if s.Path == "" {
			bad(key+".path", "", "is required: the folder the source's drops arrive in")
		} else if fi, err := os.Stat(c.Resolve(s.Path)); err != nil || !fi.IsDir() {
			bad(key+".path", s.Path, "is not a folder (resolved to "+c.Resolve(s.Path)+")")
		}
		if s.Timezone != "" {
			if _, err := time.LoadLocation(s.Timezone); err != nil {
				bad(key+".timezone", s.Timezone, "is not an IANA time zone name")
			}
		}
		if !slices.Contains(Encodings, s.Encoding) {
			bad(key+".encoding", s.Encoding, "must be one of "+strings.Join(Encodings, ", "))
		}
		if _, err := s.DelimiterByte(); err != nil {
			bad(key+".delimiter", s.Delimiter, err.Error())
		}
		for k, f := range map[string]string{".formats.timestamp": s.Formats.Timestamp, ".formats.date": s.Formats.Date} {
			if bad1 := badStrptime(f); bad1 != "" {
				bad(key+k, f, "has "+bad1+", which DuckDB's strptime does not know (see https://duckdb.org/docs/sql/functions/dateformat)")
			}
		}
		for k, spec := range s.Fields {
			if len(spec.Names) == 0 {
				bad(key+".fields."+k, "", "needs a column name")
			}
		}
		checkShare(key+".max_reject_share", s.MaxRejectShare)
		checkShare(key+".max_delete_share", s.MaxDeleteShare)
		for k, v := range map[string]string{".warn_after": s.WarnAfter, ".error_after": s.ErrorAfter} {
			if v == "" {
				continue
			}
			if d, err := time.ParseDuration(v); err != nil || d <= 0 {
				bad(key+k, v, "must be a duration such as 36h or 90m")
			}
		}
	}
	for i, s := range c.Sources {
		if s.CRM != "" && (!seen[s.CRM] || s.CRM == s.Name) {
			bad(fmt.Sprintf("sources[%d].crm", i), s.CRM, "must name another source of this config, the CRM whose ids this source's records carry")
		}
	}
	bh := c.SLA.BusinessHours
	if bh.Start < 0 || bh.End > 24 || bh.Start >= bh.End {
		bad("sla.business_hours", fmt.Sprintf("%d-%d", bh.Start, bh.End), "start and end must be hours with 0 <= start < end <= 24")
	}
	for i, d := range bh.Days {
		if d < 1 || d > 7 {
			bad(fmt.Sprintf("sla.business_hours.days[%d]", i), fmt.Sprint(d), "must be an ISO weekday, 1 (Monday) to 7 (Sunday)")
		}
	}
	for i, h := range bh.Holidays {
		if _, err := time.Parse("2006-01-02", h); err != nil {
			bad(fmt.Sprintf("sla.business_hours.holidays[%d]", i), h, "must be a date, YYYY-MM-DD")
		}
	}
	// schedule.timezone defaults to the reporting zone: unless the user wrote
	// it, a bad zone is timezone's problem alone, not a second one.
	if _, written := c.lines["schedule.timezone"]; written || c.Schedule.Timezone != c.Timezone {
		if _, err := time.LoadLocation(c.Schedule.Timezone); err != nil {
			bad("schedule.timezone", c.Schedule.Timezone, "is not an IANA time zone name")
		}
	}
	for key, spec := range map[string]string{"schedule.build": c.Schedule.Build, "schedule.report": c.Schedule.Report} {
		if err := parseCron(spec); err != nil {
			bad(key, spec, "is not a crontab line (minute hour day month weekday): "+err.Error())
		}
	}
	if c.Email.From != "" {
		if _, err := mail.ParseAddress(c.Email.From); err != nil {
			bad("email.from", c.Email.From, "is not an e-mail address")
		}
	}
	for key, addrs := range map[string][]string{"email.to": c.Email.To, "email.cc": c.Email.Cc, "alerts.to": c.Alerts.To} {
		for i, a := range addrs {
			if _, err := mail.ParseAddress(a); err != nil {
				bad(fmt.Sprintf("%s[%d]", key, i), a, "is not an e-mail address")
			}
		}
	}
	if c.Email.SMTP.Port < 1 || c.Email.SMTP.Port > 65535 {
		bad("email.smtp.port", fmt.Sprint(c.Email.SMTP.Port), "must be a TCP port")
	}
	if c.Influence.WindowDays < 0 {
		bad("influence.window_days", fmt.Sprint(c.Influence.WindowDays), "must be positive")
	}
	for key, p := range map[string]string{"plans.spend": c.Plans.Spend, "plans.targets": c.Plans.Targets} {
		if p == "" {
			continue
		}
		if _, err := os.Stat(c.Resolve(p)); err != nil {
			bad(key, p, "does not exist (resolved to "+c.Resolve(p)+")")
		}
	}
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Key < errs[j].Key })
	return errs
}

var memoryLimit = regexp.MustCompile(`^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$`)

// parseCron applies the rule of pipelines/schedule.Parse (five fields, or
// six with seconds first), so that a bad crontab line is a config problem
// found at load time, not when coxswain schedule starts.
func parseCron(spec string) (err error) {
	// robfig/cron slices out of range on a TZ= prefix with nothing after it.
	if (strings.HasPrefix(spec, "TZ=") || strings.HasPrefix(spec, "CRON_TZ=")) && !strings.Contains(spec, " ") {
		return errors.New("a TZ= prefix needs the fields after it")
	}
	defer func() {
		if recover() != nil {
			err = errors.New("the cron parser cannot read it")
		}
	}()
	var p cron.Parser
	if len(strings.Fields(spec)) == 6 {
		p = cron.NewParser(cron.Second | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)
	} else {
		p = cron.NewParser(cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)
	}
	_, err = p.Parse(spec)
	return err
}

// Resolve makes p absolute against the config file's folder.
func (c *Config) Resolve(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.Dir, p)
}

// WarehousePath is the absolute path of the warehouse file.
func (c *Config) WarehousePath() string { return c.Resolve(c.Warehouse) }

// Location is the reporting time zone.
func (c *Config) Location() *time.Location {
	loc, err := time.LoadLocation(c.Timezone)
	if err != nil {
		return time.UTC // unreachable after Validate
	}
	return loc
}

// MaxColumns is how many columns a file may have (load.max_columns).
func (c *Config) MaxColumns() int {
	if c.Load.MaxColumns != nil {
		return *c.Load.MaxColumns
	}
	return 4096
}

// MaxLineBytes is how long a row may be (load.max_line_bytes).
func (c *Config) MaxLineBytes() int64 {
	if c.Load.MaxLineBytes != nil {
		return *c.Load.MaxLineBytes
	}
	return 8 << 20
}

// MaxExtractedBytes is what an archive may expand to in all
// (load.max_extracted_bytes).
func (c *Config) MaxExtractedBytes() int64 {
	if c.Load.MaxExtractedBytes != nil {
		return *c.Load.MaxExtractedBytes
	}
	return 64 << 30
}

// MaxZipRatio is the expansion an archive entry may have (load.max_zip_ratio).
func (c *Config) MaxZipRatio() int64 {
	if c.Load.MaxZipRatio != nil {
		return int64(*c.Load.MaxZipRatio)
	}
	return 500
}

// MaxDeleteShare is the deletion tolerance of full snapshots in force for
// source s.
func (c *Config) MaxDeleteShare(s Source) float64 {
	switch {
	case s.MaxDeleteShare != nil:
		return *s.MaxDeleteShare
	case c.Load.MaxDeleteShare != nil:
		return *c.Load.MaxDeleteShare
	}
	return DefaultMaxDeleteShare
}

// MaxRejectShare is the reject tolerance in force for source s.
func (c *Config) MaxRejectShare(s Source) float64 {
	switch {
	case s.MaxRejectShare != nil:
		return *s.MaxRejectShare
	case c.Load.MaxRejectShare != nil:
		return *c.Load.MaxRejectShare
	}
	return DefaultMaxRejectShare
}

// Freshness is how old a source's newest drop may be before the freshness
// test warns, and fails the build (0: never).
func (s Source) Freshness() (warn, fail time.Duration) {
	warn, _ = time.ParseDuration(s.WarnAfter)
	fail, _ = time.ParseDuration(s.ErrorAfter)
	if s.WarnAfter == "" {
		warn = 48 * time.Hour
	}
	return warn, fail
}

// EmailReady says what is missing before a report can be e-mailed.
func (e Email) EmailReady() error {
	var missing []string
	if e.From == "" {
		missing = append(missing, "email.from")
	}
	if len(e.To) == 0 {
		missing = append(missing, "email.to")
	}
	if e.SMTP.Host == "" {
		missing = append(missing, "email.smtp.host")
	}
	if len(missing) > 0 {
		return &ValidationError{Key: strings.Join(missing, ", "), Msg: "must be set to send the report"}
	}
	return nil
}

// ExportPath is the absolute path of the Parquet export folder.
func (c *Config) ExportPath() string { return c.Resolve(c.Export) }

// IcebergSchemes are the schemes an Iceberg feed location may have: the
// object stores engines read Iceberg tables from, and HDFS.
var IcebergSchemes = []string{"s3", "s3a", "gs", "abfs", "abfss", "hdfs"}

// CheckIcebergLocation says what is wrong with an Iceberg feed location,
// or nil.
func CheckIcebergLocation(location string) error {
	u, err := url.Parse(location)
	// Azure's addresses name the container as a user: abfss://container@account.dfs.core.windows.net/prefix.
	azure := u != nil && (u.Scheme == "abfs" || u.Scheme == "abfss")
	if err != nil || u.Host == "" || !slices.Contains(IcebergSchemes, u.Scheme) || u.User != nil && !azure || u.RawQuery != "" || u.Fragment != "" ||
		!strings.HasPrefix(location, u.Scheme+"://") {
		return fmt.Errorf("is not a bucket address: write it as scheme://bucket/prefix, the scheme one of %s in lower case", strings.Join(IcebergSchemes, ", "))
	}
	// The metadata names files by this address as it is written: engines
	// would read a space or an escape literally.
	if strings.ContainsAny(location, " %\t\n\\") {
		return fmt.Errorf("has a space, %% or backslash: Iceberg's metadata names files by the address as written; choose a prefix without them")
	}
	return nil
}

// IcebergPath is the absolute path of the Iceberg feed's catalog folder.
func (c *Config) IcebergPath() string { return c.Resolve(c.Iceberg) }

// DelimiterByte is the configured delimiter, or 0 for auto-detection.
func (s Source) DelimiterByte() (byte, error) {
	switch s.Delimiter {
	case "", "auto":
		return 0, nil
	case "tab", `\t`, "\t":
		return '\t', nil
	}
	if len(s.Delimiter) != 1 || strings.ContainsAny(s.Delimiter, "\"\r\n") {
		return 0, errors.New(`must be auto, tab, or one character such as , ; | ^`)
	}
	return s.Delimiter[0], nil
}

// ColumnSpec names the source column(s) that feed a canonical field, first
// match wins, and optionally the column's type where it differs from the
// field's (a date-only column feeding a timestamp field, say). In YAML it is
// a column name, a list of names, or {column: NAME | [NAMES], type: TYPE}.
type ColumnSpec struct {
	Names []string
	Type  string
	// Values make a flag from a column's values (Pipedrive's Deal - Status:
	// is_won from [won]): true for these, compared trimmed and
	// case-insensitively; false for Not's, or for any other value when Not
	// is empty. With Not, a value in neither list is NULL and reported.
	Values []string
	Not    []string
}

// UnmarshalYAML accepts the three forms of a ColumnSpec. Its errors name no
// line: the config's problem report adds the key and line.
func (c *ColumnSpec) UnmarshalYAML(n *yaml.Node) error {
	const forms = "a column name, a list of names, or {column: NAME, type: TYPE, values: [...], not: [...]}"
	// A *yaml.TypeError, unlike other errors, lets yaml.v3 go on decoding
	// the rest of the file, so that the config's other problems are found too.
	bad := func(msg string) error { return &yaml.TypeError{Errors: []string{msg}} }
	switch n.Kind {
	case yaml.ScalarNode:
		c.Names = nil
		if n.ShortTag() != "!!null" { // column: ~ names no column
			c.Names = []string{n.Value}
		}
		return nil
	case yaml.SequenceNode:
		c.Names = nil
		for _, item := range n.Content {
			if item.Kind == yaml.AliasNode && item.Alias != nil {
				item = item.Alias
			}
			if item.Kind != yaml.ScalarNode || item.ShortTag() == "!!null" {
				return bad("must be " + forms + ": a list holds names only")
			}
			c.Names = append(c.Names, item.Value)
		}
		if len(c.Names) == 0 {
			return bad("must name at least one column")
		}
		return nil
	case yaml.MappingNode:
		var spec ColumnSpec
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if v.Kind == yaml.AliasNode && v.Alias != nil {
				v = v.Alias
			}
			switch k.Value {
			case "column":
				if v.Kind == yaml.MappingNode {
					return bad("column: must be a name or a list of names")
				}
				var names ColumnSpec
				if err := names.UnmarshalYAML(v); err != nil {
					return bad("column: " + strings.Join(err.(*yaml.TypeError).Errors, "; "))
				}
				spec.Names = names.Names
			case "type":
				if v.Kind != yaml.ScalarNode {
					return bad("type: must be a field type such as date or timestamp")
				}
				spec.Type = v.Value
			case "values", "not":
				var list ColumnSpec
				if v.Kind == yaml.MappingNode || list.UnmarshalYAML(v) != nil {
					return bad(k.Value + ": must be a value or a list of values, such as [won]")
				}
				if k.Value == "values" {
					spec.Values = list.Names
				} else {
					spec.Not = list.Names
				}
			default:
				return bad(k.Value + ": " + unknownKeyMsg(k.Value, []string{"column", "type", "values", "not"}))
			}
		}
		if len(spec.Names) == 0 {
			return bad("needs column: NAME")
		}
		*c = spec
		return nil
	}
	return bad("must be " + forms)
}
