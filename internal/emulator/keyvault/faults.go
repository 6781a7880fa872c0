package keyvault

import (
	"fmt"
	"net/http"
	"strings"
)

// Operations a Fault can name.
const (
	OpSetSecret         = "setSecret"
	OpGetSecret         = "getSecret"
	OpListSecrets       = "listSecrets"
	OpCreateCertificate = "createCertificate"
	OpImportCertificate = "importCertificate"
	OpGetCertificate    = "getCertificate"
	OpListCertificates  = "listCertificates"
)

// Fault fails authenticated requests on demand, after the token is
// checked and before anything changes, so a failed write writes nothing.
type Fault struct {
	Vault string // "" = any vault
	Op    string // one of the Op constants; "" = any operation
	// Status, Code and InnerCode shape the answer; default 403 Forbidden
	// ForbiddenByRbac, the refusal a write most often meets.
	Status    int
	Code      string
	InnerCode string
	Message   string
	// Count is how many matching requests fail; at least 1.
	Count int
}

type faultRule struct {
	f    Fault
	left int
}

// FailNext makes the next f.Count requests that match f fail. Rules are
// matched in the order added.
func (s *Server) FailNext(f Fault) {
	if f.Count < 1 {
		f.Count = 1
	}
	if f.Status == 0 {
		f.Status, f.Code, f.InnerCode = http.StatusForbidden, "Forbidden", "ForbiddenByRbac"
	}
	if f.Code == "" {
		f.Code = http.StatusText(f.Status)
	}
	if f.Message == "" {
		f.Message = fmt.Sprintf("Injected fault: operation %s refused.", f.Op)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &faultRule{f: f, left: f.Count})
}

// fault returns the error of the first rule matching the request and uses
// one of its counts.
func (s *Server) fault(v *vault, op string) *kvError {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, fr := range s.faults {
		if (fr.f.Vault != "" && !strings.EqualFold(fr.f.Vault, v.cfg.Name)) || (fr.f.Op != "" && fr.f.Op != op) {
			continue
		}
		fr.left--
		if fr.left <= 0 {
			s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
		}
		return &kvError{fr.f.Status, fr.f.Code, fr.f.InnerCode, fr.f.Message}
	}
	return nil
}
