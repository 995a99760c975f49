package coxswain

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParseConfig feeds the parser any text: it must not panic, and every
// problem it reports must point somewhere, by key or by line.
func FuzzParseConfig(f *testing.F) {
	for _, seed := range []string{
		readmeConfig,
		"timezone: Mars/Base\nsources: [{name: A, preset: salesforce, path: x}]\n",
		"sla: {folow_up_hours: 1, business_hours: {days: [1, x]}}\nemail: {smtp: {password: x}}\n",
		"sources: crm\ntests: 7\n",
		"defaults: &d {preset: salesforce}\nsources: [{<<: *d, name: a}, {<<: [*d], name: b}]\n",
		"a: &a [*a]\n",
		"timezone: *nowhere\n",
		"- a\n",
		"sources: [{fields: {x: {column: [a, {b: c}]}}}]\n",
		"schedule: {build: TZ=UTC, report: \"61 * * * *\"}\n",
		"timezone: UTC\x01\n",
		"a: 1\n---\nb: 2\n",
	} {
		f.Add(seed)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data string) {
		_, err := ParseConfig(strings.NewReader(data), dir)
		if err == nil {
			return
		}
		var ce *ConfigError
		if !errors.As(err, &ce) || len(ce.Problems) == 0 {
			t.Fatalf("got %T %v, want a *ConfigError with problems", err, err)
		}
		for _, p := range ce.Problems {
			if p.Key == "" && p.Line == 0 {
				t.Errorf("problem %q has neither a key nor a line", p.Msg)
			}
		}
	})
}
