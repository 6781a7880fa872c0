package server

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/credwatch/credwatch/internal/inventory"
	"github.com/credwatch/credwatch/internal/report"
)

//go:embed web/templates/*.html web/static/style.css web/static/enhance.js
var web embed.FS

var (
	styleCSS  = template.CSS(mustRead("web/static/style.css"))
	enhanceJS = template.JS(mustRead("web/static/enhance.js"))
	pages     = parsePages("overview", "credentials", "app", "scans", "scan", "error")
)

func mustRead(name string) string {
	b, err := web.ReadFile(name)
	if err != nil {
		panic(err) // embedded at build time
	}
	return string(b)
}

var funcs = template.FuncMap{
	"text":    report.Visible,
	"date":    func(t time.Time) string { return dateOf(&t) },
	"datep":   dateOf,
	"stamp":   func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") },
	"rfc3339": func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"ago":     ago,
	"left":    leftText,
	"kind":    kind,
	"join":    func(ss []string) string { return strings.Join(ss, ", ") },
	"appURL":  appURL,
	"scanURL": func(id int64) string { return "/scans/" + strconv.FormatInt(id, 10) },
	"tenantQ": func(path, tenant string) string { return path + "?tenant=" + url.QueryEscape(tenant) },
}

// parsePages parses each page with the shared layout; each page defines
// "content" (and may define "head").
func parsePages(names ...string) map[string]*template.Template {
	out := make(map[string]*template.Template, len(names))
	for _, n := range names {
		out[n] = template.Must(template.New(n).Funcs(funcs).ParseFS(web,
			"web/templates/layout.html", "web/templates/"+n+".html"))
	}
	return out
}

// pageData is what the layout gets; Body is the page's own data.
type pageData struct {
	Title string
	Nav   string
	Nonce string
	CSS   template.CSS
	JS    template.JS
	Now   time.Time
	Body  any
}

// render executes a page into a buffer first, so a template error is a
// clean 500 and not half a page, then sends it under a CSP whose fresh
// nonce admits only this page's style and script.
func (s *Server) render(w http.ResponseWriter, status int, name, title, nav string, body any) {
	nonce := newNonce()
	var buf bytes.Buffer
	err := pages[name].ExecuteTemplate(&buf, "layout", pageData{Title: title, Nav: nav, Nonce: nonce,
		CSS: styleCSS, JS: enhanceJS, Now: s.now().UTC(), Body: body})
	if err != nil {
		s.log.Error("render page", "page", name, "err", err)
		http.Error(w, "internal error: the page could not be rendered", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Security-Policy", pageCSP(nonce))
	h.Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

type errorBody struct {
	Status  int
	Message string
}

func (s *Server) errorPage(w http.ResponseWriter, _ *http.Request, status int, msg string) {
	s.render(w, status, "error", http.StatusText(status), "", errorBody{Status: status, Message: msg})
}

// serverError logs what failed and shows a message without internals.
func (s *Server) serverError(w http.ResponseWriter, r *http.Request, err error) {
	s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	s.errorPage(w, r, http.StatusInternalServerError, "The scan history could not be read; the server log has the details.")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":"internal error: encode response"}`)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
}

func apiError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func dateOf(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.DateOnly)
}

// ago says how long before now t was, coarsely: "just now", "5m ago",
// "3h ago", "2d ago" ("in 5m" for the future).
func ago(now, t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	d := now.Sub(t)
	suffix, prefix := " ago", ""
	if d < 0 {
		d, suffix, prefix = -d, "", "in "
	}
	switch {
	case d < time.Minute:
		if prefix != "" {
			return "in under a minute"
		}
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%s%dm%s", prefix, int(d/time.Minute), suffix)
	case d < 48*time.Hour:
		return fmt.Sprintf("%s%dh%s", prefix, int(d/time.Hour), suffix)
	}
	return fmt.Sprintf("%s%dd%s", prefix, int(d/(24*time.Hour)), suffix)
}

// leftText shows days left from a row's DaysLeft: "12d", "today", "3d ago".
func leftText(days *int) string {
	switch {
	case days == nil:
		return ""
	case *days > 0:
		return strconv.Itoa(*days) + "d"
	case *days == 0:
		return "today"
	}
	return strconv.Itoa(-*days) + "d ago"
}

func kind(t inventory.ObjectType) string {
	switch t {
	case inventory.Application:
		return "app"
	case inventory.ServicePrincipal:
		return "sp"
	}
	return string(t)
}

// appURL links an app's page. Ids are tenant data: each is escaped as one
// path segment, so a "/" or "?" in an id cannot change the route.
func appURL(tenant string, t inventory.ObjectType, id string) string {
	return "/apps/" + url.PathEscape(string(t)) + "/" + url.PathEscape(id) + "?tenant=" + url.QueryEscape(tenant)
}
