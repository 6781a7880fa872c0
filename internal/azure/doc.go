// Package azure connects credwatch to a Microsoft cloud: it picks the
// authority and Microsoft Graph endpoints for a cloud (or for any compatible
// endpoint given by URL, such as the emulator), builds the HTTP client that
// trusts an extra CA when asked, and obtains a token credential following
// azidentity's conventions (AZURE_* environment variables, then the default
// chain: workload identity, managed identity, Azure CLI, ...).
//
// No secret is ever taken from an option or a flag: secrets only come from
// the environment or from azidentity's own sources, and none is ever put in
// an error.
package azure
