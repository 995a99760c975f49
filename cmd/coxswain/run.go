package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"slices"
	"strings"
	"time"

	"coxswain"
)

// command is one subcommand: how it is called, what it does, an example,
// and the function that parses its flags and runs it.
type command struct {
	name    string
	args    string // positional arguments, for the usage line
	summary string
	example string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// commands lists the subcommands in the order help shows them: the flow of
// a night (build, status), of a month (report, verify, send), then the rest.
func commands() []command {
	return []command{
		{name: "build", summary: "load every new export drop, rebuild the models and data tests, export the Parquet feed",
			example: "coxswain build --config coxswain.yaml --as-of 2026-11-15T06:00:00Z", run: runBuild},
		{name: "status", summary: "show the sources, the drops loaded and waiting, quarantined rows, the last build",
			example: "coxswain status --config coxswain.yaml --json", run: runStatus},
		{name: "report", summary: "write the month's pack (CSV files, report.html, manifest.json) from the last build's marts",
			example: "coxswain report --config coxswain.yaml --month 2026-10", run: runReport},
		{name: "verify", args: "DIR/YYYY-MM", summary: "check a pack against its manifest: sizes, SHA-256, rows, no extra file",
			example: "coxswain verify packs/2026-10", run: runVerify},
		{name: "send", summary: "e-mail the month's report (SMTP credentials from COXSWAIN_SMTP_USER and COXSWAIN_SMTP_PASSWORD)",
			example: "coxswain send --config coxswain.yaml --month 2026-10 --dry-run", run: runSend},
		{name: "runs", summary: "list the last runs of build, report and send from the run log",
			example: "coxswain runs --config coxswain.yaml -n 5 --json", run: runRuns},
		{name: "schedule", summary: "run the nightly build and the monthly report and e-mail by themselves, until stopped",
			example: "coxswain schedule --config coxswain.yaml --log-format json", run: runSchedule},
		{name: "sample", summary: "write a deterministic sample org's exports, plans and coxswain.yaml",
			example: "coxswain sample --dir demo", run: runSample},
		{name: "inspect", args: "FILE...", summary: "sniff export files and show how they would load: encoding, dialect, header, preamble and footer, rows and rejects, preset",
			example: "coxswain inspect exports/crm/2026-11-15/Lead.csv --csv-dir converted", run: runInspect},
		{name: "presets", args: "[NAME]", summary: "list the export presets, or print one: its files, columns, stages and types",
			example: "coxswain presets marketo", run: runPresets},
		{name: "version", summary: "print the coxswain version, its commit and the DuckDB version",
			example: "coxswain version", run: runVersion},
		{name: "help", args: "[COMMAND]", summary: "list every command and flag, or one command's usage",
			example: "coxswain help build", run: nil},
	}
}

func lookup(name string) (command, bool) {
	for _, c := range commands() {
		if c.name == name {
			return c, true
		}
	}
	return command{}, false
}

// Exit codes, as the README documents them.
const (
	exitOK     = 0 // the command did what it was asked
	exitFailed = 1 // it ran and failed: a drop or a data test failed, a pack does not verify, a send failed
	exitUsage  = 2 // it could not start: unknown command or flag, bad argument, bad or missing configuration
)

// Run is the whole command line: it parses args, runs one command, and
// returns the exit code. Only Run prints errors: "Error: ..." followed by
// "Try: ..." lines where there is something to try.
func Run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, overview())
		return exitUsage
	}
	name, rest := args[0], args[1:]
	var err error
	switch name {
	case "help", "-h", "--help":
		err = runHelp(ctx, rest, stdout)
	case "--version":
		err = runVersion(ctx, nil, stdout, stderr)
	default:
		c, ok := lookup(name)
		if !ok {
			msg := fmt.Sprintf("unknown command %q", name)
			if s := coxswain.Closest(name, commandNames()); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			}
			err = usageError{msg}
			break
		}
		err = c.run(ctx, rest, stdout, stderr)
		var ue usageError
		if errors.As(err, &ue) {
			err = commandUsage{err, c.name}
		}
	}
	var help helpRequested
	if errors.As(err, &help) {
		fmt.Fprint(stdout, commandHelp(help.fs))
		return exitOK
	}
	if err == nil {
		return exitOK
	}
	var rep reported
	if !errors.As(err, &rep) {
		printError(stderr, err, configArg(rest))
	}
	if isUsage(err) {
		return exitUsage
	}
	return exitFailed
}

func commandNames() []string {
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	return names
}

// usageError is a command line that cannot run as written.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// commandUsage is a usage error of a known command: its --help is the hint.
type commandUsage struct {
	error
	name string
}

func (e commandUsage) Unwrap() error { return e.error }

// configError is a configuration that cannot be used: a missing file, or
// the problems coxswain.LoadConfig found.
type configError struct{ err error }

func (e configError) Error() string { return e.err.Error() }
func (e configError) Unwrap() error { return e.err }

func isUsage(err error) bool {
	var ue usageError
	var ce configError
	var ve *coxswain.ValidationError
	return errors.As(err, &ue) || errors.As(err, &ce) || errors.As(err, &ve)
}

// helpRequested is returned by parseFlags for -h or --help: Run prints the
// command's usage from its flag set, on stdout, and exits 0.
type helpRequested struct{ fs *flag.FlagSet }

func (helpRequested) Error() string { return "help requested" }

// printError prints an error and what to do about it, from the
// *coxswain.Hint errors inside it: "Try:" lines are coxswain commands that
// run as printed (with the --config of this command line), "Hint:" lines
// are advice (a key to set, a file to fix).
func printError(w io.Writer, err error, config string) {
	fmt.Fprintf(w, "Error: %s\n", err)
	for _, l := range hintLines(err, config) {
		fmt.Fprintln(w, l)
	}
}

// hintLines are the "Hint:" and "Try:" lines of an error, advice first,
// each once; the CLI prints them, and an alert e-mail carries them.
func hintLines(err error, config string) []string {
	var advice, commands []string
	for _, h := range coxswain.Hints(err) {
		if len(h.Command) > 0 {
			commands = append(commands, cli(config, h.Command...))
		} else if h.Advice != "" {
			advice = append(advice, h.Advice)
		}
	}
	var ue usageError
	var cu commandUsage
	switch {
	case errors.As(err, &cu):
		commands = append(commands, "coxswain "+cu.name+" --help")
	case errors.As(err, &ue):
		commands = append(commands, "coxswain help")
	}
	var lines []string
	seen := map[string]bool{}
	for _, g := range []struct {
		prefix string
		items  []string
	}{{"Hint: ", advice}, {"Try: ", commands}} {
		for _, l := range g.items {
			if !seen[l] {
				lines = append(lines, g.prefix+l)
				seen[l] = true
			}
		}
	}
	return lines
}

// configArg is the --config of a command line ("" when not given).
func configArg(args []string) string {
	for i, a := range args {
		for _, p := range []string{"--config", "-config"} {
			if a == p && i+1 < len(args) {
				return args[i+1]
			}
			if v, ok := strings.CutPrefix(a, p+"="); ok {
				return v
			}
		}
	}
	return ""
}

func newFlags(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseFlags parses a command's flags; the command takes no positional
// argument.
func parseFlags(fs *flag.FlagSet, args []string) error {
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usageError{fmt.Sprintf("%s: unexpected argument %q", fs.Name(), pos[0])}
	}
	return nil
}

// parseArgs parses flags wherever they stand among the positional
// arguments (verify DIR --help works as well as verify --help DIR) and
// returns the positional ones.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, helpRequested{fs}
			}
			return nil, flagError(fs, err)
		}
		if fs.NArg() == 0 {
			return pos, nil
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

// flagError says what is wrong with a flag in the user's terms, with the
// closest flag the command has for a misspelt one.
func flagError(fs *flag.FlagSet, err error) error {
	const undefined = "flag provided but not defined: -"
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, undefined); ok {
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		msg = fmt.Sprintf("unknown flag --%s", name)
		if s := coxswain.Closest(name, names); s != "" {
			msg += fmt.Sprintf("; did you mean --%s?", s)
		}
		return usageError{fmt.Sprintf("%s: %s", fs.Name(), msg)}
	}
	return usageError{fmt.Sprintf("%s: %s", fs.Name(), strings.Replace(msg, " -", " --", 1))}
}

// flagSetOf asks a command for its flag set without running it: every
// command parses its flags before it does anything else.
func flagSetOf(ctx context.Context, c command) *flag.FlagSet {
	if c.run == nil {
		return newFlags(c.name)
	}
	var help helpRequested
	if err := c.run(ctx, []string{"--help"}, io.Discard, io.Discard); errors.As(err, &help) {
		return help.fs
	}
	return newFlags(c.name)
}

// synopsis is a command's usage line: coxswain build [--config FILE] ...
func synopsis(c command, fs *flag.FlagSet) string {
	parts := []string{"coxswain", c.name}
	fs.VisitAll(func(f *flag.Flag) {
		if required(f) {
			parts = append(parts, flagName(f.Name)+flagArg(f))
		}
	})
	fs.VisitAll(func(f *flag.Flag) {
		if !required(f) {
			parts = append(parts, "["+flagName(f.Name)+flagArg(f)+"]")
		}
	})
	if c.args != "" {
		parts = append(parts, c.args)
	}
	return strings.Join(parts, " ")
}

// argNames name the values of flags in usage lines, by flag name.
var argNames = map[string]string{
	"config": "FILE", "as-of": "TIME", "end": "TIME", "month": "YYYY-MM", "out": "DIR", "dir": "DIR",
	"log-format": "text|json", "n": "N", "leads": "N", "extra-activities": "N", "seed": "S", "accept-drop": "DROP",
	"csv-dir": "DIR",
}

// flagArg is what a flag's value is called in usage lines; a switch has none.
func flagArg(f *flag.Flag) string {
	if isBool(f) {
		return ""
	}
	if a, ok := argNames[f.Name]; ok {
		return " " + a
	}
	arg, _ := flag.UnquoteUsage(f)
	return " " + strings.ToUpper(arg)
}

// required says whether a flag must be given (its usage says so).
func required(f *flag.Flag) bool { return strings.HasSuffix(f.Usage, "(required)") }

func flagName(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

func isBool(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// commandHelp is the usage of one command: what it does, its usage line,
// each flag with its default, and an example.
func commandHelp(fs *flag.FlagSet) string {
	c, _ := lookup(fs.Name())
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\nUsage:\n  %s\n", capitalise(c.summary), synopsis(c, fs))
	var flags []string
	fs.VisitAll(func(f *flag.Flag) { flags = append(flags, f.Name) })
	if len(flags) > 0 {
		b.WriteString("\nFlags:\n")
		fs.VisitAll(func(f *flag.Flag) {
			fmt.Fprintf(&b, "  %-22s %s", flagName(f.Name)+flagArg(f), f.Usage)
			if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
				fmt.Fprintf(&b, " (default %s)", f.DefValue)
			}
			b.WriteString("\n")
		})
	}
	fmt.Fprintf(&b, "\nExample:\n  %s\n", c.example)
	return b.String()
}

func capitalise(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// overview is coxswain help: every command with every flag.
func overview() string {
	var b strings.Builder
	b.WriteString("coxswain turns CRM and marketing exports into the numbers sales and marketing share.\n\nCommands:\n")
	ctx := context.Background()
	for _, c := range commands() {
		fmt.Fprintf(&b, "  %s\n      %s\n", synopsis(c, flagSetOf(ctx, c)), c.summary)
	}
	b.WriteString(`
--config defaults to coxswain.yaml; its paths are relative to its folder. TIME is RFC 3339
(2026-11-15T06:00:00Z) or a date. "coxswain COMMAND --help" shows a command's flags and an example.
Exit codes: 0 done, 1 the run failed, 2 the command line or the configuration is wrong.
The metrics are defined in docs/metrics.md.
`)
	return b.String()
}

func runHelp(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(stdout, overview())
		return nil
	}
	c, ok := lookup(args[0])
	if ok && c.run == nil { // help help
		return helpRequested{newFlags(c.name)}
	}
	if !ok {
		msg := fmt.Sprintf("help: unknown command %q", args[0])
		if s := coxswain.Closest(args[0], commandNames()); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		}
		return usageError{msg}
	}
	return helpRequested{flagSetOf(ctx, c)}
}

// newLogger makes the slog logger of a --log-format: text or json, on w.
func newLogger(cmd, format string, w io.Writer, level slog.Level) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: level}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, usageError{fmt.Sprintf("%s: --log-format %q must be text or json", cmd, format)}
}

// parseTime reads the value of a time flag (--as-of, --end): RFC 3339, or
// a date meaning its start in UTC.
func parseTime(flagName, s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, usageError{fmt.Sprintf("--%s %q is not a time: write it as 2026-11-15T06:00:00Z or 2026-11-15", flagName, s)}
}

// loadConfig reads and validates the configuration before any side effect:
// the presets of its sources are resolved too, so that every problem of the
// file is reported in one run and nothing is created for a bad file.
func loadConfig(path string) (*coxswain.Config, error) {
	cfg, err := coxswain.LoadConfig(path, checkPresets)
	if err == nil {
		return cfg, nil
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, configError{coxswain.WithAdvice(err, "name your configuration with --config (the README's Configuration section shows one), or make the sample org's: coxswain sample --dir demo writes demo/coxswain.yaml")}
	}
	return nil, configError{err}
}

// cli writes a command line that runs as printed: the --config flag is
// given, unless it is the default, to a command that takes one.
func cli(config string, args ...string) string {
	takesConfig := len(args) > 0 && !slices.Contains([]string{"verify", "sample", "presets", "version", "help"}, args[0])
	if takesConfig && config != "" && config != "coxswain.yaml" {
		args = append(slices.Clone(args), "--config", config)
	}
	for i, a := range args {
		args[i] = shellQuote(a)
	}
	return "coxswain " + strings.Join(args, " ")
}

// shellQuote quotes an argument for a POSIX shell when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./:=@%+,-") == "" {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func plural(n int64, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	if strings.HasSuffix(word, "y") {
		return fmt.Sprintf("%d %sies", n, word[:len(word)-1])
	}
	return fmt.Sprintf("%d %ss", n, word)
}
