package azure

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

const (
	testTenant   = "11111111-2222-3333-4444-555555555555"
	testClientID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
	testSecret   = "Zq8~sekret.value-THAT-must-never-leak"
)

// clearAzureEnv blanks every variable azidentity reads so the host's
// environment cannot pick the credential.
func clearAzureEnv(t *testing.T) {
	t.Helper()
	for _, k := range []string{
		"AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET",
		"AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_CLIENT_CERTIFICATE_PASSWORD",
		"AZURE_AUTHORITY_HOST", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_TOKEN_CREDENTIALS",
		"AZURE_USERNAME", "AZURE_PASSWORD", "AZURE_ADDITIONALLY_ALLOWED_TENANTS",
	} {
		t.Setenv(k, "")
	}
}

func getToken(t *testing.T, o AuthOptions) (string, error) {
	t.Helper()
	cred, err := NewCredential(o)
	if err != nil {
		t.Fatalf("NewCredential: %v", err)
	}
	_, _, scope, err := Endpoints(o)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := cred.GetToken(context.Background(), policy.TokenRequestOptions{Scopes: []string{scope}})
	return tok.Token, err
}

func TestClientSecretCredentialGetsTokenFromCustomAuthority(t *testing.T) {
	clearAzureEnv(t)
	sts := newFakeSTS(t, testTenant, testClientID)
	sts.secret = testSecret
	// The tenant option must win over the environment.
	t.Setenv("AZURE_TENANT_ID", "99999999-0000-0000-0000-000000000000")
	t.Setenv("AZURE_CLIENT_ID", testClientID)
	t.Setenv("AZURE_CLIENT_SECRET", testSecret)

	tok, err := getToken(t, AuthOptions{
		TenantID:      testTenant,
		AuthorityHost: sts.srv.URL,
		GraphURL:      "https://graph.example.test/v1.0",
		CAFile:        writeCAFile(t, sts.srv),
	})
	if err != nil {
		t.Fatalf("GetToken: %v", err)
	}
	if tok != sts.token {
		t.Errorf("token = %q, want the fake's", tok)
	}
	// Only the two v2.0 endpoints: no instance discovery went anywhere.
	want := []string{
		"GET /" + testTenant + "/v2.0/.well-known/openid-configuration",
		"POST /" + testTenant + "/oauth2/v2.0/token",
	}
	if strings.Join(sts.paths, "|") != strings.Join(want, "|") {
		t.Errorf("requests = %q, want %q", sts.paths, want)
	}
	if len(sts.scopes) != 1 || !strings.Contains(sts.scopes[0], "https://graph.microsoft.com/.default") {
		t.Errorf("scope = %q, want the public Graph resource's .default", sts.scopes)
	}
}

func TestClientCertificateCredentialSignsAssertionWithTheCertificate(t *testing.T) {
	tests := []struct {
		name       string
		registered bool // whether the STS knows the certificate
		wantErr    bool
	}{
		{"registered certificate gets a token", true, false},
		{"unknown certificate is refused", false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearAzureEnv(t)
			sts := newFakeSTS(t, testTenant, testClientID)
			cert, path := newClientCert(t)
			if tt.registered {
				sts.cert = cert
			} else {
				other, _ := newClientCert(t)
				sts.cert = other
			}
			t.Setenv("AZURE_TENANT_ID", testTenant)
			t.Setenv("AZURE_CLIENT_ID", testClientID)
			t.Setenv("AZURE_CLIENT_CERTIFICATE_PATH", path)

			tok, err := getToken(t, AuthOptions{AuthorityHost: sts.srv.URL, HTTPClient: sts.srv.Client()})
			if tt.wantErr {
				if err == nil {
					t.Fatal("GetToken succeeded with a certificate the STS does not know")
				}
				if sts.verified != 0 {
					t.Errorf("STS verified %d assertions, want 0", sts.verified)
				}
				return
			}
			if err != nil {
				t.Fatalf("GetToken: %v", err)
			}
			if tok != sts.token || sts.verified != 1 {
				t.Errorf("token %q, verified %d; want the fake's token and one verified assertion", tok, sts.verified)
			}
		})
	}
}

func TestWrongSecretErrorDoesNotCarryTheSecret(t *testing.T) {
	clearAzureEnv(t)
	sts := newFakeSTS(t, testTenant, testClientID)
	sts.secret = "the-right-one"
	t.Setenv("AZURE_TENANT_ID", testTenant)
	t.Setenv("AZURE_CLIENT_ID", testClientID)
	t.Setenv("AZURE_CLIENT_SECRET", testSecret)

	_, err := getToken(t, AuthOptions{AuthorityHost: sts.srv.URL, HTTPClient: sts.srv.Client()})
	if err == nil {
		t.Fatal("GetToken succeeded with a wrong secret")
	}
	if !strings.Contains(err.Error(), "AADSTS7000215") {
		t.Errorf("error %q does not carry the STS reason", err)
	}
	if strings.Contains(err.Error(), testSecret) {
		t.Errorf("error carries the client secret: %q", err)
	}
}

func TestNewCredentialRejectsBadConfiguration(t *testing.T) {
	notPEM := filepath.Join(t.TempDir(), "ca.txt")
	if err := os.WriteFile(notPEM, []byte("this is not a certificate\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		env     map[string]string
		o       AuthOptions
		wantErr string
	}{
		{"http authority", nil, AuthOptions{AuthorityHost: "http://127.0.0.1:8443"}, "scheme must be https"},
		{"authority without host", nil, AuthOptions{AuthorityHost: "https:///tenant"}, "missing host"},
		{"ca file that is not PEM", nil, AuthOptions{CAFile: notPEM}, "no PEM certificate"},
		{"missing ca file", nil, AuthOptions{CAFile: filepath.Join(t.TempDir(), "nope.pem")}, "ca file"},
		{"unknown cloud", nil, AuthOptions{Cloud: "mars"}, `cloud "mars": unknown`},
		{"secret without client id", map[string]string{"AZURE_CLIENT_SECRET": testSecret, "AZURE_TENANT_ID": testTenant},
			AuthOptions{}, "AZURE_CLIENT_ID is empty"},
		{"secret without tenant", map[string]string{"AZURE_CLIENT_SECRET": testSecret, "AZURE_CLIENT_ID": testClientID},
			AuthOptions{}, "no tenant is given"},
		{"certificate file missing", map[string]string{"AZURE_CLIENT_CERTIFICATE_PATH": filepath.Join(t.TempDir(), "c.pem"),
			"AZURE_TENANT_ID": testTenant, "AZURE_CLIENT_ID": testClientID}, AuthOptions{}, "client certificate"},
		{"certificate file not a certificate", map[string]string{"AZURE_CLIENT_CERTIFICATE_PATH": notPEM,
			"AZURE_TENANT_ID": testTenant, "AZURE_CLIENT_ID": testClientID, "AZURE_CLIENT_CERTIFICATE_PASSWORD": "pfx-password-xyz"},
			AuthOptions{}, "client certificate " + notPEM},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearAzureEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			_, err := NewCredential(tt.o)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
			}
			for _, s := range []string{testSecret, "pfx-password-xyz"} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error carries a secret: %q", err)
				}
			}
		})
	}
}
