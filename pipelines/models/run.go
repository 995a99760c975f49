package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"coxswain"
	"coxswain/pipelines/warehouse"
)

// Test is a data test: a query that returns the offending rows.
type Test struct {
	Name, Severity, Description string
	SQL                         string
}

// TestResult is a data test's outcome at a build.
type TestResult struct {
	Test
	Failures int64
	Sample   []string // the first offending rows, as col=value lists
	Elapsed  time.Duration
}

// Failed says whether the test found offending rows.
func (r TestResult) Failed() bool { return r.Failures > 0 }

// LoadTests reads the data tests of sql/tests. Each file starts with
// "-- severity: error|warn" and "-- description: ..." lines.
func LoadTests(fsys fs.FS) ([]Test, error) {
	entries, err := fs.ReadDir(fsys, "sql/tests")
	if err != nil {
		return nil, err
	}
	var tests []Test
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		data, err := fs.ReadFile(fsys, path.Join("sql/tests", e.Name()))
		if err != nil {
			return nil, err
		}
		t := Test{Name: strings.TrimSuffix(e.Name(), ".sql"), SQL: strings.TrimRight(strings.TrimSpace(string(data)), ";")}
		for _, line := range strings.Split(t.SQL, "\n") {
			if v, ok := strings.CutPrefix(line, "-- severity:"); ok {
				t.Severity = strings.TrimSpace(v)
			}
			if v, ok := strings.CutPrefix(line, "-- description:"); ok {
				t.Description = strings.TrimSpace(v)
			}
		}
		if t.Severity != "error" && t.Severity != "warn" {
			return nil, fmt.Errorf("sql/tests/%s: the first lines must say -- severity: error or -- severity: warn", e.Name())
		}
		tests = append(tests, t)
	}
	sort.Slice(tests, func(i, j int) bool { return tests[i].Name < tests[j].Name })
	return tests, nil
}

// Result is what a models run did.
type Result struct {
	Models  []ModelRun // in the order they ran
	Tests   []TestResult
	Elapsed time.Duration
}

// ModelRun is one model's materialisation.
type ModelRun struct {
	ID      string
	Elapsed time.Duration
	// Incremental says the model was brought up to date rather than
	// rebuilt whole: Recomputed rows of its staging view were run through
	// it again, in place of Deleted rows of the model.
	Incremental         bool
	Recomputed, Deleted int64
	// WhyWhole says why an incremental model was rebuilt whole.
	WhyWhole string
}

// RunOptions are a models run's choices.
type RunOptions struct {
	// FullRefresh rebuilds the incremental models whole too.
	FullRefresh bool
}

// Failing lists the tests that found rows, errors first.
func (r *Result) Failing() []TestResult {
	var out []TestResult
	for _, sev := range []string{"error", "warn"} {
		for _, t := range r.Tests {
			if t.Severity == sev && t.Failed() {
				out = append(out, t)
			}
		}
	}
	return out
}

// TestsFailedError is a build stopped by error-severity data tests.
type TestsFailedError struct{ Failed []TestResult }

func (e *TestsFailedError) Error() string {
	var b strings.Builder
	b.WriteString("data tests failed; the marts keep their previous build:")
	for _, t := range e.Failed {
		fmt.Fprintf(&b, "\n  %s (%s): %d offending rows: %s", t.Name, t.Severity, t.Failures, t.Description)
		for _, s := range t.Sample {
			b.WriteString("\n    " + s)
		}
	}
	return b.String()
}

// Run rebuilds every model and runs every data test. An incremental model
// is brought up to date instead, when it was last built with the same SQL
// and configuration (and opt does not ask for a full refresh). Each model
// is written beside the table the reports read and committed; when every
// test has run, one transaction puts them all in place (next.go). An
// error-severity test that finds rows drops them instead, so the marts
// stay as the last good build left them; the test results are recorded
// under buildID either way.
func Run(ctx context.Context, conn *sql.Conn, fsys fs.FS, p Params, buildID int64, opt RunOptions) (*Result, error) {
	start := time.Now()
	models, err := Load(fsys)
	if err != nil {
		return nil, err
	}
	tests, err := LoadTests(fsys)
	if err != nil {
		return nil, err
	}
	catalog, err := coxswain.LoadCatalog(fsys)
	if err != nil {
		return nil, err
	}
	if err := dropLeftovers(ctx, conn); err != nil {
		return nil, err
	}
	swapped := false
	defer func() {
		if !swapped {
			dropLeftovers(context.WithoutCancel(ctx), conn)
		}
	}()
	res := &Result{}
	// The runner's small tables, row by row: one commit, not one a row.
	err = warehouse.InTransaction(ctx, conn, func() error {
		if err := writeParams(ctx, conn, p); err != nil {
			return fmt.Errorf("params: %w", err)
		}
		if err := writeCatalog(ctx, conn, catalog); err != nil {
			return fmt.Errorf("metric catalog: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	beside := besideTables(models)
	ids := map[string]bool{}
	for _, id := range beside {
		ids[id] = true
	}
	fp, states, whole, err := incrementalStates(ctx, conn, fsys, models, opt)
	if err != nil {
		return nil, fmt.Errorf("incremental models: %w", err)
	}
	for _, m := range models {
		started := time.Now()
		run := ModelRun{ID: m.ID()}
		if m.Incremental != nil {
			s, ok := states[m.ID()]
			run.Incremental, run.WhyWhole = ok, whole[m.ID()]
			if run.Recomputed, run.Deleted, err = runInPlace(ctx, conn, m, s, ok, ids, fp, p, buildID); err != nil {
				how := ""
				if ok {
					how = ", incrementally"
				}
				return nil, fmt.Errorf("model %s (sql/models/%s/%s.sql%s): %w", m.ID(), m.Layer, m.Name, how, err)
			}
		} else if _, err := conn.ExecContext(ctx, fmt.Sprintf("CREATE OR REPLACE TABLE %s AS\n%s", next(m.ID()), nextRefs(m.SQL, ids))); err != nil {
			return nil, fmt.Errorf("model %s (sql/models/%s/%s.sql): %w", m.ID(), m.Layer, m.Name, err)
		}
		run.Elapsed = time.Since(started)
		res.Models = append(res.Models, run)
	}
	var failed []TestResult
	for _, t := range tests {
		started := time.Now()
		tr, err := runTest(ctx, conn, t, ids)
		tr.Elapsed = time.Since(started)
		if err != nil {
			return nil, fmt.Errorf("data test %s (sql/tests/%s.sql): %w", t.Name, t.Name, err)
		}
		res.Tests = append(res.Tests, tr)
		if tr.Severity == "error" && tr.Failed() {
			failed = append(failed, tr)
		}
	}
	if len(failed) > 0 {
		res.Elapsed = time.Since(start)
		if err := recordTests(ctx, conn, buildID, res.Tests); err != nil {
			return res, err
		}
		return res, &TestsFailedError{Failed: failed}
	}
	if err := swap(ctx, conn, beside, models, res, fp, buildID); err != nil {
		return nil, err
	}
	swapped = true
	res.Elapsed = time.Since(start)
	return res, nil
}

// runInPlace rebuilds incremental model m whole, or brings it up to date
// from state s when ok, in a transaction that records its state as
// pending (next.go).
func runInPlace(ctx context.Context, conn *sql.Conn, m Model, s modelState, ok bool, ids map[string]bool, fp string, p Params, buildID int64) (recomputed, deleted int64, err error) {
	if ok {
		if recomputed, err = selectChanges(ctx, conn, m, s, ids); err != nil {
			return 0, 0, err
		}
	}
	err = warehouse.InTransaction(ctx, conn, func() error {
		var err error
		if ok {
			deleted, err = applyChanges(ctx, conn, m, ids)
		} else {
			_, err = conn.ExecContext(ctx, fmt.Sprintf("CREATE OR REPLACE TABLE %s AS\n%s", m.ID(), nextRefs(m.SQL, ids)))
		}
		if err != nil {
			return err
		}
		return saveState(ctx, conn, m.ID(), pending+fp, p, buildID)
	})
	if err != nil {
		return 0, 0, err
	}
	return recomputed, deleted, dropChanges(ctx, conn)
}

// besideTables are the tables a build makes beside the ones in place,
// which the SQL reads under their next names and the swap puts in place:
// the runner's tables, and every model but the incremental ones.
func besideTables(models []Model) []string {
	beside := slices.Sorted(maps.Keys(external))
	for _, m := range models {
		if m.Incremental == nil {
			beside = append(beside, m.ID())
		}
	}
	return beside
}

// swap puts the tables this build wrote beside (ids) in place of the ones
// the reports read, confirms the incremental models' states, and records
// the tests' results, in one transaction.
func swap(ctx context.Context, conn *sql.Conn, ids []string, models []Model, res *Result, fp string, buildID int64) error {
	return warehouse.InTransaction(ctx, conn, func() error {
		for _, m := range models {
			if m.Incremental == nil {
				continue
			}
			if _, err := conn.ExecContext(ctx, `UPDATE meta.model_state SET fingerprint = ? WHERE model = ? AND fingerprint = ?`, fp, m.ID(), pending+fp); err != nil {
				return err
			}
		}
		for _, id := range ids {
			_, name, _ := strings.Cut(id, ".")
			for _, q := range []string{"DROP TABLE IF EXISTS " + id, fmt.Sprintf("ALTER TABLE %s RENAME TO %s", next(id), name)} {
				if _, err := conn.ExecContext(ctx, q); err != nil {
					return fmt.Errorf("putting %s in place: %w", id, err)
				}
			}
		}
		return recordTests(ctx, conn, buildID, res.Tests)
	})
}

// incrementalStates returns this build's fingerprint and, for each
// incremental model that can be brought up to date, what it was last built
// from; for the others, why they are rebuilt whole.
func incrementalStates(ctx context.Context, conn *sql.Conn, fsys fs.FS, models []Model, opt RunOptions) (fp string, states map[string]modelState, whole map[string]string, err error) {
	states, whole = map[string]modelState{}, map[string]string{}
	for _, m := range models {
		if m.Incremental == nil {
			continue
		}
		if fp == "" {
			if fp, err = fingerprint(ctx, conn, fsys); err != nil {
				return "", nil, nil, err
			}
		}
		if opt.FullRefresh {
			whole[m.ID()] = "--full-refresh"
			continue
		}
		s, err := loadState(ctx, conn, m.ID())
		if err != nil {
			return "", nil, nil, err
		}
		switch {
		case !s.found || !s.hasTable:
			whole[m.ID()] = "its first build"
			continue
		case strings.HasPrefix(s.fingerprint, pending):
			whole[m.ID()] = "the last build that changed it stopped before it put the other models in place"
			continue
		case s.fingerprint != fp:
			whole[m.ID()] = "the SQL, the configuration, the columns of the exports, or the release of coxswain or DuckDB changed since its last build"
			continue
		}
		// The changes compare a model's rows with its previous ones: the
		// table the last build put in place.
		missing := ""
		for _, c := range m.Incremental.Compares {
			schema, name, _ := strings.Cut(c, ".")
			found, err := warehouse.HasTable(ctx, conn, schema, name)
			if err != nil {
				return "", nil, nil, err
			}
			if !found {
				missing = c
			}
		}
		if missing != "" {
			whole[m.ID()] = missing + ", which its changes compare, has no table"
			continue
		}
		states[m.ID()] = s
	}
	return fp, states, whole, nil
}

// runTest runs t over the tables this build wrote (ids, under their next
// names).
func runTest(ctx context.Context, conn *sql.Conn, t Test, ids map[string]bool) (TestResult, error) {
	tr := TestResult{Test: t}
	// The offending rows are kept once, to be counted and sampled.
	if _, err := conn.ExecContext(ctx, "CREATE OR REPLACE TEMP TABLE test_rows AS\n"+nextRefs(t.SQL, ids)); err != nil {
		return tr, err
	}
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM test_rows").Scan(&tr.Failures); err != nil {
		return tr, err
	}
	if tr.Failures == 0 {
		return tr, nil
	}
	rows, err := conn.QueryContext(ctx, "SELECT * FROM test_rows LIMIT 3")
	if err != nil {
		return tr, err
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return tr, err
		}
		parts := make([]string, len(cols))
		for i, c := range cols {
			v := vals[i]
			if tm, ok := v.(time.Time); ok {
				v = tm.UTC().Format(time.RFC3339)
			}
			if v == nil {
				v = "NULL"
			}
			parts[i] = fmt.Sprintf("%s=%v", c, v)
		}
		tr.Sample = append(tr.Sample, strings.Join(parts, ", "))
	}
	return tr, rows.Err()
}

func recordTests(ctx context.Context, conn *sql.Conn, buildID int64, results []TestResult) error {
	var errs []error
	for _, t := range results {
		var sample any
		if len(t.Sample) > 0 {
			sample = strings.Join(t.Sample, "\n")
		}
		_, err := conn.ExecContext(ctx, `INSERT INTO meta.test_results (build_id, test, severity, description, failures, sample) VALUES (?, ?, ?, ?, ?, ?)`,
			buildID, t.Name, t.Severity, t.Description, t.Failures, sample)
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
