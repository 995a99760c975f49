package report

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"coxswain"
)

// TestRender_InChromium opens the report in headless Chromium (Debian's
// chromium package, which .ci/run installs) at a phone's and a desktop's
// width, saves screenshots, and checks that the page never scrolls
// sideways and logs no console error.
func TestRender_InChromium(t *testing.T) {
	browser, err := exec.LookPath("chromium")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed; .ci/run installs it (apt-get install -y chromium)")
		}
		t.Skip("chromium is not installed (apt-get install -y chromium)")
	}
	d := sampleData(t)
	// A long unbroken export file name in a warning once pushed the phone
	// layout sideways.
	d.Warnings = append(d.Warnings, "crm/2026-11-15_WE_00D5g000004SAMPL_1.ZIP/Opportunity.csv: 1 row could not be read and left out")
	d.Files = []FileRow{{Source: "crm", Object: "opportunity", File: "2026-11-15_WE_00D5g000004SAMPL_1.ZIP/Opportunity.csv", Read: 10, Loaded: 9, Rejected: 1,
		FirstError: `line 9, column Amount: Error when converting column "Amount". Could not convert string "8.850,00" to 'DECIMAL'`}}
	html, _, err := Render(d, FileCopy)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	page := filepath.Join(dir, "report.html")
	if err := os.WriteFile(page, html, 0o644); err != nil {
		t.Fatal(err)
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browser), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.Flag("no-first-run", true),
		chromedp.UserDataDir(filepath.Join(dir, "profile")))
	allocCtx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()

	for _, tc := range []struct {
		name          string
		width, height int64
	}{{"phone", 375, 812}, {"desktop", 1280, 900}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := chromedp.NewContext(allocCtx)
			defer cancel()
			ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
			defer cancel()
			var mu sync.Mutex
			var consoleErrors []string
			err := chromedp.Listen(ctx, func(ev any) {
				switch e := ev.(type) {
				case *runtime.EventConsoleAPICalled:
					if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeWarning {
						mu.Lock()
						consoleErrors = append(consoleErrors, string(e.Type))
						mu.Unlock()
					}
				case *runtime.EventExceptionThrown:
					mu.Lock()
					consoleErrors = append(consoleErrors, e.ExceptionDetails.Text)
					mu.Unlock()
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, step := range []chromedp.Action[chromedp.Void]{
				chromedp.EmulateViewport(tc.width, tc.height),
				chromedp.Navigate("file://" + page),
				chromedp.WaitReady("body"),
			} {
				if _, err := chromedp.Run(ctx, step); err != nil {
					t.Fatal(err)
				}
			}
			scrollWidth, err := chromedp.Run(ctx, chromedp.Evaluate[int64](`document.documentElement.scrollWidth`))
			if err != nil {
				t.Fatal(err)
			}
			innerWidth, err := chromedp.Run(ctx, chromedp.Evaluate[int64](`window.innerWidth`))
			if err != nil {
				t.Fatal(err)
			}
			shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100 gives a PNG, less a JPEG
			if err != nil {
				t.Fatal(err)
			}
			shotPath := filepath.Join(dir, tc.name+".png")
			os.WriteFile(shotPath, shot, 0o644)
			if dst := os.Getenv("COXSWAIN_SCREENSHOTS"); dst != "" {
				os.WriteFile(filepath.Join(dst, tc.name+".png"), shot, 0o644)
			}
			if scrollWidth > innerWidth {
				// Name the innermost elements that stick out.
				wide, _ := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll('body *')]
					.filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5 && ![...e.children].some(c => c.getBoundingClientRect().right > window.innerWidth + 0.5))
					.slice(0, 5).map(e => e.tagName + ' ' + Math.round(e.getBoundingClientRect().right) + 'px: ' + (e.textContent || e.getAttribute('alt') || '').trim().slice(0, 60))`))
				t.Errorf("at %d px the page is %d px wide: it scrolls sideways (screenshot %s); sticking out: %q", innerWidth, scrollWidth, shotPath, wide)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(consoleErrors) > 0 {
				t.Errorf("console errors: %s", strings.Join(consoleErrors, "; "))
			}
		})
	}

	// Printed on A4, the summary (the sentences and cards) fills at most
	// the first page and the agreement with the charts the second; the
	// tables follow, and no page holds only a footer.
	for _, mtd := range []bool{false, true} {
		name := "print"
		if mtd {
			name = "print month to date"
		}
		page := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".html")
		html, _, err := Render(fullData(t, mtd), FileCopy)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(page, html, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Run(name, func(t *testing.T) { printed(t, allocCtx, dir, page) })
	}
}

// printed prints the report at page on A4 and checks the pages.
func printed(t *testing.T, allocCtx context.Context, dir, page string) {
	ctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	const mm = 96 / 25.4           // CSS px per millimetre
	pageW, pageH := 186*mm, 273*mm // A4 less the 12 mm margins of @page
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(int64(pageW), int64(pageH)),
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			_, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Media: "print"})
			return err
		}),
		chromedp.Navigate("file://"+page),
		chromedp.WaitReady("body"))
	if err != nil {
		t.Fatal(err)
	}
	// Where each part that starts a page begins, and the end.
	tops, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`[...document.querySelectorAll('.newpage')]
			.map(e => e.getBoundingClientRect().top + window.scrollY).concat([document.documentElement.scrollHeight])`))
	if err != nil {
		t.Fatal(err)
	}
	if len(tops) < 3 {
		t.Fatalf("the report has %d parts that start a page, want the agreement and the channels", len(tops)-1)
	}
	for i, part := range []string{"the summary", "the agreement and the charts"} {
		from := 0.0
		if i > 0 {
			from = tops[i-1]
		}
		if h := tops[i] - from; h > pageH {
			t.Errorf("printed, %s is %.0f px high, more than an A4 page (%.0f px)", part, h, pageH)
		}
	}
	pdf, err := chromedp.Run(ctx, chromedp.PrintToPDF(chromedp.PDFPreferCSSPageSize()))
	if err != nil {
		t.Fatal(err)
	}
	base := strings.TrimSuffix(filepath.Base(page), ".html") + ".pdf"
	os.WriteFile(filepath.Join(dir, base), pdf, 0o644)
	if dst := os.Getenv("COXSWAIN_SCREENSHOTS"); dst != "" {
		os.WriteFile(filepath.Join(dst, base), pdf, 0o644)
	}
	// The last page holds more than a footer: the tables after the
	// charts end with the data quality section, never on a page of its
	// own line.
	rest := tops[len(tops)-1] - tops[len(tops)-2]
	if pages := pdfPages(pdf); pages < 3 {
		t.Errorf("the PDF has %d pages, want the summary, the charts and the tables", pages)
	} else if tail := math.Mod(rest, pageH); tail > 0 && tail < 60 {
		t.Errorf("the last printed page holds only %.0f px", tail)
	}
}

// pdfPages counts the page objects of a PDF.
func pdfPages(pdf []byte) int {
	return len(regexp.MustCompile(`/Type\s*/Page\b`).FindAll(pdf, -1))
}

// fullData is a report with every section of the catalog filled, as a
// real month gives it; mtd makes it a month 14 days in.
func fullData(tb testing.TB, mtd bool) *Data {
	tb.Helper()
	d := sampleData(tb)
	c, err := coxswain.LoadCatalog(coxswain.SQL)
	if err != nil {
		tb.Fatal(err)
	}
	for section, into := range map[string]*[]Headline{"headlines": &d.Headlines, "marketing": &d.Marketing, "sales": &d.Sales, "efficiency": &d.Efficiency} {
		*into = nil
		for i, m := range c.Section(section) {
			v := float64(100 + 37*i)
			if m.Kind == "ratio" {
				v = 0.4 + 0.03*float64(i)
			}
			*into = append(*into, metric(tb, m.Name, v, v*0.9, v*0.8, v*1.05))
		}
	}
	for _, m := range c.Metrics {
		d.Trend[m.Name], d.TrendTarget[m.Name] = nil, nil
		for i := range d.Months {
			d.Trend[m.Name] = append(d.Trend[m.Name], float64(100+10*i))
			d.TrendTarget[m.Name] = append(d.TrendTarget[m.Name], float64(105+10*i))
		}
	}
	sameDays := map[string]float64{}
	if mtd {
		d.MonthToDate = &Progress{Days: 14, DaysIn: 31, Share: 14.0 / 31, Through: "14 October"}
		for _, h := range d.Headlines {
			sameDays[h.Metric] = h.Value.Float64 * 1.1
		}
	}
	d.recompare(sameDays)
	for i := range 12 {
		d.Channels = append(d.Channels, ChannelRow{Channel: fmt.Sprintf("Channel %d", i), Leads: "120", MQLs: "40", Pipeline: "$120k", Bookings: "$40k", Spend: "$9.4k", CostPerLead: "$78"})
		d.Owners = append(d.Owners, OwnerRow{Owner: fmt.Sprintf("Owner %d", i), MQLs: "20", Met: "15", Breached: "4", Pending: "1", Compliance: "78.9%", Hrs: "6.1"})
	}
	for _, m := range c.Metrics {
		d.Glossary = append(d.Glossary, Term{m.Name, m.Label, m.Explain, m.Definition})
	}
	for i := range 13 {
		d.Funnel = append(d.Funnel, FunnelRow{Cohort: fmt.Sprintf("Month %d", i), Leads: 300, MQLs: 100, SQLs: 50, Opps: 30, Won: 10})
	}
	return d
}
