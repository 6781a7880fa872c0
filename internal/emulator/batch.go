package emulator

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
)

const maxBatchRequests = 20

type batchRequest struct {
	ID        string            `json:"id"`
	Method    string            `json:"method"`
	URL       string            `json:"url"`
	Headers   map[string]string `json:"headers,omitempty"`
	Body      json.RawMessage   `json:"body,omitempty"`
	DependsOn []string          `json:"dependsOn,omitempty"`
}

type batchResponse struct {
	ID      string            `json:"id"`
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    json.RawMessage   `json:"body,omitempty"`
}

// innerHeaders are the response headers Graph repeats inside a batch
// response.
var innerHeaders = []string{"Cache-Control", "Content-Type", "OData-Version", "Location", "Retry-After",
	"x-ms-resource-unit", "x-ms-throttle-information", "x-ms-throttle-scope", "x-ms-throttle-limit-percentage"}

func batchError(msg string) *graphError { return &graphError{400, "BadRequest", msg, nil} }

// handleBatch runs each request of a JSON batch through serveGraph, with
// the caller's token, its own fault draw and its own status, headers and
// body. Faults are drawn in request order so a seed gives the same result;
// the requests then run concurrently except where dependsOn orders them.
func (s *Server) handleBatch(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Requests []batchRequest `json:"requests"`
	}
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, 4<<20))
	if err != nil || json.Unmarshal(body, &in) != nil || in.Requests == nil {
		s.writeGraphError(w, batchError("Invalid batch payload format."))
		return
	}
	reqs := in.Requests
	if gerr := validateBatch(reqs); gerr != nil {
		s.writeGraphError(w, gerr)
		return
	}
	s.stats.update(func(st *Stats) { st.BatchedRequests += len(reqs) })

	index := make(map[string]int, len(reqs))
	decisions := make([]faultDecision, len(reqs))
	root := "/" + apiVersion(r.URL.Path)
	for i, br := range reqs {
		index[strings.ToLower(br.ID)] = i
		decisions[i] = s.faults.decide(root+innerPath(br.URL), false, true)
	}
	out := make([]batchResponse, len(reqs))
	done := make([]chan struct{}, len(reqs))
	for i := range done {
		done[i] = make(chan struct{})
	}
	var wg sync.WaitGroup
	for i := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer close(done[i])
			for _, dep := range reqs[i].DependsOn {
				j := index[strings.ToLower(dep)]
				<-done[j]
				if out[j].Status >= 400 {
					out[i] = failedDependency(reqs[i].ID)
					return
				}
			}
			out[i] = s.runInner(r, reqs[i], decisions[i])
		}()
	}
	wg.Wait()

	b, err := marshalJSON(struct {
		Responses []batchResponse `json:"responses"`
	}{out})
	if err != nil {
		s.writeGraphError(w, &graphError{500, "generalException", "An internal error occurred rendering the response.", nil})
		return
	}
	// The batch itself is free; its header sums what its requests paid.
	ru := 0
	for _, o := range out {
		n, _ := strconv.Atoi(o.Headers["x-ms-resource-unit"])
		ru += n
	}
	w.Header().Set("x-ms-resource-unit", strconv.Itoa(ru))
	writeGraphJSON(w, b, ru)
}

func validateBatch(reqs []batchRequest) *graphError {
	if len(reqs) == 0 {
		return batchError("Invalid batch payload format: the batch contains no requests.")
	}
	if len(reqs) > maxBatchRequests {
		return batchError(fmt.Sprintf("Invalid batch payload: %d requests exceed the limit of %d requests per batch.", len(reqs), maxBatchRequests))
	}
	seen := map[string]bool{}
	for i, br := range reqs {
		switch {
		case br.ID == "":
			return batchError(fmt.Sprintf("Invalid batch payload: request %d has no id.", i))
		case seen[strings.ToLower(br.ID)]:
			return batchError(fmt.Sprintf("Batch request contains duplicate id '%s'.", br.ID))
		case br.Method == "":
			return batchError(fmt.Sprintf("Invalid batch payload: request '%s' has no method.", br.ID))
		case br.URL == "":
			return batchError(fmt.Sprintf("Invalid batch payload: request '%s' has no url.", br.ID))
		case len(br.Body) > 0 && contentType(br.Headers) == "":
			return batchError(fmt.Sprintf("Invalid batch payload: request '%s' has a body but no Content-Type header.", br.ID))
		}
		for _, dep := range br.DependsOn {
			if !seen[strings.ToLower(dep)] {
				return batchError(fmt.Sprintf("Invalid batch payload: request '%s' depends on '%s', which is not an earlier request of the batch.", br.ID, dep))
			}
		}
		seen[strings.ToLower(br.ID)] = true
	}
	return nil
}

func contentType(h map[string]string) string {
	for k, v := range h {
		if strings.EqualFold(k, "Content-Type") {
			return v
		}
	}
	return ""
}

// innerPath is the path part of a batch request's relative URL.
func innerPath(u string) string {
	p, _, _ := strings.Cut(u, "?")
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	if unescaped, err := url.PathUnescape(p); err == nil {
		p = unescaped
	}
	return p
}

func failedDependency(id string) batchResponse {
	return batchResponse{ID: id, Status: http.StatusFailedDependency,
		Headers: map[string]string{"Content-Type": "application/json"},
		Body:    json.RawMessage(`{"error":{"code":"FailedDependency","message":"The request could not be processed because a request it depends on failed."}}`)}
}

// runInner dispatches one batch request through the normal Graph path.
func (s *Server) runInner(outer *http.Request, br batchRequest, d faultDecision) batchResponse {
	if u, err := url.Parse(br.URL); err != nil || u.IsAbs() || u.Host != "" {
		return batchResponse{ID: br.ID, Status: 400, Headers: map[string]string{"Content-Type": "application/json"},
			Body: json.RawMessage(`{"error":{"code":"BadRequest","message":"Invalid request URL: a batch request URL must be relative to the version root, like /applications."}}`)}
	}
	rel := br.URL
	if !strings.HasPrefix(rel, "/") {
		rel = "/" + rel
	}
	var body io.Reader = http.NoBody
	if len(br.Body) > 0 {
		body = bytes.NewReader(br.Body)
	}
	req, err := http.NewRequestWithContext(outer.Context(), strings.ToUpper(br.Method), baseURL(outer)+"/"+apiVersion(outer.URL.Path)+rel, body)
	if err != nil {
		return batchResponse{ID: br.ID, Status: 400, Headers: map[string]string{"Content-Type": "application/json"},
			Body: json.RawMessage(`{"error":{"code":"BadRequest","message":"Invalid request."}}`)}
	}
	req.Host = outer.Host
	req.RemoteAddr = outer.RemoteAddr
	for k, v := range br.Headers {
		req.Header.Set(k, v)
	}
	req.Header.Set("Authorization", outer.Header.Get("Authorization"))
	rec := newRecorder()
	s.serveGraph(rec, req, &d)
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	resp := batchResponse{ID: br.ID, Status: rec.status, Headers: map[string]string{}}
	for _, k := range innerHeaders {
		if v := rec.header.Get(k); v != "" {
			resp.Headers[k] = v
		}
	}
	switch b := rec.body.Bytes(); {
	case len(b) == 0:
	case json.Valid(b):
		resp.Body = json.RawMessage(b)
	default:
		enc, _ := json.Marshal(base64.StdEncoding.EncodeToString(b))
		resp.Body = enc
	}
	return resp
}
