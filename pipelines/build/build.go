// Package build is the build runner: the one place that says what a build
// does, in order. It takes the warehouse's lock, opens the warehouse (which
// migrates it), records the build's start, loads every new drop into the raw
// layer, replaces the plans, refreshes the staging views, rebuilds the models
// and runs the data tests in one transaction, exports the marts as Parquet,
// and records the build's end and the run. The CLI and the scheduler both
// call Run; neither reads the other's output.
package build

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"coxswain"
	"coxswain/pipelines/feed"
	"coxswain/pipelines/ingest"
	"coxswain/pipelines/models"
	"coxswain/pipelines/plans"
	"coxswain/pipelines/presets"
	"coxswain/pipelines/runlog"
	"coxswain/pipelines/staging"
	"coxswain/pipelines/warehouse"
)

// Options are a build's inputs besides the configuration.
type Options struct {
	// AsOf is the build instant, recorded with it (default: Now()).
	AsOf time.Time
	// Now is the clock.
	Now func() time.Time
	// Log receives the load's events (nil: none).
	Log *slog.Logger
	// OnFile is told as each file of a drop starts loading (a progress bar).
	OnFile func(drop, file string, done, total int)
	// LoadOnly loads the drops and refreshes staging, but leaves the models
	// and the Parquet feed as the last full build left them.
	LoadOnly bool
	// AcceptDrops are held snapshots to load all the same (by drop name).
	AcceptDrops []string
	// FullRefresh rebuilds the incremental models whole, as the first
	// build did, instead of recomputing what the new drops changed.
	FullRefresh bool
}

// Result is what a build did.
type Result struct {
	BuildID int64
	AsOf    time.Time
	Drops   []ingest.DropResult
	// Models is the models' run; nil when they were not rebuilt (a drop
	// failed, or LoadOnly).
	Models *models.Result
}

// Counts sums the drops by status.
func (r *Result) Counts() (loaded, skipped int, rows, rejected int64) {
	return (&ingest.Result{Drops: r.Drops}).Counts()
}

// Run builds the warehouse of cfg. It returns the result even when the
// build failed (a drop, an error-severity data test): the error then says
// why, and the marts keep the last good build.
func Run(ctx context.Context, cfg *coxswain.Config, opt Options) (*Result, error) {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	started := opt.Now()
	if opt.AsOf.IsZero() {
		opt.AsOf = started
	}
	run := runlog.Run{Command: "build", Started: started}
	mappings, err := ingest.Mappings(cfg)
	if err != nil {
		return nil, err
	}
	lock, err := warehouse.AcquireLock(cfg.WarehousePath(), "build", started)
	if err != nil {
		runlog.Record(ctx, cfg, nil, run, err, opt.Now(), opt.Log)
		return nil, err
	}
	defer lock.Release()
	spaces := []string{cfg.WarehousePath(), filepath.Join(cfg.DuckDB.TempDir(cfg.WarehousePath()), "x"), filepath.Join(cfg.ExportPath(), "x"), cfg.IcebergPath()}
	w, err := warehouse.Open(ctx, cfg.WarehousePath(), cfg.DuckDB)
	if err != nil {
		err = explainSpace(err, spaces...)
		runlog.Record(ctx, cfg, nil, run, err, opt.Now(), opt.Log)
		return nil, err
	}
	res, buildErr := build(ctx, cfg, w, mappings, opt)
	buildErr = explainSpace(buildErr, spaces...)
	if res != nil {
		loaded, skipped, rows, rejected := res.Counts()
		run.Counts = map[string]int64{"build_id": res.BuildID, "drops_loaded": int64(loaded), "drops_skipped": int64(skipped), "rows_loaded": rows, "rows_rejected": rejected}
	}
	runlog.Record(ctx, cfg, w, run, buildErr, opt.Now(), opt.Log)
	if err := w.Close(); err != nil && buildErr == nil {
		buildErr = explainSpace(err, spaces...)
	}
	return res, buildErr
}

// build runs the steps on one connection of the open warehouse, between
// the build's start and end records.
func build(ctx context.Context, cfg *coxswain.Config, w *warehouse.Warehouse, mappings []*presets.Mapping, opt Options) (*Result, error) {
	conn, err := w.DB.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	res := &Result{AsOf: opt.AsOf}
	if res.BuildID, err = start(ctx, conn, opt); err != nil {
		return nil, err
	}

	var failures []error
	loaded, err := ingest.Load(ctx, conn, cfg, w.Path, mappings, ingest.Options{BuildID: res.BuildID, Now: opt.Now, Log: opt.Log, OnFile: opt.OnFile, AcceptDrops: opt.AcceptDrops})
	if loaded != nil {
		res.Drops = loaded.Drops
	}
	if err != nil {
		// After the fix (to the file or the config), the same build loads
		// the drop; unless the error already names a better command.
		if !slices.ContainsFunc(coxswain.Hints(err), func(h *coxswain.Hint) bool { return len(h.Command) > 0 }) {
			err = coxswain.WithCommand(err, "build")
		}
		failures = append(failures, err)
	}
	if err := plans.Load(ctx, conn, cfg); err != nil {
		failures = append(failures, err)
	}
	if err := staging.Refresh(ctx, conn, cfg, mappings); err != nil {
		failures = append(failures, fmt.Errorf("staging views: %w", err))
	}
	// The models are rebuilt only over a complete load: after a failed drop
	// the marts keep the last good build rather than show a partial one.
	if len(failures) == 0 && !opt.LoadOnly {
		// The steps after the load log too, so that an analyst watching a
		// long build sees where it is.
		started := time.Now()
		opt.Log.Info("building the models and running the data tests", "event", "models_start")
		res.Models, err = models.Run(ctx, conn, coxswain.SQL, models.ParamsFrom(cfg, opt.AsOf), res.BuildID, models.RunOptions{FullRefresh: opt.FullRefresh})
		if err == nil {
			opt.Log.Info(fmt.Sprintf("models and data tests done in %.1fs; exporting the Parquet feed", time.Since(started).Seconds()),
				"event", "models", "seconds", time.Since(started).Seconds())
			started = time.Now()
			err = feed.ExportParquet(ctx, conn, cfg.ExportPath())
			if err == nil {
				opt.Log.Info(fmt.Sprintf("Parquet feed exported in %.1fs", time.Since(started).Seconds()),
					"event", "feed", "seconds", time.Since(started).Seconds())
				err = writeIceberg(ctx, conn, cfg, res, opt)
			}
		}
		if err != nil {
			failures = append(failures, err)
		}
	}
	buildErr := errors.Join(failures...)
	if err := finish(ctx, conn, res, buildErr, opt.Now()); err != nil {
		return res, errors.Join(buildErr, err)
	}
	return res, buildErr
}

// writeIceberg writes the Iceberg feed and logs what each table got.
func writeIceberg(ctx context.Context, conn *sql.Conn, cfg *coxswain.Config, res *Result, opt Options) error {
	started := time.Now()
	changes, err := feed.WriteIceberg(ctx, conn, feed.Iceberg{Dir: cfg.IcebergPath(), Location: cfg.IcebergLocation}, map[string]string{
		"coxswain.build-id": strconv.FormatInt(res.BuildID, 10),
		"coxswain.as-of":    opt.AsOf.UTC().Format(time.RFC3339),
		"coxswain.version":  coxswain.Version,
	})
	if errors.Is(err, feed.ErrNoIceberg) {
		opt.Log.Info("Iceberg feed not written: "+err.Error(), "event", "iceberg", "seconds", 0.0, "tables_changed", 0)
		return nil
	}
	if err != nil {
		return err
	}
	var parts []string
	for _, ch := range changes {
		if ch.Snapshot == 0 {
			continue
		}
		var what []string
		for _, p := range []struct {
			verb   string
			months []string
		}{{"added", ch.Added}, {"overwrote", ch.Replaced}, {"dropped", ch.Removed}} {
			if len(p.months) > 0 {
				what = append(what, p.verb+" "+monthList(p.months))
			}
		}
		if ch.Moved != "" {
			what = append(what, "written again: the feed's folder moved (its metadata named "+ch.Moved+")")
		}
		parts = append(parts, ch.Mart+" "+strings.Join(what, ", "))
	}
	msg := "Iceberg feed unchanged"
	if len(parts) > 0 {
		msg = "Iceberg feed: a snapshot for " + strings.Join(parts, "; ")
	}
	opt.Log.Info(fmt.Sprintf("%s (%.1fs)", msg, time.Since(started).Seconds()),
		"event", "iceberg", "seconds", time.Since(started).Seconds(), "tables_changed", len(parts))
	return nil
}

// monthList names the months, or their first and last when there are many.
func monthList(months []string) string {
	if len(months) <= 3 {
		return strings.Join(months, " ")
	}
	return fmt.Sprintf("%d months %s to %s", len(months), months[0], months[len(months)-1])
}

// start records the build as running (marking any build still running as
// killed: nothing else can hold the lock) and sets the connection up for
// bulk work.
func start(ctx context.Context, conn *sql.Conn, opt Options) (int64, error) {
	if _, err := conn.ExecContext(ctx, `UPDATE meta.builds SET outcome = 'killed' WHERE outcome = 'running'`); err != nil {
		return 0, err
	}
	// Bulk loads write far more than the default 16 MB of log between
	// checkpoints. Nothing reads the raw tables or the models in storage
	// order (every query that shows rows sorts them), and keeping that
	// order costs large inserts and CREATE TABLE AS their parallelism.
	for _, q := range []string{`SET wal_autocheckpoint = '1GB'`, `SET preserve_insertion_order = false`} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return 0, err
		}
	}
	var id int64
	err := conn.QueryRowContext(ctx, `INSERT INTO meta.builds (build_id, started_at, as_of, outcome, version)
		VALUES (nextval('meta.build_seq'), ?, ?, 'running', ?) RETURNING build_id`,
		opt.Now(), opt.AsOf, coxswain.Version).Scan(&id)
	return id, err
}

// finish records the build's outcome and figures.
func finish(ctx context.Context, conn *sql.Conn, res *Result, buildErr error, now time.Time) error {
	loaded, skipped, rows, rejected := res.Counts()
	outcome, msg := "ok", any(nil)
	if buildErr != nil {
		outcome, msg = "failed", buildErr.Error()
	}
	// Recorded even when the build was cancelled, so that it does not show
	// as killed.
	_, err := conn.ExecContext(context.WithoutCancel(ctx), `UPDATE meta.builds SET finished_at = ?, outcome = ?, drops_loaded = ?, drops_skipped = ?,
		rows_loaded = ?, rows_rejected = ?, error = ? WHERE build_id = ?`,
		now, outcome, loaded, skipped, rows, rejected, msg, res.BuildID)
	return err
}
