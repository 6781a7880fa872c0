package server

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// baseCSP covers every response that is not a page (JSON, errors from
// the mux, /metrics): nothing may load, nothing may frame it.
const baseCSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

// pageCSP admits only the page's own inline style and script, by nonce;
// the charts are inline SVG, so no image source is needed.
func pageCSP(nonce string) string {
	return "default-src 'none'; style-src 'nonce-" + nonce + "'; script-src 'nonce-" + nonce + "'; " +
		"img-src 'none'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
}

// newNonce is 128 random bits, base64url: fit for a CSP nonce and a cookie.
func newNonce() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b) // cannot fail
	return base64.RawURLEncoding.EncodeToString(b)
}

// securityHeaders sets the headers every response carries. Pages replace
// the CSP with their nonce-bearing one.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", baseCSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Cross-Origin-Resource-Policy", "same-origin")
		// Pages name every app and owner of the tenant: keep them out of
		// shared caches and the browser's disk cache.
		h.Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

type ctxKey int

const identityKey ctxKey = iota

// identity is who the request authenticated as ("" without auth); the
// CSRF token is bound to it, so one user's token is useless to another.
func identity(r *http.Request) string {
	id, _ := r.Context().Value(identityKey).(string)
	return id
}

// digest hashes before comparing, so the comparison's time does not even
// depend on the secret's length.
func digest(s string) []byte {
	sum := sha256.Sum256([]byte(s))
	return sum[:]
}

func equalSecret(got, want string) bool {
	return subtle.ConstantTimeCompare(digest(got), digest(want)) == 1
}

// authenticate checks a request's credentials; ok is false when they are
// missing or wrong. Both checks always run, so timing does not tell which
// kind was configured or which part failed.
func (s *Server) authenticate(r *http.Request) (who string, ok bool) {
	a := s.o.Auth
	var bearerOK, basicOK int
	// The scheme name is case-insensitive (RFC 9110).
	if h := r.Header.Get("Authorization"); a.BearerToken != "" && len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		if equalSecret(strings.TrimSpace(h[7:]), a.BearerToken) {
			bearerOK = 1
		}
	}
	user, pass, hasBasic := r.BasicAuth()
	if hasBasic && a.BasicUser != "" {
		u := subtle.ConstantTimeCompare(digest(user), digest(a.BasicUser))
		p := subtle.ConstantTimeCompare(digest(pass), digest(a.BasicPassword))
		basicOK = u & p
	}
	switch {
	case bearerOK == 1:
		return "bearer", true
	case basicOK == 1:
		return "basic:" + user, true
	}
	return "", false
}

// requireAuth lets a request through only with valid credentials, when
// any are configured.
func (s *Server) requireAuth(next http.Handler) http.Handler {
	if !s.o.Auth.Enabled() {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		who, ok := s.authenticate(r)
		if !ok {
			if s.o.Auth.BasicUser != "" {
				w.Header().Add("WWW-Authenticate", `Basic realm="credwatch", charset="UTF-8"`)
			}
			if s.o.Auth.BearerToken != "" {
				w.Header().Add("WWW-Authenticate", `Bearer realm="credwatch"`)
			}
			// Log that it failed, never what was sent. A browser's first
			// request carries no credentials by design: not worth a warning.
			level := slog.LevelDebug
			if r.Header.Get("Authorization") != "" {
				level = slog.LevelWarn
			}
			s.log.Log(r.Context(), level, "authentication failed", "method", r.Method, "path", r.URL.Path,
				"remote", r.RemoteAddr, "credentials_sent", level == slog.LevelWarn)
			http.Error(w, "authentication required", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), identityKey, who)))
	})
}

// CSRF: signed double submit. A random id lives in an HttpOnly, SameSite
// cookie; forms carry HMAC(key, id | identity). A cross-site page can
// neither read the cookie nor compute the MAC, and a token taken from one
// user does not work for another.
const (
	csrfCookie = "credwatch_csrf"
	csrfField  = "csrf"
)

func (s *Server) csrfMAC(id, who string) string {
	m := hmac.New(sha256.New, s.csrfKey)
	m.Write([]byte("csrf\x00" + id + "\x00" + who))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// csrfToken returns the token for forms on this response, setting the
// cookie when the browser has none yet.
func (s *Server) csrfToken(w http.ResponseWriter, r *http.Request) string {
	id := ""
	if c, err := r.Cookie(csrfCookie); err == nil && validCSRFID(c.Value) {
		id = c.Value
	} else {
		id = newNonce()
		http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: id, Path: "/", HttpOnly: true,
			Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode, MaxAge: int((12 * time.Hour).Seconds())})
	}
	return s.csrfMAC(id, identity(r))
}

func validCSRFID(v string) bool {
	if len(v) < 16 || len(v) > 64 {
		return false
	}
	for _, r := range v {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// checkCSRF verifies a state-changing request: same origin by the
// browser's own headers, and a form token matching the cookie and caller.
func (s *Server) checkCSRF(r *http.Request) bool {
	if err := s.crossOrigin.Check(r); err != nil {
		return false
	}
	c, err := r.Cookie(csrfCookie)
	if err != nil || !validCSRFID(c.Value) {
		return false
	}
	got := r.PostFormValue(csrfField)
	want := s.csrfMAC(c.Value, identity(r))
	return hmac.Equal([]byte(got), []byte(want))
}

// statusWriter records the status for the access log.
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

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests writes a debug line per request: method, path and status,
// never headers (they carry credentials).
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		s.log.Debug("http request", "method", r.Method, "path", r.URL.Path, "status", sw.status,
			"duration", time.Since(start))
	})
}
