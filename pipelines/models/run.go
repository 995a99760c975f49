package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"
	"time"

	"coxswain"
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

// Run rebuilds every model and runs every data test in one transaction on
// conn. An incremental model is brought up to date instead, when it was
// last built with the same SQL and configuration (and opt does not ask for
// a full refresh). An error-severity test that finds rows rolls it all
// back, so the marts stay as the last good build left them; the test
// results are recorded under buildID either way.
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
	res := &Result{}
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return nil, err
	}
	done := false
	defer func() {
		if !done {
			conn.ExecContext(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}()
	if err := writeParams(ctx, conn, p); err != nil {
		return nil, fmt.Errorf("params: %w", err)
	}
	if err := writeCatalog(ctx, conn, catalog); err != nil {
		return nil, fmt.Errorf("metric catalog: %w", err)
	}
	fp, states, whole, kept, err := incrementalStates(ctx, conn, fsys, models, opt)
	if err != nil {
		return nil, fmt.Errorf("incremental models: %w", err)
	}
	for _, m := range models {
		started := time.Now()
		run := ModelRun{ID: m.ID()}
		if s, ok := states[m.ID()]; ok {
			run.Incremental = true
			if run.Recomputed, run.Deleted, err = runIncremental(ctx, conn, m, s); err != nil {
				return nil, fmt.Errorf("model %s (sql/models/%s/%s.sql, incrementally): %w", m.ID(), m.Layer, m.Name, err)
			}
		} else if _, err := conn.ExecContext(ctx, fmt.Sprintf("CREATE OR REPLACE TABLE %s AS\n%s", m.ID(), m.SQL)); err != nil {
			return nil, fmt.Errorf("model %s (sql/models/%s/%s.sql): %w", m.ID(), m.Layer, m.Name, err)
		} else if m.Incremental != nil {
			run.WhyWhole = whole[m.ID()]
		}
		if m.Incremental != nil {
			if err := saveState(ctx, conn, m.ID(), fp, p, buildID); err != nil {
				return nil, err
			}
		}
		run.Elapsed = time.Since(started)
		res.Models = append(res.Models, run)
	}
	for _, t := range kept {
		if _, err := conn.ExecContext(ctx, "DROP TABLE "+t); err != nil {
			return nil, err
		}
	}
	var failed []TestResult
	for _, t := range tests {
		started := time.Now()
		tr, err := runTest(ctx, conn, t)
		tr.Elapsed = time.Since(started)
		if err != nil {
			return nil, fmt.Errorf("data test %s (sql/tests/%s.sql): %w", t.Name, t.Name, err)
		}
		res.Tests = append(res.Tests, tr)
		if tr.Severity == "error" && tr.Failed() {
			failed = append(failed, tr)
		}
	}
	res.Elapsed = time.Since(start)
	if len(failed) > 0 {
		conn.ExecContext(ctx, "ROLLBACK")
		done = true
		if err := recordTests(ctx, conn, buildID, res.Tests); err != nil {
			return res, err
		}
		return res, &TestsFailedError{Failed: failed}
	}
	if err := recordTests(ctx, conn, buildID, res.Tests); err != nil {
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return nil, err
	}
	done = true
	return res, nil
}

// incrementalStates returns this build's fingerprint and, for each
// incremental model that can be brought up to date, what it was last built
// from; for the others, why they are rebuilt whole. It keeps the previous
// rows of the models their changes compare, in the temporary tables kept.
func incrementalStates(ctx context.Context, conn *sql.Conn, fsys fs.FS, models []Model, opt RunOptions) (fp string, states map[string]modelState, whole map[string]string, kept []string, err error) {
	states, whole = map[string]modelState{}, map[string]string{}
	for _, m := range models {
		if m.Incremental == nil {
			continue
		}
		if fp == "" {
			if fp, err = fingerprint(ctx, conn, fsys); err != nil {
				return "", nil, nil, nil, err
			}
		}
		if opt.FullRefresh {
			whole[m.ID()] = "--full-refresh"
			continue
		}
		s, err := loadState(ctx, conn, m.ID())
		if err != nil {
			return "", nil, nil, nil, err
		}
		switch {
		case !s.found || !s.hasTable:
			whole[m.ID()] = "its first build"
			continue
		case s.fingerprint != fp:
			whole[m.ID()] = "the SQL, the configuration, the columns of the exports, or the release of coxswain or DuckDB changed since its last build"
			continue
		}
		for _, c := range m.Incremental.Compares {
			if slices.Contains(kept, previousTable(c)) {
				continue
			}
			if _, err := conn.ExecContext(ctx, fmt.Sprintf("CREATE TEMP TABLE %s AS SELECT * FROM %s", previousTable(c), c)); err != nil {
				return "", nil, nil, nil, fmt.Errorf("%s: keeping %s's rows: %w", m.ID(), c, err)
			}
			kept = append(kept, previousTable(c))
		}
		states[m.ID()] = s
	}
	return fp, states, whole, kept, nil
}

func runTest(ctx context.Context, conn *sql.Conn, t Test) (TestResult, error) {
	tr := TestResult{Test: t}
	// The offending rows are kept once, to be counted and sampled.
	if _, err := conn.ExecContext(ctx, "CREATE OR REPLACE TEMP TABLE test_rows AS\n"+t.SQL); err != nil {
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
