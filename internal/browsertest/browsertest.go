// Package browsertest starts headless Chromium for the tests that check
// what credwatch's HTML reports and dashboard look like in a real browser.
package browsertest

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// ChromiumPath finds the browser: Debian's chromium first, then anything
// named like it on PATH; "" when there is none.
func ChromiumPath() string {
	const debian = "/usr/bin/chromium"
	if _, err := os.Stat(debian); err == nil {
		return debian
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// New starts a headless Chromium with a fresh profile and returns a
// chromedp context bound to the test. Without a browser it skips loudly,
// naming what goes untested, or fails when CI or CREDWATCH_REQUIRE_BROWSER
// says the browser must be there.
func New(t *testing.T, untested string) context.Context {
	t.Helper()
	path := ChromiumPath()
	if path == "" {
		msg := "BROWSER TEST NOT RUN: no Chromium found (install the Debian packages chromium and chromium-driver); " + untested
		if os.Getenv("CI") != "" || os.Getenv("CREDWATCH_REQUIRE_BROWSER") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox, // the tests may run as root in a container
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		// Without these Chromium reaches for the network at start.
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(cancel)
	// A guard against a hung browser, not a speed assertion.
	ctx, cancelTimeout := context.WithTimeout(ctx, 2*time.Minute)
	t.Cleanup(cancelTimeout)
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start %s: %v", path, err)
	}
	return ctx
}

// CSPRecorder, added to a page before its own code runs, records every
// Content-Security-Policy violation in window.__csp, so a test can prove a
// page needs nothing its policy forbids.
const CSPRecorder = `window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + e.blockedURI);
});`

// ArtifactDir is where screenshots go: CREDWATCH_ARTIFACT_DIR when set (so
// CI can keep them), else the test's temporary directory.
func ArtifactDir(t *testing.T) string {
	if d := os.Getenv("CREDWATCH_ARTIFACT_DIR"); d != "" {
		if err := os.MkdirAll(d, 0o755); err == nil {
			return d
		}
	}
	return t.TempDir()
}
