package report

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/credwatch/credwatch/internal/policy"
)

//go:embed assets/scan.html.tmpl assets/report.css assets/sort.js
var assets embed.FS

// The page is one self-contained file: CSS and script are inlined, and a
// Content-Security-Policy allows exactly those two blocks (by hash) and
// nothing else: no network, no other script, no inline handlers. Even if
// escaping ever failed, an injected script or image would not run or load.
var (
	reportCSS = mustAsset("assets/report.css")
	reportJS  = mustAsset("assets/sort.js")
	reportCSP = "default-src 'none'; " +
		"style-src '" + cspHash(reportCSS) + "'; " +
		"script-src '" + cspHash(reportJS) + "'; " +
		"img-src 'none'; base-uri 'none'; form-action 'none'"

	scanTemplate = template.Must(template.New("scan.html.tmpl").Funcs(template.FuncMap{
		"stamp":    func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 MST") },
		"rfc3339":  func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
		"rfc3339p": csvTime,
		"date":     dateText,
		"kind":     objectKind,
		"join":     func(ss []string) string { return strings.Join(ss, ", ") },
		// text shows control characters and bidi overrides as visible
		// escapes: an app named "evil\u202egnp.exe" must not display as
		// "evilexe.png". html/template then escapes the markup.
		"text":    termSafe,
		"sevRank": func(s policy.Severity) int { return int(s) },
		// Replaced per render with the render's clock.
		"left": func(*time.Time) string { return "" },
		"days": func(*time.Time) string { return "" },
	}).ParseFS(assets, "assets/scan.html.tmpl"))
)

func mustAsset(name string) string {
	b, err := assets.ReadFile(name)
	if err != nil {
		panic(err) // embedded at build time; cannot fail at run time
	}
	return string(b)
}

func cspHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return "sha256-" + base64.StdEncoding.EncodeToString(sum[:])
}

type htmlPage struct {
	S              *Scan
	Findings       []policy.Finding
	ShowSuppressed bool
	CSP            string
	CSS            template.CSS
	JS             template.JS
}

// writeHTML renders the page with html/template, which escapes every
// tenant string for the context it lands in.
func writeHTML(buf *bytes.Buffer, s *Scan, o Options) error {
	now := o.Now
	t, err := scanTemplate.Clone()
	if err != nil {
		return err
	}
	t.Funcs(template.FuncMap{
		"left": func(d *time.Time) string { return leftText(d, now) },
		"days": func(d *time.Time) string {
			if d == nil {
				return ""
			}
			return strconv.Itoa(daysLeft(*d, now))
		},
	})
	return t.Execute(buf, htmlPage{
		S:              s,
		Findings:       visibleFindings(s, o),
		ShowSuppressed: o.ShowSuppressed,
		CSP:            reportCSP,
		CSS:            template.CSS(reportCSS),
		JS:             template.JS(reportJS),
	})
}
