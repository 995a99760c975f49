package main

import (
	"bytes"
	"database/sql"
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

// startSchedule runs coxswain schedule in a child process.
func startSchedule(t *testing.T, config string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "schedule", "--config", config)
	cmd.Env = append(os.Environ(), "COXSWAIN_TEST_CHILD=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &out
}

// TestSchedule_BuildsAndStopsCleanly: builds every 2 seconds run, never
// overlap, are recorded, and SIGTERM ends the process with exit 0.
func TestSchedule_BuildsAndStopsCleanly(t *testing.T) {
	dir, config := sample(t, "300")
	data, _ := os.ReadFile(config)
	os.WriteFile(config, append(data, []byte("schedule: { build: \"*/2 * * * * *\" }\n")...), 0o644)
	cmd, out := startSchedule(t, config)
	time.Sleep(7 * time.Second)
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("schedule exited with %v after SIGTERM\n%s", err, out)
		}
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("schedule did not stop after SIGTERM\n%s", out)
	}
	mustSay(t, "schedule output", out.String(), "job scheduled", "job finished", "stopping: waiting for the running job to finish")

	connector, err := duckdb.NewConnector(filepath.Join(dir, "warehouse.duckdb")+"?access_mode=read_only", nil)
	if err != nil {
		t.Fatal(err)
	}
	db := sql.OpenDB(connector)
	defer db.Close()
	rows, err := db.Query(`SELECT started_at, finished_at, outcome FROM meta.builds ORDER BY build_id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var n int
	var prevEnd time.Time
	for rows.Next() {
		var start, end time.Time
		var outcome string
		if err := rows.Scan(&start, &end, &outcome); err != nil {
			t.Fatal(err)
		}
		if outcome != "ok" || start.Before(prevEnd) {
			t.Errorf("build %d: %s, started %s before the previous ended %s", n+1, outcome, start, prevEnd)
		}
		prevEnd = end
		n++
	}
	if n < 2 {
		t.Errorf("%d scheduled builds in 7 s, want at least 2\n%s", n, out)
	}
	runs, _ := os.ReadFile(filepath.Join(dir, "coxswain-runs.jsonl"))
	if c := strings.Count(string(runs), `"command":"build"`); c != n {
		t.Errorf("the run log has %d builds, the warehouse %d", c, n)
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
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		got := len(messages)
		mu.Unlock()
		if got > 0 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(messages) == 0 {
		t.Fatalf("no alert arrived\n%s", out)
	}
	mustSay(t, "alert", messages[0], "Subject: coxswain: the scheduled build failed", "ops@example.com",
		"crm/2026-11-22/Lead.csv: required column for lead.created_at not found", "The end of its output:")
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
