// Package runlog records every command run (build, report, send): one JSON
// line per run in a log file, which can be read even while a build holds
// the warehouse, and a row in meta.runs.
package runlog

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"log/slog"
	"os"
	"time"

	"coxswain"
	"coxswain/pipelines/warehouse"
)

// Run is one command run.
type Run struct {
	Command  string           `json:"command"`
	Detail   string           `json:"detail,omitempty"` // the month of a report, say
	Started  time.Time        `json:"started_at"`
	Finished time.Time        `json:"finished_at"`
	Outcome  string           `json:"outcome"` // ok or failed
	Error    string           `json:"error,omitempty"`
	Counts   map[string]int64 `json:"counts,omitempty"`
	PID      int              `json:"pid"`
}

// Append adds the run to the JSON-lines log at path.
func Append(path string, r Run) error {
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, coxswain.FileMode)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(data, '\n')); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// Tail reads the last n runs of the log, oldest first.
func Tail(path string, n int) ([]Run, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var runs []Run
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var r Run
		if json.Unmarshal(sc.Bytes(), &r) == nil {
			runs = append(runs, r)
		}
	}
	if len(runs) > n {
		runs = runs[len(runs)-n:]
	}
	return runs, sc.Err()
}

// Insert records the run in meta.runs.
func Insert(ctx context.Context, db *sql.DB, r Run) error {
	counts, _ := json.Marshal(r.Counts)
	var errMsg any
	if r.Error != "" {
		errMsg = r.Error
	}
	_, err := db.ExecContext(ctx, `INSERT INTO meta.runs (run_id, command, detail, started_at, finished_at, outcome, error, counts, pid)
		VALUES (nextval('meta.run_seq'), ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.Command, r.Detail, r.Started, r.Finished, r.Outcome, errMsg, string(counts), r.PID)
	return err
}

// Record logs a finished command: a JSON line in the run log always, and a
// row in meta.runs when the warehouse can be written. A command that holds
// the warehouse passes it; for the others Record takes the lock for a moment,
// and skips the row when a build holds it (the JSON line still says it).
// Problems recording are warnings on log: a run is never failed by its record.
func Record(ctx context.Context, cfg *coxswain.Config, w *warehouse.Warehouse, r Run, runErr error, now time.Time, log *slog.Logger) {
	r.Finished, r.PID, r.Outcome = now, os.Getpid(), "ok"
	if runErr != nil {
		r.Outcome, r.Error = "failed", runErr.Error()
	}
	if err := Append(cfg.Resolve(cfg.RunLog), r); err != nil {
		log.Warn("the run log was not written", "path", cfg.Resolve(cfg.RunLog), "error", err)
	}
	if w == nil {
		if _, err := os.Stat(cfg.WarehousePath()); err != nil {
			return // no warehouse yet: nothing to record in
		}
		lock, err := warehouse.AcquireLock(cfg.WarehousePath(), "record "+r.Command, now)
		if err != nil {
			return
		}
		defer lock.Release()
		if w, err = warehouse.Open(ctx, cfg.WarehousePath(), cfg.DuckDB); err != nil {
			return
		}
		defer w.Close()
	}
	if err := Insert(context.WithoutCancel(ctx), w.DB, r); err != nil {
		log.Warn("meta.runs was not written", "error", err)
	}
}
