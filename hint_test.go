package coxswain

import (
	"errors"
	"fmt"
	"testing"
)

func TestHints_FindsEveryHintInTheTree(t *testing.T) {
	base := errors.New("lead.csv: 3 rows unreadable")
	err := fmt.Errorf("build: %w", errors.Join(
		WithAdvice(base, "set sources[0].formats.timestamp"),
		errors.New("no hint here"),
		WithCommand(errors.New("no warehouse"), "build"),
	))
	hs := Hints(err)
	if len(hs) != 2 || hs[0].String() != "set sources[0].formats.timestamp" || hs[1].String() != "coxswain build" {
		t.Fatalf("hints %v", hs)
	}
	if !errors.Is(err, base) {
		t.Error("a hint hides the error it wraps")
	}
	if err.Error() != "build: lead.csv: 3 rows unreadable\nno hint here\nno warehouse" {
		t.Errorf("the error text carries hint text: %q", err.Error())
	}
}
