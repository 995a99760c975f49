package sampleorg

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestIDSuffix(t *testing.T) {
	// Known pairs of 15- and 18-character Salesforce ids.
	for _, tc := range []struct{ id15, want string }{
		{"001A0000006Vm9r", "001A0000006Vm9rIAC"},
		{"003A000000KJtNo", "003A000000KJtNoIAL"},
		{"00Q5g0000000001", "00Q5g0000000001EAA"},
	} {
		if got := tc.id15 + idSuffix(tc.id15); got != tc.want {
			t.Errorf("idSuffix(%s): got %s, want %s", tc.id15, got, tc.want)
		}
	}
}

func TestGenerate_Deterministic(t *testing.T) {
	hash := func(dir string) string {
		h := sha256.New()
		filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
			if err != nil || fi.IsDir() {
				return err
			}
			data, err := os.ReadFile(p)
			fmt.Fprintf(h, "%s %x\n", p[len(dir):], sha256.Sum256(data))
			return err
		})
		return fmt.Sprintf("%x", h.Sum(nil))
	}
	o := DefaultOptions()
	o.Leads = 300
	a, b := t.TempDir(), t.TempDir()
	if _, err := Generate(a, o); err != nil {
		t.Fatal(err)
	}
	if _, err := Generate(b, o); err != nil {
		t.Fatal(err)
	}
	if ha, hb := hash(a), hash(b); ha != hb {
		t.Errorf("two runs with the same options differ: %s vs %s", ha, hb)
	}
}

// TestOrg_WriteSnapshot: one org exported a week apart changes only what
// its records' lives changed: most lead rows are the same bytes, a few are
// new or changed, none that existed a week before is lost (the sample
// purges none in between).
func TestOrg_WriteSnapshot(t *testing.T) {
	o := DefaultOptions()
	org := New(o)
	dir := t.TempDir()
	lines := func(at time.Time) map[string]bool {
		drop, err := org.WriteSnapshot(dir, at)
		if err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(filepath.Join(drop, "Lead.csv"))
		if err != nil {
			t.Fatal(err)
		}
		set := map[string]bool{}
		for _, l := range strings.Split(string(data), "\n")[1:] {
			if l != "" {
				set[l] = true
			}
		}
		return set
	}
	before, after := lines(o.End.AddDate(0, 0, -14)), lines(o.End.AddDate(0, 0, -7))
	same := 0
	for l := range after {
		if before[l] {
			same++
		}
	}
	if len(before) == 0 || same < len(before)*90/100 || same == len(after) {
		t.Errorf("a week apart: %d lead rows before, %d after, %d the same; want most the same and some new or changed", len(before), len(after), same)
	}
}
