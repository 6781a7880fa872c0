package keyvault

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"

	"github.com/credwatch/credwatch/internal/inventory"
)

// Target is a vault to read: its label, data-plane URL and, for the
// management-plane reads, its resource id.
type Target struct {
	Name       string
	URL        string
	ResourceID string
}

// CollectOptions configure Collect.
type CollectOptions struct {
	Options
	// ManagementURL and ManagementScope reach Resource Manager; defaults
	// DefaultManagementURL and DefaultManagementScope.
	ManagementURL, ManagementScope string
}

// Collect reads the metadata of each target: secrets and certificates
// from the data plane, and, for targets with a resource id, properties and
// diagnostic settings from Resource Manager. A part that cannot be read
// (no permission, the firewall, a network error) is left out and named in
// the vault's Unavailable with a one-line reason; only a cancelled ctx
// stops Collect, returning what it has and ctx's error.
func Collect(ctx context.Context, cred azcore.TokenCredential, targets []Target, o CollectOptions) ([]inventory.Vault, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var mgmt *Management
	var mgmtErr error
	out := make([]inventory.Vault, 0, len(targets))
	for _, t := range targets {
		v := inventory.Vault{Name: t.Name, URL: t.URL, ResourceID: t.ResourceID}
		miss := func(part string, err error) {
			if v.Unavailable == nil {
				v.Unavailable = map[string]string{}
			}
			v.Unavailable[part] = oneLine(err)
			log.Warn("key vault part unavailable", "vault", t.Name, "part", part, "reason", v.Unavailable[part])
		}
		vc, err := NewVaultClient(t.URL, cred, o.Options)
		if err != nil {
			miss(inventory.VaultPartSecrets, err)
			miss(inventory.VaultPartCertificates, err)
		} else {
			if secrets, err := vc.ListSecrets(ctx); err != nil {
				miss(inventory.VaultPartSecrets, err)
			} else {
				for _, s := range secrets {
					v.Secrets = append(v.Secrets, inventory.VaultSecret{Name: s.Name, ContentType: s.ContentType, Tags: s.Tags,
						Enabled: s.Enabled, NotBefore: s.NotBefore, Expires: s.Expires, Created: s.Created, Updated: s.Updated, Managed: s.Managed})
				}
			}
			if certs, err := vc.ListCertificates(ctx); err != nil {
				miss(inventory.VaultPartCertificates, err)
			} else {
				for _, c := range certs {
					v.Certificates = append(v.Certificates, inventory.VaultCertificate{Name: c.Name, Thumbprint: c.Thumbprint, Tags: c.Tags,
						Enabled: c.Enabled, NotBefore: c.NotBefore, Expires: c.Expires, Created: c.Created})
				}
			}
		}
		if ctx.Err() != nil {
			return out, fmt.Errorf("read key vaults: %w", ctx.Err())
		}
		if t.ResourceID != "" {
			if mgmt == nil && mgmtErr == nil {
				mgmt, mgmtErr = NewManagement(o.ManagementURL, o.ManagementScope, cred, o.Options)
			}
			switch props, err := managementRead(ctx, mgmt, mgmtErr, t.ResourceID); {
			case err != nil:
				miss(inventory.VaultPartProperties, err)
				miss(inventory.VaultPartDiagnostics, err)
			default:
				v.Properties = props
				if ds, err := mgmt.DiagnosticSettings(ctx, t.ResourceID); err != nil {
					miss(inventory.VaultPartDiagnostics, err)
				} else {
					v.DiagnosticSettings = diagnostics(ds)
				}
			}
		}
		if ctx.Err() != nil {
			return out, fmt.Errorf("read key vaults: %w", ctx.Err())
		}
		log.Debug("key vault read", "vault", t.Name, "secrets", len(v.Secrets), "certificates", len(v.Certificates),
			"properties", v.Properties != nil)
		out = append(out, v)
	}
	return out, nil
}

func managementRead(ctx context.Context, m *Management, mErr error, id string) (*inventory.VaultProperties, error) {
	if mErr != nil {
		return nil, mErr
	}
	p, err := m.Vault(ctx, id)
	if err != nil {
		return nil, err
	}
	out := &inventory.VaultProperties{EnableRBACAuthorization: p.EnableRBACAuthorization, EnableSoftDelete: p.EnableSoftDelete,
		EnablePurgeProtection: p.EnablePurgeProtection, PublicNetworkAccess: p.PublicNetworkAccess, AccessPolicies: p.AccessPolicies}
	if a := p.NetworkACLs; a != nil {
		out.NetworkDefaultAction, out.NetworkBypass = a.DefaultAction, a.Bypass
		out.IPRules = append([]string(nil), a.IPRules...)
		out.VirtualNetworkRules = len(a.VirtualNetworkRules)
	}
	return out, nil
}

func diagnostics(ds []DiagnosticSetting) []inventory.VaultDiagnosticSetting {
	out := make([]inventory.VaultDiagnosticSetting, 0, len(ds))
	for _, d := range ds {
		s := inventory.VaultDiagnosticSetting{Name: d.Name, WorkspaceID: d.WorkspaceID, StorageAccountID: d.StorageAccountID, EventHubRuleID: d.EventHubID}
		for _, l := range d.Logs {
			s.Logs = append(s.Logs, inventory.VaultLogSetting{Category: l.Category, CategoryGroup: l.CategoryGroup, Enabled: l.Enabled})
		}
		out = append(out, s)
	}
	return out
}

func oneLine(err error) string { return strings.Join(strings.Fields(err.Error()), " ") }
