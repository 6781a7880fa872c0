package emulator

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/credwatch/credwatch/internal/msgraph"
)

const graphContentType = "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8"

// graphError is an error in Graph's envelope.
type graphError struct {
	status    int
	code, msg string
	inner     map[string]string // extra innerError fields (throttling)
}

func badRequest(format string, args ...any) *graphError {
	return &graphError{400, "Request_BadRequest", fmt.Sprintf(format, args...), nil}
}

func resourceNotFound(id string) *graphError {
	return &graphError{404, "Request_ResourceNotFound", fmt.Sprintf("Resource '%s' does not exist or one of its queried reference-property objects are not present.", id), nil}
}

func segmentNotFound(seg string) *graphError {
	return &graphError{404, "Request_ResourceNotFound", fmt.Sprintf("Resource not found for the segment '%s'.", seg), nil}
}

// writeGraphError writes e with the request ids already set on w.
func (s *Server) writeGraphError(w http.ResponseWriter, e *graphError) {
	h := w.Header()
	var inner jsonObject
	if c := e.inner["code"]; c != "" {
		inner.str("code", c)
	}
	inner.str("date", s.now().UTC().Format("2006-01-02T15:04:05"))
	if m := e.inner["message"]; m != "" {
		inner.str("message", m)
	}
	inner.str("request-id", h.Get("request-id"))
	inner.str("client-request-id", h.Get("client-request-id"))
	if st := e.inner["status"]; st != "" {
		inner.str("status", st)
	}
	var body, outer jsonObject
	body.str("code", e.code)
	body.str("message", e.msg)
	body.raw("innerError", inner.bytes())
	outer.raw("error", body.bytes())
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(e.status)
	_, _ = w.Write(outer.bytes())
}

// writeGraphJSON writes a 200 answer. ru is the x-ms-resource-unit of
// answers the directory budget did not already price (charge sets it).
func writeGraphJSON(w http.ResponseWriter, body []byte, ru int) {
	h := w.Header()
	h.Set("Content-Type", graphContentType)
	h.Set("OData-Version", "4.0")
	h.Set("Cache-Control", "no-cache")
	if h.Get("x-ms-resource-unit") == "" {
		h.Set("x-ms-resource-unit", strconv.Itoa(ru))
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// statusWriter remembers the status for stats and logs, and still lets
// faults hijack the connection.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("connection cannot be hijacked")
	}
	return hj.Hijack()
}

// serveGraph answers one Graph request: ids, faults, auth, then the
// handler. pre is the fault already drawn for a request inside a $batch
// (nil for a request off the wire).
func (s *Server) serveGraph(w http.ResponseWriter, r *http.Request, pre *faultDecision) {
	start := time.Now()
	sw := &statusWriter{ResponseWriter: w}
	reqID := newUUID()
	clientReqID := r.Header.Get("client-request-id")
	if clientReqID == "" {
		clientReqID = reqID
	}
	h := sw.Header()
	h.Set("request-id", reqID)
	h.Set("client-request-id", clientReqID)
	h.Set("Strict-Transport-Security", "max-age=31536000")

	rt := parseRoute(r)
	if pre == nil {
		s.stats.update(func(st *Stats) { st.GraphRequests++ })
	}
	if rt.kind != kindBatch || pre == nil { // a $batch inside a batch is refused, not counted
		s.stats.kind(rt.kind)
	}
	var d faultDecision
	if pre != nil {
		d = *pre
	} else {
		d = s.faults.decide(r.URL.Path, false, false)
	}
	handled, truncate := s.applyFault(sw, r, d, false)
	switch {
	case handled:
	case truncate:
		rec := newRecorder()
		maps.Copy(rec.header, h)
		s.handleGraph(rec, r, rt, pre != nil)
		writeTruncated(sw, rec)
		sw.status = rec.status
	default:
		s.handleGraph(sw, r, rt, pre != nil)
	}
	if sw.status != 0 {
		s.stats.graphStatus(sw.status)
	}
	s.log.Debug("graph request", "method", r.Method, "path", r.URL.Path, "kind", rt.kind,
		"status", sw.status, "fault", string(d.kind), "request_id", reqID, "batch", pre != nil,
		"duration", time.Since(start))
}

func (s *Server) handleGraph(w http.ResponseWriter, r *http.Request, rt route, inner bool) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			// A bug here must not look like a network fault to the client.
			s.log.Error("graph handler panic", "path", r.URL.Path, "panic", fmt.Sprint(v))
			s.writeGraphError(w, &graphError{500, "generalException", "An internal error occurred.", nil})
		}
	}()
	if rt.err != nil {
		s.writeGraphError(w, rt.err)
		return
	}
	if rt.kind == kindBatch && inner {
		s.writeGraphError(w, &graphError{400, "BadRequest", "A $batch request cannot contain another $batch request.", nil})
		return
	}
	if r.Method != methodOf(rt.kind) {
		s.writeGraphError(w, &graphError{405, "Request_BadRequest", fmt.Sprintf("The HTTP method '%s' is not allowed for this resource.", r.Method), nil})
		return
	}
	c, gerr := s.authorize(r, rt.kind)
	if gerr != nil {
		if gerr.status == http.StatusUnauthorized {
			w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="", authorization_uri="%s/common/oauth2/authorize", client_id="%s"`, baseURL(r), msgraph.GraphAppID))
		}
		s.writeGraphError(w, gerr)
		return
	}
	if rt.kind == kindBatch {
		s.handleBatch(w, r)
		return
	}
	if gerr := s.charge(w, r, rt, c); gerr != nil {
		s.writeGraphError(w, gerr)
		return
	}
	if gerr := s.gate(w, r, rt, c); gerr != nil {
		s.writeGraphError(w, gerr)
		return
	}
	if isWrite(rt.kind) {
		// The body is read before the lock: a slow client must not stall
		// every reader.
		body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, 1<<20))
		if err != nil {
			s.writeGraphError(w, badRequest("The request body could not be read."))
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if gerr := s.mutate(w, r, rt, c, body); gerr != nil {
			s.writeGraphError(w, gerr)
		}
		return
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	switch rt.kind {
	case kindListApps:
		gerr = s.listApplications(w, r, rt)
	case kindListSPs:
		gerr = s.listServicePrincipals(w, r, rt)
	case kindCount:
		gerr = s.countCollection(w, r, rt)
	case kindGetApp, kindGetSP:
		gerr = s.getEntity(w, r, rt)
	case kindOwners, kindAssignments, kindFICs:
		gerr = s.listNavigation(w, r, rt)
	case kindDeltaApps, kindDeltaSPs:
		gerr = s.delta(w, r, rt)
	case kindAudits:
		gerr = s.listAudits(w, r)
	case kindSignIns:
		gerr = s.listSignIns(w, r, rt)
	case kindCredUsage:
		gerr = s.listCredentialUsage(w, r, rt)
	case kindTenantPolicy:
		gerr = s.getTenantPolicy(w, r)
	case kindAppPolicies:
		gerr = s.appPolicies(w, r, rt)
	case kindObjectPolicies:
		gerr = s.objectPolicies(w, r, rt)
	}
	if gerr != nil {
		s.writeGraphError(w, gerr)
	}
}

// charge prices the request from the cost table and takes it from the
// caller's directory budget: x-ms-resource-unit on every answer, and when
// throttling is on, 429 with an exact Retry-After once the budget is
// spent, and x-ms-throttle-limit-percentage once more than 80% of it is.
func (s *Server) charge(w http.ResponseWriter, r *http.Request, rt route, c *caller) *graphError {
	cost := costOf(rt.kind, r.Method, r.URL.RawQuery)
	if cost == 0 {
		return nil
	}
	h := w.Header()
	if !s.budget.cfg.Enabled {
		h.Set("x-ms-resource-unit", strconv.Itoa(cost))
		s.stats.charged(rt.kind, cost)
		return nil
	}
	v := s.budget.charge(c.appID, cost, isWrite(rt.kind), s.now())
	if v.used > 0.8 {
		h.Set("x-ms-throttle-limit-percentage", strconv.FormatFloat(v.used, 'f', 3, 64))
	}
	if !v.ok {
		s.stats.refused(rt.kind)
		h.Set("x-ms-resource-unit", "0")
		h.Set("Retry-After", strconv.Itoa(v.retryAfter))
		h.Set("x-ms-throttle-scope", "Tenant_Application/"+v.scope+"/"+c.appID+"/"+s.tenant)
		h.Set("x-ms-throttle-information", v.info)
		return &graphError{http.StatusTooManyRequests, "TooManyRequests", "Too many requests for this tenant and application. Please retry after the number of seconds in the Retry-After header.",
			map[string]string{"code": "429", "message": "Please retry after", "status": "429"}}
	}
	h.Set("x-ms-resource-unit", strconv.Itoa(cost))
	s.stats.charged(rt.kind, cost)
	return nil
}

// gate applies the limits beyond the budget: on application lists that
// select keyCredentials, their own per-tenant rate (with Throttling on);
// on the audit and report data, the licence, then the reports throttle.
func (s *Server) gate(w http.ResponseWriter, r *http.Request, rt route, c *caller) *graphError {
	if rt.kind == kindListApps && s.budget.cfg.Enabled && selectsKeyCredentials(r) {
		if wait, ok := s.keyLists.admit("", s.now()); !ok {
			s.stats.update(func(st *Stats) { st.KeyListsThrottled++ })
			w.Header().Set("Retry-After", strconv.Itoa(wait))
			return &graphError{http.StatusTooManyRequests, "TooManyRequests", "Too many requests for this tenant and application. Please retry after the number of seconds in the Retry-After header.",
				map[string]string{"code": "429", "message": "Please retry after", "status": "429"}}
		}
		return nil
	}
	switch rt.kind {
	case kindSignIns, kindCredUsage:
		if s.nonPremium {
			return &graphError{http.StatusForbidden, "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
				"Neither tenant is B2C or tenant doesn't have premium license", nil}
		}
	case kindAudits:
	default:
		return nil
	}
	if wait, ok := s.throttle.admit(c.appID, s.now()); !ok {
		s.stats.update(func(st *Stats) { st.ReportsThrottled++ })
		w.Header().Set("Retry-After", strconv.Itoa(wait))
		w.Header().Set("x-ms-throttle-scope", "Tenant_Application/Read/"+c.appID+"/"+s.tenant)
		return &graphError{http.StatusTooManyRequests, "TooManyRequests", "Too many requests for this tenant and application. Please retry after the number of seconds in the Retry-After header.",
			map[string]string{"code": "429", "message": "Please retry after", "status": "429"}}
	}
	return nil
}

// selectsKeyCredentials reports a $select naming keyCredentials.
func selectsKeyCredentials(r *http.Request) bool {
	for _, f := range strings.Split(r.URL.Query().Get("$select"), ",") {
		if strings.EqualFold(strings.TrimSpace(f), "keyCredentials") {
			return true
		}
	}
	return false
}
