package emulator

import (
	"regexp"
	"testing"
	"time"
)

func TestBearerTokenErrors(t *testing.T) {
	e := newEnv(t, Faults{})
	cs := testCerts(t)
	good := e.token(t, readerID)
	noRoles := e.token(t, norolesID)
	_, vault := e.postToken(t, secretForm(readerID, certSecret, "https://vault.azure.net/.default"), nil)
	forged, err := signRS256(cs[1].key, map[string]any{"typ": "JWT", "alg": "RS256", "kid": e.srv.signKeyID},
		map[string]any{"aud": "https://graph.microsoft.com", "iss": "https://sts.windows.net/" + testTenant + "/", "tid": testTenant,
			"exp": testStart.Add(time.Hour).Unix(), "roles": []string{"Application.Read.All"}})
	if err != nil {
		t.Fatal(err)
	}
	otherTenant, err := signRS256(e.srv.signKey, map[string]any{"typ": "JWT", "alg": "RS256", "kid": e.srv.signKeyID},
		map[string]any{"aud": "https://graph.microsoft.com", "iss": "https://sts.windows.net/00000000-0000-4000-8000-0000000000aa/",
			"tid": "00000000-0000-4000-8000-0000000000aa", "exp": testStart.Add(time.Hour).Unix(), "roles": []string{"Application.Read.All"}})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		token   string
		advance time.Duration
		status  int
		code    string
		message string
	}{
		{"missing", "", 0, 401, "InvalidAuthenticationToken", "Access token is empty."},
		{"malformed", "not-a-token", 0, 401, "InvalidAuthenticationToken", ""},
		{"expired", good, 2 * time.Hour, 401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired."},
		{"bad signature", forged, 0, 401, "InvalidAuthenticationToken", "Access token validation failure. Invalid signature."},
		{"wrong audience", vault["access_token"].(string), 0, 401, "InvalidAuthenticationToken", "Access token validation failure. Invalid audience."},
		{"other tenant", otherTenant, 0, 401, "InvalidAuthenticationToken", "Access token validation failure. Invalid issuer."},
		{"no read role", noRoles, 0, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."},
		{"valid within skew", good, time.Hour + 4*time.Minute, 200, "", ""},
	}
	date := regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.clock.Set(testStart.Add(tt.advance))
			defer e.clock.Set(testStart)
			g := e.get(t, tt.token, "/v1.0/applications", "client-request-id", "c1e00000-0000-4000-8000-000000000042")
			if g.status != tt.status || g.errCode() != tt.code {
				t.Fatalf("status %d code %q, want %d %q (%s)", g.status, g.errCode(), tt.status, tt.code, g.raw)
			}
			if tt.status == 200 {
				return
			}
			if tt.message != "" && g.errMessage() != tt.message {
				t.Errorf("message %q, want %q", g.errMessage(), tt.message)
			}
			inner, _ := g.body["error"].(map[string]any)["innerError"].(map[string]any)
			if d, _ := inner["date"].(string); !date.MatchString(d) {
				t.Errorf("innerError.date %q: want no time zone", d)
			}
			if inner["request-id"] != g.header.Get("request-id") || inner["request-id"] == "" {
				t.Errorf("innerError.request-id %v, header %q", inner["request-id"], g.header.Get("request-id"))
			}
			if inner["client-request-id"] != "c1e00000-0000-4000-8000-000000000042" || g.header.Get("client-request-id") != "c1e00000-0000-4000-8000-000000000042" {
				t.Errorf("client-request-id not echoed: inner %v header %q", inner["client-request-id"], g.header.Get("client-request-id"))
			}
			if tt.status == 401 && g.header.Get("WWW-Authenticate") == "" {
				t.Errorf("401 without WWW-Authenticate")
			}
		})
	}
	if st := e.srv.Stats(); st.Unauthorized != 6 || st.Forbidden != 1 {
		t.Errorf("stats: %d unauthorized, %d forbidden; want 6 and 1", st.Unauthorized, st.Forbidden)
	}
}
