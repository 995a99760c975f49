package build

import (
	"errors"
	"strings"
	"testing"

	"coxswain"
)

// TestExplainSpace: a failure for want of space says so, names the folder
// and its free space, and says that nothing was lost; other failures pass
// through as they are.
func TestExplainSpace(t *testing.T) {
	dir := t.TempDir()
	for _, raw := range []string{
		"FATAL Error: Failed to create checkpoint because of error: Could not write file: No space left on device",
		"write /w.duckdb.tmp/drop-1/Lead.csv: no space left on device",
		`FATAL Error: Failed to create checkpoint because of error: Could not write file "/w/warehouse.duckdb": No space left on device`,
	} {
		err := explainSpace(errors.New(raw), dir+"/warehouse.duckdb")
		if !strings.HasPrefix(err.Error(), "the disk is full: ") {
			t.Errorf("%q became %q", raw, err)
		}
		if strings.Contains(raw, `"/w/warehouse.duckdb"`) && err.Error() != "the disk is full: could not write /w/warehouse.duckdb" {
			t.Errorf("DuckDB's checkpoint words reach the user: %q", err)
		}
		hs := coxswain.Hints(err)
		if len(hs) != 1 || !strings.Contains(hs[0].Advice, "free space in "+dir+" (") || !strings.Contains(hs[0].Advice, "keeps its previous state") {
			t.Errorf("advice %v", hs)
		}
	}
	other := errors.New("drop crm/x was not loaded")
	if got := explainSpace(other, dir); got != other {
		t.Errorf("an unrelated error became %v", got)
	}
}
