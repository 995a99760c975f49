// Package presets knows how each exporting tool writes its files: which file
// of a drop holds which canonical object, which column feeds which canonical
// field, and what a tool's quirks are (zone-less datetimes, full snapshots,
// 15-character ids). A preset is data (an embedded YAML file) plus the small
// amount of code here that resolves it against a source's configuration.
package presets

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"coxswain"
)

//go:embed *.yaml
var files embed.FS

// IDStyle says how a tool writes record ids.
type IDStyle string

// The id styles.
const (
	PlainIDs      IDStyle = "plain"      // ids are trimmed, nothing more
	SalesforceIDs IDStyle = "salesforce" // 15- and 18-character ids, 000000000000000AAA as null
)

// Preset is one tool's export format.
type Preset struct {
	Name        string          `yaml:"name"`
	Description string          `yaml:"description"`
	Timezone    string          `yaml:"timezone"`
	Snapshot    bool            `yaml:"snapshot"`
	IDs         IDStyle         `yaml:"ids"`
	Stages      coxswain.Stages `yaml:"stages"` // the tool's default stages
	// Role is crm (the default) or marketing: a marketing tool's persons
	// join the CRM's people, and its activities are marketing touches,
	// never sales follow-up.
	Role string `yaml:"role"`
	// Nulls are the values that mean empty besides the empty string
	// (Marketo writes the literal null).
	Nulls         []string                `yaml:"nulls"`
	ActivityTypes []coxswain.ActivityType `yaml:"activity_types"`
	// Changes says which activity types record a change of a person's
	// status or score, for the source's mql: rule.
	Changes Changes                       `yaml:"changes"`
	Objects map[coxswain.Object]ObjectMap `yaml:"objects"`
}

// The roles of a source.
const (
	CRM       = "crm"
	Marketing = "marketing"
)

// Changes are the activity types that record a person's status or score
// changing, with the attribute (a key of the activity's JSON attributes)
// that holds the new value.
type Changes struct {
	Status Change `yaml:"status"`
	Score  Change `yaml:"score"`
	Merge  Change `yaml:"merge"` // the winner's activity; Value lists the ids merged into it
}

// Change is one kind of change activity.
type Change struct {
	Type   string   `yaml:"type"`   // the activity type id
	Detail []string `yaml:"detail"` // the field it changed, as the activity's detail names it
	Value  string   `yaml:"value"`  // the attribute holding the new value
}

// ObjectMap says which files of a drop hold an object and which column feeds each field.
type ObjectMap struct {
	Files []string `yaml:"files"`
	// Identify names the fields whose columns, with the required fields',
	// tell this object's files from the others' (see Recognize).
	Identify []string                       `yaml:"identify"`
	Kinds    []Kind                         `yaml:"kinds"`
	Fields   map[string]coxswain.ColumnSpec `yaml:"fields"`
}

// Kind is a kind of record an export writes one per file (HubSpot's calls,
// meetings...), told by a column only that kind's files have.
type Kind struct {
	Kind    string   `yaml:"kind"`
	Columns []string `yaml:"columns"`
}

// Names lists the presets that exist, sorted.
func Names() []string {
	entries, _ := files.ReadDir(".")
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(names)
	return names
}

// File is the named preset's file, as embedded.
func File(name string) ([]byte, bool) {
	data, err := files.ReadFile(name + ".yaml")
	return data, err == nil
}

// Get reads the named preset.
func Get(name string) (*Preset, error) {
	data, err := files.ReadFile(name + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("unknown preset %q (known: %s)", name, strings.Join(Names(), ", "))
	}
	var p Preset
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&p); err != nil {
		return nil, fmt.Errorf("preset %s: %w", name, err)
	}
	for obj, m := range p.Objects {
		if _, ok := Schema[obj]; !ok {
			return nil, fmt.Errorf("preset %s: unknown object %q", name, obj)
		}
		if p.Role != "" && p.Role != CRM && p.Role != Marketing {
			return nil, fmt.Errorf("preset %s: role %q is neither crm nor marketing", name, p.Role)
		}
		for _, f := range m.Identify {
			if _, ok := field(obj, f); !ok {
				return nil, fmt.Errorf("preset %s: %s.identify: object %s has no field %q", name, obj, obj, f)
			}
		}
		for f, spec := range m.Fields {
			cf, ok := field(obj, f)
			if !ok {
				return nil, fmt.Errorf("preset %s: object %s has no field %q", name, obj, f)
			}
			if spec.Type != "" && !Type(spec.Type).valid() {
				return nil, fmt.Errorf("preset %s: %s.%s: unknown type %q", name, obj, cf.Name, spec.Type)
			}
		}
	}
	return &p, nil
}

// Column is a resolved mapping of one canonical field to the source columns
// that may feed it (the first one present in a file wins).
type Column struct {
	Field Field
	Names []string
	Type  Type // the type the source column is read as
	// Values and Not make a flag from the column's values (see
	// coxswain.ColumnSpec); the column is then read as text.
	Values, Not []string
}

// Mapping is a preset resolved against one source's configuration: the
// files and columns of each object, with the source's overrides applied.
type Mapping struct {
	Source   coxswain.Source
	Preset   *Preset
	Timezone string          // the zone of zone-less datetimes
	Stages   coxswain.Stages // the preset's stages with the source's added
	Role     string          // crm or marketing
	Snapshot bool            // each drop is a full export: the preset's, or the source's snapshot:
	// ActivityTypes are the preset's activity types with the source's
	// added, a source's entry replacing the preset's of the same id.
	ActivityTypes []coxswain.ActivityType
	Objects       map[coxswain.Object]ObjectMapping
}

// ObjectMapping is the resolved mapping of one object.
type ObjectMapping struct {
	Object   coxswain.Object
	Files    []string // case-insensitive globs on a drop's file names
	Identify []string // fields that, with the required ones, identify its files
	Kinds    []Kind
	Columns  []Column // in the canonical schema's order
}

// Resolve applies a source's configuration to its preset. Errors name the
// configuration key at fault; key is the source's key (sources[0]).
func Resolve(src coxswain.Source, key string) (*Mapping, error) {
	if !slices.Contains(Names(), src.Preset) {
		return nil, &coxswain.ValidationError{Key: key + ".preset", Value: src.Preset, Msg: "is not a preset (known: " + strings.Join(Names(), ", ") + ")"}
	}
	p, err := Get(src.Preset)
	if err != nil {
		return nil, err
	}
	m := &Mapping{Source: src, Preset: p, Timezone: p.Timezone, Objects: map[coxswain.Object]ObjectMapping{}}
	if src.Timezone != "" {
		m.Timezone = src.Timezone
	}
	if m.Timezone == "" {
		m.Timezone = "UTC"
	}
	m.Stages = mergeStages(p.Stages, src.Stages)
	m.Snapshot = p.Snapshot
	if src.Snapshot != nil {
		m.Snapshot = *src.Snapshot
	}
	m.Role = CRM
	if p.Role != "" {
		m.Role = p.Role
	}
	m.ActivityTypes = mergeActivityTypes(p.ActivityTypes, src.ActivityTypes)

	// Overrides, keyed "field" or "object.field".
	overrides := map[coxswain.Object]map[string]coxswain.ColumnSpec{}
	var errs []error
	for k, spec := range src.Fields {
		obj, fname, err := overrideTarget(p, k)
		if err != nil {
			errs = append(errs, &coxswain.ValidationError{Key: key + ".fields." + k, Msg: err.Error()})
			continue
		}
		if spec.Type != "" && !Type(spec.Type).valid() {
			errs = append(errs, &coxswain.ValidationError{Key: key + ".fields." + k + ".type", Value: spec.Type, Msg: "is not a field type (id, id_list, text, boolean, timestamp, date, money, number)"})
			continue
		}
		if f, _ := field(obj, fname); (len(spec.Values) > 0 || len(spec.Not) > 0) && f.Type != Boolean {
			errs = append(errs, &coxswain.ValidationError{Key: key + ".fields." + k + ".values", Msg: fname + " is not a flag: values: maps a column's values onto a true/false field such as is_won"})
			continue
		}
		if len(spec.Not) > 0 && len(spec.Values) == 0 {
			errs = append(errs, &coxswain.ValidationError{Key: key + ".fields." + k + ".not", Msg: "needs values: too (the values that mean true)"})
			continue
		}
		if overrides[obj] == nil {
			overrides[obj] = map[string]coxswain.ColumnSpec{}
		}
		overrides[obj][fname] = spec
	}
	for k, glob := range src.Files {
		obj := coxswain.Object(k)
		if _, ok := Schema[obj]; !ok {
			errs = append(errs, &coxswain.ValidationError{Key: key + ".files." + k, Msg: "is not an object (" + objectNames() + ")"})
			continue
		}
		if _, err := path.Match(strings.ToLower(glob), ""); err != nil {
			errs = append(errs, &coxswain.ValidationError{Key: key + ".files." + k, Value: glob, Msg: "is not a valid glob"})
		}
	}
	if len(src.MQL.Status) > 0 && p.Changes.Status.Type == "" {
		errs = append(errs, &coxswain.ValidationError{Key: key + ".mql.status", Msg: "the " + p.Name + " preset's exports record no status changes: map the source's MQL date with fields: {mql_at: COLUMN} instead"})
	}
	if src.MQL.Score > 0 && p.Changes.Score.Type == "" {
		errs = append(errs, &coxswain.ValidationError{Key: key + ".mql.score", Msg: "the " + p.Name + " preset's exports record no score changes: map the source's MQL date with fields: {mql_at: COLUMN} instead"})
	}
	if len(errs) > 0 {
		return nil, joinErrs(errs)
	}

	for _, obj := range coxswain.Objects {
		om, inPreset := p.Objects[obj]
		_, fileOverride := src.Files[string(obj)]
		if !inPreset && !fileOverride && overrides[obj] == nil {
			continue
		}
		res := ObjectMapping{Object: obj, Files: om.Files, Identify: om.Identify, Kinds: om.Kinds}
		if fileOverride {
			res.Files = []string{src.Files[string(obj)]}
		}
		for _, f := range Schema[obj] {
			spec, ok := overrides[obj][f.Name]
			if ps, inPreset := om.Fields[f.Name]; ok && inPreset && len(spec.Values) == 0 && len(ps.Values) > 0 && spec.Type == "" &&
				slices.ContainsFunc(spec.Names, func(n string) bool { return slices.Contains(ps.Names, n) }) {
				// Another spelling of the preset's column: still read by its values.
				spec.Values, spec.Not = ps.Values, ps.Not
			}
			if !ok {
				spec, ok = om.Fields[f.Name]
			}
			if !ok && len(om.Fields) == 0 {
				// A preset with no column list (generic) reads canonical names.
				spec, ok = coxswain.ColumnSpec{Names: []string{f.Name}}, true
			}
			if !ok {
				continue
			}
			t := f.Type
			if spec.Type != "" {
				t = Type(spec.Type)
			}
			if len(spec.Values) > 0 {
				t = Text // the values are read as written, then compared
			}
			res.Columns = append(res.Columns, Column{Field: f, Names: spec.Names, Type: t, Values: spec.Values, Not: spec.Not})
		}
		m.Objects[obj] = res
	}
	return m, nil
}

// overrideTarget finds the object and field an override key names.
func overrideTarget(p *Preset, k string) (coxswain.Object, string, error) {
	if obj, fname, ok := strings.Cut(k, "."); ok {
		if _, known := Schema[coxswain.Object(obj)]; !known {
			return "", "", fmt.Errorf("%q is not an object (%s)", obj, objectNames())
		}
		if _, known := field(coxswain.Object(obj), fname); !known {
			return "", "", fmt.Errorf("%s has no field %q (%s)", obj, fname, fieldNames(coxswain.Object(obj)))
		}
		return coxswain.Object(obj), fname, nil
	}
	var found []coxswain.Object
	for _, obj := range coxswain.Objects {
		if _, ok := field(obj, k); ok {
			if _, inPreset := p.Objects[obj]; inPreset || len(found) == 0 {
				found = append(found, obj)
			}
		}
	}
	switch {
	case len(found) == 0:
		return "", "", fmt.Errorf("no object has a field %q; write object.field (objects: %s)", k, objectNames())
	case len(found) > 1:
		var names []string
		for _, o := range found {
			names = append(names, string(o)+"."+k)
		}
		return "", "", fmt.Errorf("several objects have %q: write one of %s", k, strings.Join(names, ", "))
	}
	return found[0], k, nil
}

func objectNames() string {
	var s []string
	for _, o := range coxswain.Objects {
		s = append(s, string(o))
	}
	return strings.Join(s, ", ")
}

func fieldNames(o coxswain.Object) string {
	var s []string
	for _, f := range Schema[o] {
		s = append(s, f.Name)
	}
	return strings.Join(s, ", ")
}

func joinErrs(errs []error) error {
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	return errors.Join(errs...)
}

// NormHeader is how a file's headers are matched to a preset's column
// names: case-insensitively, with stray and repeated spaces ignored.
func NormHeader(h string) string {
	return strings.ToLower(strings.Join(strings.Fields(h), " "))
}

// mergeStages adds a source's stage lists to its preset's.
func mergeStages(preset, src coxswain.Stages) coxswain.Stages {
	out := coxswain.Stages{
		Won:  slices.Concat(preset.Won, src.Won),
		Lost: slices.Concat(preset.Lost, src.Lost),
		Open: slices.Concat(preset.Open, src.Open),
	}
	for _, ps := range []map[string]coxswain.StageLists{preset.Pipelines, src.Pipelines} {
		for name, l := range ps {
			if out.Pipelines == nil {
				out.Pipelines = map[string]coxswain.StageLists{}
			}
			cur := out.Pipelines[name]
			out.Pipelines[name] = coxswain.StageLists{Won: slices.Concat(cur.Won, l.Won), Lost: slices.Concat(cur.Lost, l.Lost), Open: slices.Concat(cur.Open, l.Open)}
		}
	}
	return out
}

// mergeActivityTypes adds a source's activity types to its preset's; a
// source's type replaces the preset's of the same id.
func mergeActivityTypes(preset, src []coxswain.ActivityType) []coxswain.ActivityType {
	var out []coxswain.ActivityType
	for _, t := range preset {
		if !slices.ContainsFunc(src, func(s coxswain.ActivityType) bool { return s.ID == t.ID }) {
			out = append(out, t)
		}
	}
	return append(out, src...)
}
