package collect

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/credwatch/credwatch/internal/msgraph"
)

// fakeGraph serves the slice of Graph v1.0 a collection reads, from an
// in-memory tenant, honouring $select, the 20-object limit of $expand,
// paging with opaque skip tokens, and $batch (answered in reverse order).
type fakeGraph struct {
	t         *testing.T
	apps      []msgraph.Application
	sps       []msgraph.ServicePrincipal // with appRoles and assignments
	pageSize  int                        // lists and assignments
	ownerPage int

	// fault, when set, may answer a request (direct or inside $batch)
	// instead of the tenant: status and Graph error code.
	fault func(r *http.Request) (int, string)
	// auth checks the Authorization header of outer requests.
	auth func(*http.Request) bool
	// extra serves other paths (a fake token service).
	extra func(w http.ResponseWriter, r *http.Request) bool
	// onBatch runs when a $batch call arrives.
	onBatch func()
	// notInKeyList are apps the application key list leaves out, as if
	// created while the lists were read.
	notInKeyList map[string]bool

	mu       sync.Mutex
	requests []string // "GET /v1.0/applications", "POST /v1.0/$batch"...
	inner    []string // paths requested inside $batch
	srv      *httptest.Server
}

func (f *fakeGraph) start() {
	f.srv = httptest.NewUnstartedServer(http.HandlerFunc(f.outer))
	// Connections cut by a cancelled test are expected; keep the output clean.
	f.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	f.srv.StartTLS()
	f.t.Cleanup(f.srv.Close)
}

func (f *fakeGraph) outer(w http.ResponseWriter, r *http.Request) {
	if f.extra != nil && f.extra(w, r) {
		return
	}
	f.mu.Lock()
	f.requests = append(f.requests, r.Method+" "+r.URL.Path)
	f.mu.Unlock()
	if f.auth != nil && !f.auth(r) {
		graphErr(w, http.StatusUnauthorized, "InvalidAuthenticationToken")
		return
	}
	if r.Method == http.MethodPost && r.URL.Path == "/v1.0/$batch" {
		f.batch(w, r)
		return
	}
	f.serve(w, r)
}

func (f *fakeGraph) batch(w http.ResponseWriter, r *http.Request) {
	if f.onBatch != nil {
		f.onBatch()
	}
	var body struct {
		Requests []struct {
			ID, Method, URL string
		} `json:"requests"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || len(body.Requests) > 20 {
		graphErr(w, http.StatusBadRequest, "BadRequest")
		return
	}
	var out []map[string]any
	for i := len(body.Requests) - 1; i >= 0; i-- {
		q := body.Requests[i]
		f.mu.Lock()
		f.inner = append(f.inner, strings.SplitN(q.URL, "?", 2)[0])
		f.mu.Unlock()
		in := httptest.NewRequest(q.Method, "/v1.0"+q.URL, nil)
		in.Host = r.Host
		rec := httptest.NewRecorder()
		f.serve(rec, in)
		h := map[string]string{}
		for k := range rec.Header() {
			h[k] = rec.Header().Get(k)
		}
		out = append(out, map[string]any{"id": q.ID, "status": rec.Code, "headers": h, "body": json.RawMessage(rec.Body.Bytes())})
	}
	writeJSON(w, http.StatusOK, map[string]any{"responses": out})
}

// serve answers one Graph GET.
func (f *fakeGraph) serve(w http.ResponseWriter, r *http.Request) {
	if f.fault != nil {
		if status, code := f.fault(r); status != 0 {
			if status == http.StatusTooManyRequests {
				w.Header().Set("Retry-After", "1")
			}
			graphErr(w, status, code)
			return
		}
	}
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/v1.0/"), "/")
	sel := selected(r)
	switch {
	case len(parts) == 1 && parts[0] == "applications":
		// The main list expands owners; the key credentials come from a
		// list of their own, which Graph rate-limits separately.
		keyList := r.URL.Query().Get("$select") == "id,keyCredentials"
		if !keyList && !strings.HasPrefix(r.URL.Query().Get("$expand"), "owners($select=") {
			f.t.Errorf("application list without owners expanded: %s", r.URL.RawQuery)
		}
		if !keyList && slices.Contains(sel, "keyCredentials") {
			f.t.Errorf("application list with owners expanded selects keyCredentials: %s", r.URL.RawQuery)
		}
		var items []any
		for _, a := range f.apps {
			if keyList && f.notInKeyList[a.ID] {
				continue
			}
			a.Owners = a.Owners[:min(len(a.Owners), 20)]
			a.FederatedIdentityCredentials = nil
			items = append(items, project(a, sel, "owners"))
		}
		f.page(w, r, items, f.pageSize)
	case len(parts) == 1 && parts[0] == "servicePrincipals":
		var items []any
		for _, sp := range f.sps {
			sp.Owners = sp.Owners[:min(len(sp.Owners), 20)]
			sp.AppRoleAssignments = nil
			items = append(items, project(sp, sel, "owners"))
		}
		f.page(w, r, items, f.pageSize)
	case len(parts) == 3 && parts[0] == "applications":
		a, ok := findApp(f.apps, parts[1])
		if !ok {
			graphErr(w, http.StatusNotFound, "Request_ResourceNotFound")
			return
		}
		switch parts[2] {
		case "owners":
			f.page(w, r, anySlice(a.Owners), f.ownerPage)
		case "federatedIdentityCredentials":
			f.page(w, r, anySlice(a.FederatedIdentityCredentials), 100)
		default:
			graphErr(w, http.StatusBadRequest, "Request_BadRequest")
		}
	case len(parts) == 3 && parts[0] == "servicePrincipals":
		sp, ok := findSP(f.sps, parts[1])
		if !ok {
			graphErr(w, http.StatusNotFound, "Request_ResourceNotFound")
			return
		}
		switch parts[2] {
		case "owners":
			f.page(w, r, anySlice(sp.Owners), f.ownerPage)
		case "appRoleAssignments":
			var items []any
			for _, a := range sp.AppRoleAssignments {
				items = append(items, project(a, sel))
			}
			f.page(w, r, items, f.pageSize)
		default:
			graphErr(w, http.StatusBadRequest, "Request_BadRequest")
		}
	case len(parts) == 2 && parts[0] == "applications":
		a, ok := findApp(f.apps, parts[1])
		if !ok {
			graphErr(w, http.StatusNotFound, "Request_ResourceNotFound")
			return
		}
		writeJSON(w, http.StatusOK, project(a, sel))
	case len(parts) == 2 && parts[0] == "servicePrincipals":
		sp, ok := findSP(f.sps, parts[1])
		if !ok {
			graphErr(w, http.StatusNotFound, "Request_ResourceNotFound")
			return
		}
		writeJSON(w, http.StatusOK, project(sp, sel))
	default:
		graphErr(w, http.StatusNotFound, "Request_ResourceNotFound")
	}
}

// page writes one page of items, the skip token an opaque offset.
func (f *fakeGraph) page(w http.ResponseWriter, r *http.Request, items []any, size int) {
	off := 0
	if tok := r.URL.Query().Get("$skiptoken"); tok != "" {
		b, err := base64.RawURLEncoding.DecodeString(tok)
		if err != nil {
			graphErr(w, http.StatusBadRequest, "Request_BadRequest")
			return
		}
		off, _ = strconv.Atoi(strings.TrimPrefix(string(b), "skip:"))
	}
	end := min(off+size, len(items))
	body := map[string]any{"@odata.context": "https://" + r.Host + "/v1.0/$metadata", "value": append([]any{}, items[off:end]...)}
	if end < len(items) {
		raw, _, _ := strings.Cut(r.URL.RawQuery, "$skiptoken=")
		if raw != "" && !strings.HasSuffix(raw, "&") {
			raw += "&"
		}
		body["@odata.nextLink"] = "https://" + r.Host + r.URL.Path + "?" + raw + "$skiptoken=" +
			base64.RawURLEncoding.EncodeToString([]byte("skip:"+strconv.Itoa(end)))
	}
	writeJSON(w, http.StatusOK, body)
}

// selected is the top-level $select list.
func selected(r *http.Request) []string {
	s := r.URL.Query().Get("$select")
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// project keeps only the selected properties (all when none), the
// @odata.type, and the named expanded relationships.
func project(v any, sel []string, keep ...string) map[string]any {
	b, _ := json.Marshal(v)
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	if sel == nil {
		return m
	}
	out := map[string]any{}
	for k, val := range m {
		if slices.Contains(sel, k) || slices.Contains(keep, k) || k == "@odata.type" {
			out[k] = val
		}
	}
	return out
}

func anySlice[T any](s []T) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func findApp(apps []msgraph.Application, id string) (msgraph.Application, bool) {
	for _, a := range apps {
		if a.ID == id {
			return a, true
		}
	}
	return msgraph.Application{}, false
}

func findSP(sps []msgraph.ServicePrincipal, id string) (msgraph.ServicePrincipal, bool) {
	for _, sp := range sps {
		if sp.ID == id {
			return sp, true
		}
	}
	return msgraph.ServicePrincipal{}, false
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func graphErr(w http.ResponseWriter, status int, code string) {
	w.Header().Set("request-id", "req-"+strings.ToLower(code))
	writeJSON(w, status, map[string]any{"error": map[string]any{"code": code, "message": "fake " + code,
		"innerError": map[string]string{"date": "2026-01-01T00:00:00", "request-id": "req-" + strings.ToLower(code)}}})
}
