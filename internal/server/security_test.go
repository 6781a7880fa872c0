package server

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestSecurityHeadersOnEveryResponse(t *testing.T) {
	f := newFixture(t)
	h := newServer(t, f.st, nil).Handler()
	for _, path := range []string{"/", "/credentials", "/scans", "/scans/1", "/apps/application/obj-payroll",
		"/api/v1/scans", "/healthz", "/readyz", "/nope"} {
		res, _ := get(t, h, path)
		for name, want := range map[string]string{
			"X-Content-Type-Options": "nosniff",
			"Referrer-Policy":        "no-referrer",
			"X-Frame-Options":        "DENY",
			"Cache-Control":          "no-store",
		} {
			if got := res.Header.Get(name); got != want {
				t.Errorf("%s: %s = %q, want %q", path, name, got, want)
			}
		}
		if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") ||
			!strings.Contains(csp, "default-src 'none'") {
			t.Errorf("%s: CSP %q lacks default-src 'none' or frame-ancestors 'none'", path, csp)
		}
	}
}

var nonceAttr = regexp.MustCompile(`<(script|style) nonce="([^"]+)">`)

// TestPageCSPAdmitsOnlyItsOwnBlocks checks the nonce in the header is the
// one on the page's style and script, that it changes per response, and
// that nothing looser is allowed.
func TestPageCSPAdmitsOnlyItsOwnBlocks(t *testing.T) {
	f := newFixture(t)
	h := newServer(t, f.st, nil).Handler()
	seen := map[string]bool{}
	for range 2 {
		res, body := get(t, h, "/")
		csp := res.Header.Get("Content-Security-Policy")
		tags := nonceAttr.FindAllStringSubmatch(body, -1)
		if len(tags) != 2 {
			t.Fatalf("want one nonced style and one nonced script, got %d", len(tags))
		}
		nonce := tags[0][2]
		if tags[1][2] != nonce {
			t.Errorf("style and script nonces differ")
		}
		for _, want := range []string{"script-src 'nonce-" + nonce + "'", "style-src 'nonce-" + nonce + "'",
			"img-src 'none'", "base-uri 'none'", "form-action 'self'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("CSP %q lacks %q", csp, want)
			}
		}
		for _, bad := range []string{"unsafe-inline", "unsafe-eval", "*", "http:", "https:", "data:"} {
			if strings.Contains(csp, bad) {
				t.Errorf("CSP %q allows %q", csp, bad)
			}
		}
		if seen[nonce] {
			t.Error("nonce repeated across responses")
		}
		seen[nonce] = true
	}
}

func TestAuthRequiredWhenConfigured(t *testing.T) {
	f := newFixture(t)
	basic := func(u, p string) string { return "Basic " + basicToken(u, p) }
	tests := []struct {
		name   string
		auth   AuthConfig
		header string // Authorization
		want   int
		scheme string // expected WWW-Authenticate prefix on 401
	}{
		{"no auth configured lets everyone in", AuthConfig{}, "", 200, ""},
		{"bearer: missing", AuthConfig{BearerToken: "s3cret-token"}, "", 401, "Bearer"},
		{"bearer: wrong", AuthConfig{BearerToken: "s3cret-token"}, "Bearer s3cret-tokeN", 401, "Bearer"},
		{"bearer: prefix of the token", AuthConfig{BearerToken: "s3cret-token"}, "Bearer s3cret", 401, "Bearer"},
		{"bearer: right", AuthConfig{BearerToken: "s3cret-token"}, "Bearer s3cret-token", 200, ""},
		{"bearer: scheme in any case", AuthConfig{BearerToken: "s3cret-token"}, "bearer s3cret-token", 200, ""},
		{"bearer: empty", AuthConfig{BearerToken: "s3cret-token"}, "Bearer ", 401, "Bearer"},
		{"bearer configured, basic sent", AuthConfig{BearerToken: "s3cret-token"}, basic("x", "s3cret-token"), 401, "Bearer"},
		{"basic: missing", AuthConfig{BasicUser: "ops", BasicPassword: "pw"}, "", 401, "Basic"},
		{"basic: wrong password", AuthConfig{BasicUser: "ops", BasicPassword: "pw"}, basic("ops", "pW"), 401, "Basic"},
		{"basic: wrong user", AuthConfig{BasicUser: "ops", BasicPassword: "pw"}, basic("dev", "pw"), 401, "Basic"},
		{"basic: right", AuthConfig{BasicUser: "ops", BasicPassword: "pw"}, basic("ops", "pw"), 200, ""},
		{"both: bearer works", AuthConfig{BearerToken: "t", BasicUser: "ops", BasicPassword: "pw"}, "Bearer t", 200, ""},
		{"both: basic works", AuthConfig{BearerToken: "t", BasicUser: "ops", BasicPassword: "pw"}, basic("ops", "pw"), 200, ""},
	}
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "credwatch_up 1") })
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			h := newServer(t, f.st, func(o *Options) {
				o.Auth, o.Metrics = tt.auth, metrics
				o.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
				o.Interval = 0
			}).Handler()
			for _, path := range []string{"/", "/credentials", "/api/v1/findings", "/readyz", "/metrics", "/nope"} {
				res, body := get(t, h, path, "Authorization", tt.header)
				want := tt.want
				if want == 200 && (path == "/readyz" || path == "/nope") {
					want = res.StatusCode // their own status; only 401 matters here
				}
				if res.StatusCode != want {
					t.Errorf("%s: status %d, want %d", path, res.StatusCode, want)
				}
				if want == 401 {
					if !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), tt.scheme) {
						t.Errorf("%s: WWW-Authenticate %q, want %s", path, res.Header.Values("WWW-Authenticate"), tt.scheme)
					}
					mustNotContain(t, body, "tenant-a", "Payroll")
				}
			}
			// The liveness probe needs no credentials.
			if res, body := get(t, h, "/healthz"); res.StatusCode != 200 || body != "ok\n" {
				t.Errorf("/healthz: %d %q", res.StatusCode, body)
			}
			// Failures are logged, never what was sent or expected.
			for _, secret := range []string{"s3cret", "pW", basicToken("ops", "pw"), basicToken("dev", "pw"), "Authorization"} {
				if strings.Contains(logs.String(), secret) {
					t.Errorf("log mentions %q:\n%s", secret, logs.String())
				}
			}
		})
	}
}

func basicToken(u, p string) string {
	r := httptest.NewRequest("GET", "/", nil)
	r.SetBasicAuth(u, p)
	return strings.TrimPrefix(r.Header.Get("Authorization"), "Basic ")
}

func TestAuthConfigNeverPrintsSecrets(t *testing.T) {
	a := AuthConfig{BearerToken: "tok-123", BasicUser: "ops", BasicPassword: "pw-456"}
	var logs bytes.Buffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("x", "auth", a)
	for _, s := range []string{fmt.Sprint(a), fmt.Sprintf("%v %+v %#v %s %q", a, a, a, a, a),
		fmt.Sprintf("%+v", Options{Auth: a}), logs.String()} {
		if strings.Contains(s, "tok-123") || strings.Contains(s, "pw-456") {
			t.Errorf("secret printed: %s", s)
		}
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	st := openStore(t)
	scan := func(context.Context, string) error { return nil }
	tests := map[string]struct {
		o    Options
		want string
	}{
		"no store":        {Options{Tenants: []string{"a"}}, "no store"},
		"no tenants":      {Options{Store: st}, "no tenants"},
		"empty tenant":    {Options{Store: st, Tenants: []string{"a", ""}}, "tenants[1]: empty tenant id"},
		"repeated tenant": {Options{Store: st, Tenants: []string{"a", "a"}}, `tenants[1]: tenant "a" listed twice`},
		"negative":        {Options{Store: st, Tenants: []string{"a"}, Interval: -time.Second, Scan: scan}, "negative"},
		"interval, no scan": {Options{Store: st, Tenants: []string{"a"}, Interval: time.Hour},
			"a scan interval needs a Scan func"},
		"half basic": {Options{Store: st, Tenants: []string{"a"}, Auth: AuthConfig{BasicUser: "u"}},
			"needs both a user and a password"},
		"colon in user": {Options{Store: st, Tenants: []string{"a"}, Auth: AuthConfig{BasicUser: "u:x", BasicPassword: "p"}},
			"must not contain ':'"},
	}
	for name, tt := range tests {
		if _, err := New(tt.o); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", name, err, tt.want)
		}
	}
}

// csrfForm fetches a page with a scan-now form and returns the cookie and
// token it hands out.
func csrfForm(t *testing.T, h http.Handler, headers ...string) (*http.Cookie, string) {
	t.Helper()
	res, body := get(t, h, "/scans", headers...)
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no CSRF field on the page:\n%s", body)
	}
	for _, c := range res.Cookies() {
		if c.Name == csrfCookie {
			if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode {
				t.Errorf("CSRF cookie not HttpOnly and SameSite=Strict: %+v", c)
			}
			return c, m[1]
		}
	}
	t.Fatal("no CSRF cookie set")
	return nil, ""
}

func postScan(t *testing.T, h http.Handler, c *http.Cookie, form url.Values, headers ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/scans", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	if c != nil {
		req.AddCookie(c)
	}
	res, _ := serve(t, h, req)
	return res
}

func TestScanNowFormNeedsCSRFToken(t *testing.T) {
	f := newFixture(t)
	scanned := make(chan string, 4)
	s := newServer(t, f.st, func(o *Options) {
		o.Auth = AuthConfig{BasicUser: "ops", BasicPassword: "pw"}
		o.Scan = func(_ context.Context, id string) error { scanned <- id; return nil }
	})
	h := s.Handler()
	startRun(t, s)

	ops := []string{"Authorization", "Basic " + basicToken("ops", "pw")}
	cookie, token := csrfForm(t, h, ops...)
	other := &http.Cookie{Name: csrfCookie, Value: "AAAAAAAAAAAAAAAAAAAAAA"}
	good := url.Values{"tenant": {tenantA}, "csrf": {token}}
	tests := []struct {
		name    string
		cookie  *http.Cookie
		form    url.Values
		headers []string
		want    int
	}{
		{"no credentials", cookie, good, nil, 401},
		{"no token", cookie, url.Values{"tenant": {tenantA}}, ops, 403},
		{"no cookie", nil, good, ops, 403},
		{"token of another cookie", other, good, ops, 403},
		{"forged token", cookie, url.Values{"tenant": {tenantA}, "csrf": {token[:len(token)-2] + "AA"}}, ops, 403},
		{"cross-site request with a valid token", cookie, good, append([]string{"Sec-Fetch-Site", "cross-site"}, ops...), 403},
		{"unknown tenant", cookie, url.Values{"tenant": {tenantOther}, "csrf": {token}}, ops, 404},
		{"valid", cookie, good, ops, 303},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := postScan(t, h, tt.cookie, tt.form, tt.headers...)
			if res.StatusCode != tt.want {
				t.Fatalf("status %d, want %d", res.StatusCode, tt.want)
			}
			if tt.want == 303 {
				if loc := res.Header.Get("Location"); loc != "/scans?queued=tenant-a" {
					t.Errorf("redirect to %q", loc)
				}
				if got := <-scanned; got != tenantA {
					t.Errorf("scanned %q", got)
				}
			}
		})
	}
	select {
	case id := <-scanned:
		t.Errorf("a refused request scanned %s", id)
	default:
	}
}

// TestCSRFTokenIsBoundToTheUser: a token handed to one authenticated user
// is refused for another, even with the same cookie.
func TestCSRFTokenIsBoundToTheUser(t *testing.T) {
	s := newServer(t, openStore(t), func(o *Options) {
		o.Scan = func(context.Context, string) error { return nil }
	})
	c := &http.Cookie{Name: csrfCookie, Value: "BBBBBBBBBBBBBBBBBBBBBB"}
	req := func(who, token string) *http.Request {
		form := url.Values{"csrf": {token}}
		r := httptest.NewRequest(http.MethodPost, "/scans", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		r.AddCookie(c)
		return r.WithContext(context.WithValue(r.Context(), identityKey, who))
	}
	token := s.csrfMAC(c.Value, "basic:alice")
	if !s.checkCSRF(req("basic:alice", token)) {
		t.Fatal("alice's own token refused")
	}
	if s.checkCSRF(req("basic:mallory", token)) {
		t.Error("alice's token accepted for mallory")
	}
}

func TestGetNeverQueuesAScan(t *testing.T) {
	f := newFixture(t)
	s := newServer(t, f.st, func(o *Options) { o.Scan = func(context.Context, string) error { return nil } })
	startRun(t, s)
	for _, path := range []string{"/scans?tenant=tenant-a", "/scans?queued=tenant-a", "/?queued=tenant-a&tenant=tenant-a"} {
		get(t, s.Handler(), path, "X-HTTP-Method-Override", "POST")
	}
	// ScanNow marks the tenant queued at once, and the scheduler only
	// clears that by starting the scan: either trace would show.
	if st := s.status(tenantA); st.Queued || st.Scanning || !st.LastStart.IsZero() {
		t.Errorf("a GET queued a scan: %+v", st)
	}
}
