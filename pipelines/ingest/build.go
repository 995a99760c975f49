// Package ingest turns export drops into raw tables: it finds each
// source's new drops, reads every file with DuckDB's own CSV reader and the
// types its preset declares, keeps every column in the raw layer, and
// quarantines the rows it cannot read. A drop loads in one transaction with
// its manifest entry: after a failure or a kill the warehouse is as it was,
// and the next build loads the drop again. pipelines/build calls it, then
// pipelines/plans and pipelines/staging.
package ingest

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"coxswain"
	"coxswain/pipelines/presets"
	"coxswain/pipelines/warehouse"
)

// Options are a load's inputs besides the configuration.
type Options struct {
	// BuildID is the build the drops are loaded by, recorded in the manifest.
	BuildID int64
	// Now is the clock; tests fix it.
	Now func() time.Time
	// Log receives an event as each file starts and ends and each drop
	// ends, with its figures as attributes (nil: no events).
	Log *slog.Logger
	// OnFile is told as each file of a drop starts loading (for a
	// progress bar): how many of the drop's files are done, of how many.
	OnFile func(drop, file string, done, total int)
	// AcceptDrops names drops to load although they are full snapshots that
	// delete more than the source's max_delete_share of an object's records.
	AcceptDrops []string

	// insertWhole loads every full snapshot by inserting all its rows and
	// deleting the repeats, never comparing while reading: the reference
	// the tests hold the comparing load to.
	insertWhole bool
}

// Result says what a load did, drop by drop.
type Result struct {
	Drops []DropResult
}

// DropResult is what happened to one drop.
type DropResult struct {
	Source, Name string
	Status       string // loaded, skipped, failed, blocked, or empty (no export file in it yet)
	Files        []FileResult
	Rows         int64
	Rejected     int64
	// Accepted says what a held snapshot that was accepted deleted.
	Accepted string
}

// FileResult is one file of a loaded drop.
type FileResult struct {
	Name, Object, Encoding string
	Rows, Rejected         int64
	FirstError             string
	Warnings               []string // key fields with no column, and what follows
	Alternates             []string // fields read from another than their first column: field: "column"
	Ignored                bool     // the file feeds no object of the preset
	Reason                 string   // why it was ignored
}

// Counts sums the drops by status.
func (r *Result) Counts() (loaded, skipped int, rows, rejected int64) {
	for _, d := range r.Drops {
		switch d.Status {
		case "loaded":
			loaded++
			rows += d.Rows
			rejected += d.Rejected
		case "skipped":
			skipped++
		}
	}
	return
}

// FileError is a file that could not be loaded. What to do about it, where
// something can be said, comes as a *coxswain.Hint inside Err.
type FileError struct {
	File string // source/drop/file
	Err  error
}

func (e *FileError) Error() string { return e.File + ": " + e.Err.Error() }
func (e *FileError) Unwrap() error { return e.Err }

// DropError is a drop that was not loaded, with every file at fault.
type DropError struct {
	Source, Drop string
	Files        []error
}

func (e *DropError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "drop %s/%s was not loaded (the warehouse keeps its previous state):", e.Source, e.Drop)
	for _, f := range e.Files {
		b.WriteString("\n  ")
		b.WriteString(strings.ReplaceAll(f.Error(), "\n", "\n    "))
	}
	return b.String()
}

func (e *DropError) Unwrap() []error { return e.Files }

// RejectsError is a file with more unreadable rows than the source allows.
type RejectsError struct {
	Rejected, Read int64
	Allowed        float64
	Samples        []rejectSample
}

func (e *RejectsError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d of %d rows (%.1f%%) could not be read, more than the %s allowed; the first bad lines:",
		e.Rejected, e.Read, 100*float64(e.Rejected)/float64(e.Read), formatShare(e.Allowed))
	for _, s := range e.Samples {
		b.WriteString("\n")
		b.WriteString(s.describe())
	}
	return b.String()
}

func formatShare(s float64) string {
	return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.3f", 100*s), "0"), ".") + "%"
}

// Load loads every new drop of every source, in order, on conn. It returns
// the result even when some drops failed; the error then joins one
// DropError per failed drop. A source whose drop failed loads no later drop.
func Load(ctx context.Context, conn *sql.Conn, cfg *coxswain.Config, warehousePath string, mappings []*presets.Mapping, opt Options) (*Result, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.OnFile == nil {
		opt.OnFile = func(string, string, int, int) {}
	}
	b := &builder{cfg: cfg, warehouse: warehousePath, conn: conn, opt: opt, res: &Result{}}
	// The caller holds the warehouse's lock: no other load is running, and
	// what a killed one left behind goes.
	if removed, err := SweepDrops(b.tempRoot()); err != nil {
		opt.Log.Warn("a killed build's temporary files could not be removed", "error", err)
	} else if len(removed) > 0 {
		opt.Log.Info(fmt.Sprintf("removed %d temporary folders of a killed build", len(removed)), "event", "sweep", "removed", removed)
	}
	if err := b.hashedBy(ctx); err != nil {
		return b.res, err
	}
	var failures []error
	for i, m := range mappings {
		if err := b.source(ctx, m, fmt.Sprintf("sources[%d]", i)); err != nil {
			failures = append(failures, err)
		}
	}
	return b.res, errors.Join(failures...)
}

// Mappings resolves every source's preset against its configuration.
func Mappings(cfg *coxswain.Config) ([]*presets.Mapping, error) {
	var mappings []*presets.Mapping
	var errs []error
	for i, s := range cfg.Sources {
		m, err := presets.Resolve(s, fmt.Sprintf("sources[%d]", i))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		mappings = append(mappings, m)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return mappings, nil
}

type builder struct {
	cfg       *coxswain.Config
	warehouse string // its path: drops are extracted beside it
	conn      *sql.Conn
	opt       Options
	res       *Result
}

// source loads a source's new drops in order. After a drop fails, the
// source's later drops wait: loading them first would put records in the
// wrong order.
func (b *builder) source(ctx context.Context, m *presets.Mapping, key string) error {
	// A warehouse of a release before versions is turned into versions
	// first, whether or not the source has a new drop: staging reads them.
	if err := b.upgradeHistory(ctx, m); err != nil {
		return err
	}
	dir := b.cfg.Resolve(m.Source.Path)
	drops, err := ListDrops(dir)
	if err != nil {
		return fmt.Errorf("source %s: %w", m.Source.Name, err)
	}
	if _, err := b.conn.ExecContext(ctx, "SET TimeZone = "+warehouse.QuoteString(m.Timezone)); err != nil {
		return err
	}
	var failed error
	for _, d := range drops {
		if failed != nil {
			b.res.Drops = append(b.res.Drops, DropResult{Source: m.Source.Name, Name: d.Name, Status: "blocked"})
			continue
		}
		dr, err := b.drop(ctx, m, key, d)
		b.res.Drops = append(b.res.Drops, dr)
		if err != nil {
			failed = err
		}
		if dr.Status != "skipped" || err != nil {
			b.opt.Log.Info(fmt.Sprintf("%s %s/%s: %d rows, %d rejected", dr.Status, dr.Source, dr.Name, dr.Rows, dr.Rejected),
				"event", "drop", "source", dr.Source, "drop", dr.Name, "status", dr.Status, "rows", dr.Rows, "rejected", dr.Rejected)
		}
	}
	return failed
}

// drop loads one drop unless its content was loaded before.
func (b *builder) drop(ctx context.Context, m *presets.Mapping, key string, d Drop) (DropResult, error) {
	dr := DropResult{Source: m.Source.Name, Name: d.Name}
	fail := func(err error) (DropResult, error) {
		dr.Status = "failed"
		var de *DropError
		if !errors.As(err, &de) {
			err = &DropError{Source: dr.Source, Drop: d.Name, Files: []error{err}}
		}
		return dr, err
	}

	files, zr, err := dropFiles(d)
	if err != nil {
		return fail(err)
	}
	if zr != nil {
		defer zr.Close()
	}
	if len(files) == 0 {
		// A folder made before its files are copied in, or an archive of
		// nothing: not a drop yet. Nothing is recorded, so that it loads
		// once its files are there.
		dr.Status = "empty"
		return dr, nil
	}

	// Skip a drop already loaded, without reading it when its files are
	// exactly those hashed before.
	if hashes, ok := cachedHashes(ctx, b.conn, files); ok {
		if _, loaded, err := loadedAs(ctx, b.conn, m.Source.Name, contentHash(files, hashes)); err != nil || loaded {
			dr.Status = "skipped"
			return dr, err
		}
	}

	started := time.Now()
	defer func() {
		b.opt.Log.Debug(fmt.Sprintf("%s/%s: %s in %.1fs", dr.Source, dr.Name, dr.Status, time.Since(started).Seconds()),
			"event", "drop_time", "source", dr.Source, "drop", dr.Name, "seconds", time.Since(started).Seconds())
	}()
	tmp, err := coxswain.MkdirScratch(b.tempRoot(), dropScratch)
	if err != nil {
		return fail(err)
	}
	defer os.RemoveAll(tmp)

	// settle returns once every file of the drop is hashed and checked,
	// with the drop's content hash; the load calls it before it commits.
	var settle func() (string, error)
	loadCtx := ctx // cancelled when the scan beside the load finds a file it must refuse
	if d.Kind == "zip" {
		if err := extract(zr, files, tmp, b.cfg.MaxZipRatio(), b.cfg.MaxExtractedBytes()); err != nil {
			return fail(fmt.Errorf("extract %s: %w", d.Name, err))
		}
		for _, f := range files {
			f.head = f.scan
		}
		settle = func() (string, error) { return b.settle(ctx, m.Source.Name, files) }
	} else {
		// Each file's encoding is decided from its first megabyte, and the
		// whole files are hashed while DuckDB loads them: on two cores the
		// reader leaves about half a core idle, which the hash fills.
		for _, f := range files {
			if f.head, err = scanHead(f.path); err != nil {
				return fail(err)
			}
		}
		done := make(chan error, 1)
		var cancel context.CancelCauseFunc
		loadCtx, cancel = context.WithCancelCause(ctx)
		defer cancel(nil)
		go func() {
			for _, f := range files {
				sc, err := scanFile(f.path)
				if err != nil {
					done <- fmt.Errorf("read %s: %w", f.name, err)
					return
				}
				f.scan = sc
				// A row too wide past the first megabyte would hold DuckDB's
				// reader for minutes: stop the load now.
				if err := sc.tooWide(b.cfg.MaxColumns()); err != nil {
					err = &FileError{File: m.Source.Name + "/" + d.Name + "/" + f.name, Err: err}
					cancel(err)
					done <- err
					return
				}
			}
			done <- nil
		}()
		var scanErr error
		waited := false
		wait := func() error {
			if !waited {
				scanErr, waited = <-done, true
			}
			return scanErr
		}
		defer wait()
		settle = func() (string, error) {
			if err := wait(); err != nil {
				return "", err
			}
			return b.settle(ctx, m.Source.Name, files)
		}
	}

	err = b.load(loadCtx, m, key, d, files, tmp, &dr, settle)
	if cause := context.Cause(loadCtx); err != nil && cause != nil && ctx.Err() == nil {
		err = &DropError{Source: m.Source.Name, Drop: d.Name, Files: []error{cause}}
	}
	// At most twice: once for the encoding, once for the line ends.
	for retry := 0; retry < 2 && errors.Is(err, errNotUTF8AfterAll); retry++ {
		// A file was not what its first megabyte said: load the drop
		// again, now that the whole of every file is known.
		b.opt.Log.Info(fmt.Sprintf("%s/%s: a file is not what its first megabyte said; loading again", dr.Source, dr.Name),
			"event", "reload", "source", dr.Source, "drop", dr.Name)
		for _, f := range files {
			f.head = f.scan
		}
		dr = DropResult{Source: m.Source.Name, Name: d.Name}
		err = b.load(ctx, m, key, d, files, tmp, &dr, settle)
	}
	var dup *duplicateError
	if errors.As(err, &dup) {
		if err := b.cacheHashes(ctx, files); err != nil { // the rollback took them
			return fail(err)
		}
		return DropResult{Source: m.Source.Name, Name: d.Name, Status: "skipped"}, nil
	}
	if err != nil {
		// The drop's transaction is rolled back: a held snapshot is
		// recorded on its own, for the pack to say so.
		if rerr := b.recordHeld(ctx, m.Source.Name, d.Name, err); rerr != nil {
			return fail(errors.Join(err, rerr))
		}
		return fail(err)
	}
	if _, err := b.conn.ExecContext(ctx, `DELETE FROM meta.held_drops WHERE source = ? AND drop_name = ?`, m.Source.Name, d.Name); err != nil {
		return fail(err)
	}
	dr.Status = "loaded"
	return dr, nil
}

// recordHeld notes the objects of a drop the snapshot guard held, in place
// of what an earlier build noted of it.
func (b *builder) recordHeld(ctx context.Context, source, drop string, err error) error {
	var held []*SnapshotShrinkError
	var de *DropError
	if errors.As(err, &de) {
		for _, e := range de.Files {
			var se *SnapshotShrinkError
			if errors.As(e, &se) {
				held = append(held, se)
			}
		}
	}
	if len(held) == 0 {
		return nil
	}
	if _, err := b.conn.ExecContext(ctx, `DELETE FROM meta.held_drops WHERE source = ? AND drop_name = ?`, source, drop); err != nil {
		return err
	}
	for _, se := range held {
		if _, err := b.conn.ExecContext(ctx, `INSERT INTO meta.held_drops (source, drop_name, object, records_before, records_after, missing, build_id, held_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, source, drop, string(se.Object), se.Before, se.After, se.Missing, b.opt.BuildID, b.opt.Now()); err != nil {
			return err
		}
	}
	return nil
}

// errNotUTF8AfterAll says the first megabyte of a file misled the reader:
// it is not UTF-8, or its rows end in more than one way, further on.
var errNotUTF8AfterAll = errors.New("not as its first megabyte said")

// duplicateError is a drop whose content was loaded before under another name.
type duplicateError struct{ name string }

func (e *duplicateError) Error() string { return "same content as " + e.name }

// settle checks the whole files against what their first megabyte said,
// records their hashes, and returns the drop's content hash unless that
// content is already loaded.
func (b *builder) settle(ctx context.Context, source string, files []*dropFile) (string, error) {
	hashes := map[*dropFile]string{}
	for _, f := range files {
		if f.head.validUTF8 && !f.scan.validUTF8 {
			return "", errNotUTF8AfterAll
		}
		hashes[f] = f.scan.sha256
	}
	if err := b.cacheHashes(ctx, files); err != nil {
		return "", err
	}
	sum := contentHash(files, hashes)
	if name, loaded, err := loadedAs(ctx, b.conn, source, sum); err != nil || loaded {
		if err == nil {
			err = &duplicateError{name}
		}
		return "", err
	}
	return sum, nil
}

// SweepDrops removes the extracted and transcoded drops of killed builds
// from the warehouse's temp folder.
func SweepDrops(tempRoot string) ([]string, error) {
	return coxswain.SweepScratch(tempRoot, dropScratch)
}

// dropScratch is the prefix of the folders a drop is extracted in.
const dropScratch = "drop-"

func (b *builder) tempRoot() string {
	root := b.cfg.DuckDB.TempDir(b.warehouse)
	os.MkdirAll(root, coxswain.DirMode)
	return root
}

// querier is what *sql.DB and *sql.Conn share.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// cachedHashes finds the hashes of files read before, if all of them were.
func cachedHashes(ctx context.Context, q querier, files []*dropFile) (map[*dropFile]string, bool) {
	hashes := map[*dropFile]string{}
	for _, f := range files {
		var sum string
		err := q.QueryRowContext(ctx, `SELECT sha256 FROM meta.file_hashes WHERE path = ? AND bytes = ? AND mtime_ns = ?`,
			f.cacheKey, f.cacheSize, f.cacheTime.UnixNano()).Scan(&sum)
		if err != nil {
			return nil, false
		}
		hashes[f] = sum
	}
	return hashes, len(files) > 0
}

func (b *builder) cacheHashes(ctx context.Context, files []*dropFile) error {
	for _, f := range files {
		if _, err := b.conn.ExecContext(ctx, `DELETE FROM meta.file_hashes WHERE path = ?`, f.cacheKey); err != nil {
			return err
		}
		if _, err := b.conn.ExecContext(ctx, `INSERT INTO meta.file_hashes (path, bytes, mtime_ns, sha256) VALUES (?, ?, ?, ?)`,
			f.cacheKey, f.cacheSize, f.cacheTime.UnixNano(), f.scan.sha256); err != nil {
			return err
		}
	}
	return nil
}

// loadedAs names the loaded drop of a source with the given content, if any.
func loadedAs(ctx context.Context, q querier, source, sum string) (string, bool, error) {
	var name string
	err := q.QueryRowContext(ctx, `SELECT name FROM meta.drops WHERE source = ? AND content_sha256 = ? LIMIT 1`, source, sum).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return name, err == nil, err
}

// load reads a drop's files in one transaction. Files that cannot be read
// at all (no header, a required column missing) are found before it starts,
// so that every bad file of the drop is reported together.
func (b *builder) load(ctx context.Context, m *presets.Mapping, key string, d Drop, files []*dropFile, tmp string, dr *DropResult, settle func() (string, error)) error {
	src := m.Source
	delim, _ := src.DelimiterByte()
	var loads []*fileLoad
	var errs []error
	path := func(f *dropFile) string { return src.Name + "/" + d.Name + "/" + f.name }
	for _, f := range files {
		dia, err := sniff(f.path, f.head, src.Encoding, delim)
		if err != nil {
			if rec := m.Recognize(f.name, nil); rec.Object == "" {
				// Not named after an object and unreadable: not an export of this source.
				dr.Files = append(dr.Files, FileResult{Name: f.name, Ignored: true, Reason: "no header could be read: " + err.Error()})
				continue
			}
			errs = append(errs, &FileError{File: path(f), Err: err})
			continue
		}
		if err := f.head.tooWide(b.cfg.MaxColumns()); err != nil {
			errs = append(errs, &FileError{File: path(f), Err: err})
			continue
		}
		rec := m.Recognize(f.name, dia.header)
		if rec.Object == "" {
			dr.Files = append(dr.Files, FileResult{Name: f.name, Ignored: true, Reason: rec.Reason()})
			continue
		}
		obj := rec.Object
		if f.lenient {
			dia.lenient, dia.newline = true, ""
		}
		dia.maxLine = b.cfg.MaxLineBytes()
		// A header of hundreds of thousands of columns is a broken or
		// hostile file, not an export: refused before any table grows.
		if limit := b.cfg.MaxColumns(); len(dia.header) > limit {
			errs = append(errs, &FileError{File: path(f), Err: coxswain.WithAdvice(
				fmt.Errorf("the header has at least %d columns, more than the %d allowed", len(dia.header), limit),
				"check that the file is the export you expect (and its delimiter); load.max_columns raises the limit")})
			continue
		}
		existing, err := warehouse.RawColumns(ctx, b.conn, src.Name, obj)
		if err != nil {
			return err
		}
		plan, err := planFile(m.Objects[obj], m, dia.header, existing, key)
		if err != nil {
			var mc *MissingColumnError
			if errors.As(err, &mc) {
				err = coxswain.WithAdvice(err, mc.Advice())
			}
			errs = append(errs, &FileError{File: path(f), Err: err})
			continue
		}
		loads = append(loads, &fileLoad{source: src.Name, drop: d.Name, file: f, object: obj, dialect: dia, plan: plan,
			readPath: f.path, dateFormat: src.Formats.Date, tsFormat: src.Formats.Timestamp, nulls: m.Preset.Nulls})
	}
	if len(errs) > 0 {
		return &DropError{Source: src.Name, Drop: d.Name, Files: errs}
	}

	for _, fl := range loads {
		if fl.dialect.transcode != nil {
			fl.readPath = tempName(tmp, fl.file)
			if err := transcodeToUTF8(fl.file.path, fl.readPath, fl.dialect.transcode); err != nil {
				return &FileError{File: fl.String(), Err: fmt.Errorf("decode %s: %w", fl.dialect.encoding, err)}
			}
		}
	}

	if _, err := b.conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return err
	}
	committed := false
	defer func() {
		if !committed {
			b.conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}()
	var dropID int64
	if err := b.conn.QueryRowContext(ctx, `SELECT nextval('meta.drop_seq')`).Scan(&dropID); err != nil {
		return err
	}
	share := b.cfg.MaxRejectShare(src)
	rehash := map[coxswain.Object]bool{} // objects whose earlier versions' raw table gained or widened columns
	histories := map[coxswain.Object]*objectHistory{}
	// Every file's columns go into the raw tables before any row does.
	// DuckDB writes a large insert's rows to the database file as they
	// come, and moves them into the table at commit, unless the
	// transaction altered the table after them: then the commit writes
	// them all again to its log, and the checkpoint once more (Task.csv's
	// TaskSubtype after Event.csv's rows: 1.7 GB, about 7 s, at the bench
	// org's size).
	created := map[coxswain.Object]bool{} // raw tables this drop creates: no earlier versions to hash again
	for _, fl := range loads {
		fl.dropID = dropID
		if err := b.conn.QueryRowContext(ctx, `SELECT nextval('meta.file_seq')`).Scan(&fl.fileID); err != nil {
			return err
		}
		// Plan again inside the transaction: an earlier file of this drop
		// (Task.csv before Event.csv) may have created the raw table.
		existing, err := warehouse.RawColumns(ctx, b.conn, src.Name, fl.object)
		if err != nil {
			return err
		}
		if fl.plan, err = planFile(m.Objects[fl.object], m, fl.dialect.header, existing, key); err != nil {
			return &FileError{File: fl.String(), Err: err}
		}
		if _, seen := created[fl.object]; !seen {
			created[fl.object] = len(existing) == 0
		}
		altered, err := ensureRawTable(ctx, b.conn, fl, existing)
		if err != nil {
			return &FileError{File: fl.String(), Err: err}
		}
		if altered && !created[fl.object] {
			rehash[fl.object] = true
		}
	}
	for i, fl := range loads {
		b.opt.OnFile(src.Name+"/"+d.Name, fl.file.name, i, len(loads))
		b.opt.Log.Info(fmt.Sprintf("loading %s (%s, %s)", fl, fl.object, fl.dialect.encoding),
			"event", "file_start", "file", fl.String(), "object", string(fl.object), "encoding", fl.dialect.encoding)
		var err error
		h, ok := histories[fl.object]
		if !ok {
			h = newHistory(m, fl.object)
			if h.late, err = b.late(ctx, src.Name, fl.object, d, dropID); err != nil {
				return err
			}
			// Comparing the rows with the current versions as they are
			// read takes the table's columns unchanged by the drop: not
			// created by it, and not altered (which rehash records).
			if !created[fl.object] && !rehash[fl.object] {
				if err := b.startReading(ctx, m, h, fl.object, dropID); err != nil {
					return fmt.Errorf("%s: read the history of %s: %w", d.Name, fl.object.Plural(), err)
				}
			}
			histories[fl.object] = h
		}
		fl.history = h
		// Each row's hash covers every column the table now has.
		if fl.table, err = warehouse.RawColumns(ctx, b.conn, src.Name, fl.object); err != nil {
			return err
		}
		started := time.Now()
		if err := fl.load(ctx, b.conn); err != nil {
			// A file whose first megabyte misled the reader is loaded again:
			// one that is not UTF-8 further on, or whose rows end in more
			// than one way further on (DuckDB's strict reader refuses it).
			if _, serr := settle(); errors.Is(serr, errNotUTF8AfterAll) {
				return serr
			}
			if !fl.dialect.lenient && strings.Contains(err.Error(), "state machine reached an invalid state") && mixedLineEnds(fl.readPath) {
				fl.file.lenient = true
				return errNotUTF8AfterAll
			}
			// DuckDB aborts the transaction on an error: report what was found so far.
			return &DropError{Source: src.Name, Drop: d.Name, Files: append(errs, &FileError{File: fl.String(), Err: err})}
		}
		secs := time.Since(started).Seconds()
		msg := fmt.Sprintf("%s: %d rows read in %.1fs", fl.file.name, fl.inserted+fl.rejected, secs)
		attrs := []any{"event", "file_read", "file", fl.String(), "rows", fl.inserted + fl.rejected, "rejected", fl.rejected, "seconds", secs}
		if fl.history.reading {
			msg += fmt.Sprintf(", %d of them new versions", fl.written)
			attrs = append(attrs, "new_versions", fl.written)
		}
		b.opt.Log.Info(msg, attrs...)
		if fl.rejectShare() > share {
			errs = append(errs, &FileError{File: fl.String(),
				Err: coxswain.WithAdvice(&RejectsError{Rejected: fl.rejected, Read: fl.inserted + fl.rejected, Allowed: share, Samples: fl.samples},
					rejectHint(fl, key))})
			continue
		}
	}
	// Before anything counts as failed or loaded: is every file what its
	// first megabyte said, and is this content new?
	sum, err := settle()
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		return &DropError{Source: src.Name, Drop: d.Name, Files: errs}
	}
	for _, obj := range coxswain.Objects {
		if rehash[obj] {
			if err := b.rehash(ctx, m.Source.Name, obj); err != nil {
				return err
			}
		}
	}
	for _, obj := range coxswain.Objects {
		if h, ok := histories[obj]; ok {
			if err := b.prepare(ctx, m, h, dropID); err != nil {
				return fmt.Errorf("%s: read the history of %s: %w", d.Name, obj.Plural(), err)
			}
		}
	}
	if m.Snapshot {
		if err := b.guardSnapshot(ctx, m, d, dropID, loads, histories, dr); err != nil {
			return err
		}
	}
	for _, obj := range coxswain.Objects {
		if h, ok := histories[obj]; ok {
			if err := b.fold(ctx, m, h, d, dropID); err != nil {
				return fmt.Errorf("%s: keep the history of %s: %w", d.Name, obj.Plural(), err)
			}
		}
	}
	for _, fl := range loads {
		if err := fl.recordFile(ctx, b.conn); err != nil {
			return err
		}
		dr.Files = append(dr.Files, FileResult{Name: fl.file.name, Object: string(fl.object), Encoding: fl.dialect.encoding,
			Rows: fl.inserted, Rejected: fl.rejected, FirstError: fl.firstError, Alternates: fl.plan.alternates,
			Warnings: append(keyFieldWarnings(m, fl, key), layoutWarnings(fl)...)})
		dr.Rows += fl.inserted
		dr.Rejected += fl.rejected
	}
	if _, err := b.conn.ExecContext(ctx, `INSERT INTO meta.drops (drop_id, source, name, kind, path, content_sha256, modified_at,
		build_id, loaded_at, files, rows_loaded, rows_rejected, accepted) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		dropID, src.Name, d.Name, d.Kind, d.Path, sum, d.Modified, b.opt.BuildID, b.opt.Now(), len(loads), dr.Rows, dr.Rejected, warehouse.NullIfEmpty(dr.Accepted)); err != nil {
		return err
	}
	started := time.Now()
	if _, err := b.conn.ExecContext(ctx, "COMMIT"); err != nil {
		return err
	}
	b.opt.OnFile(src.Name+"/"+d.Name, "", len(loads), len(loads))
	b.opt.Log.Debug(fmt.Sprintf("committed in %.1fs", time.Since(started).Seconds()), "event", "commit", "seconds", time.Since(started).Seconds())
	committed = true
	return nil
}

// layoutWarnings says what the reader passed over around the table, and a
// file cut short (which a full snapshot's guard holds; elsewhere its last
// row is quarantined).
func layoutWarnings(fl *fileLoad) []string {
	l := fl.dialect.layout
	var w []string
	if l.preamble > 0 {
		w = append(w, fmt.Sprintf("%d line(s) before the header skipped (a title, a note: a preamble)", l.preamble))
	}
	if l.headerRows > 1 {
		w = append(w, fmt.Sprintf("a header of %d rows, joined into one name per column", l.headerRows))
	}
	if fl.footer > 0 {
		w = append(w, fmt.Sprintf("%d footer line(s) after the data set aside, such as %s", fl.footer, excerpt(l.footer[0], 60)))
	}
	if l.truncated {
		w = append(w, "the file ends inside a record: the export looks cut short, and its last row is quarantined")
	}
	return w
}

// rejectHint suggests a fix for a file with too many rejects.
func rejectHint(fl *fileLoad, key string) string {
	for _, s := range fl.samples {
		if strings.Contains(s.reason, "date and time") {
			if f := guessTimestampFormat(s.value); f != "" {
				return fmt.Sprintf("the datetimes look like %q: set %s.formats.timestamp: %q", s.value, key, f)
			}
			return fmt.Sprintf("set %s.formats.timestamp to the strptime format of values like %q", key, s.value)
		}
	}
	return fmt.Sprintf("fix the file and run the build again, or raise %s.max_reject_share if these rows may be left out", key)
}

// guessTimestampFormat recognises the datetime renderings spreadsheets write.
func guessTimestampFormat(v string) string {
	layouts := []struct{ layout, strptime string }{
		{"01/02/06 03:04 PM", "%m/%d/%y %I:%M %p"},
		{"01/02/2006 03:04 PM", "%m/%d/%Y %I:%M %p"},
		{"1/2/2006 15:04", "%m/%d/%Y %H:%M"},
		{"02/01/2006 15:04", "%d/%m/%Y %H:%M"},
		{"02.01.2006 15:04", "%d.%m.%Y %H:%M"},
		{"01/02/06", "%m/%d/%y"},
	}
	for _, l := range layouts {
		if _, err := time.Parse(l.layout, strings.TrimSpace(v)); err == nil {
			return l.strptime
		}
	}
	return ""
}

// keyFieldWarnings says which fields the metrics need a file has no column for.
func keyFieldWarnings(m *presets.Mapping, fl *fileLoad, key string) []string {
	unmapped := map[string]bool{}
	for _, u := range fl.plan.unmapped {
		unmapped[u] = true
	}
	has := func(field string) bool {
		return !unmapped[field] && slices.ContainsFunc(m.Objects[fl.object].Columns, func(c presets.Column) bool { return c.Field.Name == field })
	}
	// What another column of the file says instead.
	stagesDecide := has("stage") && (len(m.Stages.Won)+len(m.Stages.Lost) > 0 || has("pipeline") && len(m.Stages.Pipelines) > 0)
	covered := map[string]bool{"is_won": stagesDecide, "is_closed": stagesDecide, "owner_id": has("owner_name")}
	var warnings []string
	if om := m.Objects[fl.object]; len(om.Kinds) > 0 && fl.plan.kind == "" && !has("kind") {
		warnings = append(warnings, fmt.Sprintf("no column tells what kind of %s this file holds (%s): every row counts as a sales touch; name its kind's column in the preset or export it with the usual columns",
			fl.object, kindNames(om.Kinds)))
	}
	for _, f := range presets.KeyFields[fl.object] {
		if covered[f] {
			continue
		}
		for _, u := range fl.plan.unmapped {
			if u != f {
				continue
			}
			tried := "no column is mapped"
			for _, c := range m.Objects[fl.object].Columns {
				if c.Field.Name == f {
					tried = "looked for " + quoteList(c.Names)
				}
			}
			warnings = append(warnings, fmt.Sprintf("no column for %s.%s (%s): the metrics that use it will be empty; map it with %s.fields: {%s.%s: YOUR_COLUMN}",
				fl.object, f, tried, key, fl.object, f))
		}
	}
	return warnings
}

func kindNames(kinds []presets.Kind) string {
	var names []string
	for _, k := range kinds {
		names = append(names, k.Kind)
	}
	return strings.Join(names, ", ")
}
