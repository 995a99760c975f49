package coxswain

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Config is the whole configuration of a coxswain installation, read from one
// YAML file. Relative paths in it are resolved against the file's folder.
type Config struct {
	// Timezone is the reporting zone (IANA name): months are calendar months there.
	Timezone string `yaml:"timezone"`
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
}

// DuckDB holds resource settings passed to the engine when the warehouse opens.
type DuckDB struct {
	Threads       int    `yaml:"threads"`        // 0: DuckDB's default (all cores)
	MemoryLimit   string `yaml:"memory_limit"`   // e.g. "4GB"; empty: DuckDB's default (80% of RAM)
	TempDirectory string `yaml:"temp_directory"` // where large sorts spill; default beside the warehouse
}

// Load holds the loader's settings.
type Load struct {
	// MaxRejectShare is the share of a file's rows that may be quarantined
	// before the build fails (default 0.01, i.e. 1%).
	MaxRejectShare *float64 `yaml:"max_reject_share"`
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
	// Formats gives strptime formats for datetimes the ISO parser cannot read
	// (Excel's 02/23/26 08:55 PM, say).
	Formats Formats `yaml:"formats"`
	// MaxRejectShare overrides load.max_reject_share for this source.
	MaxRejectShare *float64 `yaml:"max_reject_share"`
	// WarnAfter and ErrorAfter are how old the newest drop may be (Go
	// durations: 36h, 90m) before the freshness test warns or fails the
	// build. Defaults 48h and none.
	WarnAfter  string `yaml:"warn_after"`
	ErrorAfter string `yaml:"error_after"`
}

// Formats are strptime formats for a source's datetime and date columns.
type Formats struct {
	Timestamp string `yaml:"timestamp"`
	Date      string `yaml:"date"`
}

// SLA configures the follow-up window for marketing qualified leads.
type SLA struct {
	FollowUpHours float64       `yaml:"follow_up_hours"`
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
	Subject string   `yaml:"subject"` // {month} is replaced by the report month
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

// ValidationError says which configuration key has which bad value and why.
type ValidationError struct {
	Key   string
	Value string
	Msg   string
}

func (e *ValidationError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("%s: %s", e.Key, e.Msg)
	}
	return fmt.Sprintf("%s: %q %s", e.Key, e.Value, e.Msg)
}

// LoadConfig reads, defaults and validates the configuration file at path.
func LoadConfig(path string) (*Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cfg, err := ParseConfig(f, filepath.Dir(abs))
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return cfg, nil
}

// ParseConfig reads a configuration from r; dir is the folder relative paths resolve against.
// Unknown keys are an error, so that a misspelt key never silently means its default.
func ParseConfig(r io.Reader, dir string) (*Config, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	cfg := &Config{}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	cfg.Dir = dir
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return cfg, nil
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
		c.Email.Subject = "Sales and marketing scorecard, {month}"
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

// Validate checks every key and returns all problems at once, each naming its key.
// Preset-specific keys (fields, files) are checked by the presets package.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, value, msg string) { errs = append(errs, &ValidationError{key, value, msg}) }

	if _, err := time.LoadLocation(c.Timezone); err != nil {
		bad("timezone", c.Timezone, "is not an IANA time zone name (for example America/New_York)")
	}
	if c.DuckDB.Threads < 0 {
		bad("duckdb.threads", fmt.Sprint(c.DuckDB.Threads), "must be 0 (all cores) or more")
	}
	if c.DuckDB.MemoryLimit != "" && !regexp.MustCompile(`^\d+(\.\d+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)$`).MatchString(c.DuckDB.MemoryLimit) {
		bad("duckdb.memory_limit", c.DuckDB.MemoryLimit, "must be a size such as 4GB or 512MiB")
	}
	checkShare := func(key string, v *float64) {
		if v != nil && (*v < 0 || *v > 1) {
			bad(key, fmt.Sprint(*v), "must be a share between 0 and 1 (0.01 is 1%)")
		}
	}
	checkShare("load.max_reject_share", c.Load.MaxRejectShare)
	if c.SLA.FollowUpHours < 0 {
		bad("sla.follow_up_hours", fmt.Sprint(c.SLA.FollowUpHours), "must be positive")
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
			bad(key+".preset", "", "is required (salesforce, hubspot or generic)")
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
		checkShare(key+".max_reject_share", s.MaxRejectShare)
		for k, v := range map[string]string{".warn_after": s.WarnAfter, ".error_after": s.ErrorAfter} {
			if v == "" {
				continue
			}
			if d, err := time.ParseDuration(v); err != nil || d <= 0 {
				bad(key+k, v, "must be a duration such as 36h or 90m")
			}
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
	if _, err := time.LoadLocation(c.Schedule.Timezone); err != nil {
		bad("schedule.timezone", c.Schedule.Timezone, "is not an IANA time zone name")
	}
	for key, addrs := range map[string][]string{"email.from": {c.Email.From}, "email.to": c.Email.To, "email.cc": c.Email.Cc, "alerts.to": c.Alerts.To} {
		for _, a := range addrs {
			if a == "" && key == "email.from" {
				continue
			}
			if _, err := mail.ParseAddress(a); err != nil {
				bad(key, a, "is not an e-mail address")
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
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].(*ValidationError).Key < errs[j].(*ValidationError).Key })
	return errors.Join(errs...)
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
}

// UnmarshalYAML accepts the three forms of a ColumnSpec.
func (c *ColumnSpec) UnmarshalYAML(n *yaml.Node) error {
	switch n.Kind {
	case yaml.ScalarNode:
		c.Names = []string{n.Value}
		return nil
	case yaml.SequenceNode:
		return n.Decode(&c.Names)
	case yaml.MappingNode:
		var m struct {
			Column yaml.Node `yaml:"column"`
			Type   string    `yaml:"type"`
		}
		dec := m
		if err := n.Decode(&dec); err != nil {
			return err
		}
		var names ColumnSpec
		if err := names.UnmarshalYAML(&dec.Column); err != nil {
			return err
		}
		c.Names, c.Type = names.Names, dec.Type
		if len(c.Names) == 0 {
			return fmt.Errorf("line %d: a column spec needs column: NAME", n.Line)
		}
		return nil
	}
	return fmt.Errorf("line %d: a column spec is a name, a list of names, or {column, type}", n.Line)
}
