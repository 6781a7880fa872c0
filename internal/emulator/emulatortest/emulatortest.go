// Package emulatortest starts the emulator's token service for tests of
// the peers that trust its tokens (Key Vault, Logs Ingestion).
package emulatortest

import (
	"testing"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/cloud"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azidentity"

	"github.com/credwatch/credwatch/internal/emulator"
	"github.com/credwatch/credwatch/internal/msgraph"
)

// Principal is a client app and the object id of its service principal,
// which the token service puts in its tokens' oid claim.
type Principal struct{ AppID, ObjectID string }

// TokenService starts an emulator of tenant whose clients are the
// principals, each signing in with secret; it is closed when the test
// ends.
func TokenService(t testing.TB, tenant, secret string, ps ...Principal) *emulator.Server {
	t.Helper()
	dir := &msgraph.Directory{TenantID: tenant}
	var clients []emulator.Client
	for _, p := range ps {
		clients = append(clients, emulator.Client{ID: p.AppID, Secret: secret})
		dir.ServicePrincipals = append(dir.ServicePrincipals, msgraph.ServicePrincipal{ID: p.ObjectID, AppID: p.AppID, DisplayName: "client " + p.AppID})
	}
	sts, err := emulator.Start(emulator.Options{Directory: dir, Clients: clients})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sts.Close() })
	return sts
}

// Credential is a client-secret credential for clientID from sts, sent
// through transport (which must trust sts's CA).
func Credential(t testing.TB, sts *emulator.Server, clientID, secret string, transport policy.Transporter) azcore.TokenCredential {
	t.Helper()
	c, err := azidentity.NewClientSecretCredential(sts.TenantID(), clientID, secret, &azidentity.ClientSecretCredentialOptions{
		ClientOptions:            azcore.ClientOptions{Cloud: cloud.Configuration{ActiveDirectoryAuthorityHost: sts.AuthorityHost()}, Transport: transport},
		DisableInstanceDiscovery: true,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}
