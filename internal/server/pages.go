package server

import (
	"cmp"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/credwatch/credwatch/internal/policy"
	"github.com/credwatch/credwatch/internal/report"
	"github.com/credwatch/credwatch/internal/store"
)

// overviewTenant is one tenant's section of the overview.
type overviewTenant struct {
	*tenantView
	Index   int
	Chart   chart
	CanScan bool
	CSRF    string
	// Expiring30 counts credentials ending in the next 30 days; Urgent are
	// the first unsuppressed findings, worst and soonest first.
	Expiring30 int
	Urgent     []policy.Finding
}

const urgentFindings = 5

type overviewBody struct {
	Tenants  []overviewTenant
	Interval time.Duration
	Queued   string // tenant just queued by "scan now", for the notice
}

func (s *Server) overview(w http.ResponseWriter, r *http.Request) {
	now := s.now().UTC()
	views, err := s.tenantViews(r.Context(), now)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	body := overviewBody{Interval: s.o.Interval}
	if q := r.URL.Query().Get("queued"); s.serves(q) {
		body.Queued = q
	}
	csrf := ""
	if s.o.Scan != nil {
		csrf = s.csrfToken(w, r)
	}
	for i, v := range views {
		t := overviewTenant{tenantView: v, Index: i, CanScan: s.o.Scan != nil, CSRF: csrf}
		if v.Scan != nil {
			t.Chart = buildChart("chart-"+strconv.Itoa(i), v.Scan.Credentials, now)
			soon := credQuery{Expiring: "30", expiringDays: 30}
			for _, row := range credRows(v) {
				if soon.match(&row, now) {
					t.Expiring30++
				}
			}
			for _, f := range v.Scan.Findings {
				if !f.Suppressed && len(t.Urgent) < urgentFindings {
					t.Urgent = append(t.Urgent, f)
				}
			}
		}
		body.Tenants = append(body.Tenants, t)
	}
	s.render(w, http.StatusOK, "overview", "Overview", "overview", body)
}

type credentialsBody struct {
	Q       credQuery
	Table   credTable
	Tenants []string
	Types   []string
	Sevs    []string
	Views   []*tenantView
	Error   string
}

func (s *Server) credentials(w http.ResponseWriter, r *http.Request) {
	now := s.now().UTC()
	body := credentialsBody{Tenants: s.tenants, Types: credTypes,
		Sevs: []string{"critical", "high", "medium", "low", "info"}}
	q, err := parseCredQuery(r.URL.Query(), s.serves)
	body.Q = q
	if err != nil { // only ever a *queryError
		body.Error = err.Error()
		s.render(w, http.StatusBadRequest, "credentials", "Credentials", "credentials", body)
		return
	}
	var rows []credRow
	for _, id := range s.tenants {
		if q.Tenant != "" && id != q.Tenant {
			continue
		}
		v, err := s.tenantView(r.Context(), id, now)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		body.Views = append(body.Views, v)
		rows = append(rows, credRows(v)...)
	}
	body.Table = buildCredTable(q, rows, now)
	s.render(w, http.StatusOK, "credentials", "Credentials", "credentials", body)
}

const scansPerPage = 50

type scansBody struct {
	Tenant  string
	Tenants []string
	Scans   []store.ScanInfo
	Page    int
	PrevURL string
	NextURL string
	CanScan bool
	CSRF    string
	Status  map[string]tenantStatus
	Queued  string
}

func (s *Server) scans(w http.ResponseWriter, r *http.Request) {
	v := r.URL.Query()
	body := scansBody{Tenant: v.Get("tenant"), Tenants: s.tenants, CanScan: s.o.Scan != nil,
		Status: map[string]tenantStatus{}}
	if body.Tenant != "" && !s.serves(body.Tenant) {
		s.errorPage(w, r, http.StatusNotFound, "That tenant is not served here.")
		return
	}
	if q := v.Get("queued"); s.serves(q) {
		body.Queued = q
	}
	page, err := positive(v, "page", 1, 1<<20)
	if err != nil {
		s.errorPage(w, r, http.StatusBadRequest, err.Error())
		return
	}
	body.Page = page
	// Per tenant, then merged: the store may hold tenants not served here,
	// which must neither show nor shorten a page.
	want := page*scansPerPage + 1
	var all []store.ScanInfo
	for _, id := range s.tenants {
		if body.Tenant != "" && id != body.Tenant {
			continue
		}
		got, err := s.store.Scans(r.Context(), store.Filter{TenantID: id, Limit: want})
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		all = append(all, got...)
		body.Status[id] = s.status(id)
	}
	slices.SortFunc(all, func(a, b store.ScanInfo) int {
		return cmp.Or(b.ScannedAt.Compare(a.ScannedAt), cmp.Compare(b.ID, a.ID))
	})
	start := min((page-1)*scansPerPage, len(all))
	end := min(start+scansPerPage, len(all))
	body.Scans = all[start:end]
	link := func(p int) string {
		q := url.Values{}
		if body.Tenant != "" {
			q.Set("tenant", body.Tenant)
		}
		if p > 1 {
			q.Set("page", strconv.Itoa(p))
		}
		if len(q) == 0 {
			return "/scans"
		}
		return "/scans?" + q.Encode()
	}
	if page > 1 {
		body.PrevURL = link(page - 1)
	}
	if len(all) > end {
		body.NextURL = link(page + 1)
	}
	if body.CanScan {
		body.CSRF = s.csrfToken(w, r)
	}
	s.render(w, http.StatusOK, "scans", "Scans", "scans", body)
}

type scanBody struct {
	Info     store.ScanInfo
	Scan     *report.Scan
	Previous *store.ScanInfo
	Diff     *store.Diff
	DiffNote string
}

// scanID reads the {id} path value; ok is false for anything but a
// positive whole number.
func scanID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

// loadServedScan loads a scan, answering not found for unknown ids and
// for scans of tenants not served here alike.
func (s *Server) loadServedScan(r *http.Request) (*store.Record, error) {
	id, ok := scanID(r)
	if !ok {
		return nil, store.ErrNotFound
	}
	rec, err := s.record(r.Context(), id)
	if err != nil {
		return nil, err
	}
	if rec.Tenant == nil || !s.serves(rec.Tenant.ID) {
		return nil, store.ErrNotFound
	}
	return rec, nil
}

func (s *Server) scanDetail(w http.ResponseWriter, r *http.Request) {
	rec, err := s.loadServedScan(r)
	if errors.Is(err, store.ErrNotFound) {
		s.errorPage(w, r, http.StatusNotFound, "No such scan of a tenant served here.")
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	body := scanBody{Scan: report.NewScan(rec.Tenant, rec.Findings, rec.ScannedAt)}
	body.Info = store.ScanInfo{ID: rec.ID, TenantID: rec.Tenant.ID, Source: rec.Tenant.Source,
		ScannedAt: rec.ScannedAt, CollectedAt: rec.Tenant.CollectedAt, Complete: rec.Tenant.Complete,
		Incomplete: rec.Tenant.Incomplete, Objects: body.Scan.Summary.Objects,
		Credentials: body.Scan.Summary.Credentials.Total, Findings: len(rec.Findings)}
	prev, err := s.store.LatestComplete(r.Context(), rec.Tenant.ID, rec.ID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	body.Previous = prev
	switch {
	case !rec.Tenant.Complete:
		body.DiffNote = "This scan is incomplete, so it is not compared: what it could not fetch would read as removed."
	case prev == nil:
		body.DiffNote = "This is the tenant's first complete scan: there is nothing to compare it with."
	default:
		if body.Diff, err = s.diff(r.Context(), prev.ID, rec.ID); err != nil {
			s.serverError(w, r, err)
			return
		}
	}
	s.render(w, http.StatusOK, "scan", "Scan "+strconv.FormatInt(rec.ID, 10), "scans", body)
}

// scanNowForm is the "scan now" button's POST: auth (by the middleware),
// same origin and a CSRF token, then queue and redirect (POST, redirect,
// GET: reloading the result page does not queue again).
func (s *Server) scanNowForm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if !s.checkCSRF(r) {
		s.log.Warn("scan request refused: missing or invalid CSRF token", "remote", r.RemoteAddr)
		s.errorPage(w, r, http.StatusForbidden, "The request did not carry a valid form token. Reload the page and try again.")
		return
	}
	tenant := r.PostFormValue("tenant")
	err := s.ScanNow(tenant)
	switch {
	case errors.Is(err, ErrUnknownTenant):
		s.errorPage(w, r, http.StatusNotFound, "That tenant is not served here.")
		return
	case errors.Is(err, ErrNoScanner), errors.Is(err, ErrNotRunning):
		s.errorPage(w, r, http.StatusServiceUnavailable, "Scanning is not available: "+err.Error()+".")
		return
	case err != nil:
		s.serverError(w, r, err)
		return
	}
	s.log.Info("scan queued from the dashboard", "tenant", tenant)
	back := "/scans"
	if r.PostFormValue("back") == "overview" {
		back = "/"
	}
	http.Redirect(w, r, back+"?queued="+url.QueryEscape(tenant), http.StatusSeeOther)
}
