// Package keyvault is credwatch's client for Azure Key Vault: the data
// plane through the Azure SDK (azsecrets, azcertificates) and the
// management-plane reads (a vault's properties, its diagnostic settings)
// through an azcore pipeline against Azure Resource Manager.
//
// It writes a secret version with its content type, tags and expiry, and
// lists secret and certificate metadata. It never reads a secret value:
// listings carry metadata only, and the one call that sends a value
// (SetSecret) returns only the new version's metadata. Errors carry Key
// Vault's code, inner code and message, never a value or a token.
//
// Collect reads the vaults a configuration names into the snapshot's
// vault section (inventory.Vault), part by part, recording a part that
// could not be read instead of failing the scan.
package keyvault
