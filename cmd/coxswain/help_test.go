package main

import (
	"context"
	"flag"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// TestHelp_EveryCommand: each command answers -h and --help with its
// usage, its flags and an example, on stdout, exit 0, and does nothing else.
func TestHelp_EveryCommand(t *testing.T) {
	for _, c := range commands() {
		for _, arg := range []string{"-h", "--help"} {
			args := []string{c.name, arg}
			out, errOut, code := run(t, args...)
			if code != 0 || errOut != "" {
				t.Errorf("coxswain %s: exit %d, stderr %q", strings.Join(args, " "), code, errOut)
			}
			if c.name == "help" { // help -h: the overview
				mustSay(t, "coxswain "+strings.Join(args, " "), out, "Commands:\n  coxswain build ")
				continue
			}
			mustSay(t, "coxswain "+strings.Join(args, " "), out, "Usage:\n  coxswain ", "Example:\n  coxswain ")
		}
	}
	out := mustRun(t, "verify", "packs/2026-10", "--help")
	mustSay(t, "verify DIR --help", out, "coxswain verify DIR/YYYY-MM")
	mustSay(t, "help build", mustRun(t, "help", "build"), "Usage:\n  coxswain build [", "[--as-of TIME]")
	mustSay(t, "help help", mustRun(t, "help", "help"), "Usage:\n  coxswain help [COMMAND]")
}

// TestHelp_MatchesREADME keeps the README's command table, coxswain help
// and the flags each command really parses in step.
func TestHelp_MatchesREADME(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `coxswain ([a-z]+)([^`]*)` \\|")
	flagRe := regexp.MustCompile(`(?:\[|^| )(--?[a-z][a-z-]*)`)
	documented := map[string][]string{}
	for _, m := range row.FindAllStringSubmatch(string(readme), -1) {
		var flags []string
		for _, f := range flagRe.FindAllStringSubmatch(m[2], -1) {
			flags = append(flags, f[1])
		}
		sort.Strings(flags)
		documented[m[1]] = flags
	}
	overview := mustRun(t, "help")
	ctx := context.Background()
	for _, c := range commands() {
		var real []string
		flagSetOf(ctx, c).VisitAll(func(f *flag.Flag) { real = append(real, flagName(f.Name)) })
		sort.Strings(real)
		doc, ok := documented[c.name]
		if !ok {
			t.Errorf("the README's command table has no row for coxswain %s", c.name)
			continue
		}
		if !slices.Equal(doc, real) {
			t.Errorf("coxswain %s: the README lists flags %v, the command has %v", c.name, doc, real)
		}
		for _, f := range real {
			if !strings.Contains(overview, "coxswain "+c.name) || !regexp.MustCompile(`coxswain `+c.name+`\b[^\n]*[\[ ]`+regexp.QuoteMeta(f)+`\b`).MatchString(overview) {
				t.Errorf("coxswain help does not list %s of %s", f, c.name)
			}
		}
		delete(documented, c.name)
	}
	for name := range documented {
		t.Errorf("the README documents coxswain %s, which does not exist", name)
	}
}

// TestRun_UsageErrors: mistakes on the command line get the closest
// command or flag and exit 2.
func TestRun_UsageErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"bulid"}, []string{`Error: unknown command "bulid"; did you mean "build"?`, "Try: coxswain help"}},
		{[]string{"stauts"}, []string{`did you mean "status"?`}},
		{[]string{"frobnicate"}, []string{`Error: unknown command "frobnicate"` + "\n"}},
		{[]string{"build", "--confg", "x.yaml"}, []string{"Error: build: unknown flag --confg; did you mean --config?"}},
		{[]string{"report", "--mnth", "2026-10"}, []string{"did you mean --month?", "Try: coxswain report --help"}},
		{[]string{"status", "--verbose"}, []string{"Error: status: unknown flag --verbose\n"}},
		{[]string{"runs", "-n", "many"}, []string{`Error: runs: invalid value "many" for flag --n`}},
		{[]string{"report", "--month", "October"}, []string{"Error: report: "}},
		{[]string{"verify"}, []string{"Error: verify: name one pack folder"}},
		{[]string{"help", "sned"}, []string{`did you mean "send"?`}},
	} {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out, errOut, code := run(t, tc.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2\n%s%s", code, out, errOut)
			}
			mustSay(t, "stderr", errOut, tc.want...)
		})
	}
}

func TestRun_Version(t *testing.T) {
	out := mustRun(t, "version")
	for _, re := range []string{`(?m)^coxswain \S+$`, `(?m)^commit \S+`, `(?m)^DuckDB v\d+\.\d+\.\d+$`} {
		if !regexp.MustCompile(re).MatchString(out) {
			t.Errorf("version output does not match %s:\n%s", re, out)
		}
	}
}
