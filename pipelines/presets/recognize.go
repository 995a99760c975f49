package presets

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"coxswain"
)

// A file is recognised by its header, not its name: exports are named after
// saved views ("hubspot-crm-exports-q4-pipeline-review.csv") as often as
// after their object. An object is a candidate for a file when the file has
// a column for each of the object's required and identifying fields. A name
// that matches an object's file patterns decides between candidates; a
// files: entry of the source's configuration decides outright.

// Recognition is what Recognize found for one file.
type Recognition struct {
	Object coxswain.Object // empty when the file feeds no object
	By     string          // "config", "header" or "name"
	// When Object is empty: the object the file came closest to, and the
	// columns it would have needed (one alternative list per missing field).
	Closest coxswain.Object
	Lacks   [][]string
	// Ambiguous lists the objects the header fits equally well.
	Ambiguous []coxswain.Object
	patterns  []string // the closest object's file name patterns
}

// Reason says in a line why a file feeds no object.
func (r Recognition) Reason() string {
	switch {
	case r.Object != "":
		return ""
	case len(r.Ambiguous) > 1:
		var names []string
		for _, o := range r.Ambiguous {
			names = append(names, string(o))
		}
		return fmt.Sprintf("its columns fit %s alike; name the object with the source's files: setting", strings.Join(names, " and "))
	case r.Closest == "":
		return "its columns match no object of the preset"
	}
	if len(r.Lacks) == 0 {
		return fmt.Sprintf("its columns fit %s, whose files this preset knows by name only (%s); name the object with the source's files: setting",
			r.Closest, strings.Join(r.patterns, ", "))
	}
	var lacks []string
	for _, alts := range r.Lacks {
		lacks = append(lacks, quoteAlternatives(alts))
	}
	return fmt.Sprintf("closest object %s, but it lacks %s", r.Closest, strings.Join(lacks, ", "))
}

func quoteAlternatives(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	if len(q) > 3 {
		q = append(q[:3], "...")
	}
	return strings.Join(q, " or ")
}

// Recognize says which object a file feeds, from its name and header.
func (m *Mapping) Recognize(name string, header []string) Recognition {
	lower := strings.ToLower(name)
	if obj, ok := m.byConfigName(lower); ok {
		return Recognition{Object: obj, By: "config"}
	}
	have := headerSet(header)
	type fit struct {
		obj      coxswain.Object
		named    bool
		found    int // identifying fields with a column
		required int // required fields with a column
		mapped   int // fields of any kind with a column
		lacks    [][]string
	}
	var fits []fit
	for _, obj := range coxswain.Objects {
		om, ok := m.Objects[obj]
		if !ok {
			continue
		}
		f := fit{obj: obj, named: om.matchesName(lower)}
		for _, c := range om.Columns {
			present := c.presentIn(have)
			if present {
				f.mapped++
			}
			if !c.Field.Required && !om.identifies(c.Field.Name) {
				continue
			}
			if present {
				f.found++
				if c.Field.Required {
					f.required++
				}
				continue
			}
			f.lacks = append(f.lacks, c.Names)
		}
		fits = append(fits, f)
	}

	var candidates []fit
	for _, f := range fits {
		if len(f.lacks) == 0 {
			candidates = append(candidates, f)
		}
	}
	for _, f := range candidates {
		if f.named {
			return Recognition{Object: f.obj, By: "name"}
		}
	}
	// By header alone, only objects whose preset says what identifies
	// them (a generic file of ids and dates could be anything), and for an
	// object of several kinds, a file that has a kind's column: a companies
	// export with associations is not an activity.
	candidates = slices.DeleteFunc(candidates, func(f fit) bool {
		om := m.Objects[f.obj]
		return len(om.Identify) == 0 || len(om.Kinds) > 0 && om.kindIn(have) == ""
	})
	if len(candidates) > 0 {
		best := candidates[0]
		tie := []coxswain.Object{best.obj}
		for _, f := range candidates[1:] {
			switch {
			case f.found > best.found, f.found == best.found && f.mapped > best.mapped:
				best, tie = f, []coxswain.Object{f.obj}
			case f.found == best.found && f.mapped == best.mapped:
				tie = append(tie, f.obj)
			}
		}
		if len(tie) == 1 {
			return Recognition{Object: best.obj, By: "header"}
		}
		return Recognition{Ambiguous: tie}
	}
	// No header fits: a file named exactly after one object (Lead.csv) is
	// that object, so that a missing column is reported as such. A name
	// that only matches a pattern (*deal*) must be borne out by the
	// object's required columns, and, where it matches several objects'
	// patterns (deal-calls.csv), by one identifying column of only one.
	var named []fit
	for _, f := range fits {
		if f.named {
			named = append(named, f)
		}
	}
	// borne: named, with every required column; evident: and with one of
	// its identifying or kind columns as well.
	var borne, evident []fit
	for _, f := range named {
		om := m.Objects[f.obj]
		if om.exactName(lower) {
			return Recognition{Object: f.obj, By: "name"}
		}
		if f.required < om.requiredCount() {
			continue
		}
		borne = append(borne, f)
		if f.found > f.required || om.kindIn(have) != "" {
			evident = append(evident, f)
		}
	}
	if len(evident) == 1 {
		return Recognition{Object: evident[0].obj, By: "name"}
	}
	if len(borne) == 1 {
		return Recognition{Object: borne[0].obj, By: "name"}
	}
	// The closest object shares more than an id with the file.
	var closest *fit
	for i, f := range fits {
		if f.found < 2 {
			continue
		}
		if closest == nil || f.found > closest.found || f.found == closest.found && f.mapped > closest.mapped {
			closest = &fits[i]
		}
	}
	if closest == nil {
		return Recognition{}
	}
	return Recognition{Closest: closest.obj, Lacks: closest.lacks, patterns: m.Objects[closest.obj].Files}
}

// byConfigName finds the object whose files: setting in the source's
// configuration matches the name.
func (m *Mapping) byConfigName(lower string) (coxswain.Object, bool) {
	for _, obj := range coxswain.Objects {
		g, ok := m.Source.Files[string(obj)]
		if !ok {
			continue
		}
		if ok, _ := path.Match(strings.ToLower(g), lower); ok {
			return obj, true
		}
	}
	return "", false
}

func (om ObjectMapping) matchesName(lower string) bool {
	for _, g := range om.Files {
		if ok, _ := path.Match(strings.ToLower(g), lower); ok {
			return true
		}
	}
	return false
}

// exactName says whether the name is one of the object's file names
// written out in full, not a pattern.
func (om ObjectMapping) exactName(lower string) bool {
	for _, g := range om.Files {
		if !strings.ContainsAny(g, "*?[") && strings.ToLower(g) == lower {
			return true
		}
	}
	return false
}

func (om ObjectMapping) requiredCount() int {
	n := 0
	for _, c := range om.Columns {
		if c.Field.Required {
			n++
		}
	}
	return n
}

func (om ObjectMapping) identifies(field string) bool {
	for _, f := range om.Identify {
		if f == field {
			return true
		}
	}
	return false
}

func (c Column) presentIn(have map[string]bool) bool {
	for _, n := range c.Names {
		if have[NormHeader(n)] {
			return true
		}
	}
	return false
}

// KindOf says which of the object's kinds a file holds, by its header; ""
// when the object has no kinds or no kind's column is there.
func (om ObjectMapping) KindOf(header []string) string {
	return om.kindIn(headerSet(header))
}

// kindIn is KindOf over a header already normalised into a set.
func (om ObjectMapping) kindIn(have map[string]bool) string {
	for _, k := range om.Kinds {
		for _, c := range k.Columns {
			if have[NormHeader(c)] {
				return k.Kind
			}
		}
	}
	return ""
}

// headerSet is a file's header as the set of its normalised names.
func headerSet(header []string) map[string]bool {
	have := map[string]bool{}
	for _, h := range header {
		have[NormHeader(h)] = true
	}
	return have
}
