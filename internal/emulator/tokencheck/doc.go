// Package tokencheck verifies, as an Azure resource provider does, the
// access tokens that the emulator's token service issues: the signature
// against the service's published key set (fetched from
// {authority}/{tenant}/discovery/v2.0/keys, or keys given), expiry and
// not-before with five minutes of skew, the v1 issuer
// https://sts.windows.net/{tenant}/, the tenant claim and the audience.
//
// It is shared by the emulator's peers of Azure services (Key Vault, the
// Logs Ingestion API), so each refuses a bad token for the same reasons
// and maps the Reason to its own service's error. Errors never hold the
// token.
package tokencheck
