// Package sampleorg generates a realistic, deterministic sample org: users,
// accounts, leads with MQL and conversion dates, activities, opportunities,
// campaigns, a spend plan and targets, written as Salesforce Data Export
// drops exactly as the service writes them (every value quoted, 0/1
// booleans, zone-less GMT datetimes, date-only fields with 00:00:00,
// 000000000000000AAA for some empty lookups, 15- and 18-character ids).
//
// The same seed and options always give byte-identical files, so demos,
// golden tests and benchmarks are reproducible.
package sampleorg

import (
	"archive/zip"
	"bufio"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/encoding/charmap"
)

// Options control the generated org.
type Options struct {
	Seed   uint64
	End    time.Time // the export instant of the latest drop; data runs to it
	Months int       // history before End
	Leads  int       // leads over the whole history
	// LeadsOnly writes one drop with only Lead.csv (for load benchmarks).
	LeadsOnly bool
	// ExtraActivities adds that many sales activities on random leads and
	// contacts (prospecting calls and e-mails), for volume benchmarks.
	ExtraActivities int
	// SingleDrop writes only the latest export, as a UTF-8 folder.
	SingleDrop bool
}

// DefaultOptions is the demo org that `make run` loads.
func DefaultOptions() Options {
	return Options{
		Seed:   20261115,
		End:    time.Date(2026, 11, 15, 6, 0, 0, 0, time.UTC),
		Months: 14,
		Leads:  6000,
	}
}

// Channels are the lead sources of the sample org; "" is a lead with none.
var Channels = []string{"Web", "Paid Search", "Event", "Partner Referral", "Content Syndication", "Outbound", ""}

var firstNames = []string{"Zoë", "José", "Siobhán", "Jürgen", "Ana", "Li", "Priya", "Tomás", "Chloé", "Olu", "Marta", "Kenji", "Fatima", "Liam", "Noémie", "Björn", "Aisha", "Diego", "Hannah", "Mateus"}
var lastNames = []string{"Martin", "Álvarez", "O'Neil", "Müller", "Silva", "Wang", "Patel", "García", "Dubois", "Adeyemi", "Kowalska", "Tanaka", "Haddad", "Murphy", "Lefèvre", "Nilsson", "Khan", "Rossi", "Schmidt", "Costa"}
var companies = []string{"Société Générale d'Import", "O'Neil & Co", "<script>alert(1)</script> Ltd", "=SUM(A1) Holdings", "Zoë's Bakery", "Acme Corp", "Nordström Logistics", "Globex", "Initech", "Umbrella Health", "Stark Industries", "Wayne Enterprises", "Müller GmbH", "Tyrell Systems", "Hooli", "Vandelay Imports", "Pied Piper", "Soylent Foods", "Cyberdyne", "Aperture Labs"}

// Org is a generated org that can be exported as of any instant up to its
// End: the weekly snapshots of the history benchmark are one org exported
// week after week, so that a record changes only when its life does (a
// new lead, an MQL, a conversion, a deal closing).
type Org struct{ g *org }

// New generates the org of o in memory.
func New(o Options) *Org { return &Org{newOrg(o)} }

// WriteSnapshot writes a full Data Export of the org as of at into
// exports/<at's date>/ under dir, as a UTF-8 folder; it returns the drop's
// folder.
func (o *Org) WriteSnapshot(dir string, at time.Time) (string, error) {
	drop := filepath.Join(dir, at.Format("2006-01-02"))
	if err := os.MkdirAll(drop, 0o755); err != nil {
		return "", err
	}
	for _, f := range o.g.files() {
		if err := writeFile(filepath.Join(drop, f.name), nil, func(w io.Writer) error { return f.write(w, at) }); err != nil {
			return "", err
		}
	}
	return drop, nil
}

// WritePlans writes the org's spend and targets plans into dir/plans.
func (o *Org) WritePlans(dir string) error {
	_, err := o.g.writePlans(filepath.Join(dir, "plans"))
	return err
}

// Generate writes the sample org into dir: exports/salesforce/<drops>,
// plans/spend.csv, plans/targets.csv and coxswain.yaml. It returns the
// paths of the files it wrote.
func Generate(dir string, o Options) ([]string, error) {
	g := newOrg(o)
	var written []string
	exports := filepath.Join(dir, "exports", "salesforce")
	if err := os.MkdirAll(exports, 0o755); err != nil {
		return nil, err
	}
	if o.LeadsOnly {
		drop := filepath.Join(exports, o.End.Format("2006-01-02"))
		if err := os.MkdirAll(drop, 0o755); err != nil {
			return nil, err
		}
		p := filepath.Join(drop, "Lead.csv")
		if err := writeFile(p, nil, func(w io.Writer) error { return g.writeLeads(w, o.End) }); err != nil {
			return nil, err
		}
		return append(written, p), nil
	}

	if o.SingleDrop {
		drop := filepath.Join(exports, o.End.Format("2006-01-02"))
		if err := os.MkdirAll(drop, 0o755); err != nil {
			return nil, err
		}
		for _, f := range g.files() {
			p := filepath.Join(drop, f.name)
			if err := writeFile(p, nil, func(w io.Writer) error { return f.write(w, o.End) }); err != nil {
				return nil, err
			}
			written = append(written, p)
		}
		plans, err := g.writePlans(filepath.Join(dir, "plans"))
		if err != nil {
			return nil, err
		}
		cfg := filepath.Join(dir, "coxswain.yaml")
		if err := os.WriteFile(cfg, []byte(demoConfig), 0o644); err != nil {
			return nil, err
		}
		return append(append(written, plans...), cfg), nil
	}

	// An older weekly export, in ISO-8859-1 as many admins choose, as a folder...
	older := o.End.AddDate(0, 0, -7)
	olderDir := filepath.Join(exports, older.Format("2006-01-02"))
	if err := os.MkdirAll(olderDir, 0o755); err != nil {
		return nil, err
	}
	for _, f := range g.files() {
		p := filepath.Join(olderDir, f.name)
		if err := writeFile(p, charmap.ISO8859_1.NewEncoder().Writer, func(w io.Writer) error { return f.write(w, older) }); err != nil {
			return nil, err
		}
		written = append(written, p)
	}
	// ...and the latest one in UTF-8, as the ZIP archive the service sends.
	zipPath := filepath.Join(exports, o.End.Format("2006-01-02")+"_WE_00D5g000004SAMPL_1.ZIP")
	if err := writeZip(zipPath, o.End, g); err != nil {
		return nil, err
	}
	written = append(written, zipPath)

	plans, err := g.writePlans(filepath.Join(dir, "plans"))
	if err != nil {
		return nil, err
	}
	written = append(written, plans...)
	cfg := filepath.Join(dir, "coxswain.yaml")
	if err := os.WriteFile(cfg, []byte(demoConfig), 0o644); err != nil {
		return nil, err
	}
	return append(written, cfg), nil
}

const demoConfig = `# The sample org's configuration, written by coxswain sample.
timezone: America/New_York
currency: EUR
warehouse: warehouse.duckdb
sources:
  - name: crm
    preset: salesforce
    path: exports/salesforce
    fields: { mql_at: MQL_Date__c }
sla: { follow_up_hours: 24, target_share: 0.9 }
plans: { spend: plans/spend.csv, targets: plans/targets.csv }
email:
  from: coxswain@example.com
  to: [sales-leaders@example.com, marketing-leaders@example.com]
  smtp: { host: localhost, port: 587, starttls: true }
`

type file struct {
	name  string
	write func(io.Writer, time.Time) error
}

func (g *org) files() []file {
	return []file{
		{"User.csv", g.writeUsers},
		{"Account.csv", g.writeAccounts},
		{"Contact.csv", g.writeContacts},
		{"Lead.csv", g.writeLeads},
		{"Opportunity.csv", g.writeOpportunities},
		{"Task.csv", g.writeTasks},
		{"Event.csv", g.writeEvents},
		{"Campaign.csv", g.writeCampaigns},
		{"CampaignMember.csv", g.writeCampaignMembers},
	}
}

func writeFile(path string, enc func(io.Writer) io.Writer, fill func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	var w io.Writer = bw
	if enc != nil {
		w = enc(bw)
	}
	if err := fill(w); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func writeZip(path string, at time.Time, g *org) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	zw := zip.NewWriter(f)
	for _, fl := range g.files() {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: fl.name, Method: zip.Deflate, Modified: at})
		if err != nil {
			f.Close()
			return err
		}
		bw := bufio.NewWriterSize(w, 1<<20)
		if err := fl.write(bw, at); err != nil {
			f.Close()
			return err
		}
		if err := bw.Flush(); err != nil {
			f.Close()
			return err
		}
	}
	if err := zw.Close(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// The generated records.

type user struct {
	id, name, email, role string
}

type account struct {
	id, name, industry, owner string
	created                   time.Time
}

type lead struct {
	id, first, last, company, email, source, owner, status string
	created, mql                                           time.Time // zero: never
	converted                                              time.Time // zero: not converted; a date
	contactID, accountID, oppID                            string
	deletedAt                                              time.Time // zero: never deleted
	isDeleted                                              bool      // IsDeleted = 1 (in the recycle bin)
}

type opportunity struct {
	id, name, account, owner, source, stage, campaign string
	amount                                            float64 // < 0: empty
	created                                           time.Time
	close                                             time.Time // a date
	closed, won                                       bool
}

type activity struct {
	id, who, what, owner, subject, kind, typ string
	created                                  time.Time
}

type campaign struct {
	id, name, typ string
	start         time.Time
	cost          float64
}

type member struct {
	id, campaign, lead string
	responded          bool
	created            time.Time
}

type org struct {
	o         Options
	start     time.Time
	users     []user
	sdrs      []int // indexes into users
	accounts  []account
	leads     []lead
	opps      []opportunity
	acts      []activity
	campaigns []campaign
	members   []member
	seq       map[string]int
}

// id makes a Salesforce-style 18-character id with a valid checksum suffix.
func (g *org) id(prefix string) string {
	g.seq[prefix]++
	base := fmt.Sprintf("%s5g%010X", prefix, g.seq[prefix])
	return base + idSuffix(base)
}

// idSuffix computes the 3-character checksum that turns a 15-character
// Salesforce id into its 18-character form.
func idSuffix(id15 string) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
	var b [3]byte
	for c := 0; c < 3; c++ {
		n := 0
		for i := 0; i < 5; i++ {
			ch := id15[c*5+i]
			if ch >= 'A' && ch <= 'Z' {
				n |= 1 << i
			}
		}
		b[c] = alphabet[n]
	}
	return string(b[:])
}

func newOrg(o Options) *org {
	g := &org{o: o, seq: map[string]int{}}
	r := rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15))
	y, m, _ := o.End.Date()
	g.start = time.Date(y, m, 1, 0, 0, 0, 0, time.UTC).AddDate(0, -o.Months, 0)
	span := o.End.Sub(g.start)

	roles := []string{"Marketing", "SDR", "SDR", "SDR", "SDR", "AE", "AE", "AE", "AE", "Marketing Ops"}
	for i, role := range roles {
		name := firstNames[i] + " " + lastNames[i]
		u := user{id: g.id("005"), name: name, email: strings.ToLower(asciiFold(firstNames[i])) + "." + strings.ToLower(asciiFold(strings.ReplaceAll(lastNames[i], "'", ""))) + "@example.com", role: role}
		g.users = append(g.users, u)
		if role == "SDR" {
			g.sdrs = append(g.sdrs, i)
		}
	}
	// About one account for every 15 leads: most accounts have a handful of people.
	for i := 0; i < max(40, o.Leads/15); i++ {
		name := companies[i%len(companies)]
		if i >= len(companies) {
			name += " " + strconv.Itoa(i/len(companies)+1)
		}
		g.accounts = append(g.accounts, account{id: g.id("001"), name: name, industry: []string{"Technology", "Retail", "Finance", "Health", ""}[i%5], owner: g.users[5+i%4].id, created: g.start.Add(time.Duration(r.Int64N(int64(span / 2))))})
	}
	for i := 0; i < 12; i++ {
		start := g.start.AddDate(0, i+1, 0)
		g.campaigns = append(g.campaigns, campaign{id: g.id("701"), name: fmt.Sprintf("%s %s", []string{"Webinar", "Trade Show", "Newsletter", "Ebook"}[i%4], start.Format("Jan 2006")), typ: []string{"Webinar", "Trade Show", "Email", "Content"}[i%4], start: start, cost: float64(2000 + 500*(i%5))})
	}

	leads := o.Leads
	for i := 0; i < leads; i++ {
		// Lead volume grows over the period: the density is proportional to
		// 1+2x on [0,1], whose inverse CDF is (sqrt(1+8u)-1)/2.
		frac := (math.Sqrt(1+8*r.Float64()) - 1) / 2
		created := g.start.Add(time.Duration(frac * float64(span))).Truncate(time.Second)
		if created.After(o.End) {
			created = o.End.Add(-time.Hour)
		}
		first, last := firstNames[r.IntN(len(firstNames))], lastNames[r.IntN(len(lastNames))]
		acct := g.accounts[r.IntN(len(g.accounts))]
		l := lead{
			id: g.id("00Q"), first: first, last: last, company: acct.name,
			email:   strings.ToLower(asciiFold(first)) + "." + strings.ToLower(asciiFold(strings.ReplaceAll(last, "'", ""))) + strconv.Itoa(i) + "@example.org",
			source:  Channels[r.IntN(len(Channels))],
			owner:   g.users[g.sdrs[r.IntN(len(g.sdrs))]].id,
			status:  "Open - Not Contacted",
			created: created,
		}
		if o.LeadsOnly {
			if r.Float64() < 0.4 {
				l.mql = created.Add(time.Duration(r.Int64N(int64(10 * 24 * time.Hour)))).Truncate(time.Second)
			}
			g.leads = append(g.leads, l)
			continue
		}
		if r.Float64() < 0.4 {
			mql := created.Add(time.Duration(r.Int64N(int64(10 * 24 * time.Hour)))).Truncate(time.Second)
			if mql.Before(o.End) {
				l.mql = mql
				l.status = "Working - Contacted"
				g.touches(r, &l, acct)
			}
		}
		if !l.mql.IsZero() && r.Float64() < 0.45 {
			conv := l.mql.Add(time.Duration(1+r.IntN(20)) * 24 * time.Hour)
			if conv.Before(o.End) {
				l.converted = time.Date(conv.Year(), conv.Month(), conv.Day(), 0, 0, 0, 0, time.UTC)
				l.status = "Closed - Converted"
				l.contactID = g.id("003")
				l.accountID = acct.id
				if r.Float64() < 0.7 {
					op := g.newOpp(r, acct, conv.Add(time.Duration(r.IntN(3600))*time.Second), l.source)
					l.oppID = op.id
				}
				// A touch on the contact the lead became also counts.
				if r.Float64() < 0.3 {
					g.acts = append(g.acts, activity{id: g.id("00T"), who: l.contactID, owner: l.owner, subject: "Follow-up call", kind: "Task", typ: "Call", created: conv.Add(2 * time.Hour)})
				}
			}
		}
		switch {
		case r.Float64() < 0.01:
			l.isDeleted = true // in the recycle bin: exported with IsDeleted = 1
		case r.Float64() < 0.01:
			l.deletedAt = o.End.AddDate(0, 0, -3) // purged between the two exports
		}
		if r.Float64() < 0.05 && len(g.campaigns) > 0 {
			c := g.campaigns[r.IntN(len(g.campaigns))]
			g.members = append(g.members, member{id: g.id("00v"), campaign: c.id, lead: l.id, responded: r.Float64() < 0.6, created: created})
		}
		g.leads = append(g.leads, l)
	}
	// Prospecting activity on random leads: volume for benchmarks.
	for i := 0; i < o.ExtraActivities && len(g.leads) > 0; i++ {
		l := g.leads[r.IntN(len(g.leads))]
		at := l.created.Add(time.Duration(r.Int64N(int64(30 * 24 * time.Hour)))).Truncate(time.Second)
		if at.After(o.End) {
			at = o.End.Add(-time.Minute)
		}
		g.acts = append(g.acts, activity{id: g.id("00T"), who: l.id, owner: l.owner, subject: "Prospecting", kind: "Task", typ: "Call", created: at})
	}
	// Opportunities with no lead behind them (sales-sourced, renewals).
	for i := 0; i < leads/30; i++ {
		created := g.start.Add(time.Duration(r.Int64N(int64(span)))).Truncate(time.Second)
		g.newOpp(r, g.accounts[r.IntN(len(g.accounts))], created, "Outbound")
	}
	return g
}

// touches adds the follow-up activities of a marketing qualified lead: most
// are touched within hours, some late, some never, and some were touched
// before they qualified (which does not count as follow-up).
func (g *org) touches(r *rand.Rand, l *lead, acct account) {
	if r.Float64() < 0.15 {
		g.acts = append(g.acts, activity{id: g.id("00T"), who: l.id, owner: l.owner, subject: "Intro e-mail", kind: "Task", typ: "Email", created: l.mql.Add(-time.Duration(1+r.IntN(48)) * time.Hour)})
	}
	if r.Float64() < 0.12 {
		return // never touched
	}
	delay := time.Duration(r.ExpFloat64() * float64(14*time.Hour))
	at := l.mql.Add(delay).Truncate(time.Second)
	if at.After(g.o.End) {
		return
	}
	who := l.id
	if r.Float64() < 0.1 {
		who = who[:15] // some exports write the 15-character form
	}
	kind, typ, subject := "Task", "Call", "Call: qualification"
	if r.Float64() < 0.2 {
		kind, typ, subject = "Event", "Meeting", "Discovery meeting"
	}
	g.acts = append(g.acts, activity{id: g.id(map[string]string{"Task": "00T", "Event": "00U"}[kind]), who: who, what: acct.id, owner: l.owner, subject: subject, kind: kind, typ: typ, created: at})
	for k := 0; k < r.IntN(3); k++ {
		at = at.Add(time.Duration(1+r.IntN(72)) * time.Hour)
		if at.After(g.o.End) {
			break
		}
		g.acts = append(g.acts, activity{id: g.id("00T"), who: l.id, owner: l.owner, subject: "Follow-up", kind: "Task", typ: "Email", created: at})
	}
}

func (g *org) newOpp(r *rand.Rand, acct account, created time.Time, source string) opportunity {
	created = created.Truncate(time.Second)
	op := opportunity{
		id: g.id("006"), name: acct.name + " - " + []string{"New Business", "Expansion", "Pilot"}[r.IntN(3)],
		account: acct.id, owner: g.users[5+r.IntN(4)].id, source: source,
		amount:  math.Round(math.Exp(9.5+r.NormFloat64()*0.7)/50) * 50,
		created: created, stage: "Qualification",
	}
	if r.Float64() < 0.05 {
		op.amount = -1 // empty amount
	}
	if r.Float64() < 0.3 && len(g.campaigns) > 0 {
		op.campaign = g.campaigns[r.IntN(len(g.campaigns))].id
	}
	cl := created.AddDate(0, 0, 20+r.IntN(90))
	op.close = time.Date(cl.Year(), cl.Month(), cl.Day(), 0, 0, 0, 0, time.UTC)
	if op.close.Before(g.o.End.AddDate(0, 0, -1)) {
		op.closed = true
		op.won = r.Float64() < 0.35
		op.stage = map[bool]string{true: "Closed Won", false: "Closed Lost"}[op.won]
	}
	g.opps = append(g.opps, op)
	return op
}

// The writers. Each writes the object as of the export instant at: records
// created later are not in it, and purged records are gone.

type row struct {
	w   io.Writer
	buf []byte
	err error
}

func (r *row) fields(vals ...string) {
	r.buf = r.buf[:0]
	for i, v := range vals {
		if i > 0 {
			r.buf = append(r.buf, ',')
		}
		r.buf = append(r.buf, '"')
		r.buf = append(r.buf, strings.ReplaceAll(v, `"`, `""`)...)
		r.buf = append(r.buf, '"')
	}
	r.buf = append(r.buf, '\n')
	if r.err == nil {
		_, r.err = r.w.Write(r.buf)
	}
}

const gmt = "2006-01-02 15:04:05"

func ts(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(gmt)
}

func date(t time.Time) string { // Data Export writes date-only fields with 00:00:00
	if t.IsZero() {
		return ""
	}
	return t.Format("2006-01-02") + " 00:00:00"
}

func boolean(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func lookup(id string) string { // Data Export writes some empty lookups as the dummy id
	if id == "" {
		return "000000000000000AAA"
	}
	return id
}

func money(v float64) string {
	if v < 0 {
		return ""
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

func visible(created, at time.Time) bool { return !created.After(at) }

func (g *org) writeUsers(w io.Writer, at time.Time) error {
	r := &row{w: w}
	r.fields("Id", "Username", "Name", "Email", "IsActive", "UserRoleId", "Department", "CreatedDate")
	for _, u := range g.users {
		r.fields(u.id, u.email, u.name, u.email, "1", "000000000000000AAA", u.role, ts(g.start))
	}
	return r.err
}

func (g *org) writeAccounts(w io.Writer, at time.Time) error {
	r := &row{w: w}
	r.fields("Id", "IsDeleted", "Name", "Type", "BillingStreet", "BillingCity", "BillingCountry", "Industry", "OwnerId", "CreatedDate", "LastModifiedDate")
	for i, a := range g.accounts {
		if !visible(a.created, at) {
			continue
		}
		street := fmt.Sprintf("%d Rue de l'Église\nBâtiment %c", 10+i, 'A'+rune(i%4)) // compound address with an embedded newline
		r.fields(a.id, "0", a.name, "Customer", street, "Montréal", "Canada", a.industry, a.owner, ts(a.created), ts(a.created))
	}
	return r.err
}

func (g *org) writeContacts(w io.Writer, at time.Time) error {
	r := &row{w: w}
	r.fields("Id", "IsDeleted", "AccountId", "FirstName", "LastName", "Name", "Email", "LeadSource", "OwnerId", "CreatedDate")
	for _, l := range g.leads {
		if l.contactID == "" || l.converted.After(at) || l.deletedAt.Before(at) && !l.deletedAt.IsZero() {
			continue
		}
		r.fields(l.contactID, "0", l.accountID, l.first, l.last, l.first+" "+l.last, l.email, l.source, l.owner, ts(l.converted))
	}
	return r.err
}

// leadHeader is the Lead file's header: the standard fields a Data Export
// writes, and the org's custom MQL_Date__c.
var leadHeader = []string{"Id", "IsDeleted", "MasterRecordId", "LastName", "FirstName", "Salutation", "Name", "Title", "Company", "Street", "City", "State", "PostalCode", "Country", "Phone", "Email", "Website", "Description", "LeadSource", "Status", "Industry", "Rating", "AnnualRevenue", "NumberOfEmployees", "OwnerId", "IsConverted", "ConvertedDate", "ConvertedAccountId", "ConvertedContactId", "ConvertedOpportunityId", "IsUnreadByOwner", "CreatedDate", "CreatedById", "LastModifiedDate", "LastModifiedById", "SystemModstamp", "LastActivityDate", "MQL_Date__c"}

func (g *org) writeLeads(w io.Writer, at time.Time) error {
	r := &row{w: w}
	r.fields(leadHeader...)
	for i, l := range g.leads {
		if !visible(l.created, at) || (!l.deletedAt.IsZero() && !l.deletedAt.After(at)) {
			continue
		}
		mql, conv := l.mql, l.converted
		if mql.After(at) {
			mql = time.Time{}
		}
		status, contact, account, opp := l.status, l.contactID, l.accountID, l.oppID
		if conv.After(at) {
			conv, status, contact, account, opp = time.Time{}, "Working - Contacted", "", "", ""
		}
		converted := !conv.IsZero()
		desc := ""
		if i%97 == 0 {
			desc = "Met at the booth, said: \"call me after Q3\""
		}
		r.fields(l.id, boolean(l.isDeleted), "", l.last, l.first, "", l.first+" "+l.last, "Head of Growth", l.company,
			"1 Place de la Concorde", "Paris", "", "75008", "France", "+33 1 23 45 67 89", l.email, "", desc, l.source, status,
			"", "", "", "", l.owner, boolean(converted), date(conv), contactOr(converted, account), contactOr(converted, contact),
			contactOr(converted, opp), "0", ts(l.created), l.owner, ts(l.created), l.owner, ts(l.created), "", ts(mql))
		if r.err != nil {
			return r.err
		}
	}
	return r.err
}

// contactOr writes a converted lead's lookups (the dummy id when it has none)
// and leaves them empty on an unconverted lead.
func contactOr(converted bool, id string) string {
	if !converted {
		return ""
	}
	return lookup(id)
}

func (g *org) writeOpportunities(w io.Writer, at time.Time) error {
	r := &row{w: w}
	r.fields("Id", "IsDeleted", "AccountId", "Name", "StageName", "Amount", "Probability", "CloseDate", "Type", "LeadSource", "IsClosed", "IsWon", "CampaignId", "OwnerId", "CreatedDate", "CurrencyIsoCode")
	for i, o := range g.opps {
		if !visible(o.created, at) {
			continue
		}
		amount := money(o.amount)
		if i == 7 && amount != "" && len(g.opps) >= 200 {
			// One amount was re-typed in a comma-decimal spreadsheet: the
			// loader must quarantine the row, not guess. Only in orgs big
			// enough for one row to stay under the default 1% tolerance.
			amount = strings.Replace(amount, ".", ",", 1)
			amount = amount[:len(amount)-6] + "." + amount[len(amount)-6:]
		}
		stage, closed, won := o.stage, o.closed, o.won
		if o.close.After(at) {
			stage, closed, won = "Qualification", false, false
		}
		prob := map[bool]string{true: "100", false: "10"}[won]
		r.fields(o.id, "0", o.account, o.name, stage, amount, prob, date(o.close), "New Customer", o.source, boolean(closed), boolean(won), lookup(o.campaign), o.owner, ts(o.created), "EUR")
	}
	return r.err
}

func (g *org) writeTasks(w io.Writer, at time.Time) error  { return g.writeActivities(w, at, "Task") }
func (g *org) writeEvents(w io.Writer, at time.Time) error { return g.writeActivities(w, at, "Event") }

func (g *org) writeActivities(w io.Writer, at time.Time, kind string) error {
	r := &row{w: w}
	subtype := kind + "Subtype"
	r.fields("Id", "IsDeleted", "WhoId", "WhatId", "Subject", "ActivityDate", "Status", "OwnerId", "Type", subtype, "CreatedDate")
	for _, a := range g.acts {
		if a.kind != kind || !visible(a.created, at) {
			continue
		}
		// ActivityDate is the due date, a day later than the touch: only
		// CreatedDate says when the touch happened.
		due := a.created.AddDate(0, 0, 1)
		r.fields(a.id, "0", a.who, lookup(a.what), a.subject, date(due), "Completed", a.owner, a.typ, kind, ts(a.created))
	}
	return r.err
}

func (g *org) writeCampaigns(w io.Writer, at time.Time) error {
	r := &row{w: w}
	r.fields("Id", "IsDeleted", "Name", "Type", "Status", "StartDate", "EndDate", "ActualCost", "CreatedDate")
	for _, c := range g.campaigns {
		if c.start.After(at) {
			continue
		}
		r.fields(c.id, "0", c.name, c.typ, "Completed", date(c.start), date(c.start.AddDate(0, 0, 14)), money(c.cost), ts(c.start.AddDate(0, 0, -30)))
	}
	return r.err
}

func (g *org) writeCampaignMembers(w io.Writer, at time.Time) error {
	r := &row{w: w}
	r.fields("Id", "IsDeleted", "CampaignId", "LeadId", "ContactId", "Status", "HasResponded", "FirstRespondedDate", "CreatedDate")
	for _, m := range g.members {
		if !visible(m.created, at) {
			continue
		}
		responded := ""
		if m.responded {
			responded = date(m.created)
		}
		r.fields(m.id, "0", m.campaign, m.lead, "000000000000000AAA", map[bool]string{true: "Responded", false: "Sent"}[m.responded], boolean(m.responded), responded, ts(m.created))
	}
	return r.err
}

// writePlans writes a monthly spend plan per channel and targets per metric.
func (g *org) writePlans(dir string) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var spend, targets strings.Builder
	spend.WriteString("month,channel,amount\n")
	targets.WriteString("month,metric,target\n")
	for m := g.start; m.Before(g.o.End.AddDate(0, 2, 0)); m = m.AddDate(0, 1, 0) {
		month := m.Format("2006-01")
		i := int(m.Sub(g.start).Hours() / 24 / 30)
		// Spend and targets scale with the org: about $110 a lead, and
		// targets a little ahead of a growing run rate.
		perMonth := float64(g.o.Leads) / float64(g.o.Months)
		growth := 0.7 + 0.04*float64(i)
		for k, ch := range Channels[:len(Channels)-1] {
			fmt.Fprintf(&spend, "%s,%s,%d.00\n", month, ch, int(perMonth*growth*(12+3*float64(k))))
		}
		fmt.Fprintf(&targets, "%s,leads_created,%d\n", month, int(perMonth*growth*1.05))
		fmt.Fprintf(&targets, "%s,mqls,%d\n", month, int(perMonth*0.4*growth*1.05))
		fmt.Fprintf(&targets, "%s,pipeline_created,%d.00\n", month, int(perMonth*growth*2200))
		fmt.Fprintf(&targets, "%s,bookings,%d.00\n", month, int(perMonth*growth*700))
	}
	sp, tp := filepath.Join(dir, "spend.csv"), filepath.Join(dir, "targets.csv")
	if err := os.WriteFile(sp, []byte(spend.String()), 0o644); err != nil {
		return nil, err
	}
	if err := os.WriteFile(tp, []byte(targets.String()), 0o644); err != nil {
		return nil, err
	}
	return []string{sp, tp}, nil
}

// asciiFold strips the accents of the sample names for e-mail addresses.
func asciiFold(s string) string {
	return strings.NewReplacer("ë", "e", "é", "e", "è", "e", "á", "a", "Á", "A", "ü", "u", "ö", "o", "ô", "o", "í", "i", "ó", "o", "ã", "a").Replace(s)
}
