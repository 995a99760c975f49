package coxswain

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// TestSweepScratch: a dead process's scratch folders go; a living one's
// and other names stay.
func TestSweepScratch(t *testing.T) {
	parent := t.TempDir()
	mine, err := MkdirScratch(parent, "drop-")
	if err != nil {
		t.Fatal(err)
	}
	// A process that has ended: its pid is free (reused only by chance).
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("no true command:", err)
	}
	dead := filepath.Join(parent, "drop-"+itoa(cmd.Process.Pid)+"-123")
	other := filepath.Join(parent, "kept")
	for _, d := range []string{dead, other} {
		if err := os.MkdirAll(filepath.Join(d, "sub"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	removed, err := SweepScratch(parent, "drop-")
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 1 || removed[0] != dead {
		t.Errorf("removed %v, want only %s", removed, dead)
	}
	for _, keep := range []string{mine, other} {
		if _, err := os.Stat(keep); err != nil {
			t.Errorf("%s was removed: %v", keep, err)
		}
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestSweepScratch_SamePid: in a container every run may have the same pid;
// a folder with this process's pid made before it started is a dead run's.
func TestSweepScratch_SamePid(t *testing.T) {
	parent := t.TempDir()
	old := filepath.Join(parent, "drop-"+strconv.Itoa(os.Getpid())+"-99")
	if err := os.Mkdir(old, 0o750); err != nil {
		t.Fatal(err)
	}
	earlier := processStarted.Add(-time.Hour)
	os.Chtimes(old, earlier, earlier)
	mine, _ := MkdirScratch(parent, "drop-")
	removed, err := SweepScratch(parent, "drop-")
	if err != nil || len(removed) != 1 || removed[0] != old {
		t.Errorf("removed %v (%v), want only %s", removed, err, old)
	}
	if _, err := os.Stat(mine); err != nil {
		t.Errorf("this run's folder was removed: %v", err)
	}
}
