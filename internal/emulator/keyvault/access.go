package keyvault

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
)

// kvError is a Key Vault error: status, code and, for refusals, the inner
// code. The message never holds a secret value or a token.
type kvError struct {
	status int
	code   string
	inner  string
	msg    string
}

func (e *kvError) Error() string { return e.code + ": " + e.msg }

// writeKVError writes Key Vault's envelope; unlike Graph it spells
// innererror in lower case.
func writeKVError(w http.ResponseWriter, e *kvError) {
	type inner struct {
		Code string `json:"code"`
	}
	body := struct {
		Error struct {
			Code       string `json:"code"`
			Message    string `json:"message"`
			InnerError *inner `json:"innererror,omitempty"`
		} `json:"error"`
	}{}
	body.Error.Code, body.Error.Message = e.code, e.msg
	if e.inner != "" {
		body.Error.InnerError = &inner{e.inner}
	}
	writeJSON(w, e.status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func badParameter(format string, args ...any) *kvError {
	return &kvError{http.StatusBadRequest, "BadParameter", "", fmt.Sprintf(format, args...)}
}

// action is one data-plane operation: its RBAC data action and its
// access-policy permission.
type action struct {
	kind string // "secrets" or "certificates"
	rbac string // e.g. secrets/setSecret/action
	perm string // e.g. set
}

var (
	actGetSecret  = action{"secrets", "secrets/getSecret/action", "get"}
	actListSecret = action{"secrets", "secrets/readMetadata/action", "list"}
	actSetSecret  = action{"secrets", "secrets/setSecret/action", "set"}
	actGetCert    = action{"certificates", "certificates/read", "get"}
	actListCert   = action{"certificates", "certificates/read", "list"}
	actCreateCert = action{"certificates", "certificates/create/action", "create"}
	actImportCert = action{"certificates", "certificates/import/action", "import"}
)

// roleActions are the data actions of Key Vault's built-in roles, as
// prefixes of the action names above ("secrets/" covers every secret
// action).
var roleActions = map[string][]string{
	"key vault administrator":   {"secrets/", "certificates/", "keys/"},
	"key vault secrets officer": {"secrets/"},
	"key vault secrets user":    {"secrets/getSecret/action", "secrets/readMetadata/action"},
	// Certificates Officer manages certificates but, as in Azure, cannot
	// read a certificate's key from its secret: Certificate User can.
	"key vault certificates officer": {"certificates/", "secrets/readMetadata/action"},
	"key vault certificate user":     {"certificates/read", "secrets/getSecret/action", "secrets/readMetadata/action"},
	"key vault reader":               {"secrets/readMetadata/action", "certificates/read"},
}

// allow checks the firewall and then the vault's access model for p
// doing act from the request's address.
func (s *Server) allow(v *vault, r *http.Request, p *principal, act action, resource string) *kvError {
	if e := s.firewall(v, r, p); e != nil {
		return e
	}
	where := v.cfg.Name + ";location=" + v.cfg.Location
	if v.cfg.EnableRBACAuthorization {
		for _, ra := range v.cfg.RoleAssignments {
			if !p.matches(ra.Principal) {
				continue
			}
			for _, pre := range roleActions[strings.ToLower(strings.TrimSpace(ra.Role))] {
				if strings.HasPrefix(act.rbac, pre) {
					return nil
				}
			}
		}
		return &kvError{http.StatusForbidden, "Forbidden", "ForbiddenByRbac", fmt.Sprintf(
			"Caller is not authorized to perform action on resource.\r\nIf role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\n"+
				"Caller: %s\r\nAction: 'Microsoft.KeyVault/vaults/%s'\r\nResource: '%s'\r\nAssignment: (not found)\r\nDenyAssignmentId: null\r\nDecisionReason: null \r\nVault: %s\r\n",
			p.describe(), act.rbac, strings.ToLower(s.resourceID(v)+resource), where)}
	}
	for _, ap := range v.cfg.AccessPolicies {
		if !p.matches(ap.ObjectID) {
			continue
		}
		perms := ap.Secrets
		if act.kind == "certificates" {
			perms = ap.Certificates
		}
		if slices.ContainsFunc(perms, func(x string) bool { return strings.EqualFold(x, act.perm) || strings.EqualFold(x, "all") }) {
			return nil
		}
	}
	return &kvError{http.StatusForbidden, "Forbidden", "AccessDenied", fmt.Sprintf(
		"The user, group or application '%s' does not have %s %s permission on key vault '%s'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287",
		p.describe(), act.kind, act.perm, where)}
}

// firewall applies public network access and the network ACLs to the
// client's address.
func (s *Server) firewall(v *vault, r *http.Request, p *principal) *kvError {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	addr, _ := netip.ParseAddr(host)
	addr = addr.Unmap()
	denied := v.cfg.PublicNetworkAccess == "Disabled"
	if a := v.cfg.NetworkACLs; !denied && a != nil && a.DefaultAction == "Deny" {
		denied = !slices.ContainsFunc(v.ipRules, func(pr netip.Prefix) bool { return pr.Contains(addr) })
	}
	if !denied {
		return nil
	}
	return &kvError{http.StatusForbidden, "Forbidden", "ForbiddenByFirewall", fmt.Sprintf(
		"Client address is not authorized and caller is not a trusted service.\r\nClient address: %s\r\nCaller: %s\r\nVault: %s;location=%s",
		host, p.describe(), v.cfg.Name, v.cfg.Location)}
}
