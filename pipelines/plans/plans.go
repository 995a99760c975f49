// Package plans loads the spend and targets plans, the two files finance and
// marketing keep by hand, into plans.spend and plans.targets at every build.
package plans

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"

	"github.com/jszwec/csvutil"

	"coxswain"
	"coxswain/pipelines/warehouse"
)

// The plans are small files an analyst keeps by hand, so they are read in
// Go, where each bad cell can be named by line and column, and replace the
// warehouse's plans tables in one transaction at every build.

// SpendRow is a row of the spend plan: what marketing spends on a channel in a month.
type SpendRow struct {
	Month   string `csv:"month"`
	Channel string `csv:"channel"`
	Amount  string `csv:"amount"`
}

// TargetRow is a row of the targets plan: a metric's target for a month.
type TargetRow struct {
	Month  string `csv:"month"`
	Metric string `csv:"metric"`
	Target string `csv:"target"`
}

// PlanError is a bad cell of a plan file.
type PlanError struct {
	File         string
	Line, Column int
	Msg          string
}

func (e *PlanError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%s: %s", e.File, e.Msg)
	}
	return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
}

var (
	monthRe  = regexp.MustCompile(`^\d{4}-(0[1-9]|1[0-2])$`)
	metricRe = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	numberRe = regexp.MustCompile(`^-?\d+(\.\d+)?$`)
)

// readPlan decodes a plan file into rows of T, checking every cell; check
// returns the column (1-based) and message of a bad cell, or 0.
func readPlan[T any](path string, header []string, check func(T) (int, string)) ([]T, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	// A plan saved as Excel's "CSV UTF-8" starts with a byte-order mark.
	br := bufio.NewReader(f)
	if bom, _ := br.Peek(3); string(bom) == "\uFEFF" {
		br.Discard(3)
	}
	r := csv.NewReader(br)
	dec, err := csvutil.NewDecoder(r)
	if errors.Is(err, io.EOF) {
		return nil, &PlanError{File: path, Msg: "the file is empty; its header must be " + strings.Join(header, ",")}
	}
	if err != nil {
		return nil, &PlanError{File: path, Line: 1, Column: 1, Msg: err.Error()}
	}
	got := dec.Header()
	if strings.Join(got, ",") != strings.Join(header, ",") {
		return nil, &PlanError{File: path, Line: 1, Column: 1, Msg: fmt.Sprintf("the header is %q; it must be %s", strings.Join(got, ","), strings.Join(header, ","))}
	}
	var rows []T
	var errs []error
	for {
		var row T
		err := dec.Decode(&row)
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := r.FieldPos(0)
		if err != nil {
			return nil, &PlanError{File: path, Line: line, Column: 1, Msg: err.Error()}
		}
		if col, msg := check(row); col > 0 {
			errs = append(errs, &PlanError{File: path, Line: line, Column: col, Msg: msg})
			continue
		}
		rows = append(rows, row)
	}
	return rows, errors.Join(errs...)
}

func checkMonth(m string) string {
	if !monthRe.MatchString(m) {
		return fmt.Sprintf("month %q must be YYYY-MM (2026-11)", m)
	}
	return ""
}

func checkNumber(name, v string) string {
	if !numberRe.MatchString(v) {
		return fmt.Sprintf("%s %q must be a plain number with a dot for decimals (1234.50)", name, v)
	}
	return ""
}

// Load replaces the warehouse's plans with the configured files.
func Load(ctx context.Context, conn *sql.Conn, cfg *coxswain.Config) error {
	var spend []SpendRow
	var targets []TargetRow
	var errs []error
	if p := cfg.Plans.Spend; p != "" {
		rows, err := readPlan(cfg.Resolve(p), []string{"month", "channel", "amount"}, func(r SpendRow) (int, string) {
			if msg := checkMonth(r.Month); msg != "" {
				return 1, msg
			}
			if msg := checkNumber("amount", r.Amount); msg != "" {
				return 3, msg
			}
			return 0, ""
		})
		spend, errs = rows, append(errs, err)
	}
	if p := cfg.Plans.Targets; p != "" {
		rows, err := readPlan(cfg.Resolve(p), []string{"month", "metric", "target"}, func(r TargetRow) (int, string) {
			if msg := checkMonth(r.Month); msg != "" {
				return 1, msg
			}
			if !metricRe.MatchString(r.Metric) {
				return 2, fmt.Sprintf("metric %q must be a metric name such as leads_created", r.Metric)
			}
			if msg := checkNumber("target", r.Target); msg != "" {
				return 3, msg
			}
			return 0, ""
		})
		targets, errs = rows, append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("plans (the warehouse keeps the previous ones):\n%w", err)
	}

	return warehouse.InTransaction(ctx, conn, func() error {
		for _, q := range []string{"DELETE FROM plans.spend", "DELETE FROM plans.targets"} {
			if _, err := conn.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		for _, r := range spend {
			if _, err := conn.ExecContext(ctx, `INSERT INTO plans.spend (month, channel, amount) VALUES (?, ?, ?::DECIMAL(18,2))`, r.Month, strings.TrimSpace(r.Channel), r.Amount); err != nil {
				return err
			}
		}
		for _, r := range targets {
			if _, err := conn.ExecContext(ctx, `INSERT INTO plans.targets (month, metric, target) VALUES (?, ?, ?::DECIMAL(18,2))`, r.Month, r.Metric, r.Target); err != nil {
				return err
			}
		}
		return nil
	})
}
