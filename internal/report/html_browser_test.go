package report

import (
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/credwatch/credwatch/internal/browsertest"
)

func TestHTMLReportInBrowser(t *testing.T) {
	ctx := browsertest.New(t, "the HTML report's escaping, CSP and sorting are untested in a real browser")
	dir := t.TempDir()
	// Screenshots are artefacts: kept in CREDWATCH_ARTIFACT_DIR when set
	// (CI uploads it), else in the test's TempDir.
	shotDir := browsertest.ArtifactDir(t)
	o := fixtureOptions()
	o.ShowSuppressed = true
	file := filepath.Join(dir, "report.html")
	if err := os.WriteFile(file, []byte(render(t, "html", fixtureScan(), o)), 0o644); err != nil {
		t.Fatal(err)
	}

	// Any alert, confirm or prompt is a script that ran: record it and
	// dismiss it so the page does not block.
	var mu sync.Mutex
	var dialogs []string
	opened := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range opened {
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
	// Navigate waits for the load event, which fires after every image
	// has loaded or failed: an onerror handler would have run by then.
	if err := chromedp.Do(ctx, chromedp.Navigate((&url.URL{Scheme: "file", Path: file}).String())); err != nil {
		t.Fatal(err)
	}

	eval := func(js string) any {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Evaluate[any](js))
		if err != nil {
			t.Fatalf("evaluate %s: %v", js, err)
		}
		return v
	}

	t.Run("hostile names are text", func(t *testing.T) {
		var cells []string
		for _, v := range eval(`Array.from(document.querySelectorAll("td")).map(td => td.textContent)`).([]any) {
			cells = append(cells, v.(string))
		}
		// Control characters and bidi overrides show as visible escapes,
		// as in the terminal table.
		for _, want := range []string{nameHTML, nameFormula, nameSum, nameMinus, nameAt, nameUnicode, nameMarkdown, nameLong,
			`\x09Tabbed name`, `\x0dCR name`, `\x1b[31mRED\x1b[0m\x07 evil\u202egnp.exe`} {
			if !slices.Contains(cells, want) {
				t.Errorf("no table cell whose text is exactly %q", want)
			}
		}
		// The only element inside a cell is the suppressed badge.
		if n := eval(`document.querySelectorAll("img, td *:not(span.badge)").length`); n != float64(0) {
			t.Errorf("%v injected elements in the page", n)
		}
		if n := eval(`document.scripts.length`); n != float64(1) {
			t.Errorf("%v script elements, want only the report's own", n)
		}
		if n := eval(`document.querySelectorAll("img[src=x]").length`); n != float64(0) {
			t.Errorf("%v img[src=x] elements", n)
		}
	})

	t.Run("no script ran but ours", func(t *testing.T) {
		mu.Lock()
		defer mu.Unlock()
		if len(dialogs) > 0 {
			t.Errorf("dialogs opened: %q", dialogs)
		}
	})

	t.Run("the CSP allows the page's own style and script", func(t *testing.T) {
		if v := eval(`window.__csp`); len(v.([]any)) != 0 {
			t.Errorf("CSP violations: %v", v)
		}
		if d := eval(`getComputedStyle(document.querySelector(".cards")).display`); d != "grid" {
			t.Errorf("summary cards display %v: the inline style did not apply", d)
		}
	})

	t.Run("columns sort on click", func(t *testing.T) {
		const leftValues = `Array.from(document.querySelectorAll("#findings-table tbody tr td:nth-child(8)")).map(td => td.getAttribute("data-sort"))`
		if n := eval(`document.querySelectorAll("#findings-table th button").length`); n != float64(9) {
			t.Fatalf("%v sort buttons in the findings table, want 9: the script did not run", n)
		}
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#findings-table th:nth-child(8) button"))); err != nil {
			t.Fatal(err)
		}
		checkSorted(t, eval(leftValues).([]any), 1)
		if err := chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#findings-table th:nth-child(8) button"))); err != nil {
			t.Fatal(err)
		}
		checkSorted(t, eval(leftValues).([]any), -1)
	})

	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatalf("screenshot: %v", err)
		}
		path := filepath.Join(shotDir, name)
		if err := os.WriteFile(path, png, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("screenshot: %s", path)
	}
	shot("report-desktop.png")

	t.Run("readable on a phone", func(t *testing.T) {
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile)); err != nil {
			t.Fatal(err)
		}
		if v := eval(`document.documentElement.scrollWidth <= window.innerWidth`); v != true {
			t.Errorf("the page is wider than a phone screen (%v > %v): tables must scroll inside their box",
				eval(`document.documentElement.scrollWidth`), eval(`window.innerWidth`))
		}
		if v := eval(`(function(){ const s = document.querySelector(".scroll"); return s.scrollWidth > s.clientWidth && getComputedStyle(s).overflowX === "auto"; })()`); v != true {
			t.Error("the findings table does not scroll horizontally on a phone")
		}
		shot("report-phone.png")
	})
}

// checkSorted checks numeric data-sort values are in order (dir 1 up, -1
// down), with empty values last either way.
func checkSorted(t *testing.T, vals []any, dir int) {
	t.Helper()
	seenEmpty := false
	prev := 0.0
	first := true
	for _, v := range vals {
		s, _ := v.(string)
		if s == "" {
			seenEmpty = true
			continue
		}
		if seenEmpty {
			t.Fatalf("a value follows an empty one: %v", vals)
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			t.Fatalf("data-sort %q is not a number", s)
		}
		if !first && float64(dir)*(f-prev) < 0 {
			t.Fatalf("column not sorted (direction %d): %v", dir, vals)
		}
		prev, first = f, false
	}
}
