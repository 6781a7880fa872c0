package emulator

import (
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"time"
)

const (
	grantClientCredentials = "client_credentials"
	assertionTypeJWTBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
	accessTokenLifetime    = time.Hour
)

// resources maps the resource part of a ".default" scope (without trailing
// slashes) to the audience of the token issued for it.
var resources = map[string]string{
	"https://graph.microsoft.com":          "https://graph.microsoft.com",
	"00000003-0000-0000-c000-000000000000": "00000003-0000-0000-c000-000000000000",
	"https://vault.azure.net":              "https://vault.azure.net",
	"https://monitor.azure.com":            "https://monitor.azure.com",
}

// oidcScopes are the scopes MSAL appends to every request.
var oidcScopes = map[string]bool{"openid": true, "offline_access": true, "profile": true}

// stsError is an OAuth error as Entra's token service reports it.
type stsError struct {
	status int
	err    string // OAuth error code
	code   int    // AADSTS number
	msg    string // no secret, assertion or token, ever
}

func (e *stsError) Error() string { return fmt.Sprintf("AADSTS%d: %s", e.code, e.msg) }

// serveSTS routes the token service: /{tenant}/v2.0/.well-known/openid-configuration,
// /{tenant}/discovery/v2.0/keys and /{tenant}/oauth2/v2.0/token.
func (s *Server) serveSTS(w http.ResponseWriter, r *http.Request) {
	tenant, rest, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	if !ok || tenant == "" {
		http.NotFound(w, r)
		return
	}
	switch rest {
	case "v2.0/.well-known/openid-configuration":
		s.stats.kind(kindOpenID)
		s.handleOpenIDConfig(w, r, tenant)
	case "discovery/v2.0/keys":
		s.handleKeys(w, r, tenant)
	case "oauth2/v2.0/token":
		s.stats.kind(kindToken)
		d := s.faults.decide(r.URL.Path, true, false)
		handled, truncate := s.applyFault(w, r, d, true)
		switch {
		case handled:
		case truncate:
			rec := newRecorder()
			s.handleToken(rec, r, tenant)
			writeTruncated(w, rec)
		default:
			s.handleToken(w, r, tenant)
		}
	default:
		http.NotFound(w, r)
	}
}

func (s *Server) knownTenant(t string) bool { return strings.EqualFold(t, s.tenant) }

func tenantNotFound(t string) *stsError {
	return &stsError{400, "invalid_request", 90002, fmt.Sprintf("Tenant '%s' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.", t)}
}

func (s *Server) handleOpenIDConfig(w http.ResponseWriter, r *http.Request, tenant string) {
	if !s.knownTenant(tenant) {
		e := tenantNotFound(tenant)
		e.err = "invalid_tenant"
		s.writeSTSError(w, r, e)
		return
	}
	base := baseURL(r) + "/" + s.tenant
	cfg := map[string]any{
		"token_endpoint":                        base + "/oauth2/v2.0/token",
		"token_endpoint_auth_methods_supported": []string{"client_secret_post", "private_key_jwt", "client_secret_basic"},
		"jwks_uri":                              base + "/discovery/v2.0/keys",
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"subject_types_supported":               []string{"pairwise"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"response_types_supported":              []string{"code", "id_token", "code id_token", "id_token token"},
		"scopes_supported":                      []string{"openid", "profile", "email", "offline_access"},
		"issuer":                                base + "/v2.0",
		"request_uri_parameter_supported":       false,
		"authorization_endpoint":                base + "/oauth2/v2.0/authorize",
		"device_authorization_endpoint":         base + "/oauth2/v2.0/devicecode",
		"http_logout_supported":                 true,
		"frontchannel_logout_supported":         true,
		"end_session_endpoint":                  base + "/oauth2/v2.0/logout",
		"claims_supported":                      []string{"sub", "iss", "aud", "exp", "iat", "nbf", "tid", "oid", "roles"},
		"tenant_region_scope":                   "WW",
		"cloud_instance_name":                   "microsoftonline.com",
	}
	writeJSONStatus(w, http.StatusOK, "application/json; charset=utf-8", cfg)
}

func (s *Server) handleKeys(w http.ResponseWriter, r *http.Request, tenant string) {
	if !s.knownTenant(tenant) {
		s.writeSTSError(w, r, tenantNotFound(tenant))
		return
	}
	pub := s.signKey.PublicKey
	key := map[string]any{
		"kty":    "RSA",
		"use":    "sig",
		"kid":    s.signKeyID,
		"x5t":    s.signKeyID,
		"n":      base64.RawURLEncoding.EncodeToString(pub.N.Bytes()),
		"e":      base64.RawURLEncoding.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
		"issuer": baseURL(r) + "/" + s.tenant + "/v2.0",
	}
	writeJSONStatus(w, http.StatusOK, "application/json; charset=utf-8", map[string]any{"keys": []any{key}})
}

func (s *Server) handleToken(w http.ResponseWriter, r *http.Request, tenant string) {
	clientID, resource, method, serr := s.checkTokenRequest(r, tenant)
	if serr != nil {
		s.stats.update(func(st *Stats) { st.TokenFailures++ })
		s.log.Info("token request refused", "tenant", tenant, "client_id", clientID, "error", serr.err, "code", serr.code)
		s.writeSTSError(w, r, serr)
		return
	}
	tok, err := s.issueToken(s.clients[strings.ToLower(clientID)], resources[resource], method)
	if err != nil {
		s.log.Error("sign access token", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	s.stats.update(func(st *Stats) { st.TokensIssued++ })
	s.log.Debug("token issued", "client_id", clientID, "resource", resource, "auth", method)
	w.Header().Set("Cache-Control", "no-store, no-cache")
	w.Header().Set("Pragma", "no-cache")
	writeJSONStatus(w, http.StatusOK, "application/json; charset=utf-8", struct {
		TokenType    string `json:"token_type"`
		ExpiresIn    int    `json:"expires_in"`
		ExtExpiresIn int    `json:"ext_expires_in"`
		AccessToken  string `json:"access_token"`
	}{"Bearer", int(accessTokenLifetime/time.Second) - 1, int(accessTokenLifetime/time.Second) - 1, tok})
}

// checkTokenRequest validates a client-credentials request in the order
// Entra does and returns the client id, the resource and how the client
// authenticated ("secret" or "certificate").
func (s *Server) checkTokenRequest(r *http.Request, tenant string) (clientID, resource, method string, _ *stsError) {
	if r.Method != http.MethodPost {
		return "", "", "", &stsError{400, "invalid_request", 900561, fmt.Sprintf("The endpoint only accepts POST, OPTIONS requests. Received a %s request.", r.Method)}
	}
	if !s.knownTenant(tenant) {
		return "", "", "", tenantNotFound(tenant)
	}
	r.Body = http.MaxBytesReader(nil, r.Body, 1<<20)
	if err := r.ParseForm(); err != nil {
		return "", "", "", &stsError{400, "invalid_request", 9002313, "Invalid request. Request is malformed or invalid."}
	}
	form := r.PostForm
	switch g := form.Get("grant_type"); g {
	case "":
		return "", "", "", missingParam("grant_type")
	case grantClientCredentials:
	default:
		return "", "", "", &stsError{400, "unsupported_grant_type", 70003, "The app requested an unsupported grant type ..."}
	}

	clientID = form.Get("client_id")
	secret, hasSecret := form.Get("client_secret"), form.Has("client_secret")
	if user, pass, ok := r.BasicAuth(); ok {
		// RFC 6749 2.3.1: both parts are form-encoded before Basic encoding.
		user, pass = formDecode(user), formDecode(pass)
		if clientID != "" && !strings.EqualFold(clientID, user) {
			return clientID, "", "", &stsError{400, "invalid_request", 9002313, "Invalid request. Request is malformed or invalid: client_id differs from the Authorization header."}
		}
		clientID, secret, hasSecret = user, pass, true
	}
	if clientID == "" {
		return "", "", "", missingParam("client_id")
	}
	c, ok := s.clients[strings.ToLower(clientID)]
	if !ok {
		return clientID, "", "", &stsError{400, "unauthorized_client", 700016, fmt.Sprintf("Application with identifier '%s' was not found in the directory '%s'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.", clientID, s.tenant)}
	}

	assertion, hasAssertion := form.Get("client_assertion"), form.Has("client_assertion")
	switch {
	case hasSecret && hasAssertion:
		return clientID, "", "", &stsError{400, "invalid_request", 9002313, "Invalid request. Request is malformed or invalid: both client_secret and client_assertion were sent."}
	case hasSecret:
		method = "secret"
		if e := s.checkSecret(c, secret); e != nil {
			return clientID, "", "", e
		}
	case hasAssertion:
		method = "certificate"
		if t := form.Get("client_assertion_type"); t != assertionTypeJWTBearer {
			return clientID, "", "", &stsError{400, "invalid_request", 9002313, "Invalid request. Request is malformed or invalid: client_assertion_type must be " + assertionTypeJWTBearer + "."}
		}
		if e := s.checkAssertion(r, c, assertion); e != nil {
			return clientID, "", "", e
		}
	default:
		return clientID, "", "", &stsError{401, "invalid_client", 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."}
	}

	resource, e := parseScope(form.Get("scope"), form.Has("scope"))
	if e != nil {
		return clientID, "", "", e
	}
	return clientID, resource, method, nil
}

func (s *Server) checkSecret(c *Client, secret string) *stsError {
	if c.Secret == "" || subtle.ConstantTimeCompare([]byte(c.Secret), []byte(secret)) != 1 {
		return &stsError{401, "invalid_client", 7000215, fmt.Sprintf("Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '%s'.", c.ID)}
	}
	if !c.SecretExpires.IsZero() && !s.now().Before(c.SecretExpires) {
		return &stsError{401, "invalid_client", 7000222, fmt.Sprintf("The provided client secret keys for app '%s' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.", c.ID)}
	}
	return nil
}

// parseScope accepts exactly one "<resource>/.default" scope (single or
// double slash) plus any of the OIDC scopes MSAL appends.
func parseScope(scope string, present bool) (string, *stsError) {
	if !present || strings.TrimSpace(scope) == "" {
		return "", missingParam("scope")
	}
	var resource string
	for _, sc := range strings.Fields(scope) {
		if oidcScopes[strings.ToLower(sc)] {
			continue
		}
		if resource != "" {
			return "", invalidScope(scope)
		}
		res, ok := strings.CutSuffix(sc, "/.default")
		if !ok {
			return "", invalidScope(scope)
		}
		resource = strings.TrimRight(res, "/")
		if resource == "" {
			return "", invalidScope(scope)
		}
	}
	if resource == "" {
		return "", invalidScope(scope)
	}
	if _, ok := resources[strings.ToLower(resource)]; !ok {
		return "", &stsError{400, "invalid_resource", 500011, fmt.Sprintf("The resource principal named %s was not found in the tenant. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.", resource)}
	}
	return strings.ToLower(resource), nil
}

func invalidScope(scope string) *stsError {
	return &stsError{400, "invalid_scope", 70011, fmt.Sprintf("The provided value for the input parameter 'scope' is not valid. The scope %s is not valid.", scope)}
}

func missingParam(p string) *stsError {
	return &stsError{400, "invalid_request", 900144, fmt.Sprintf("The request body must contain the following parameter: '%s'.", p)}
}

func formDecode(s string) string {
	if d, err := url.QueryUnescape(s); err == nil {
		return d
	}
	return s
}

// issueToken signs a v1 access token like Entra's app-only tokens.
func (s *Server) issueToken(c *Client, aud, method string) (string, error) {
	now := s.now()
	oid, name := nameUUID("client:"+strings.ToLower(c.ID)), c.ID
	if sp := s.dir.spByAppID[strings.ToLower(c.ID)]; sp != nil {
		oid, name = sp.ID, sp.DisplayName
	}
	acr := "1"
	if method == "certificate" {
		acr = "2"
	}
	iss := "https://sts.windows.net/" + s.tenant + "/"
	claims := map[string]any{
		"aud":             aud,
		"iss":             iss,
		"iat":             now.Unix(),
		"nbf":             now.Unix(),
		"exp":             now.Add(accessTokenLifetime).Unix(),
		"app_displayname": name,
		"appid":           c.ID,
		"appidacr":        acr,
		"idp":             iss,
		"idtyp":           "app",
		"oid":             oid,
		"sub":             oid,
		"tid":             s.tenant,
		"uti":             strings.ReplaceAll(newUUID(), "-", "")[:22],
		"ver":             "1.0",
	}
	if len(c.Roles) > 0 {
		claims["roles"] = c.Roles
	}
	header := map[string]any{"typ": "JWT", "alg": "RS256", "kid": s.signKeyID, "x5t": s.signKeyID}
	return signRS256(s.signKey, header, claims)
}

// writeSTSError writes Entra's OAuth error shape. The correlation id echoes
// the client's client-request-id, as Entra does.
func (s *Server) writeSTSError(w http.ResponseWriter, r *http.Request, e *stsError) {
	trace := newUUID()
	corr := r.Header.Get("client-request-id")
	if corr == "" {
		corr = newUUID()
	}
	ts := s.now().UTC().Format("2006-01-02 15:04:05Z")
	body := struct {
		Error            string `json:"error"`
		ErrorDescription string `json:"error_description"`
		ErrorCodes       []int  `json:"error_codes"`
		Timestamp        string `json:"timestamp"`
		TraceID          string `json:"trace_id"`
		CorrelationID    string `json:"correlation_id"`
		ErrorURI         string `json:"error_uri"`
	}{
		Error:            e.err,
		ErrorDescription: fmt.Sprintf("AADSTS%d: %s\r\nTrace ID: %s\r\nCorrelation ID: %s\r\nTimestamp: %s", e.code, e.msg, trace, corr, ts),
		ErrorCodes:       []int{e.code},
		Timestamp:        ts,
		TraceID:          trace,
		CorrelationID:    corr,
		ErrorURI:         fmt.Sprintf("%s/error?code=%d", baseURL(r), e.code),
	}
	w.Header().Set("Cache-Control", "no-store, no-cache")
	w.Header().Set("Pragma", "no-cache")
	w.Header().Set("x-ms-request-id", trace)
	w.Header().Set("client-request-id", corr)
	writeJSONStatus(w, e.status, "application/json; charset=utf-8", body)
}

// writeJSONStatus writes v as JSON without HTML escaping, as Azure does.
func writeJSONStatus(w http.ResponseWriter, status int, contentType string, v any) {
	b, err := marshalJSON(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func marshalJSON(v any) ([]byte, error) {
	var sb strings.Builder
	enc := json.NewEncoder(&sb)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return []byte(strings.TrimSuffix(sb.String(), "\n")), nil
}
