package emulator

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"path"
	"strconv"
	"sync"
	"time"
)

// FaultKind is a failure the emulator can inject.
type FaultKind string

// Fault kinds.
const (
	FaultThrottle       FaultKind = "throttle"        // 429 TooManyRequests, Retry-After as configured
	FaultUnavailable    FaultKind = "unavailable"     // 503, Retry-After as configured
	FaultGatewayTimeout FaultKind = "gateway-timeout" // 504
	FaultReset          FaultKind = "reset"           // TCP reset before any response byte (Go's transport may retry a GET that hit it on a reused connection)
	FaultTruncate       FaultKind = "truncate"        // full Content-Length declared, half the body sent, connection closed
	FaultDelay          FaultKind = "delay"           // scripted only: extra latency, then the normal response
)

// Faults configure injected failures. They apply to Graph requests
// (including each request inside a $batch) and to the token endpoint only
// when IncludeToken is set. Everything random comes from a generator seeded
// with Seed, so a run with the same requests in the same order sees the
// same faults.
type Faults struct {
	Seed int64

	Latency time.Duration // added to every request
	Jitter  time.Duration // plus a uniform random [0, Jitter)

	// Probability per request of each fault, each in [0,1], summing to at
	// most 1. Requests inside a $batch never get reset or truncate.
	ThrottleRate       float64
	UnavailableRate    float64
	GatewayTimeoutRate float64
	ResetRate          float64
	TruncateRate       float64
	// RetryAfter is the Retry-After header on 429 and 503 from the rates
	// above: whole ("2") or fractional ("0.25") seconds; "" sends none.
	RetryAfter string

	// Script is consulted before the rates: the first entry whose Path
	// matches and still has a count left decides the request.
	Script []ScriptedFault

	IncludeToken bool // also fault the token endpoint
}

// ScriptedFault gives the next Count requests whose URL path matches Path
// the fault Kind.
type ScriptedFault struct {
	// Path is a path.Match pattern over the URL path, query excluded:
	// "/v1.0/applications", "/v1.0/servicePrincipals/*/owners",
	// "/*/oauth2/v2.0/token". Requests inside a $batch are matched as the
	// batch's version root ("/v1.0" or "/beta") + their relative URL. ""
	// matches every request.
	Path       string
	Count      int // 0 means 1
	Kind       FaultKind
	RetryAfter string        // for FaultThrottle and FaultUnavailable; "" sends none
	Delay      time.Duration // for FaultDelay
}

func (f Faults) validate() error {
	rates := []struct {
		name string
		v    float64
	}{{"ThrottleRate", f.ThrottleRate}, {"UnavailableRate", f.UnavailableRate}, {"GatewayTimeoutRate", f.GatewayTimeoutRate}, {"ResetRate", f.ResetRate}, {"TruncateRate", f.TruncateRate}}
	sum := 0.0
	for _, r := range rates {
		if r.v < 0 || r.v > 1 {
			return fmt.Errorf("faults.%s %v: want a probability in [0,1]", r.name, r.v)
		}
		sum += r.v
	}
	if sum > 1+1e-9 {
		return fmt.Errorf("faults: rates sum to %v: want at most 1", sum)
	}
	if f.Latency < 0 || f.Jitter < 0 {
		return errors.New("faults: Latency and Jitter must not be negative")
	}
	if err := validRetryAfter(f.RetryAfter); err != nil {
		return fmt.Errorf("faults.RetryAfter: %w", err)
	}
	for i, sf := range f.Script {
		switch sf.Kind {
		case FaultThrottle, FaultUnavailable, FaultGatewayTimeout, FaultReset, FaultTruncate, FaultDelay:
		default:
			return fmt.Errorf("faults.script[%d].kind %q: unknown", i, sf.Kind)
		}
		if _, err := path.Match(sf.Path, "/"); err != nil {
			return fmt.Errorf("faults.script[%d].path %q: %w", i, sf.Path, err)
		}
		if sf.Count < 0 || sf.Delay < 0 {
			return fmt.Errorf("faults.script[%d]: count and delay must not be negative", i)
		}
		if err := validRetryAfter(sf.RetryAfter); err != nil {
			return fmt.Errorf("faults.script[%d].retryAfter: %w", i, err)
		}
	}
	return nil
}

func validRetryAfter(v string) error {
	if v == "" {
		return nil
	}
	if f, err := strconv.ParseFloat(v, 64); err != nil || f < 0 {
		return fmt.Errorf("%q: want seconds, like \"2\" or \"0.25\"", v)
	}
	return nil
}

// faultState is the live configuration with its generator and the counts
// left on each scripted entry.
type faultState struct {
	mu   sync.Mutex
	cfg  Faults
	rng  *rand.Rand
	left []int
}

func newFaultState(f Faults) (*faultState, error) {
	st := &faultState{}
	if err := st.set(f); err != nil {
		return nil, err
	}
	return st, nil
}

func (st *faultState) set(f Faults) error {
	if err := f.validate(); err != nil {
		return err
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	f.Script = append([]ScriptedFault(nil), f.Script...)
	st.cfg = f
	st.rng = rand.New(rand.NewPCG(uint64(f.Seed), 0x6372656477617463)) // "credwatc"
	st.left = make([]int, len(f.Script))
	for i, sf := range f.Script {
		st.left[i] = max(sf.Count, 1)
	}
	return nil
}

// faultDecision is what happens to one request.
type faultDecision struct {
	kind       FaultKind // "" = answer normally
	retryAfter string
	delay      time.Duration
}

// decide draws the fault for one request. inner marks a request inside a
// $batch, which cannot be reset or truncated on its own.
func (st *faultState) decide(urlPath string, token, inner bool) faultDecision {
	st.mu.Lock()
	defer st.mu.Unlock()
	cfg := &st.cfg
	if token && !cfg.IncludeToken {
		return faultDecision{}
	}
	d := faultDecision{delay: cfg.Latency}
	if cfg.Jitter > 0 {
		d.delay += time.Duration(st.rng.Int64N(int64(cfg.Jitter)))
	}
	connFault := func(k FaultKind) bool { return k == FaultReset || k == FaultTruncate }
	for i, sf := range cfg.Script {
		if st.left[i] == 0 || (inner && connFault(sf.Kind)) {
			continue
		}
		if ok, _ := path.Match(sf.Path, urlPath); sf.Path != "" && !ok {
			continue
		}
		st.left[i]--
		if sf.Kind == FaultDelay {
			d.delay += sf.Delay
		} else {
			d.kind, d.retryAfter = sf.Kind, sf.RetryAfter
		}
		return d
	}
	x := st.rng.Float64()
	for _, c := range []struct {
		k    FaultKind
		rate float64
	}{{FaultThrottle, cfg.ThrottleRate}, {FaultUnavailable, cfg.UnavailableRate}, {FaultGatewayTimeout, cfg.GatewayTimeoutRate}, {FaultReset, cfg.ResetRate}, {FaultTruncate, cfg.TruncateRate}} {
		if x < c.rate {
			if !(inner && connFault(c.k)) {
				d.kind, d.retryAfter = c.k, cfg.RetryAfter
			}
			break
		}
		x -= c.rate
	}
	return d
}

// applyFault carries out d. handled means the response is done (or the
// connection gone); truncate asks the caller to buffer the response and
// send it with writeTruncated.
func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, d faultDecision, sts bool) (handled, truncate bool) {
	if d.delay > 0 {
		s.stats.update(func(st *Stats) { st.Faults.Latency++ })
		t := time.NewTimer(d.delay)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return true, false
		}
	}
	if d.kind == "" || d.kind == FaultDelay {
		return false, false
	}
	s.stats.fault(d.kind)
	s.log.Info("fault injected", "fault", string(d.kind), "path", r.URL.Path)
	switch d.kind {
	case FaultReset:
		resetConn(w)
		return true, false
	case FaultTruncate:
		return false, true
	}
	status := map[FaultKind]int{FaultThrottle: 429, FaultUnavailable: 503, FaultGatewayTimeout: 504}[d.kind]
	if d.retryAfter != "" && d.kind != FaultGatewayTimeout {
		w.Header().Set("Retry-After", d.retryAfter)
	}
	if sts {
		s.writeSTSError(w, r, &stsError{status, "temporarily_unavailable", 90033, "A transient error has occurred. Please try again."})
		return true, false
	}
	switch d.kind {
	case FaultThrottle:
		w.Header().Set("x-ms-throttle-information", "ResourceUnitLimitExceeded")
		s.writeGraphError(w, &graphError{429, "TooManyRequests", "Please retry again later.", map[string]string{"code": "429", "message": "Please retry after", "status": "429"}})
	case FaultUnavailable:
		s.writeGraphError(w, &graphError{503, "serviceNotAvailable", "The service is temporarily unavailable. Please retry later.", nil})
	default:
		s.writeGraphError(w, &graphError{504, "gatewayTimeout", "The gateway did not receive a timely response from the upstream service.", nil})
	}
	return true, false
}

// resetConn drops the connection with a TCP RST, so the client sees
// "connection reset by peer" rather than a clean close.
func resetConn(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*tls.Conn); ok {
		if tcp, ok := tc.NetConn().(*net.TCPConn); ok {
			_ = tcp.SetLinger(0)
			_ = tcp.Close()
			return
		}
	}
	_ = conn.Close()
}

// writeTruncated sends rec's status and headers with the full
// Content-Length but only half the body, then closes the connection.
func writeTruncated(w http.ResponseWriter, rec *recorder) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, brw, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	defer conn.Close()
	body := rec.body.Bytes()
	h := rec.header.Clone()
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	h.Set("Connection", "close")
	h.Del("Transfer-Encoding")
	fmt.Fprintf(brw, "HTTP/1.1 %d %s\r\n", rec.status, http.StatusText(rec.status))
	_ = h.Write(brw)
	_, _ = brw.WriteString("\r\n")
	_, _ = brw.Write(body[:len(body)/2])
	_ = brw.Flush()
}

// recorder buffers a response: for truncation and for $batch inner requests.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newRecorder() *recorder { return &recorder{header: http.Header{}} }

func (rc *recorder) Header() http.Header { return rc.header }

func (rc *recorder) WriteHeader(code int) {
	if rc.status == 0 {
		rc.status = code
	}
}

func (rc *recorder) Write(b []byte) (int, error) {
	if rc.status == 0 {
		rc.status = http.StatusOK
	}
	return rc.body.Write(b)
}
