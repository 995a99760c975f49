// Package coxswain holds what every part of the job shares: the configuration,
// the canonical objects that exports are loaded into, and the embedded SQL.
//
// The data flows through the folders: exports are ingested by pipelines/ingest
// (with the tool-specific readers in pipelines/presets), modelled in sql/,
// rendered and delivered by reports/, and wired together in cmd/coxswain.
package coxswain

import (
	"embed"
	"fmt"
)

// SQL is the sql/ folder: warehouse DDL, macros, and the models. It is
// embedded here because a Go file inside sql/ would be package sql and
// clash with database/sql.
//
//go:embed sql
var SQL embed.FS

// Version is the tool version written into build records and pack manifests.
// Release builds set it with -ldflags "-X coxswain.Version=...".
var Version = "0.1.0-dev"

// Commit is the commit the binary was built from, set by make build with
// -ldflags "-X coxswain.Commit=..." (go build's own VCS stamp, when there is
// one, is used otherwise).
var Commit = ""

// Object is a canonical CRM object that exports of every tool are mapped to.
type Object string

// The canonical objects. A preset maps each tool's files and columns onto these.
const (
	Lead           Object = "lead"
	Contact        Object = "contact"
	Opportunity    Object = "opportunity"
	Activity       Object = "activity"
	User           Object = "user"
	Account        Object = "account"
	Campaign       Object = "campaign"
	CampaignMember Object = "campaign_member"
	// Person is a marketing-automation tool's record of a person (a Marketo
	// lead, a Pardot prospect), joined to the CRM's leads and contacts by
	// the identity rule of docs/metrics.md.
	Person Object = "person"
)

// Objects lists the canonical objects in the order they are loaded and shown.
var Objects = []Object{Lead, Contact, Opportunity, Activity, User, Account, Campaign, CampaignMember, Person}

// Plural is the object's plural, used in table and view names (staging.leads).
func (o Object) Plural() string {
	switch o {
	case Opportunity:
		return "opportunities"
	case Activity:
		return "activities"
	}
	return string(o) + "s"
}

// FormatBytes is a size as people read it: 1.4 GB, 12.0 MB, 3.5 kB, 512 bytes.
func FormatBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f kB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
