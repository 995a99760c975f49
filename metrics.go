package coxswain

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"slices"

	"go.yaml.in/yaml/v3"
)

// Metric is one metric of the catalog (sql/metrics.yaml).
type Metric struct {
	Name  string `yaml:"name"`
	Label string `yaml:"label"`
	// Kind says how the value is written: count, money, hours, days, ratio
	// or multiple.
	Kind string `yaml:"kind"`
	// Good is the direction that is good news: up or down; neutral for a
	// metric judged against its plan rather than by its direction (spend).
	Good string `yaml:"good"`
	// MonthToDate says how a month not yet over is compared: run_rate,
	// as_is or when_over (see MonthToDateModes).
	MonthToDate string `yaml:"month_to_date"`
	// MaturesDays, for a metric that looks past its month's end, is how
	// many days after it the value is final.
	MaturesDays int `yaml:"matures_days"`
	// ByChannel says the metric is also computed per channel.
	ByChannel  bool   `yaml:"by_channel"`
	Definition string `yaml:"definition"`
	// Explain says the same in plain words, for leaders.
	Explain string `yaml:"explain"`
}

// MonthToDateModes are how a month not yet over compares a metric: by its
// run rate and the same days of the month before (it adds up over days),
// as it is (a rate, or the month's plan), or not until the month is over.
var MonthToDateModes = []string{"run_rate", "as_is", "when_over"}

// Catalog is the metric catalog: every metric, described once, and the
// report's sections. The marts, the pack, the report and the glossary all
// read it.
type Catalog struct {
	Metrics []Metric `yaml:"metrics"`
	// Report lists the metrics of each report section, in order:
	// headlines, marketing, sales, efficiency, trend.
	Report map[string][]string `yaml:"report"`
}

// MetricKinds are the kinds a metric may have.
var MetricKinds = []string{"count", "money", "hours", "days", "ratio", "multiple"}

// ReportSections are the report's sections that list metrics.
var ReportSections = []string{"headlines", "marketing", "sales", "efficiency", "trend"}

// CatalogPath is where the catalog lives in the SQL folder.
const CatalogPath = "sql/metrics.yaml"

// LoadCatalog reads and checks the metric catalog of fsys (coxswain.SQL).
func LoadCatalog(fsys fs.FS) (*Catalog, error) {
	data, err := fs.ReadFile(fsys, CatalogPath)
	if err != nil {
		return nil, err
	}
	var c Catalog
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("%s: %w", CatalogPath, err)
	}
	if err := c.check(); err != nil {
		return nil, fmt.Errorf("%s: %w", CatalogPath, err)
	}
	return &c, nil
}

func (c *Catalog) check() error {
	var errs []error
	seen := map[string]bool{}
	for i, m := range c.Metrics {
		switch {
		case m.Name == "":
			errs = append(errs, fmt.Errorf("metrics[%d] has no name", i))
		case seen[m.Name]:
			errs = append(errs, fmt.Errorf("metric %s is listed twice", m.Name))
		}
		seen[m.Name] = true
		if m.Label == "" || m.Definition == "" || m.Explain == "" {
			errs = append(errs, fmt.Errorf("metric %s needs a label, a definition and an explanation", m.Name))
		}
		if !slices.Contains(MetricKinds, m.Kind) {
			errs = append(errs, fmt.Errorf("metric %s: kind %q is not one of %v", m.Name, m.Kind, MetricKinds))
		}
		if !slices.Contains(MonthToDateModes, m.MonthToDate) {
			errs = append(errs, fmt.Errorf("metric %s: month_to_date %q is not one of %v", m.Name, m.MonthToDate, MonthToDateModes))
		}
		if m.Good != "up" && m.Good != "down" && m.Good != "neutral" {
			errs = append(errs, fmt.Errorf("metric %s: good %q must be up, down or neutral", m.Name, m.Good))
		}
	}
	for section, names := range c.Report {
		if !slices.Contains(ReportSections, section) {
			errs = append(errs, fmt.Errorf("report section %q is not one of %v", section, ReportSections))
		}
		for _, n := range names {
			if !seen[n] {
				errs = append(errs, fmt.Errorf("report section %s names %q, which is not a metric", section, n))
			}
		}
	}
	return errors.Join(errs...)
}

// Metric finds a metric by name.
func (c *Catalog) Metric(name string) (Metric, bool) {
	for _, m := range c.Metrics {
		if m.Name == name {
			return m, true
		}
	}
	return Metric{}, false
}

// Section lists the metrics of a report section, in order.
func (c *Catalog) Section(name string) []Metric {
	var out []Metric
	for _, n := range c.Report[name] {
		m, _ := c.Metric(n)
		out = append(out, m)
	}
	return out
}
