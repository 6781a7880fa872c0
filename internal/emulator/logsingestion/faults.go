package logsingestion

import (
	"net/http"
	"strings"
)

// Fault fails calls on demand, after the token and the caller's access
// are checked and before the body is read, so a failed call keeps no
// rows and counts against no limit.
type Fault struct {
	Rule   string // immutable id; "" = any rule
	Stream string // "" = any stream
	// Status is the answer; default 503. Code and Message shape the
	// envelope; by default the status's name.
	Status  int
	Code    string
	Message string
	// RetryAfter, when set, is sent as the Retry-After header.
	RetryAfter string
	// Count is how many matching calls fail; at least 1.
	Count int
}

type faultRule struct {
	f    Fault
	left int
}

// FailNext makes the next f.Count calls that match f fail. Rules are
// matched in the order added.
func (s *Server) FailNext(f Fault) {
	if f.Count < 1 {
		f.Count = 1
	}
	if f.Status == 0 {
		f.Status = http.StatusServiceUnavailable
	}
	if f.Code == "" {
		f.Code = strings.ReplaceAll(http.StatusText(f.Status), " ", "")
	}
	if f.Message == "" {
		f.Message = "Injected fault: " + http.StatusText(f.Status) + "."
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &faultRule{f: f, left: f.Count})
}

// fault returns the answer of the first rule matching the call and uses
// one of its counts; s.mu is held.
func (s *Server) fault(ru *rule, st *stream) *apiError {
	for i, fr := range s.faults {
		if (fr.f.Rule != "" && !strings.EqualFold(fr.f.Rule, ru.cfg.ImmutableID)) ||
			(fr.f.Stream != "" && !strings.EqualFold(fr.f.Stream, st.cfg.Name)) {
			continue
		}
		fr.left--
		if fr.left <= 0 {
			s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
		}
		return &apiError{status: fr.f.Status, code: fr.f.Code, msg: fr.f.Message, retryAfter: fr.f.RetryAfter}
	}
	return nil
}
