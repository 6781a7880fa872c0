package emulator

// The Azure Resource Manager resource, so clients can get tokens for the
// Key Vault management plane that internal/emulator/keyvault serves. Kept
// in a file of its own: it only adds an entry to the token service's
// resource table.
func init() {
	resources["https://management.azure.com"] = "https://management.azure.com"
}
