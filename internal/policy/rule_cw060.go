package policy

import (
	"strconv"
	"strings"

	"github.com/credwatch/credwatch/internal/inventory"
)

// VaultObject is the ObjectType of findings about a key vault (CW060–CW063):
// their ObjectID is the vault's resource id and AppName its name.
const VaultObject inventory.ObjectType = "keyVault"

// vaultRuleDetails is what the vault rules share in their details.
const vaultRuleDetails = " Reads the vault's properties from Azure Resource Manager, so only vaults configured with a " +
	"`resourceId` are judged; silent for a vault whose properties could not be read (the scanner needs Reader on it). " +
	"The finding's object type is `keyVault`, its object id the resource id and its app name the vault's " +
	"configured name; an exception for it names the vault's name as `appId` or `app`."

var cw060 = rule{
	id:       "CW060",
	title:    "Key vault open to every network",
	severity: Medium,
	kind:     tenantRule,
	subject:  "vault",
	why: "A vault reachable from any address can be attacked with a stolen token from anywhere: nothing but " +
		"the token stands between the internet and the secrets. A firewall, or a private endpoint with public " +
		"access disabled, means a leaked token is useless outside the networks that run the workloads.",
	fix: "Allow only the networks that need the vault: `az keyvault update --name <vault> --default-action Deny " +
		"--bypass AzureServices`, then `az keyvault network-rule add --name <vault> --ip-address <range>` (or " +
		"`--subnet`), or use a private endpoint and `--public-network-access Disabled`.",
	details: "Fires when public network access is enabled (or unset) and the vault has no firewall rules or " +
		"their default action is Allow." + vaultRuleDetails,
	settings:   func(r *Rules) ruleSettings { return ruleSettings{common: &r.CW060} },
	thresholds: func(*Config) []threshold { return nil },
	needs:      func(e *evaluator) bool { return e.vaults != nil },
	tenant: func(e *evaluator, t *inventory.Tenant) {
		forVaultProperties(t, inventory.VaultPartProperties, func(v *inventory.Vault, p *inventory.VaultProperties) {
			if strings.EqualFold(p.PublicNetworkAccess, "Disabled") || strings.EqualFold(p.NetworkDefaultAction, "Deny") {
				return
			}
			action := p.NetworkDefaultAction
			if action == "" {
				action = "none (no firewall rules)"
			}
			e.emitVault(iCW060, v, "key vault "+strconv.Quote(v.Name)+" accepts connections from every address: public network access is enabled and the firewall's default action is "+action,
				map[string]string{"publicNetworkAccess": orDefault(p.PublicNetworkAccess, "Enabled"), "defaultAction": orDefault(p.NetworkDefaultAction, "Allow")})
		})
	},
}

var cw061 = rule{
	id:       "CW061",
	title:    "Key vault audit events are not sent to Log Analytics",
	severity: Medium,
	kind:     tenantRule,
	subject:  "vault",
	why: "Key Vault's AuditEvent log records every read and write of a secret, by whom and from where. Without " +
		"it a stolen secret's use, or a secret copied out of the vault, leaves no trace to alert on or to " +
		"investigate; diagnostic settings keep nothing by default.",
	fix: "Add a diagnostic setting that sends the audit category group to a Log Analytics workspace: " +
		"`az monitor diagnostic-settings create --name audit --resource <resourceId> --workspace <workspaceId> " +
		"--logs '[{\"categoryGroup\":\"audit\",\"enabled\":true}]'`.",
	details: "Fires when none of the vault's diagnostic settings has a Log Analytics workspace and an enabled " +
		"`AuditEvent` category or `audit` / `allLogs` category group. Settings sending only to storage or an " +
		"event hub do not count." + vaultRuleDetails,
	settings:   func(r *Rules) ruleSettings { return ruleSettings{common: &r.CW061} },
	thresholds: func(*Config) []threshold { return nil },
	needs:      func(e *evaluator) bool { return e.vaults != nil },
	tenant: func(e *evaluator, t *inventory.Tenant) {
		forVaultProperties(t, inventory.VaultPartDiagnostics, func(v *inventory.Vault, _ *inventory.VaultProperties) {
			for _, d := range v.DiagnosticSettings {
				if d.WorkspaceID == "" {
					continue
				}
				for _, l := range d.Logs {
					if l.Enabled && (strings.EqualFold(l.Category, "AuditEvent") || strings.EqualFold(l.CategoryGroup, "audit") ||
						strings.EqualFold(l.CategoryGroup, "allLogs")) {
						return
					}
				}
			}
			msg := "key vault " + strconv.Quote(v.Name) + " has no diagnostic settings: its audit events are kept nowhere"
			if n := len(v.DiagnosticSettings); n > 0 {
				msg = "key vault " + strconv.Quote(v.Name) + " has " + strconv.Itoa(n) + plural(n, " diagnostic setting", " diagnostic settings") +
					", but none sends audit events to a Log Analytics workspace"
			}
			e.emitVault(iCW061, v, msg, map[string]string{"diagnosticSettings": strconv.Itoa(len(v.DiagnosticSettings))})
		})
	},
}

var cw062 = rule{
	id:       "CW062",
	title:    "Key vault soft delete or purge protection is off",
	severity: Medium,
	grading:  "medium when soft delete is off; low when soft delete is on but purge protection is off",
	kind:     tenantRule,
	subject:  "vault",
	why: "Without soft delete a deleted secret is gone at once; without purge protection anyone allowed to " +
		"delete can also purge, so a compromised or careless administrator can destroy every credential copy " +
		"beyond recovery, and the apps that read them stop.",
	fix: "Turn both on (neither can be turned off again): `az keyvault update --name <vault> " +
		"--enable-purge-protection true` (soft delete is on for every new vault; older vaults need " +
		"`--enable-soft-delete true` first).",
	details:    "Fires when `enableSoftDelete` is false (medium) or `enablePurgeProtection` is not set (low)." + vaultRuleDetails,
	settings:   func(r *Rules) ruleSettings { return ruleSettings{common: &r.CW062} },
	thresholds: func(*Config) []threshold { return nil },
	needs:      func(e *evaluator) bool { return e.vaults != nil },
	tenant: func(e *evaluator, t *inventory.Tenant) {
		forVaultProperties(t, inventory.VaultPartProperties, func(v *inventory.Vault, p *inventory.VaultProperties) {
			ev := map[string]string{"enableSoftDelete": boolString(p.EnableSoftDelete), "enablePurgeProtection": boolString(p.EnablePurgeProtection)}
			switch {
			case !p.EnableSoftDelete:
				e.emitVaultSev(iCW062, v, Medium, "key vault "+strconv.Quote(v.Name)+" has soft delete off: a deleted secret cannot be recovered", ev)
			case !p.EnablePurgeProtection:
				e.emitVaultSev(iCW062, v, Low, "key vault "+strconv.Quote(v.Name)+" has purge protection off: deleted secrets can be purged before their retention ends", ev)
			}
		})
	},
}

var cw063 = rule{
	id:       "CW063",
	title:    "Key vault uses access policies instead of Azure RBAC",
	severity: Info,
	kind:     tenantRule,
	subject:  "vault",
	why: "Access policies grant per vault and per permission list, outside Azure's role model: they cannot be " +
		"scoped to one secret, are invisible to Privileged Identity Management and access reviews, and anyone " +
		"with Contributor on the vault can grant themselves data access. Azure RBAC separates those who manage " +
		"secrets (Key Vault Secrets Officer) from those who read them (Key Vault Secrets User).",
	fix: "Recreate the access as role assignments (`az role assignment create --role \"Key Vault Secrets User\" " +
		"--assignee <principal> --scope <resourceId>`), then switch the vault: " +
		"`az keyvault update --name <vault> --enable-rbac-authorization true`.",
	details:    "Fires when `enableRbacAuthorization` is false, with the number of access policies." + vaultRuleDetails,
	settings:   func(r *Rules) ruleSettings { return ruleSettings{common: &r.CW063} },
	thresholds: func(*Config) []threshold { return nil },
	needs:      func(e *evaluator) bool { return e.vaults != nil },
	tenant: func(e *evaluator, t *inventory.Tenant) {
		forVaultProperties(t, inventory.VaultPartProperties, func(v *inventory.Vault, p *inventory.VaultProperties) {
			if p.EnableRBACAuthorization {
				return
			}
			e.emitVault(iCW063, v, "key vault "+strconv.Quote(v.Name)+" grants access by "+strconv.Itoa(p.AccessPolicies)+
				plural(p.AccessPolicies, " access policy", " access policies")+" rather than Azure RBAC",
				map[string]string{"accessPolicies": strconv.Itoa(p.AccessPolicies)})
		})
	},
}

// forVaultProperties calls fn for each vault whose part was read.
func forVaultProperties(t *inventory.Tenant, part string, fn func(v *inventory.Vault, p *inventory.VaultProperties)) {
	for i := range t.Vaults {
		v := &t.Vaults[i]
		if v.Properties != nil && v.Read(part) {
			fn(v, v.Properties)
		}
	}
}

func (e *evaluator) emitVault(ri int, v *inventory.Vault, msg string, ev map[string]string) {
	e.emitVaultSev(ri, v, e.c.rules[ri].severity, msg, ev)
}

// emitVaultSev records a finding about a vault, applying the severity
// override and the exceptions (which match the vault's name as app).
func (e *evaluator) emitVaultSev(ri int, v *inventory.Vault, sev Severity, msg string, ev map[string]string) {
	r := &e.c.rules[ri]
	if r.pinned {
		sev = r.severity
	}
	id := v.ResourceID
	if id == "" {
		id = v.URL
	}
	f := Finding{ID: FindingID(r.id, id, ""), RuleID: r.id, Severity: sev, ObjectType: VaultObject, ObjectID: id,
		AppName: v.Name, Message: msg, Evidence: ev}
	if len(e.c.exceptions.active[ri]) > 0 {
		f.SuppressionReason, f.Suppressed = e.c.exceptions.suppression(ri, v.Name, v.Name, "")
	}
	e.out.addWhole(f)
}
