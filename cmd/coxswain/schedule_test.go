package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/emersion/go-smtp"
)

// startSchedule runs coxswain schedule in a child process, its stdout and
// stderr together in the buffer.
func startSchedule(t testing.TB, config string, args ...string) (*exec.Cmd, *lockedBuffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"schedule", "--config", config}, args...)...)
	cmd.Env = append(os.Environ(), "COXSWAIN_TEST_CHILD=1")
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	return cmd, out
}

// lockedBuffer is a bytes.Buffer that a test can read while a child
// process writes it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitFor polls until cond holds, for at most a generous deadline: the
// wall clock here only keeps a broken test from hanging. out is the
// child's output, shown if it never does.
func waitFor(t testing.TB, what string, out fmt.Stringer, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited in vain for %s; the schedule said:\n%s", what, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitExit waits for the child to exit and returns its error.
func waitExit(t testing.TB, cmd *exec.Cmd, out fmt.Stringer) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(90 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("schedule did not stop after SIGTERM\n%s", out)
		return nil
	}
}

// TestSchedule_StopLetsBuildFinish: a schedule due every second, logging
// JSON, is sent SIGTERM once a build has started: the process exits 0,
// every build that started finished ok and is recorded, nothing started
// after "stopping", and every line of its output is a JSON object.
func TestSchedule_StopLetsBuildFinish(t *testing.T) {
	dir, config := sample(t, "300")
	data, _ := os.ReadFile(config)
	os.WriteFile(config, append(data, []byte("schedule: { build: \"* * * * * *\" }\n")...), 0o644)
	cmd, out := startSchedule(t, config, "--log-format", "json")
	waitFor(t, "a build to start", out, func() bool { return strings.Contains(out.String(), `"msg":"job started"`) })
	cmd.Process.Signal(syscall.SIGTERM)
	if err := waitExit(t, cmd, out); err != nil {
		t.Fatalf("schedule exited with %v after SIGTERM\n%s", err, out)
	}

	var msgs []string
	started, finished, stopAt := 0, 0, -1
	for i, line := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("line %d is not a JSON object: %s", i+1, line)
			continue
		}
		msg, _ := rec["msg"].(string)
		msgs = append(msgs, msg)
		switch {
		case strings.HasPrefix(msg, "stopping"):
			if stopAt < 0 {
				stopAt = i
			}
		case msg == "job started":
			started++
			if stopAt >= 0 {
				t.Errorf("a job started after the stop (line %d)", i+1)
			}
		case msg == "job finished":
			finished++
		case msg == "job failed":
			t.Errorf("a build failed: %s", line)
		}
	}
	if started == 0 || started != finished || stopAt < 0 || msgs[len(msgs)-1] != "stopped" {
		t.Errorf("%d builds started, %d finished; want all to finish, then stopping and stopped\n%s", started, finished, out)
	}
	mustSay(t, "schedule output", out.String(), `"msg":"build summary","job":"build","build_id":1,`)

	connector, err := duckdb.NewConnector(filepath.Join(dir, "warehouse.duckdb")+"?access_mode=read_only", nil)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	var builds, ok int
	if err := db.QueryRow(`SELECT count(*), count(*) FILTER (outcome = 'ok') FROM meta.builds`).Scan(&builds, &ok); err != nil {
		t.Fatal(err)
	}
	if builds != finished || ok != builds {
		t.Errorf("the warehouse has %d builds, %d ok; the log %d finished", builds, ok, finished)
	}
	runs, _ := os.ReadFile(filepath.Join(dir, "coxswain-runs.jsonl"))
	if c := strings.Count(string(runs), `"command":"build"`); c != finished {
		t.Errorf("the run log has %d builds, the schedule's log %d", c, finished)
	}
}

func TestMonthJustEnded(t *testing.T) {
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no zone database:", err)
	}
	for _, tc := range []struct {
		now  time.Time
		want string
	}{
		{time.Date(2026, 12, 1, 7, 0, 0, 0, ny), "2026-11"},
		{time.Date(2026, 12, 1, 3, 30, 0, 0, time.UTC), "2026-10"}, // still 30 November in New York
		{time.Date(2027, 1, 1, 12, 0, 0, 0, time.UTC), "2026-12"},
		{time.Date(2026, 3, 31, 12, 0, 0, 0, ny), "2026-02"},
	} {
		if got := monthJustEnded(tc.now, ny); got != tc.want {
			t.Errorf("monthJustEnded(%s) = %s, want %s", tc.now, got, tc.want)
		}
	}
}

// TestSchedule_FailureSendsAlert: a scheduled build that fails e-mails the
// error and the end of its output to alerts.to.
func TestSchedule_FailureSendsAlert(t *testing.T) {
	var mu sync.Mutex
	var messages []string
	s := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &recorder{save: func(m string) { mu.Lock(); messages = append(messages, m); mu.Unlock() }}, nil
	}))
	s.Domain = "localhost"
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(l)
	defer s.Close()
	port := l.Addr().(*net.TCPAddr).Port

	dir, config := sample(t, "300")
	bad := filepath.Join(dir, "exports", "salesforce", "2026-11-22")
	os.MkdirAll(bad, 0o755)
	os.WriteFile(filepath.Join(bad, "Lead.csv"), []byte("Id,Name\n00Q5g0000000001EAA,x\n"), 0o644)
	data, _ := os.ReadFile(config)
	data = bytes.Replace(data, []byte("smtp: { host: localhost, port: 587, starttls: true }"), []byte(fmt.Sprintf("smtp: { host: 127.0.0.1, port: %d, starttls: false }", port)), 1)
	data = append(data, []byte("schedule: { build: \"*/2 * * * * *\" }\nalerts: { to: [ops@example.com] }\n")...)
	os.WriteFile(config, data, 0o644)

	cmd, out := startSchedule(t, config)
	waitFor(t, "an alert", out, func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(messages) > 0
	})
	cmd.Process.Signal(syscall.SIGTERM)
	if err := waitExit(t, cmd, out); err != nil {
		t.Errorf("schedule exited with %v after SIGTERM\n%s", err, out)
	}
	mu.Lock()
	defer mu.Unlock()
	mustSay(t, "alert", messages[0], "Subject: coxswain: the scheduled build failed", "ops@example.com",
		"crm/2026-11-22/Lead.csv: required column for lead.created_at not found", "Hint: if the column has another name", "Try: coxswain build", "Its log:")
	mustSay(t, "schedule output", out.String(), "alert sent")
}

type recorder struct{ save func(string) }

func (r *recorder) Mail(string, *smtp.MailOptions) error { return nil }
func (r *recorder) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (r *recorder) Data(d io.Reader) error {
	b, err := io.ReadAll(d)
	r.save(string(b))
	return err
}
func (r *recorder) Reset()        {}
func (r *recorder) Logout() error { return nil }
