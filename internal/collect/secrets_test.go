package collect

import (
	"bytes"
	"context"
	"encoding/pem"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/azure"
	"github.com/credwatch/credwatch/internal/azure/graph"
)

// TestFullStackLeaksNoSecretOrToken runs the real credential (a client
// secret from the environment) against a fake token service and Graph on
// one TLS server trusted through a CA file, with a failing call so that
// errors are produced, and searches every log line, gap and error for the
// client secret and the access token.
func TestFullStackLeaksNoSecretOrToken(t *testing.T) {
	const (
		tenant   = "tenant-1"
		clientID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
		secret   = "Sx8~client.secret-VALUE-never-printed"
		token    = "issued-access-token-never-printed"
	)
	apps, sps := testTenant()
	f := &fakeGraph{t: t, apps: apps, sps: sps, pageSize: 2, ownerPage: 10}
	var tokens atomic.Int32
	f.extra = func(w http.ResponseWriter, r *http.Request) bool {
		base := "https://" + r.Host + "/" + tenant
		switch r.URL.Path {
		case "/" + tenant + "/v2.0/.well-known/openid-configuration":
			writeJSON(w, http.StatusOK, map[string]string{"authorization_endpoint": base + "/oauth2/v2.0/authorize",
				"token_endpoint": base + "/oauth2/v2.0/token", "issuer": base + "/v2.0"})
		case "/" + tenant + "/oauth2/v2.0/token":
			_ = r.ParseForm()
			if r.PostForm.Get("client_id") != clientID || r.PostForm.Get("client_secret") != secret ||
				!strings.Contains(r.PostForm.Get("scope"), "https://graph.microsoft.com/.default") {
				writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "invalid_client"})
				return true
			}
			tokens.Add(1)
			writeJSON(w, http.StatusOK, map[string]any{"token_type": "Bearer", "expires_in": 3599, "access_token": token})
		default:
			return false
		}
		return true
	}
	f.auth = func(r *http.Request) bool { return r.Header.Get("Authorization") == "Bearer "+token }
	f.fault = func(r *http.Request) (int, string) {
		if r.URL.Path == "/v1.0/applications/app-2/owners" {
			return http.StatusForbidden, "Authorization_RequestDenied"
		}
		return 0, ""
	}
	f.start()

	ca := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: f.srv.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_AUTHORITY_HOST", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_TOKEN_CREDENTIALS"} {
		t.Setenv(k, "")
	}
	t.Setenv("AZURE_TENANT_ID", tenant)
	t.Setenv("AZURE_CLIENT_ID", clientID)
	t.Setenv("AZURE_CLIENT_SECRET", secret)

	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c, err := azure.NewGraphClient(azure.AuthOptions{AuthorityHost: f.srv.URL, GraphURL: f.srv.URL + "/v1.0", CAFile: ca}, nil,
		graph.Options{Logger: logger, Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := Collect(context.Background(), c, tenant, Options{Logger: logger, Now: fixedNow})
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	if tokens.Load() != 1 {
		t.Errorf("%d tokens issued, want 1 (cached for the whole scan)", tokens.Load())
	}
	if snap.Complete || len(snap.Incomplete) != 1 || !strings.HasPrefix(snap.Incomplete[0], "owners of application app-2") {
		t.Fatalf("incomplete = %q, want the owners gap", snap.Incomplete)
	}
	out := logs.String() + strings.Join(snap.Incomplete, "\n")
	if !strings.Contains(out, "request_id=") || !strings.Contains(out, "Authorization_RequestDenied") {
		t.Fatalf("logs lack the request records:\n%s", out)
	}
	for _, s := range []string{secret, token, "Bearer", "client_secret"} {
		if strings.Contains(out, s) {
			t.Errorf("%q appears in logs or gaps", s)
		}
	}
}
