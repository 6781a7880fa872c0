package keyvault

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/runtime"
)

// Resource Manager defaults of the public cloud, and the API versions of
// the two reads.
const (
	DefaultManagementURL   = "https://management.azure.com"
	DefaultManagementScope = "https://management.azure.com/.default"
	vaultsAPIVersion       = "2023-07-01"
	diagnosticsAPIVersion  = "2021-05-01-preview"
)

// vaultIDPattern is a vault's resource id.
var vaultIDPattern = regexp.MustCompile(`(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.KeyVault/vaults/[^/]+$`)

// ValidVaultID reports whether id is a Key Vault resource id.
func ValidVaultID(id string) bool { return vaultIDPattern.MatchString(id) }

// Management reads vaults through Azure Resource Manager.
type Management struct {
	base *url.URL
	pl   runtime.Pipeline
}

// NewManagement returns a Resource Manager client at baseURL (default
// DefaultManagementURL) asking for tokens of scope (default
// DefaultManagementScope: the scope names the resource, not the URL it is
// reached at).
func NewManagement(baseURL, scope string, cred azcore.TokenCredential, o Options) (*Management, error) {
	if baseURL == "" {
		baseURL = DefaultManagementURL
	}
	if scope == "" {
		scope = DefaultManagementScope
	}
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" {
		return nil, fmt.Errorf("management url %q: want https://host[:port]", baseURL)
	}
	if cred == nil {
		return nil, errors.New("management client: no credential")
	}
	co := o.clientOptions()
	pl := runtime.NewPipeline("credwatch", "v1", runtime.PipelineOptions{
		PerRetry: []policy.Policy{runtime.NewBearerTokenPolicy(cred, []string{scope}, nil)},
	}, &co)
	return &Management{base: u, pl: pl}, nil
}

// VaultProperties are the management-plane settings credwatch judges.
type VaultProperties struct {
	ID, Name, Location, TenantID, VaultURI string
	EnableRBACAuthorization                bool
	EnableSoftDelete                       bool
	SoftDeleteRetentionDays                int
	EnablePurgeProtection                  bool
	// PublicNetworkAccess is Enabled or Disabled ("" when Azure omits it,
	// which means Enabled).
	PublicNetworkAccess string
	// NetworkACLs is nil when the vault has no firewall rules.
	NetworkACLs    *NetworkACLs
	AccessPolicies int
}

// NetworkACLs is a vault's firewall.
type NetworkACLs struct {
	DefaultAction       string // Allow or Deny
	Bypass              string
	IPRules             []string
	VirtualNetworkRules []string
}

// DiagnosticSetting is where a resource sends its logs.
type DiagnosticSetting struct {
	Name                                      string
	WorkspaceID, StorageAccountID, EventHubID string
	Logs                                      []LogSetting
}

// LogSetting is one log category or category group and whether it is on.
type LogSetting struct {
	Category, CategoryGroup string
	Enabled                 bool
}

// Vault reads a vault's properties by resource id.
func (m *Management) Vault(ctx context.Context, resourceID string) (VaultProperties, error) {
	if !ValidVaultID(resourceID) {
		return VaultProperties{}, fmt.Errorf("vault resource id %q: want /subscriptions/…/resourceGroups/…/providers/Microsoft.KeyVault/vaults/NAME", resourceID)
	}
	var raw struct {
		ID         string `json:"id"`
		Name       string `json:"name"`
		Location   string `json:"location"`
		Properties struct {
			TenantID                  string            `json:"tenantId"`
			VaultURI                  string            `json:"vaultUri"`
			EnableRBACAuthorization   *bool             `json:"enableRbacAuthorization"`
			EnableSoftDelete          *bool             `json:"enableSoftDelete"`
			SoftDeleteRetentionInDays *int              `json:"softDeleteRetentionInDays"`
			EnablePurgeProtection     *bool             `json:"enablePurgeProtection"`
			PublicNetworkAccess       string            `json:"publicNetworkAccess"`
			AccessPolicies            []json.RawMessage `json:"accessPolicies"`
			NetworkACLs               *struct {
				DefaultAction string `json:"defaultAction"`
				Bypass        string `json:"bypass"`
				IPRules       []struct {
					Value string `json:"value"`
				} `json:"ipRules"`
				VirtualNetworkRules []struct {
					ID string `json:"id"`
				} `json:"virtualNetworkRules"`
			} `json:"networkAcls"`
		} `json:"properties"`
	}
	if err := m.get(ctx, resourceID, vaultsAPIVersion, "read vault properties", &raw); err != nil {
		return VaultProperties{}, err
	}
	p := raw.Properties
	out := VaultProperties{ID: raw.ID, Name: raw.Name, Location: raw.Location, TenantID: p.TenantID, VaultURI: p.VaultURI,
		EnableRBACAuthorization: p.EnableRBACAuthorization != nil && *p.EnableRBACAuthorization,
		// Azure reports enableSoftDelete on every vault made since soft
		// delete became mandatory; absent means an old vault without it.
		EnableSoftDelete:      p.EnableSoftDelete != nil && *p.EnableSoftDelete,
		EnablePurgeProtection: p.EnablePurgeProtection != nil && *p.EnablePurgeProtection,
		PublicNetworkAccess:   p.PublicNetworkAccess, AccessPolicies: len(p.AccessPolicies)}
	if p.SoftDeleteRetentionInDays != nil {
		out.SoftDeleteRetentionDays = *p.SoftDeleteRetentionInDays
	}
	if a := p.NetworkACLs; a != nil {
		n := &NetworkACLs{DefaultAction: a.DefaultAction, Bypass: a.Bypass}
		for _, r := range a.IPRules {
			n.IPRules = append(n.IPRules, r.Value)
		}
		for _, r := range a.VirtualNetworkRules {
			n.VirtualNetworkRules = append(n.VirtualNetworkRules, r.ID)
		}
		out.NetworkACLs = n
	}
	return out, nil
}

// DiagnosticSettings lists a resource's diagnostic settings.
func (m *Management) DiagnosticSettings(ctx context.Context, resourceID string) ([]DiagnosticSetting, error) {
	var raw struct {
		Value []struct {
			Name       string `json:"name"`
			Properties struct {
				WorkspaceID      *string `json:"workspaceId"`
				StorageAccountID *string `json:"storageAccountId"`
				EventHubRuleID   *string `json:"eventHubAuthorizationRuleId"`
				Logs             []struct {
					Category      *string `json:"category"`
					CategoryGroup *string `json:"categoryGroup"`
					Enabled       bool    `json:"enabled"`
				} `json:"logs"`
			} `json:"properties"`
		} `json:"value"`
	}
	if err := m.get(ctx, strings.TrimRight(resourceID, "/")+"/providers/Microsoft.Insights/diagnosticSettings",
		diagnosticsAPIVersion, "read diagnostic settings", &raw); err != nil {
		return nil, err
	}
	out := make([]DiagnosticSetting, 0, len(raw.Value))
	for _, v := range raw.Value {
		d := DiagnosticSetting{Name: v.Name, WorkspaceID: deref(v.Properties.WorkspaceID),
			StorageAccountID: deref(v.Properties.StorageAccountID), EventHubID: deref(v.Properties.EventHubRuleID)}
		for _, l := range v.Properties.Logs {
			d.Logs = append(d.Logs, LogSetting{Category: deref(l.Category), CategoryGroup: deref(l.CategoryGroup), Enabled: l.Enabled})
		}
		out = append(out, d)
	}
	return out, nil
}

// get reads one Resource Manager document into v.
func (m *Management) get(ctx context.Context, path, apiVersion, op string, v any) error {
	u := *m.base
	u.Path = strings.TrimRight(m.base.Path, "/") + path
	u.RawQuery = url.Values{"api-version": {apiVersion}}.Encode()
	req, err := runtime.NewRequest(ctx, http.MethodGet, u.String())
	if err != nil {
		return fmt.Errorf("resource manager %s: %s: %w", path, op, err)
	}
	req.Raw().Header.Set("Accept", "application/json")
	resp, err := m.pl.Do(req)
	if err != nil {
		return fmt.Errorf("resource manager %s: %s: %w", path, op, err)
	}
	body, err := runtime.Payload(resp)
	if err != nil {
		return fmt.Errorf("resource manager %s: %s: %w", path, op, err)
	}
	if resp.StatusCode != http.StatusOK {
		e := &Error{Op: op, Vault: path, StatusCode: resp.StatusCode, RequestID: resp.Header.Get("x-ms-request-id")}
		fillFromBody(e, body)
		if e.Message == "" {
			e.Message = http.StatusText(resp.StatusCode)
		}
		return e
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("resource manager %s: %s: decode response: %w", path, op, err)
	}
	return nil
}
