package report

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
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
	d := sampleData()
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
				t.Errorf("at %d px the page is %d px wide: it scrolls sideways (screenshot %s)", innerWidth, scrollWidth, shotPath)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(consoleErrors) > 0 {
				t.Errorf("console errors: %s", strings.Join(consoleErrors, "; "))
			}
		})
	}
}
