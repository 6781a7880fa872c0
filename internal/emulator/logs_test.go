package emulator

import (
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// TestNoSecretInLogsOrErrors drives successes and failures of every kind
// with debug logging on and checks that no secret, assertion or token
// shows up in the log or in any error body.
func TestNoSecretInLogsOrErrors(t *testing.T) {
	e := newEnv(t, Faults{Script: []ScriptedFault{{Path: "/v1.0/servicePrincipals", Kind: FaultThrottle, RetryAfter: "1"}}})
	cs := testCerts(t)
	const wrongSecret = "wr0ng~secret-that-is-also-radioactive-1234"
	tok := e.token(t, readerID)
	goodAssertion := assertion(t, e, cs[0], jwt.SigningMethodPS256, nil)
	badAssertion := assertion(t, e, cs[1], jwt.SigningMethodRS256, nil)
	radioactive := []string{certSecret, wrongSecret, tok, goodAssertion, badAssertion}

	var bodies []string
	_, b := e.postToken(t, assertionForm(goodAssertion), nil)
	radioactive = append(radioactive, b["access_token"].(string))
	for _, form := range []map[string][]string{
		secretForm(readerID, wrongSecret, graphScope),
		secretForm(expiredSecretID, certSecret, graphScope),
		assertionForm(badAssertion),
	} {
		_, body := e.postToken(t, form, nil)
		bodies = append(bodies, body["error_description"].(string))
	}
	// A client that pastes its secret into the scope gets it echoed back
	// (Entra does), but it must still stay out of the log.
	e.postToken(t, secretForm(readerID, certSecret, "https://example.test/"+certSecret+"/User.Read"), nil)
	for _, p := range []string{"/v1.0/applications", "/v1.0/servicePrincipals", "/v1.0/applications/bogus"} {
		bodies = append(bodies, string(e.get(t, tok, p).raw))
		bodies = append(bodies, string(e.get(t, tok+"x", p).raw))
	}
	logs := e.logs.String()
	if !strings.Contains(logs, "token request refused") || !strings.Contains(logs, "graph request") {
		t.Fatalf("debug log is missing the expected records:\n%s", logs)
	}
	for _, s := range radioactive {
		if strings.Contains(logs, s) {
			t.Errorf("log contains a secret, assertion or token (%d chars)", len(s))
		}
		for _, b := range bodies {
			if strings.Contains(b, s) {
				t.Errorf("error body contains a secret, assertion or token: %.60s…", b)
			}
		}
	}
}
