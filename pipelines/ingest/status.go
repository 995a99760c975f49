package ingest

import (
	"context"
	"database/sql"
	"time"
)

// Status is what the warehouse says about its loads.
type Status struct {
	Drops     []LoadedDrop
	LastBuild *BuildRecord
	Rejects   []RejectSummary
	Tests     []TestSummary // the data tests of the last build that ran them
}

// The JSON names below are what coxswain status --json prints: scripts
// depend on them.

// TestSummary is a data test's outcome at the last build that ran the tests.
type TestSummary struct {
	Name        string `json:"name"`
	Severity    string `json:"severity"`
	Description string `json:"description"`
	Failures    int64  `json:"failures"`
}

// LoadedDrop is a row of the manifest.
type LoadedDrop struct {
	Source   string    `json:"source"`
	Name     string    `json:"name"`
	Kind     string    `json:"kind"`
	LoadedAt time.Time `json:"loaded_at"`
	Modified time.Time `json:"exported_at"` // when the export was written (its newest file)
	Files    int       `json:"files"`
	Rows     int64     `json:"rows"`
	Rejected int64     `json:"rows_rejected"`
}

// BuildRecord is a row of meta.builds.
type BuildRecord struct {
	ID          int64      `json:"build_id"`
	StartedAt   time.Time  `json:"started_at"`
	AsOf        time.Time  `json:"as_of"`
	FinishedAt  *time.Time `json:"finished_at"`
	Outcome     string     `json:"outcome"`
	DropsLoaded int        `json:"drops_loaded"`
	Skipped     int        `json:"drops_skipped"`
	RowsLoaded  int64      `json:"rows_loaded"`
	Rejected    int64      `json:"rows_rejected"`
	Error       string     `json:"error,omitempty"`
	Version     string     `json:"version"`
}

// RejectSummary counts one file's quarantined rows.
type RejectSummary struct {
	Source string `json:"source"`
	Drop   string `json:"drop"`
	File   string `json:"file"`
	Rows   int64  `json:"rows"`
	First  string `json:"first"`
}

// ReadStatus reads the manifest, the last build and the files with rejects.
func ReadStatus(ctx context.Context, db *sql.DB) (*Status, error) {
	st := &Status{}
	rows, err := db.QueryContext(ctx, `SELECT source, name, kind, loaded_at, modified_at, files, rows_loaded, rows_rejected
		FROM meta.drops ORDER BY source, name, modified_at`)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var d LoadedDrop
		if err := rows.Scan(&d.Source, &d.Name, &d.Kind, &d.LoadedAt, &d.Modified, &d.Files, &d.Rows, &d.Rejected); err != nil {
			rows.Close()
			return nil, err
		}
		st.Drops = append(st.Drops, d)
	}
	rows.Close()

	var b BuildRecord
	var errMsg sql.NullString
	err = db.QueryRowContext(ctx, `SELECT build_id, started_at, finished_at, as_of, outcome, drops_loaded, drops_skipped,
		rows_loaded, rows_rejected, error, version FROM meta.builds ORDER BY build_id DESC LIMIT 1`).
		Scan(&b.ID, &b.StartedAt, &b.FinishedAt, &b.AsOf, &b.Outcome, &b.DropsLoaded, &b.Skipped, &b.RowsLoaded, &b.Rejected, &errMsg, &b.Version)
	switch {
	case err == nil:
		b.Error = errMsg.String
		st.LastBuild = &b
	case err != sql.ErrNoRows:
		return nil, err
	}

	trows, err := db.QueryContext(ctx, `SELECT test, severity, description, failures FROM meta.test_results
		WHERE build_id = (SELECT max(build_id) FROM meta.test_results) ORDER BY severity, test`)
	if err != nil {
		return nil, err
	}
	for trows.Next() {
		var ts TestSummary
		if err := trows.Scan(&ts.Name, &ts.Severity, &ts.Description, &ts.Failures); err != nil {
			trows.Close()
			return nil, err
		}
		st.Tests = append(st.Tests, ts)
	}
	trows.Close()

	rows, err = db.QueryContext(ctx, `SELECT f.source, d.name, f.name, f.rows_rejected, coalesce(f.first_error, '')
		FROM meta.files f JOIN meta.drops d USING (drop_id) WHERE f.rows_rejected > 0 ORDER BY f.source, d.name, f.name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var r RejectSummary
		if err := rows.Scan(&r.Source, &r.Drop, &r.File, &r.Rows, &r.First); err != nil {
			return nil, err
		}
		st.Rejects = append(st.Rejects, r)
	}
	return st, rows.Err()
}

// Waiting lists the drops of a source folder the next build would load:
// those not loaded by name, less those whose files were hashed before and
// hold content already loaded (a renamed copy).
func Waiting(ctx context.Context, db *sql.DB, source, dir string) ([]Drop, error) {
	drops, err := ListDrops(dir)
	if err != nil {
		return nil, err
	}
	var waiting []Drop
	for _, d := range drops {
		var n int
		if err := db.QueryRowContext(ctx, `SELECT count(*) FROM meta.drops WHERE source = ? AND name = ?`, source, d.Name).Scan(&n); err != nil {
			return nil, err
		}
		if n > 0 {
			continue
		}
		files, zr, err := dropFiles(d)
		if zr != nil {
			zr.Close()
		}
		if err == nil {
			if hashes, ok := cachedHashes(ctx, db, files); ok {
				if _, loaded, err := loadedAs(ctx, db, source, contentHash(files, hashes)); err == nil && loaded {
					continue
				}
			}
		}
		waiting = append(waiting, d)
	}
	return waiting, nil
}
