package server

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/credwatch/credwatch/internal/browsertest"
)

func TestDashboardInBrowser(t *testing.T) {
	ctx := browsertest.New(t, "the dashboard's escaping, CSP, filters and forms are untested in a real browser")
	f := newFixture(t)
	scanned := make(chan string, 1)
	s := newServer(t, f.st, func(o *Options) {
		o.Scan = func(_ context.Context, id string) error { scanned <- id; return nil }
	})
	startRun(t, s)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)

	shotDir := browsertest.ArtifactDir(t)

	// Any alert, confirm or prompt is a script that ran: record it and
	// dismiss it so the page does not block.
	var mu sync.Mutex
	var dialogs []string
	go func() {
		for ev, err := range chromedp.Events(ctx, page.JavascriptDialogOpening) {
			if err != nil {
				return
			}
			mu.Lock()
			dialogs = append(dialogs, ev.Message)
			mu.Unlock()
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	if _, err := chromedp.Call(ctx, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: browsertest.CSPRecorder}); err != nil {
		t.Fatal(err)
	}
	eval := func(t *testing.T, js string) any {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[any](js))
		if err != nil {
			t.Fatalf("evaluate %s: %v", js, err)
		}
		return v
	}
	strs := func(t *testing.T, js string) []string {
		t.Helper()
		var out []string
		for _, v := range eval(t, js).([]any) {
			out = append(out, v.(string))
		}
		return out
	}
	open := func(t *testing.T, path string) {
		t.Helper()
		// Navigate waits for the load event, after every image has loaded
		// or failed: an injected onerror handler would have run by then.
		if err := chromedp.Do(ctx, chromedp.Navigate(srv.URL+path)); err != nil {
			t.Fatal(err)
		}
		if v := eval(t, `window.__csp`); len(v.([]any)) != 0 {
			t.Errorf("%s: CSP violations: %v", path, v)
		}
	}
	shot := func(t *testing.T, name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // 100 is PNG; less is JPEG
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		p := filepath.Join(shotDir, name)
		if err := os.WriteFile(p, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", p)
	}

	t.Run("overview renders each tenant with its chart", func(t *testing.T) {
		open(t, "/")
		if got := strs(t, `Array.from(document.querySelectorAll("section.tenant h2")).map(h => h.textContent)`); !slices.Equal(got, []string{"Tenant tenant-a", "Tenant tenant-b"}) {
			t.Errorf("tenant headings %q", got)
		}
		if n := eval(t, `document.querySelectorAll("svg[role=img] rect.bar").length`); n.(float64) < 3 {
			t.Errorf("%v bars drawn", n)
		}
		if v := eval(t, `document.querySelector("svg[role=img]").getBoundingClientRect().height > 50`); v != true {
			t.Error("the chart has no height: SVG not rendered")
		}
		if d := eval(t, `getComputedStyle(document.querySelector(".cards")).display`); d != "grid" {
			t.Errorf("cards display %v: the nonced style did not apply", d)
		}
		if v := eval(t, `document.querySelector("time[datetime]").title !== ""`); v != true {
			t.Error("the nonced script did not run")
		}
		shot(t, "dashboard-overview.png")
	})

	t.Run("typing a filter and submitting narrows the table", func(t *testing.T) {
		open(t, "/credentials")
		before := eval(t, `document.querySelectorAll("#credentials-table tbody tr").length`).(float64)
		if _, err := chromedp.RunResponse(ctx,
			chromedp.SendKeys(`input[name="q"]`, "payroll"),
			chromedp.Click(`form.filters button[type="submit"]`),
		); err != nil {
			t.Fatal(err)
		}
		if loc := eval(t, `location.search`).(string); !strings.Contains(loc, "q=payroll") {
			t.Errorf("location %v", loc)
		}
		keys := strs(t, `Array.from(document.querySelectorAll("#credentials-table tbody tr")).map(r => r.dataset.key)`)
		if !slices.Equal(keys, []string{"k-pay-cert", "k-pay-2"}) || float64(len(keys)) >= before {
			t.Errorf("rows after filtering %q (before: %v)", keys, before)
		}
		shot(t, "dashboard-credentials.png")
	})

	t.Run("hostile display names render as text", func(t *testing.T) {
		open(t, "/credentials?tenant=tenant-a")
		names := strs(t, `Array.from(document.querySelectorAll("#credentials-table td.name")).map(td => td.textContent)`)
		for _, want := range []string{nameScript + "app-xss1", nameImg + "app-xss2", nameImg} {
			if !slices.Contains(names, want) {
				t.Errorf("no cell whose text is exactly %q in %q", want, names)
			}
		}
		if n := eval(t, `document.querySelectorAll("img, #credentials-table script, td b").length`); n != float64(0) {
			t.Errorf("%v injected elements", n)
		}
		if n := eval(t, `document.scripts.length`); n != float64(1) {
			t.Errorf("%v script elements, want only the page's own", n)
		}
		open(t, "/apps/application/obj-xss1?tenant=tenant-a")
		if h := eval(t, `document.querySelector("h1").textContent`); h != nameScript {
			t.Errorf("app heading %q", h)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(dialogs) > 0 {
			t.Errorf("dialogs opened: %q", dialogs)
		}
	})

	t.Run("scan now posts the form with its token", func(t *testing.T) {
		open(t, "/")
		if _, err := chromedp.RunResponse(ctx, chromedp.Click(`section.tenant form.scan-now button`)); err != nil {
			t.Fatal(err)
		}
		select {
		case id := <-scanned:
			if id != tenantA {
				t.Errorf("scanned %q", id)
			}
		case <-ctx.Done():
			t.Fatal("no scan queued")
		}
		if v := eval(t, `document.querySelector("p.notice[role=status]").textContent`); !strings.Contains(v.(string), "tenant-a is queued") {
			t.Errorf("notice %q", v)
		}
	})
}
