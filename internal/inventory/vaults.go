package inventory

import (
	"slices"
	"strings"
	"time"
)

// Parts of a vault that are read separately; the keys of
// Vault.Unavailable.
const (
	VaultPartSecrets      = "secrets"
	VaultPartCertificates = "certificates"
	VaultPartProperties   = "properties"
	VaultPartDiagnostics  = "diagnosticSettings"
)

// Vault is what a scan read of one Azure Key Vault: metadata only, never a
// secret value. It is the snapshot's optional "vaults" section and the
// Tenant's Vaults alike; a part that could not be read is named in
// Unavailable, with the reason, and rules that need it stay silent.
type Vault struct {
	// Name labels the vault (the configuration's name for it).
	Name string `json:"name"`
	URL  string `json:"url"`
	// ResourceID is the vault's Azure resource id, when known: the
	// management plane (Properties, DiagnosticSettings) is read through it.
	ResourceID         string                   `json:"resourceId,omitempty"`
	Properties         *VaultProperties         `json:"properties,omitempty"`
	DiagnosticSettings []VaultDiagnosticSetting `json:"diagnosticSettings,omitempty"`
	Secrets            []VaultSecret            `json:"secrets,omitempty"`
	Certificates       []VaultCertificate       `json:"certificates,omitempty"`
	Unavailable        map[string]string        `json:"unavailable,omitempty"`
}

// Read reports whether part was read (it may still be empty).
func (v *Vault) Read(part string) bool {
	if _, missing := v.Unavailable[part]; missing {
		return false
	}
	switch part {
	case VaultPartProperties:
		return v.Properties != nil
	case VaultPartDiagnostics:
		// Diagnostic settings come with the properties, from the same
		// management plane: without a resource id neither is read.
		return v.Properties != nil
	}
	return true
}

// VaultProperties are the vault's management-plane settings.
type VaultProperties struct {
	EnableRBACAuthorization bool `json:"enableRbacAuthorization"`
	EnableSoftDelete        bool `json:"enableSoftDelete"`
	EnablePurgeProtection   bool `json:"enablePurgeProtection"`
	// PublicNetworkAccess is Enabled or Disabled; empty means Enabled.
	PublicNetworkAccess string `json:"publicNetworkAccess,omitempty"`
	// NetworkDefaultAction is the firewall's default, Allow or Deny;
	// empty when the vault has no firewall rules (everything allowed).
	NetworkDefaultAction string   `json:"networkDefaultAction,omitempty"`
	NetworkBypass        string   `json:"networkBypass,omitempty"`
	IPRules              []string `json:"ipRules,omitempty"`
	VirtualNetworkRules  int      `json:"virtualNetworkRules,omitempty"`
	AccessPolicies       int      `json:"accessPolicies"`
}

// VaultDiagnosticSetting is one diagnostic setting of a vault.
type VaultDiagnosticSetting struct {
	Name             string            `json:"name"`
	WorkspaceID      string            `json:"workspaceId,omitempty"`
	StorageAccountID string            `json:"storageAccountId,omitempty"`
	EventHubRuleID   string            `json:"eventHubAuthorizationRuleId,omitempty"`
	Logs             []VaultLogSetting `json:"logs,omitempty"`
}

// VaultLogSetting is a log category (AuditEvent) or category group
// (audit, allLogs) and whether it is enabled.
type VaultLogSetting struct {
	Category      string `json:"category,omitempty"`
	CategoryGroup string `json:"categoryGroup,omitempty"`
	Enabled       bool   `json:"enabled"`
}

// VaultSecret is a secret's current version's metadata.
type VaultSecret struct {
	Name        string            `json:"name"`
	ContentType string            `json:"contentType,omitempty"`
	Tags        map[string]string `json:"tags,omitempty"`
	Enabled     bool              `json:"enabled"`
	NotBefore   time.Time         `json:"notBefore,omitzero"`
	Expires     time.Time         `json:"expires,omitzero"`
	Created     time.Time         `json:"created,omitzero"`
	Updated     time.Time         `json:"updated,omitzero"`
	// Managed secrets hold certificates' keys; they are not copies of app
	// secrets.
	Managed bool `json:"managed,omitempty"`
}

// VaultCertificate is a certificate's current version's metadata.
type VaultCertificate struct {
	Name string `json:"name"`
	// Thumbprint is the SHA-1 in upper-case hex, as Credential.Thumbprint.
	Thumbprint string            `json:"thumbprint"`
	Tags       map[string]string `json:"tags,omitempty"`
	Enabled    bool              `json:"enabled"`
	NotBefore  time.Time         `json:"notBefore,omitzero"`
	Expires    time.Time         `json:"expires,omitzero"`
	Created    time.Time         `json:"created,omitzero"`
}

// Tags credwatch writes on the secrets it rotates, and the one Microsoft's
// rotation sample writes.
const (
	VaultTagAppID        = "credwatchAppId"
	VaultTagReplaces     = "credwatchReplacesKeyId"
	VaultTagKeyID        = "credwatchKeyId"
	VaultTagCredentialID = "CredentialId"
)

// LinkedKeyID is the application credential key id a secret is a copy of:
// its credwatchKeyId tag, else its CredentialId tag; "" when neither.
// Tag names are matched without letter case, as Azure treats them.
func (s *VaultSecret) LinkedKeyID() string {
	if k := tagValue(s.Tags, VaultTagKeyID); k != "" {
		return strings.ToLower(k)
	}
	return strings.ToLower(tagValue(s.Tags, VaultTagCredentialID))
}

// LinkedAppID is the app id in the secret's credwatchAppId tag, if any.
func (s *VaultSecret) LinkedAppID() string { return strings.ToLower(tagValue(s.Tags, VaultTagAppID)) }

func tagValue(tags map[string]string, name string) string {
	if v, ok := tags[name]; ok {
		return strings.TrimSpace(v)
	}
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	slices.Sort(keys) // deterministic should two spellings exist
	for _, k := range keys {
		if strings.EqualFold(k, name) {
			return strings.TrimSpace(tags[k])
		}
	}
	return ""
}
