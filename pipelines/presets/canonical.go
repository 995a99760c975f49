package presets

import "coxswain"

// Type is a canonical field type. It fixes the DuckDB type a column is read
// as (declared, never sniffed) and how staging normalises it.
type Type string

// The field types.
const (
	ID        Type = "id"        // a record id: trimmed; Salesforce ids extended to 18 characters
	IDList    Type = "id_list"   // ;-joined ids (HubSpot associations): the field keeps the first, its list all (see Associations)
	Text      Type = "text"      // any text, kept as written
	Boolean   Type = "boolean"   // true/false, 1/0, yes/no
	Timestamp Type = "timestamp" // an instant; zone-less values are in the source's zone
	Date      Type = "date"      // a calendar date, never shifted by a zone
	Money     Type = "money"     // an amount, exact to the cent
	Number    Type = "number"    // any other number (counts written as 3.0, scores)
)

// DuckDBType is the type DuckDB's CSV reader is told to read a column as.
func (t Type) DuckDBType() string {
	switch t {
	case Boolean:
		return "BOOLEAN"
	case Timestamp:
		return "TIMESTAMPTZ"
	case Date:
		return "DATE"
	case Money:
		return "DECIMAL(18,2)"
	case Number:
		return "DOUBLE"
	}
	return "VARCHAR"
}

func (t Type) valid() bool {
	switch t {
	case ID, IDList, Text, Boolean, Timestamp, Date, Money, Number:
		return true
	}
	return false
}

// Field is a canonical field of an object.
type Field struct {
	Name     string
	Type     Type
	Required bool // a file without a column for it is refused
	Doc      string
}

// Schema is the canonical field list of every object: what staging exposes
// to the models, whatever tool the rows came from.
var Schema = map[coxswain.Object][]Field{
	coxswain.Lead: {
		{"id", ID, true, "the lead's id in its source"},
		{"is_deleted", Boolean, false, "deleted in the source (excluded from metrics)"},
		{"created_at", Timestamp, true, "the lead entered the database"},
		{"mql_at", Timestamp, false, "marketing qualified it (first time)"},
		{"sql_at", Timestamp, false, "sales accepted and qualified it"},
		{"is_converted", Boolean, false, "converted into a contact/opportunity"},
		{"converted_opportunity_id", ID, false, "the opportunity it became"},
		{"converted_contact_id", ID, false, "the contact it became"},
		{"converted_account_id", ID, false, "the account it joined"},
		{"owner_id", ID, false, "the owning user's id"},
		{"owner_name", Text, false, "the owner's name where the export writes it"},
		{"lead_source", Text, false, "the channel it came from"},
		{"status", Text, false, "the lead status"},
		{"email", Text, false, ""},
		{"name", Text, false, ""},
		{"company", Text, false, ""},
		{"merged_ids", Text, false, "the ids of the records merged into this one (HubSpot), ;-joined: they are gone"},
	},
	coxswain.Contact: {
		{"id", ID, true, ""},
		{"is_deleted", Boolean, false, ""},
		{"created_at", Timestamp, false, ""},
		{"account_id", ID, false, "the contact's account"},
		{"owner_id", ID, false, ""},
		{"lead_source", Text, false, ""},
		{"email", Text, false, ""},
		{"name", Text, false, ""},
	},
	coxswain.Opportunity: {
		{"id", ID, true, ""},
		{"is_deleted", Boolean, false, ""},
		{"created_at", Timestamp, true, "the opportunity was created"},
		{"close_date", Date, false, "a calendar date: never shifted by a zone"},
		{"amount", Money, false, "empty counts as 0 in sums"},
		{"currency", Text, false, ""},
		{"stage", Text, false, ""},
		{"is_closed", Boolean, false, ""},
		{"is_won", Boolean, false, ""},
		{"account_id", ID, false, ""},
		{"owner_id", ID, false, ""},
		{"owner_name", Text, false, ""},
		{"lead_source", Text, false, "the channel"},
		{"campaign_id", ID, false, "the primary campaign"},
		{"name", Text, false, ""},
		{"lead_id", ID, false, "the lead (person) it came from, where the opportunity names it (Pipedrive's Deal - Contact person ID) rather than the lead naming its opportunity"},
		{"pipeline", Text, false, "the pipeline the stage belongs to (label or id)"},
		{"probability", Number, false, "the stage's probability, 0 to 1 or 0 to 100"},
	},
	coxswain.Activity: {
		{"id", ID, true, ""},
		{"is_deleted", Boolean, false, ""},
		{"occurred_at", Timestamp, true, "when the touch happened (Salesforce: CreatedDate, not the due date)"},
		{"who_id", ID, false, "the lead or contact touched"},
		{"what_id", ID, false, "the related record"},
		{"account_id", ID, false, ""},
		{"owner_id", ID, false, ""},
		{"type", Text, false, "call, e-mail, meeting..."},
		{"subject", Text, false, ""},
		{"detail", Text, false, "what the activity was about: the form, e-mail or field (Marketo's primaryAttributeValue)"},
		{"attributes", Text, false, "the activity's attributes as a JSON object (Marketo)"},
		{"is_done", Boolean, false, "false for a planned activity (Pipedrive's To do): not a touch until done; empty counts as done"},
		{"kind", Text, false, "call, email, meeting, task, note: by default the kind of the file, where the export writes one kind per file"},
		{"direction", Text, false, "inbound or outbound (calls, e-mails); an incoming e-mail is not a sales touch"},
	},
	coxswain.User: {
		{"id", ID, true, ""},
		{"name", Text, false, ""},
		{"email", Text, false, ""},
		{"is_active", Boolean, false, ""},
	},
	coxswain.Account: {
		{"id", ID, true, ""},
		{"is_deleted", Boolean, false, ""},
		{"created_at", Timestamp, false, ""},
		{"name", Text, false, ""},
		{"owner_id", ID, false, ""},
		{"industry", Text, false, ""},
		{"type", Text, false, ""},
	},
	coxswain.Campaign: {
		{"id", ID, true, ""},
		{"is_deleted", Boolean, false, ""},
		{"name", Text, false, ""},
		{"type", Text, false, ""},
		{"status", Text, false, ""},
		{"start_date", Date, false, ""},
		{"end_date", Date, false, ""},
		{"actual_cost", Money, false, ""},
	},
	coxswain.Person: {
		{"id", ID, true, "the person's id in the marketing tool"},
		{"is_deleted", Boolean, false, ""},
		{"created_at", Timestamp, true, "the person entered the marketing database"},
		{"email", Text, false, "joins the CRM's leads and contacts, trimmed and lower-cased, where no CRM id does"},
		{"crm_lead_id", ID, false, "the CRM lead it is synced with (a Salesforce id: 15 or 18 characters)"},
		{"crm_contact_id", ID, false, "the CRM contact it is synced with"},
		{"mql_at", Timestamp, false, "the tool's own MQL date, where it has one"},
		{"lead_source", Text, false, ""},
		{"status", Text, false, ""},
		{"score", Number, false, ""},
		{"name", Text, false, ""},
		{"company", Text, false, ""},
		{"merged_ids", Text, false, "the ids of the records merged into this one, ;-joined"},
	},
	coxswain.CampaignMember: {
		{"id", ID, true, ""},
		{"is_deleted", Boolean, false, ""},
		{"campaign_id", ID, true, ""},
		{"lead_id", ID, false, ""},
		{"contact_id", ID, false, ""},
		{"status", Text, false, ""},
		{"has_responded", Boolean, false, ""},
		{"first_responded_date", Date, false, ""},
		{"created_at", Timestamp, false, ""},
	},
}

// field finds a canonical field of an object.
func field(o coxswain.Object, name string) (Field, bool) {
	for _, f := range Schema[o] {
		if f.Name == name {
			return f, true
		}
	}
	return Field{}, false
}

// KeyFields are the optional fields the shared metrics depend on. A file
// without a column for one still loads (not every org has an MQL date), but
// the build says so, since the metrics that use it will be empty.
var KeyFields = map[coxswain.Object][]string{
	coxswain.Lead:        {"mql_at", "sql_at", "converted_opportunity_id", "lead_source", "owner_id"},
	coxswain.Opportunity: {"amount", "close_date", "is_won", "is_closed", "account_id", "lead_source"},
	coxswain.Activity:    {"who_id"},
	coxswain.Person:      {"email"},
}

// Associations are the id fields an export may fill with several ids
// (HubSpot's ;-joined "Associated Contact IDs"): an activity that touched
// two people, a deal of two companies. Staging keeps the first id in the
// field itself and every id in a list named after it (who_id: who_ids,
// with keys who_keys), which is NULL when the source's column holds one
// id. The models count such a record once for each id in the list, and
// the record itself once.
var Associations = map[coxswain.Object][]string{
	coxswain.Activity:    {"who_id", "account_id"},
	coxswain.Opportunity: {"account_id"},
}

// ListName is the name of an association's list: who_id's is who_ids.
func ListName(field string) string { return field + "s" }
