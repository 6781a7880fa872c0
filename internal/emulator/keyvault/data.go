package keyvault

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// apiVersions are the data-plane versions accepted: the stable ones and
// those the current SDKs send.
var apiVersions = map[string]bool{
	"7.0": true, "7.1": true, "7.2": true, "7.3": true, "7.4": true, "7.5": true, "7.6": true,
	"2025-07-01": true, "2026-04-01": true,
}

// maxPage is the largest (and default) maxresults Key Vault accepts.
const maxPage = 25

// maxBody bounds request bodies; a secret value is at most 25 KB.
const maxBody = 256 << 10

// dataRoute is a parsed data-plane path.
type dataRoute struct {
	op      string
	name    string
	version string
	act     action
}

func parseDataRoute(r *http.Request) (dataRoute, *kvError) {
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	notFound := &kvError{http.StatusNotFound, "NotFound", "", "The requested resource " + r.URL.Path + " was not found."}
	var rt dataRoute
	method := r.Method
	switch {
	case len(segs) == 1 && segs[0] == "secrets" && method == http.MethodGet:
		rt = dataRoute{op: OpListSecrets, act: actListSecret}
	case len(segs) == 2 && segs[0] == "secrets" && method == http.MethodPut:
		rt = dataRoute{op: OpSetSecret, name: segs[1], act: actSetSecret}
	case len(segs) == 3 && segs[0] == "secrets" && segs[2] == "versions" && method == http.MethodGet:
		rt = dataRoute{op: opListSecretVersions, name: segs[1], act: actListSecret}
	case (len(segs) == 2 || len(segs) == 3) && segs[0] == "secrets" && method == http.MethodGet:
		rt = dataRoute{op: OpGetSecret, name: segs[1], act: actGetSecret}
		if len(segs) == 3 {
			rt.version = segs[2]
		}
	case len(segs) == 1 && segs[0] == "certificates" && method == http.MethodGet:
		rt = dataRoute{op: OpListCertificates, act: actListCert}
	case len(segs) == 3 && segs[0] == "certificates" && segs[2] == "create" && method == http.MethodPost:
		rt = dataRoute{op: OpCreateCertificate, name: segs[1], act: actCreateCert}
	case len(segs) == 3 && segs[0] == "certificates" && segs[2] == "import" && method == http.MethodPost:
		rt = dataRoute{op: OpImportCertificate, name: segs[1], act: actImportCert}
	case len(segs) == 3 && segs[0] == "certificates" && segs[2] == "pending" && method == http.MethodGet:
		rt = dataRoute{op: opGetCertOperation, name: segs[1], act: actGetCert}
	case len(segs) == 3 && segs[0] == "certificates" && segs[2] == "versions" && method == http.MethodGet:
		rt = dataRoute{op: opListCertVersions, name: segs[1], act: actListCert}
	case (len(segs) == 2 || len(segs) == 3) && segs[0] == "certificates" && method == http.MethodGet:
		rt = dataRoute{op: OpGetCertificate, name: segs[1], act: actGetCert}
		if len(segs) == 3 {
			rt.version = segs[2]
		}
	case len(segs) >= 1 && (segs[0] == "secrets" || segs[0] == "certificates"):
		return rt, &kvError{http.StatusMethodNotAllowed, "MethodNotAllowed", "", fmt.Sprintf("The requested resource does not support http method '%s'.", method)}
	default:
		return rt, notFound
	}
	if rt.name != "" && !objectNamePattern.MatchString(rt.name) {
		return rt, badParameter("The request URI contains an invalid name: %s", rt.name)
	}
	return rt, nil
}

// Operations served but not offered to Fault (reads of lists).
const (
	opListSecretVersions = "listSecretVersions"
	opListCertVersions   = "listCertificateVersions"
	opGetCertOperation   = "getCertificateOperation"
)

// dataHandler serves one vault's data plane.
func (s *Server) dataHandler(v *vault) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("x-ms-request-id", newVersion())
		w.Header().Set("x-ms-keyvault-service-version", "1.9.0.0")
		p, err := s.authenticate(r, vaultResource, vaultAppID)
		if p == nil {
			// The SDK's first request is deliberately unauthenticated (its
			// body stripped): the challenge tells it where to get a token.
			w.Header().Set("WWW-Authenticate", s.challenge())
			msg := "AKV10000: Request is missing a Bearer or PoP token."
			if err != nil {
				msg = err.Error()
			}
			writeKVError(w, &kvError{http.StatusUnauthorized, "Unauthorized", "", msg})
			return
		}
		q := r.URL.Query()
		switch ver := q.Get("api-version"); {
		case ver == "":
			writeKVError(w, badParameter("The 'api-version' query parameter is missing."))
			return
		case !apiVersions[ver]:
			writeKVError(w, badParameter("The specified version (%s) is not recognized. Consider using the latest supported version (7.6).", ver))
			return
		}
		rt, kerr := parseDataRoute(r)
		if kerr == nil {
			kerr = s.allow(v, r, p, rt.act, "/"+rt.act.kind+"/"+rt.name)
		}
		if kerr == nil {
			kerr = s.fault(v, rt.op)
		}
		if kerr == nil {
			kerr = s.handleData(w, r, v, rt)
		}
		if kerr != nil {
			writeKVError(w, kerr)
		}
		s.log.Debug("key vault request", "vault", v.cfg.Name, "method", r.Method, "op", rt.op, "name", rt.name,
			"caller", p.appID, "refused", kerr != nil)
	})
}

func (s *Server) handleData(w http.ResponseWriter, r *http.Request, v *vault, rt dataRoute) *kvError {
	var body []byte
	if r.Method == http.MethodPut || r.Method == http.MethodPost {
		b, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
		if err != nil {
			return badParameter("The request body is too large or could not be read.")
		}
		body = b
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch rt.op {
	case OpSetSecret:
		return s.setSecret(w, v, rt.name, body)
	case OpGetSecret:
		return s.getSecret(w, v, rt.name, rt.version)
	case OpListSecrets:
		return s.listSecrets(w, r, v)
	case opListSecretVersions:
		return s.listSecretVersions(w, r, v, rt.name)
	case OpListCertificates:
		return s.listCertificates(w, r, v)
	case opListCertVersions:
		return s.listCertificateVersions(w, r, v, rt.name)
	case OpGetCertificate:
		return s.getCertificate(w, v, rt.name, rt.version)
	case OpCreateCertificate:
		return s.createCertificate(w, v, rt.name, body)
	case OpImportCertificate:
		return s.importCertificate(w, v, rt.name, body)
	case opGetCertOperation:
		return s.getCertificateOperation(w, v, rt.name)
	}
	return &kvError{http.StatusNotFound, "NotFound", "", "Not found."}
}

// page cuts a listing by maxresults and the opaque $skiptoken, returning
// the items to show and the next link ("" on the last page). The link
// keeps the request's api-version, as Key Vault's do, since the SDK
// follows it verbatim.
func page[T any](r *http.Request, v *vault, items []T) ([]T, string, *kvError) {
	q := r.URL.Query()
	size := maxPage
	if m := q.Get("maxresults"); m != "" {
		n, err := strconv.Atoi(m)
		if err != nil || n < 1 || n > maxPage {
			return nil, "", badParameter("Invalid maxresults value %q: must be between 1 and %d.", m, maxPage)
		}
		size = n
	}
	offset := 0
	if tok := q.Get("$skiptoken"); tok != "" {
		raw, err := base64.RawURLEncoding.DecodeString(tok)
		n, err2 := strconv.Atoi(strings.TrimPrefix(string(raw), "o:"))
		if err != nil || err2 != nil || !strings.HasPrefix(string(raw), "o:") || n < 0 || n > len(items) {
			return nil, "", badParameter("The $skiptoken is not valid.")
		}
		offset = n
	}
	end := min(offset+size, len(items))
	if end >= len(items) {
		return items[offset:end], "", nil
	}
	nq := url.Values{}
	nq.Set("api-version", q.Get("api-version"))
	nq.Set("$skiptoken", base64.RawURLEncoding.EncodeToString([]byte("o:"+strconv.Itoa(end))))
	nq.Set("maxresults", strconv.Itoa(size))
	for _, k := range []string{"includePending"} {
		if q.Has(k) {
			nq.Set(k, q.Get(k))
		}
	}
	return items[offset:end], v.url + r.URL.Path + "?" + nq.Encode(), nil
}

// attributes are an object's attributes as Key Vault writes them: dates in
// integer epoch seconds.
type attributes struct {
	Enabled         bool   `json:"enabled"`
	NotBefore       *int64 `json:"nbf,omitempty"`
	Expires         *int64 `json:"exp,omitempty"`
	Created         int64  `json:"created"`
	Updated         int64  `json:"updated"`
	RecoveryLevel   string `json:"recoveryLevel"`
	RecoverableDays *int   `json:"recoverableDays,omitempty"`
}

func (v *vault) attributes(enabled bool, nbf, exp, created, updated time.Time) attributes {
	a := attributes{Enabled: enabled, Created: created.Unix(), Updated: updated.Unix(), RecoveryLevel: v.recoveryLevel(),
		NotBefore: epoch(nbf), Expires: epoch(exp)}
	if v.cfg.EnableSoftDelete {
		d := v.cfg.SoftDeleteRetentionDays
		a.RecoverableDays = &d
	}
	return a
}

func epoch(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	n := t.Unix()
	return &n
}

func fromEpoch(n *int64) time.Time {
	if n == nil {
		return time.Time{}
	}
	return time.Unix(*n, 0).UTC()
}
