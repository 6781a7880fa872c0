package keyvault

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"time"

	"github.com/credwatch/credwatch/internal/msgraph"
)

// Names of the demo vaults.
const (
	DemoAppsVault   = "kv-contoso-apps"
	DemoLegacyVault = "kv-legacy-shared"
)

// DemoVaults are two vaults holding copies of the demo tenant's
// credentials, made so that each key vault rule fires on a clearly named
// case while most copies are in order. reader is the object id of the
// scanner's service principal (the oid of its tokens), given read access;
// writer (optional) that of the rotation client's, given Key Vault Secrets
// Officer, Certificates Officer and Certificate User on the RBAC vault and
// write access on the other. Both are object ids because Azure role
// assignments and access policies name the service principal: an app id
// here would grant nothing, as in Azure.
//
//	vault              shows
//	kv-contoso-apps    healthy: RBAC, soft delete and purge protection, firewall allowing only
//	                   loopback and 198.51.100.0/24, audit events sent to Log Analytics; it holds
//	                   tagged copies of payroll-export's, hr-onboarding-bot's and inventory-api's
//	                   secrets (each with the credential's end as exp), of invoice-ocr's
//	                   certificate, and
//	                   CW051  teams-notifier's copy expires a week before the secret
//	                   CW052  payroll-export-next names a key payroll-export does not hold, written
//	                          an hour ago: a rotation stopped half-way
//	kv-legacy-shared   CW060 public, no firewall; CW061 no diagnostic settings; CW062 purge
//	                   protection off; CW063 access policies; it holds wiki-search-indexer's secret
//	                   tagged as Microsoft's rotation sample does (CredentialId), with no exp (CW051)
//
// Every other credential has no vault copy (CW050).
func DemoVaults(dir *msgraph.Directory, now time.Time, reader, writer string) []Vault {
	apps := map[string]*msgraph.Application{}
	for i := range dir.Applications {
		apps[dir.Applications[i].DisplayName] = &dir.Applications[i]
	}
	copyOf := func(app, secretName string, shiftExp time.Duration, keyTag string) []Secret {
		a := apps[app]
		if a == nil {
			return nil
		}
		var out []Secret
		for _, p := range a.PasswordCredentials {
			end, err := time.Parse(time.RFC3339Nano, p.EndDateTime)
			if err != nil || !end.After(now) && keyTag == "credwatchKeyId" {
				continue // an expired credential has no copy worth keeping
			}
			start, _ := time.Parse(time.RFC3339Nano, p.StartDateTime)
			s := Secret{Name: secretName, Value: demoValue(a.AppID, p.KeyID), ContentType: "text/plain", Created: start,
				Tags: map[string]string{keyTag: p.KeyID}}
			if keyTag == "credwatchKeyId" {
				s.Tags["credwatchAppId"] = a.AppID
				s.Expires = end.Add(shiftExp)
			} else {
				s.Tags["ProviderAddress"] = a.AppID
			}
			out = append(out, s)
		}
		return out
	}
	var appSecrets []Secret
	appSecrets = append(appSecrets, copyOf("payroll-export", "payroll-export", 0, "credwatchKeyId")...)
	appSecrets = append(appSecrets, copyOf("hr-onboarding-bot", "hr-onboarding-bot", 0, "credwatchKeyId")...)
	appSecrets = append(appSecrets, copyOf("inventory-api", "inventory-api", 0, "credwatchKeyId")...)
	appSecrets = append(appSecrets, copyOf("teams-notifier", "teams-notifier", -7*24*time.Hour, "credwatchKeyId")...)
	if a := apps["payroll-export"]; a != nil {
		appSecrets = append(appSecrets, Secret{Name: "payroll-export-next", Value: demoValue(a.AppID, "next"), ContentType: "text/plain",
			Created: now.Add(-time.Hour), Expires: now.AddDate(0, 6, 0),
			Tags: map[string]string{"credwatchAppId": a.AppID, "credwatchKeyId": "9e3c4b1a-5d6f-4a7b-8c9d-0e1f2a3b4c5d"}})
	}
	var certs []Certificate
	if a := apps["invoice-ocr"]; a != nil {
		for _, k := range a.KeyCredentials {
			if k.Key == nil {
				continue
			}
			if der, err := base64.StdEncoding.DecodeString(*k.Key); err == nil {
				start, _ := time.Parse(time.RFC3339Nano, k.StartDateTime)
				certs = append(certs, Certificate{Name: "invoice-ocr", DER: der, Created: start})
			}
		}
	}
	legacy := copyOf("wiki-search-indexer", "wiki-indexer-secret", 0, "CredentialId")

	law := "/subscriptions/" + DefaultSubscriptionID + "/resourceGroups/rg-monitoring/providers/Microsoft.OperationalInsights/workspaces/law-contoso"
	appsVault := Vault{Name: DemoAppsVault, ResourceGroup: "rg-apps", EnableRBACAuthorization: true, EnableSoftDelete: true, EnablePurgeProtection: true,
		NetworkACLs:     &NetworkACLs{DefaultAction: "Deny", Bypass: "AzureServices", IPRules: []string{"127.0.0.1", "::1", "198.51.100.0/24"}},
		RoleAssignments: []RoleAssignment{{Principal: reader, Role: "Key Vault Reader"}},
		DiagnosticSettings: []DiagnosticSetting{{Name: "audit-to-law", WorkspaceID: law,
			Logs: []LogSetting{{CategoryGroup: "audit", Enabled: true}, {CategoryGroup: "allLogs", Enabled: false}}}},
		Secrets: appSecrets, Certificates: certs, Tags: map[string]string{"env": "prod"}}
	legacyVault := Vault{Name: DemoLegacyVault, ResourceGroup: "rg-legacy", EnableSoftDelete: true,
		AccessPolicies: []AccessPolicy{{ObjectID: reader, Secrets: []string{"get", "list"}, Certificates: []string{"get", "list"}},
			{ObjectID: "3f2a1b0c-9d8e-4f7a-8b6c-5d4e3f2a1b0c", Secrets: []string{"all"}}},
		Secrets: legacy}
	if writer != "" {
		appsVault.RoleAssignments = append(appsVault.RoleAssignments, RoleAssignment{Principal: writer, Role: "Key Vault Secrets Officer"},
			RoleAssignment{Principal: writer, Role: "Key Vault Certificates Officer"},
			RoleAssignment{Principal: writer, Role: "Key Vault Certificate User"})
		legacyVault.AccessPolicies = append(legacyVault.AccessPolicies, AccessPolicy{ObjectID: writer, Secrets: []string{"get", "list", "set"},
			Certificates: []string{"get", "list", "create", "import"}})
	}
	return []Vault{appsVault, legacyVault}
}

// demoValue is a stand-in secret value: the demo's vault copies are not
// the credentials' secrets, which the demo tenant does not have.
func demoValue(appID, keyID string) string {
	sum := sha256.Sum256([]byte("credwatch demo|" + strings.ToLower(appID) + "|" + keyID))
	return fmt.Sprintf("demo-not-a-secret-%x", sum[:12])
}
