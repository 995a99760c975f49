package mail

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"coxswain"
	"coxswain/reports/report"
)

// inbox is an SMTP server on loopback that keeps what it receives; it can
// be told to refuse recipients with a code a number of times first.
type inbox struct {
	mu        sync.Mutex
	messages  [][]byte
	refusals  int
	refuseErr *smtp.SMTPError
	addr      string
}

func startInbox(t *testing.T) *inbox {
	t.Helper()
	in := &inbox{}
	s := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{in: in}, nil }))
	s.Domain = "localhost"
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	in.addr = l.Addr().String()
	go s.Serve(l)
	t.Cleanup(func() { s.Close() })
	return in
}

type session struct{ in *inbox }

func (s *session) Mail(string, *smtp.MailOptions) error { return nil }
func (s *session) Rcpt(string, *smtp.RcptOptions) error {
	s.in.mu.Lock()
	defer s.in.mu.Unlock()
	if s.in.refusals > 0 {
		s.in.refusals--
		return s.in.refuseErr
	}
	return nil
}
func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	s.in.mu.Lock()
	s.in.messages = append(s.in.messages, data)
	s.in.mu.Unlock()
	return err
}
func (s *session) Reset()        {}
func (s *session) Logout() error { return nil }

func testData() *report.Data {
	v := func(f float64) sql.NullFloat64 { return sql.NullFloat64{Float64: f, Valid: true} }
	months := []string{"2025-10", "2025-11", "2025-12", "2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"}
	d := &report.Data{Month: "2026-10", PrevMonth: "2026-09", YearAgo: "2025-10", Months: months, Zone: "UTC",
		AsOf: time.Date(2026, 11, 3, 12, 0, 0, 0, time.UTC), Trend: map[string][]float64{}}
	for _, m := range []string{"leads_created", "mqls", "pipeline_created", "bookings"} {
		d.Trend[m] = make([]float64, len(months))
	}
	d.Headlines = []report.Headline{{Metric: "leads_created", Label: "Leads", Kind: "count", Good: "up", Value: v(626), VsPrev: "+9%", PrevLabel: "vs September"}}
	return d
}

func sender(in *inbox) *Sender {
	host, port, _ := net.SplitHostPort(in.addr)
	p := 0
	for _, c := range port {
		p = p*10 + int(c-'0')
	}
	no := false
	return &Sender{SMTP: coxswain.SMTP{Host: host, Port: p, StartTLS: &no}, Attempts: 3, Backoff: time.Second, Sleep: func(time.Duration) {}}
}

func config() coxswain.Email {
	return coxswain.Email{From: "coxswain@example.com", To: []string{"leaders@example.com"}, Cc: []string{"finance@example.com"},
		Subject: "Scorecard {month}"}
}

func packDir(t *testing.T) string {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "kpis.csv"), []byte("month,metric,value\n2026-10,leads_created,626\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "funnel.csv"), []byte("cohort_month,leads,mqls,sqls,opportunities,won\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "pack.xlsx"), []byte("PK\x03\x04"), 0o644)
	os.WriteFile(filepath.Join(dir, "manifest.json"), []byte("{}"), 0o644)
	return dir
}

// parts walks a MIME body, returning each leaf part's content type, its
// headers and its decoded body.
type part struct {
	contentType string
	header      map[string][]string
	body        []byte
}

func walk(t *testing.T, contentType string, body io.Reader, header map[string][]string) []part {
	t.Helper()
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(mt, "multipart/") {
		data, _ := io.ReadAll(body)
		return []part{{mt, header, data}}
	}
	var out []part
	r := multipart.NewReader(body, params["boundary"])
	for {
		p, err := r.NextPart() // decodes quoted-printable; base64 is decoded below
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		var rd io.Reader = p
		if strings.EqualFold(p.Header.Get("Content-Transfer-Encoding"), "base64") {
			data, _ := io.ReadAll(p)
			dec, err := decodeBase64(data)
			if err != nil {
				t.Fatal(err)
			}
			rd = bytes.NewReader(dec)
		}
		out = append(out, walk(t, p.Header.Get("Content-Type"), rd, p.Header)...)
	}
}

func TestSend_ToLoopbackServer(t *testing.T) {
	in := startInbox(t)
	m, err := Build(config(), testData(), packDir(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := sender(in).Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	if len(in.messages) != 1 {
		t.Fatalf("the server received %d messages", len(in.messages))
	}
	msg, err := mail.ReadMessage(bytes.NewReader(in.messages[0]))
	if err != nil {
		t.Fatal(err)
	}
	if got := msg.Header.Get("Subject"); got != "Scorecard October 2026" {
		t.Errorf("subject %q", got)
	}
	if !strings.Contains(msg.Header.Get("Cc"), "finance@example.com") {
		t.Errorf("cc %q", msg.Header.Get("Cc"))
	}
	if got := msg.Header.Get("From"); got != `"Sales and marketing scorecard" <coxswain@example.com>` {
		t.Errorf("From %q: want a display name", got)
	}
	if id := msg.Header.Get("Message-Id"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@example.com>") {
		t.Errorf("Message-Id %q: want one in the sender's domain", id)
	}
	parts := walk(t, msg.Header.Get("Content-Type"), msg.Body, msg.Header)
	var html, text string
	cids := map[string]bool{}
	var csvs []string
	for _, p := range parts {
		switch {
		case p.contentType == "text/html":
			html = string(p.body)
		case p.contentType == "text/plain":
			text = string(p.body)
		case p.contentType == "image/png":
			raw := strings.Join(p.header["Content-Id"], "")
			if !strings.HasPrefix(raw, "<") || !strings.HasSuffix(raw, ">") {
				t.Errorf("Content-Id %q lacks the angle brackets RFC 2392 requires", raw)
			}
			cid := strings.Trim(raw, "<>")
			cids[cid] = true
			if !bytes.HasPrefix(p.body, []byte("\x89PNG")) {
				t.Errorf("part %s is not a PNG", cid)
			}
		case p.contentType == "application/json":
			_, params, _ := mime.ParseMediaType(strings.Join(p.header["Content-Disposition"], ""))
			csvs = append(csvs, "manifest:"+params["filename"])
		case p.contentType == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
			_, params, _ := mime.ParseMediaType(strings.Join(p.header["Content-Disposition"], ""))
			csvs = append(csvs, "workbook:"+params["filename"])
		case p.contentType == "text/csv":
			_, params, _ := mime.ParseMediaType(strings.Join(p.header["Content-Disposition"], ""))
			csvs = append(csvs, params["filename"])
		}
	}
	// The two trends and a sparkline per headline card.
	if len(cids) != 3 {
		t.Errorf("%d chart parts, want 3", len(cids))
	}
	for cid := range cids {
		if !strings.Contains(html, `src="cid:`+cid+`"`) {
			t.Errorf("the HTML does not reference cid:%s", cid)
		}
	}
	if !strings.Contains(text, "Leads") || !strings.Contains(text, "626") || !strings.Contains(text, "+9% vs September") {
		t.Errorf("the text alternative lacks the headline numbers:\n%s", text)
	}
	if strings.Join(csvs, ",") != "workbook:pack.xlsx,funnel.csv,kpis.csv,manifest:manifest.json" {
		t.Errorf("attachments %v, want the pack's workbook, CSV files and manifest", csvs)
	}
}

func TestSend_RetriesTransientFailure(t *testing.T) {
	in := startInbox(t)
	in.refusals, in.refuseErr = 1, &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	m, _ := Build(config(), testData(), packDir(t))
	var log bytes.Buffer
	s := sender(in)
	s.Log = &log
	if err := s.Send(context.Background(), m); err != nil {
		t.Fatalf("a transient failure was not retried: %v", err)
	}
	if len(in.messages) != 1 || !strings.Contains(log.String(), "attempt 1 failed") {
		t.Errorf("messages %d, log %q", len(in.messages), log.String())
	}
}

func TestSend_PermanentFailureSaysWhy(t *testing.T) {
	in := startInbox(t)
	in.refusals, in.refuseErr = 10, &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such mailbox"}
	m, _ := Build(config(), testData(), packDir(t))
	err := sender(in).Send(context.Background(), m)
	if err == nil || !strings.Contains(err.Error(), "550") || !strings.Contains(err.Error(), "no such mailbox") || !strings.Contains(err.Error(), "attempt 1 of 3") {
		t.Fatalf("want the server's permanent answer after one attempt, got %v", err)
	}
}

func decodeBase64(data []byte) ([]byte, error) {
	return base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(data)), ""))
}
