package runlog

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestAppendTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "runs.jsonl")
	if runs, err := Tail(path, 5); err != nil || len(runs) != 0 {
		t.Fatalf("a missing log: %v, %v", runs, err)
	}
	at := time.Date(2026, 11, 22, 2, 0, 0, 0, time.UTC)
	for i, cmd := range []string{"build", "report", "send"} {
		if err := Append(path, Run{Command: cmd, Started: at.Add(time.Duration(i) * time.Minute), Outcome: "ok"}); err != nil {
			t.Fatal(err)
		}
	}
	// A torn last line (a process killed mid-write) is skipped, not fatal.
	f, _ := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"command":"bui`)
	f.Close()
	runs, err := Tail(path, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2 || runs[0].Command != "report" || runs[1].Command != "send" || !runs[1].Started.Equal(at.Add(2*time.Minute)) {
		t.Errorf("tail: %+v", runs)
	}
}
