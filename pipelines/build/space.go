package build

import (
	"cmp"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
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
// Of the folders the build writes, it names those on the fullest disk (and
// on any other disk nearly as full), once per disk.
func explainSpace(err error, paths ...string) error {
	if !noSpace(err) || hasAdvice(err) {
		return err
	}
	type place struct {
		dir   string
		free  uint64
		known bool
	}
	var places []place
	disks := map[uint64]bool{}
	for _, p := range paths {
		if p == "" {
			continue
		}
		dir := filepath.Dir(p)
		disk, free, ok := diskOf(dir)
		if ok && disks[disk] || slices.ContainsFunc(places, func(q place) bool { return q.dir == dir }) {
			continue
		}
		disks[disk] = ok
		places = append(places, place{dir, free, ok})
	}
	slices.SortStableFunc(places, func(a, b place) int { return cmp.Compare(a.free, b.free) })
	var where []string
	for _, p := range places {
		switch {
		case !p.known:
			where = append(where, p.dir)
		case p.free <= 10*places[0].free+1<<20:
			where = append(where, fmt.Sprintf("%s (%s free)", p.dir, coxswain.FormatBytes(int64(p.free))))
		}
	}
	if m := duckdbWriteFailed.FindStringSubmatch(err.Error()); m != nil {
		// DuckDB's checkpoint words ("FATAL Error: Failed to create
		// checkpoint because of error: ...") say nothing a user can act on
		// beyond the file it could not write.
		err = fmt.Errorf("could not write %s", m[1])
	}
	return coxswain.WithAdvice(fmt.Errorf("the disk is full: %w", err),
		"free space in "+strings.Join(where, " and ")+", then run the build again: the warehouse keeps its previous state and the next build completes the load (duckdb.temp_directory can move large sorts to another disk)")
}

// duckdbWriteFailed finds the file in DuckDB's words for a write that
// failed for want of space.
var duckdbWriteFailed = regexp.MustCompile(`(?i)could not write file "([^"]+)": no space left on device`)

func hasAdvice(err error) bool {
	var h *coxswain.Hint
	return errors.As(err, &h) && h.Advice != ""
}
