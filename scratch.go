package coxswain

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// MkdirScratch makes a temporary folder in parent for the running process:
// its name is prefix, the process id, and a random part, so that
// SweepScratch can tell the leftovers of a process that was killed.
func MkdirScratch(parent, prefix string) (string, error) {
	if err := os.MkdirAll(parent, DirMode); err != nil {
		return "", err
	}
	return os.MkdirTemp(parent, fmt.Sprintf("%s%d-", prefix, os.Getpid()))
}

// processStarted is when this process started, as near as the package can
// tell: scratch folders with this process's pid made before it are another
// process's.
var processStarted = time.Now()

// SweepScratch removes what MkdirScratch made in parent with prefix for a
// process that is gone: a kill leaves its temporary folders (a transcoded
// drop, half a Parquet feed, half a pack) behind, and on a large drop each
// is gigabytes. Folders of running processes are left alone. It returns
// what it removed.
func SweepScratch(parent, prefix string) ([]string, error) {
	entries, err := os.ReadDir(parent)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var removed []string
	for _, e := range entries {
		rest, ok := strings.CutPrefix(e.Name(), prefix)
		if !ok {
			continue
		}
		digits, _, _ := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(digits)
		if err != nil || pid <= 0 {
			continue
		}
		if pid == os.Getpid() {
			// This process's, unless it is older than this process: in a
			// container every run may have the same pid.
			// (File times are coarse: a second of margin.)
			if fi, err := e.Info(); err != nil || !fi.ModTime().Before(processStarted.Add(-time.Second)) {
				continue
			}
		} else if processAlive(pid) {
			continue
		}
		p := filepath.Join(parent, e.Name())
		if err := os.RemoveAll(p); err != nil {
			return removed, err
		}
		removed = append(removed, p)
	}
	return removed, nil
}

// FileMode and DirMode are what coxswain creates its own files and folders
// with (the warehouse, the run log, packs, the feed, e-mails): the owner
// writes, the group reads, others get nothing, since they hold a company's
// pipeline and bookings.
const (
	FileMode os.FileMode = 0o640
	DirMode  os.FileMode = 0o750
)
