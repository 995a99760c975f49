package coxswain

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestProject_StandsAlone: a fresh clone with nothing beside it must build,
// run and pass its tests, so no file of the project may point outside it
// (the contract and the export samples once lived in a shared folder).
func TestProject_StandsAlone(t *testing.T) {
	outside := regexp.MustCompile(`\.\./shared|shared/(spec|corpus)/`)
	err := filepath.WalkDir(".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch p {
			case ".git", "demo", "bench", "bin", filepath.Join("testdata", "corpus"):
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(p, ".duckdb") || p == "layout_test.go" {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(data), "\n") {
			if outside.MatchString(line) {
				t.Errorf("%s:%d refers outside the project: %s", p, i+1, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, need := range []string{"docs/metrics.md", "testdata/corpus/SOURCES.md"} {
		if _, err := os.Stat(need); err != nil {
			t.Errorf("the project must hold %s: %v", need, err)
		}
	}
}
