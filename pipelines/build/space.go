package build

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"coxswain"
)

// noSpace recognises a failure for want of disk space, as the OS or DuckDB
// words it: DuckDB reports a full disk at checkpoint time as "Failed to
// create checkpoint", which says nothing of space.
func noSpace(err error) bool {
	if err == nil {
		return false
	}
	msg := strings.ToLower(err.Error())
	for _, s := range []string{"no space left on device", "disk quota exceeded", "failed to create checkpoint", "could not write all bytes", "not enough space"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}

// explainSpace adds to a failure for want of space what the user needs to
// know: which folders, how much is free there, and that nothing was lost.
func explainSpace(err error, paths ...string) error {
	if !noSpace(err) || hasAdvice(err) {
		return err
	}
	var where []string
	seen := map[string]bool{}
	for _, p := range paths {
		dir := filepath.Dir(p)
		if p == "" || seen[dir] {
			continue
		}
		seen[dir] = true
		if free, ok := freeBytes(dir); ok {
			where = append(where, fmt.Sprintf("%s (%s free)", dir, coxswain.FormatBytes(int64(free))))
		} else {
			where = append(where, dir)
		}
	}
	return coxswain.WithAdvice(fmt.Errorf("the disk is full: %w", err),
		"free space in "+strings.Join(where, " and ")+", then run the build again: the warehouse keeps its previous state and the next build completes the load (duckdb.temp_directory can move large sorts to another disk)")
}

func hasAdvice(err error) bool {
	var h *coxswain.Hint
	return errors.As(err, &h) && h.Advice != ""
}
