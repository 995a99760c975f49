package ingest

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"coxswain"
	"coxswain/pipelines/presets"
)

// SnapshotShrinkError is a full snapshot that would delete more of an
// object's records than the source allows. Under snapshot semantics a
// record missing from the latest export is gone, so an export cut short,
// or written with its header only, would silently empty the warehouse: such
// a drop is held until someone accepts it.
type SnapshotShrinkError struct {
	Object  coxswain.Object
	Files   []string // the drop's files of the object
	Before  int64    // records in the object's previous snapshot
	After   int64    // records in this one
	Missing int64    // records of the previous snapshot this one lacks
	Allowed float64  // the source's max_delete_share
	// Cut: a file of it ends inside a record (an open quote, or a last row
	// shorter than the others with no line end): the export was cut short,
	// and every record after the cut would count as deleted, however few.
	Cut bool
}

func (e *SnapshotShrinkError) Error() string {
	if e.Cut && e.Before == 0 {
		return fmt.Sprintf("%s: the file ends inside a record (an open quote, or a last row shorter than the others with no line end): this first full snapshot of %s was cut short after %d records; the drop is held",
			strings.Join(e.Files, ", "), e.Object.Plural(), e.After)
	}
	if e.Cut {
		return fmt.Sprintf("%s: the file ends inside a record (an open quote, or a last row shorter than the others with no line end): this full snapshot of %s was cut short; it lists %d records where the previous one had %d (%d would be deleted); the drop is held",
			strings.Join(e.Files, ", "), e.Object.Plural(), e.After, e.Before, e.Missing)
	}
	return fmt.Sprintf("%s: this full snapshot of %s lists %d records where the previous one had %d: %d of them (%s) would be deleted, more than the %s allowed (max_delete_share); the drop is held",
		strings.Join(e.Files, ", "), e.Object.Plural(), e.After, e.Before, e.Missing, percent(e.Missing, e.Before), formatShare(e.Allowed))
}

// guardSnapshot holds a full-snapshot drop that would delete more than the
// source's max_delete_share of an object's current records, unless the
// drop was accepted; an accepted one is noted in dr. It runs inside the
// drop's transaction, once its files are in the raw tables.
func (b *builder) guardSnapshot(ctx context.Context, m *presets.Mapping, d Drop, dropID int64, loads []*fileLoad, histories map[coxswain.Object]*objectHistory, dr *DropResult) error {
	allowed := b.cfg.MaxDeleteShare(m.Source)
	var errs []error
	var notes []string
	accepted := slices.Contains(b.opt.AcceptDrops, d.Name)
	for _, obj := range coxswain.Objects {
		var files []string
		cut, hasID := false, false
		for _, fl := range loads {
			if fl.object != obj {
				continue
			}
			files = append(files, fl.String())
			cut = cut || fl.dialect.layout.truncated
			hasID = hasID || slices.ContainsFunc(fl.plan.columns, func(c column) bool { return c.field == "id" })
		}
		if !hasID {
			continue
		}
		e := &SnapshotShrinkError{Object: obj, Files: files, Allowed: allowed, Cut: cut}
		h := histories[obj]
		if !cut && (h.late || !h.prepared) {
			continue // a first snapshot, or a late one: it deletes nothing
		}
		var err error
		if e.Before, e.After, e.Missing, err = h.counts(ctx, b.conn, dropID); err != nil {
			return err
		}
		if !cut && (e.Before == 0 || float64(e.Missing)/float64(e.Before) <= allowed) {
			continue
		}
		if accepted {
			note := fmt.Sprintf("%s: %d of %d records deleted (%s), accepted", obj.Plural(), e.Missing, e.Before, percent(e.Missing, e.Before))
			if cut {
				note = fmt.Sprintf("%s: cut short, %d of %d records deleted, accepted", obj.Plural(), e.Missing, e.Before)
			}
			notes = append(notes, note)
			continue
		}
		errs = append(errs, e)
	}
	if len(errs) > 0 {
		de := &DropError{Source: m.Source.Name, Drop: d.Name, Files: errs}
		advice := "if the export is complete (the records were deleted or merged in the tool), accept it; if it was cut short, export it again"
		if slices.ContainsFunc(errs, func(err error) bool { se, ok := err.(*SnapshotShrinkError); return ok && se.Cut }) {
			advice = "export it again (or wait for its copy to end); if the file really ends like this, accept it"
		}
		return coxswain.WithCommand(coxswain.WithAdvice(de, advice),
			"build", "--accept-drop", d.Name)
	}
	dr.Accepted = strings.Join(notes, "; ")
	return nil
}

// percent is n of total as a percentage with one decimal: 61.1%.
func percent(n, total int64) string {
	return fmt.Sprintf("%.1f%%", 100*float64(n)/float64(total))
}
