// Package keyvault serves, over HTTPS, the parts of Azure Key Vault that
// credwatch uses: the data plane of any number of vaults (secrets and
// certificates) and the management plane reads of Azure Resource Manager
// (a vault's properties and its diagnostic settings).
//
// It is a peer of the real service, like the Graph emulator it trusts for
// tokens: each vault listens on a port of its own, so a vault is told by
// its URL's host exactly as https://{vault}.vault.azure.net is, and the
// Azure SDK's clients (azsecrets, azcertificates) work against it
// unchanged. Only two things differ from Azure, both SDK options meant for
// non-Azure hosts: the vault URL (the SDK then needs
// DisableChallengeResourceVerification) and the CA to trust.
//
// Authentication follows Key Vault's challenge flow. A request without a
// bearer token gets 401 with
//
//	WWW-Authenticate: Bearer authorization="{authority}/{tenant}", resource="https://vault.azure.net"
//
// and the SDK then asks the token service for that resource and sends the
// request again. Tokens are checked as Key Vault does: signature (keys
// fetched from the token service's published key set, or given), expiry,
// tenant, issuer and audience https://vault.azure.net. Authorisation is
// per vault: Azure RBAC role assignments when enableRbacAuthorization is
// set, access policies otherwise, after the vault's firewall. As in Azure,
// role assignments and access policies name a principal by its object id,
// matched against the token's oid; one naming an app id grants nothing.
// Refusals use Key Vault's envelope, with a lower-case innererror:
// ForbiddenByFirewall, ForbiddenByRbac or AccessDenied.
//
// Writes can be failed on demand (Server.FailNext) to test recovery.
// Secret values are held in memory only: never logged, never put in an
// error.
package keyvault
