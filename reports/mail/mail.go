// Package mail delivers the monthly report: a multipart message whose HTML
// body is the report with its charts as cid: PNG parts, with a plain-text
// alternative of the headline numbers and the pack's CSV files attached,
// built and sent with github.com/wneessen/go-mail.
package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	netmail "net/mail"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"coxswain"
	"coxswain/reports/report"
)

// Build makes the message for a pack: packDir is the month's pack folder,
// whose CSV files are attached.
func Build(cfg coxswain.Email, d *report.Data, packDir string) (*gomail.Msg, error) {
	html, images, err := report.Render(d, report.EmailCopy)
	if err != nil {
		return nil, err
	}
	m := gomail.NewMsg()
	if err := from(m, cfg.From, "Sales and marketing scorecard"); err != nil {
		return nil, err
	}
	if err := m.To(cfg.To...); err != nil {
		return nil, fmt.Errorf("email.to: %w", err)
	}
	if len(cfg.Cc) > 0 {
		if err := m.Cc(cfg.Cc...); err != nil {
			return nil, fmt.Errorf("email.cc: %w", err)
		}
	}
	month := report.MonthName(d.Month)
	if d.MonthToDate != nil {
		month += " so far"
	}
	m.Subject(strings.NewReplacer("{month}", month, "{headline}", d.Summary()).Replace(cfg.Subject))
	m.SetDate()
	setMessageID(m, cfg.From)
	m.SetBodyString(gomail.TypeTextPlain, PlainText(d))
	m.AddAlternativeString(gomail.TypeTextHTML, string(html))
	for _, img := range images {
		// RFC 2392: the header's id is in angle brackets; the HTML's cid:
		// URL is the same id without them. Some clients show no image
		// when the brackets are missing.
		if err := m.EmbedReader(strings.TrimSuffix(img.ContentID, "@coxswain"), bytes.NewReader(img.PNG),
			gomail.WithFileContentID("<"+img.ContentID+">"), gomail.WithFileContentType(gomail.ContentType("image/png"))); err != nil {
			return nil, err
		}
	}
	csvs, err := filepath.Glob(filepath.Join(packDir, "*.csv"))
	if err != nil {
		return nil, err
	}
	sort.Strings(csvs)
	// The workbook first, for finance to open; the manifest last, to check
	// the attached files against.
	if _, err := os.Stat(filepath.Join(packDir, "pack.xlsx")); err == nil {
		csvs = append([]string{filepath.Join(packDir, "pack.xlsx")}, csvs...)
	}
	if _, err := os.Stat(filepath.Join(packDir, "manifest.json")); err == nil {
		csvs = append(csvs, filepath.Join(packDir, "manifest.json"))
	}
	for _, f := range csvs {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		ct := gomail.ContentType("text/csv; charset=utf-8")
		switch filepath.Ext(f) {
		case ".json":
			ct = "application/json"
		case ".xlsx":
			ct = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
		}
		if err := m.AttachReader(filepath.Base(f), bytes.NewReader(data), gomail.WithFileContentType(ct)); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// PlainText is the text alternative: the headline numbers, for clients
// that show no HTML.
func PlainText(d *report.Data) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Sales and marketing scorecard, %s: %s\n(as of %s)\n\n", report.MonthName(d.Month), d.Summary(), d.LocalAsOf()+" "+d.Zone)
	for _, s := range d.Sentences() {
		b.WriteString(s + "\n")
	}
	b.WriteString("\n")
	if q := d.Quality(); q != "" {
		b.WriteString("Data: " + q + " The HTML version lists the details.\n\n")
	}
	for _, group := range [][]report.Headline{d.Headlines, d.Sales, d.Efficiency} {
		for _, h := range group {
			fmt.Fprintf(&b, "%-34s %14s", h.Label, d.Fmt(h.Value, h.Kind))
			switch {
			case h.Note != "":
				fmt.Fprintf(&b, "   %s", h.Note)
			case h.VsPrev != "":
				fmt.Fprintf(&b, "   %s %s", h.VsPrev, h.PrevLabel)
			}
			if a := d.AgainstText(h); a != "" {
				fmt.Fprintf(&b, "   %s", a)
			}
			b.WriteString("\n")
		}
		b.WriteString("\n")
	}
	b.WriteString("The attached workbook (pack.xlsx) and CSV files hold every number; the HTML version of this message has the charts and tables.\n")
	return b.String()
}

// Alert is the message that tells of a failed scheduled run.
func Alert(cfg coxswain.Email, to []string, subject, body string) (*gomail.Msg, error) {
	m := gomail.NewMsg()
	if err := from(m, cfg.From, "coxswain"); err != nil {
		return nil, err
	}
	if err := m.To(to...); err != nil {
		return nil, fmt.Errorf("alerts.to: %w", err)
	}
	m.Subject(subject)
	m.SetDate()
	setMessageID(m, cfg.From)
	m.SetBodyString(gomail.TypeTextPlain, body)
	return m, nil
}

// from sets the sender: the configured address, with name as its display
// name when the configuration gives none, so that inboxes show what the
// message is rather than a bare address.
func from(m *gomail.Msg, addr, name string) error {
	a, err := netmail.ParseAddress(addr)
	if err != nil {
		return fmt.Errorf("email.from: %w", err)
	}
	if a.Name != "" {
		name = a.Name
	}
	if err := m.FromFormat(name, a.Address); err != nil {
		return fmt.Errorf("email.from: %w", err)
	}
	return nil
}

// setMessageID gives the message an id in the sender's domain: go-mail's
// default uses the host name (a container's "vm", say), which spam filters
// and threading dislike.
func setMessageID(m *gomail.Msg, fromAddr string) {
	domain := "localhost.localdomain"
	if a, err := netmail.ParseAddress(fromAddr); err == nil {
		if _, d, ok := strings.Cut(a.Address, "@"); ok && d != "" {
			domain = d
		}
	}
	var b [16]byte
	rand.Read(b[:])
	m.SetMessageIDWithValue(fmt.Sprintf("%s.%x@%s", time.Now().UTC().Format("20060102T150405"), b, domain))
}

// WriteEML writes the message as an .eml file, for --dry-run.
func WriteEML(m *gomail.Msg, path string) error {
	var buf bytes.Buffer
	if _, err := m.WriteTo(&buf); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), coxswain.FileMode); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// Sender sends messages through the configured SMTP server.
type Sender struct {
	SMTP coxswain.SMTP
	// User and Password come from the environment only.
	User, Password string
	// Attempts and Backoff bound the retries of a transient failure.
	Attempts int
	Backoff  time.Duration
	// Sleep waits between attempts; tests replace it.
	Sleep func(time.Duration)
	// Log receives a line per retry (never the credentials).
	Log io.Writer
}

// SenderFromEnv makes a Sender with the credentials of the environment.
func SenderFromEnv(smtp coxswain.SMTP, log io.Writer) *Sender {
	return &Sender{SMTP: smtp, User: os.Getenv("COXSWAIN_SMTP_USER"), Password: os.Getenv("COXSWAIN_SMTP_PASSWORD"),
		Attempts: 4, Backoff: 5 * time.Second, Sleep: time.Sleep, Log: log}
}

// Send delivers m, retrying a transient failure (4xx, a dropped connection)
// with doubling back-off; a permanent failure returns the server's answer.
func (s *Sender) Send(ctx context.Context, m *gomail.Msg) error {
	policy := gomail.TLSMandatory
	if s.SMTP.StartTLS != nil && !*s.SMTP.StartTLS {
		policy = gomail.NoTLS
	}
	opts := []gomail.Option{gomail.WithPort(s.SMTP.Port), gomail.WithTLSPolicy(policy), gomail.WithTimeout(30 * time.Second)}
	if s.User != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover), gomail.WithUsername(s.User), gomail.WithPassword(s.Password))
	}
	client, err := gomail.NewClient(s.SMTP.Host, opts...)
	if err != nil {
		return err
	}
	wait := s.Backoff
	for attempt := 1; ; attempt++ {
		err := client.DialAndSendWithContext(ctx, m)
		if err == nil {
			return nil
		}
		if attempt >= s.Attempts || !transient(err) || ctx.Err() != nil {
			return fmt.Errorf("send to %s:%d (attempt %d of %d): %w", s.SMTP.Host, s.SMTP.Port, attempt, s.Attempts, err)
		}
		if s.Log != nil {
			fmt.Fprintf(s.Log, "send: attempt %d failed (%v); trying again in %s\n", attempt, err, wait)
		}
		s.Sleep(wait)
		wait *= 2
	}
}

// transient says whether a failure may pass: a 4xx answer or a connection
// that could not be made or was lost.
func transient(err error) bool {
	var se *gomail.SendError
	if errors.As(err, &se) {
		return se.IsTemp()
	}
	return true // dial errors and timeouts
}
