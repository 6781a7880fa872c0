package emulator

import (
	"context"
	"crypto/x509"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"
)

// TestAzidentityGetsTokens runs the real azidentity credentials (MSAL
// underneath: discovery document, then the token endpoint; PS256 client
// assertions) against the emulator, and reads Graph with the tokens.
func TestAzidentityGetsTokens(t *testing.T) {
	e := newEnv(t, Faults{})
	e.clock.Set(time.Now()) // MSAL stamps assertions with the real clock
	cs := testCerts(t)
	clientOpts := azcore.ClientOptions{
		Cloud:     cloud.Configuration{ActiveDirectoryAuthorityHost: e.srv.AuthorityHost()},
		Transport: e.srv.Client(),
	}
	secretCred, err := azidentity.NewClientSecretCredential(testTenant, readerID, certSecret,
		&azidentity.ClientSecretCredentialOptions{ClientOptions: clientOpts, DisableInstanceDiscovery: true})
	if err != nil {
		t.Fatal(err)
	}
	certCred, err := azidentity.NewClientCertificateCredential(testTenant, certClientID, []*x509.Certificate{cs[0].cert}, cs[0].key,
		&azidentity.ClientCertificateCredentialOptions{ClientOptions: clientOpts, DisableInstanceDiscovery: true})
	if err != nil {
		t.Fatal(err)
	}
	for name, cred := range map[string]azcore.TokenCredential{"secret": secretCred, "certificate": certCred} {
		t.Run(name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			tok, err := cred.GetToken(ctx, policy.TokenRequestOptions{Scopes: []string{"https://graph.microsoft.com/.default"}})
			if err != nil {
				t.Fatalf("GetToken: %v", err)
			}
			g := e.get(t, tok.Token, "/v1.0/applications?$select=id")
			if g.status != 200 || len(g.values()) != 5 {
				t.Fatalf("list applications with the token: status %d, %d values", g.status, len(g.values()))
			}
		})
	}
	if st := e.srv.Stats(); st.OpenIDConfig == 0 || st.TokensIssued != 2 {
		t.Errorf("stats: %d discovery requests, %d tokens issued; want discovery used and 2 tokens", st.OpenIDConfig, st.TokensIssued)
	}
}
