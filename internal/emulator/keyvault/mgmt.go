package keyvault

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// armError writes Azure Resource Manager's error envelope.
func armError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

// serveManagement answers the management-plane reads credwatch makes:
//
//	GET /subscriptions/{sub}/providers/Microsoft.KeyVault/vaults
//	GET /subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.KeyVault/vaults/{name}
//	GET {vault id}/providers/Microsoft.Insights/diagnosticSettings
func (s *Server) serveManagement(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("x-ms-request-id", newVersion())
	p, err := s.authenticate(r, managementResource)
	if p == nil {
		msg := "The request does not have a valid bearer token."
		code := "AuthenticationFailed"
		if err == nil {
			msg, code = "Authentication failed. The 'Authorization' header is missing.", "AuthenticationFailed"
		}
		w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer authorization_uri="%s/%s", error="invalid_token", error_description="%s"`,
			s.authz, s.tenant, "The authentication failed because of missing 'Authorization' header."))
		armError(w, http.StatusUnauthorized, code, msg)
		return
	}
	if r.URL.Query().Get("api-version") == "" {
		armError(w, http.StatusBadRequest, "MissingApiVersionParameter", "The api-version query parameter (?api-version=) is required for all requests.")
		return
	}
	if r.Method != http.MethodGet {
		armError(w, http.StatusMethodNotAllowed, "MethodNotAllowed", "The emulator's management plane is read-only.")
		return
	}
	segs := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
	lower := make([]string, len(segs))
	for i, sg := range segs {
		lower[i] = strings.ToLower(sg)
	}
	if len(segs) < 2 || lower[0] != "subscriptions" || !strings.EqualFold(segs[1], s.sub) {
		armError(w, http.StatusNotFound, "SubscriptionNotFound", fmt.Sprintf("The subscription '%s' could not be found.", safeSeg(segs, 1)))
		return
	}
	switch {
	case len(segs) == 5 && lower[2] == "providers" && lower[3] == "microsoft.keyvault" && lower[4] == "vaults":
		if !s.managementReader(p) {
			s.armDenied(w, p, "Microsoft.KeyVault/vaults/read", "/subscriptions/"+s.sub)
			return
		}
		var list []map[string]any
		for _, v := range s.order {
			list = append(list, s.vaultJSON(v))
		}
		if list == nil {
			list = []map[string]any{}
		}
		writeJSON(w, http.StatusOK, map[string]any{"value": list})
	case len(segs) >= 8 && lower[2] == "resourcegroups" && lower[4] == "providers" && lower[5] == "microsoft.keyvault" && lower[6] == "vaults":
		v, ok := s.vaults[lower[7]]
		if !ok || !strings.EqualFold(v.cfg.ResourceGroup, segs[3]) {
			armError(w, http.StatusNotFound, "ResourceNotFound", fmt.Sprintf(
				"The Resource 'Microsoft.KeyVault/vaults/%s' under resource group '%s' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix", segs[7], segs[3]))
			return
		}
		switch {
		case len(segs) == 8:
			if !s.managementReader(p) {
				s.armDenied(w, p, "Microsoft.KeyVault/vaults/read", s.resourceID(v))
				return
			}
			writeJSON(w, http.StatusOK, s.vaultJSON(v))
		case len(segs) == 11 && lower[8] == "providers" && lower[9] == "microsoft.insights" && lower[10] == "diagnosticsettings":
			if !s.managementReader(p) {
				s.armDenied(w, p, "Microsoft.Insights/diagnosticSettings/read", s.resourceID(v))
				return
			}
			writeJSON(w, http.StatusOK, map[string]any{"value": s.diagnosticJSON(v)})
		default:
			armError(w, http.StatusNotFound, "NotFound", "The requested resource was not found.")
		}
	default:
		armError(w, http.StatusNotFound, "NotFound", "The requested resource was not found.")
	}
}

func safeSeg(segs []string, i int) string {
	if i < len(segs) {
		return segs[i]
	}
	return ""
}

func (s *Server) managementReader(p *principal) bool {
	return s.mgmtRd == nil || slices.ContainsFunc(s.mgmtRd, p.matches)
}

func (s *Server) armDenied(w http.ResponseWriter, p *principal, action, scope string) {
	armError(w, http.StatusForbidden, "AuthorizationFailed", fmt.Sprintf(
		"The client '%s' with object id '%s' does not have authorization to perform action '%s' over scope '%s' or the scope is invalid. If access was recently granted, please refresh your credentials.",
		p.appID, p.oid, action, scope))
}

// vaultJSON is a vault resource as ARM returns it. enablePurgeProtection
// is left out unless set, as Azure does.
func (s *Server) vaultJSON(v *vault) map[string]any {
	c := &v.cfg
	props := map[string]any{
		"tenantId":                     s.tenant,
		"sku":                          map[string]string{"family": "A", "name": "standard"},
		"accessPolicies":               s.accessPoliciesJSON(v),
		"enabledForDeployment":         false,
		"enabledForDiskEncryption":     false,
		"enabledForTemplateDeployment": false,
		"enableRbacAuthorization":      c.EnableRBACAuthorization,
		"enableSoftDelete":             c.EnableSoftDelete,
		"publicNetworkAccess":          c.PublicNetworkAccess,
		"vaultUri":                     v.url + "/",
		"provisioningState":            "Succeeded",
	}
	if c.EnableSoftDelete {
		props["softDeleteRetentionInDays"] = c.SoftDeleteRetentionDays
	}
	if c.EnablePurgeProtection {
		props["enablePurgeProtection"] = true
	}
	if a := c.NetworkACLs; a != nil {
		rules := make([]map[string]string, 0, len(a.IPRules))
		for _, ip := range a.IPRules {
			rules = append(rules, map[string]string{"value": ip})
		}
		bypass := a.Bypass
		if bypass == "" {
			bypass = "AzureServices"
		}
		props["networkAcls"] = map[string]any{"bypass": bypass, "defaultAction": a.DefaultAction, "ipRules": rules, "virtualNetworkRules": []any{}}
	}
	tags := c.Tags
	if tags == nil {
		tags = map[string]string{}
	}
	return map[string]any{
		"id":         s.resourceID(v),
		"name":       c.Name,
		"type":       "Microsoft.KeyVault/vaults",
		"location":   c.Location,
		"tags":       tags,
		"properties": props,
	}
}

func (s *Server) accessPoliciesJSON(v *vault) []map[string]any {
	out := make([]map[string]any, 0, len(v.cfg.AccessPolicies))
	for _, ap := range v.cfg.AccessPolicies {
		out = append(out, map[string]any{
			"tenantId": s.tenant,
			"objectId": ap.ObjectID,
			"permissions": map[string][]string{
				"secrets": orEmpty(ap.Secrets), "certificates": orEmpty(ap.Certificates), "keys": orEmpty(ap.Keys),
			},
		})
	}
	return out
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func (s *Server) diagnosticJSON(v *vault) []map[string]any {
	out := []map[string]any{}
	for _, d := range v.cfg.DiagnosticSettings {
		logs := []map[string]any{}
		for _, l := range d.Logs {
			e := map[string]any{"enabled": l.Enabled, "retentionPolicy": map[string]any{"enabled": false, "days": 0}}
			if l.Category != "" {
				e["category"] = l.Category
			} else {
				e["category"] = nil
			}
			if l.CategoryGroup != "" {
				e["categoryGroup"] = l.CategoryGroup
			} else {
				e["categoryGroup"] = nil
			}
			logs = append(logs, e)
		}
		props := map[string]any{"logs": logs, "metrics": []any{}}
		for k, val := range map[string]string{"workspaceId": d.WorkspaceID, "storageAccountId": d.StorageAccountID,
			"eventHubAuthorizationRuleId": d.EventHubRuleID} {
			if val != "" {
				props[k] = val
			} else {
				props[k] = nil
			}
		}
		out = append(out, map[string]any{
			"id":         s.resourceID(v) + "/providers/microsoft.insights/diagnosticSettings/" + d.Name,
			"type":       "Microsoft.Insights/diagnosticSettings",
			"name":       d.Name,
			"properties": props,
		})
	}
	return out
}
