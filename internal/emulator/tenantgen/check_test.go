package tenantgen

import (
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/msgraph"
)

var guidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// graphDateRE is Graph's date form: UTC, Z, optional fraction of up to
// seven digits.
var graphDateRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,7})?Z$`)

func parseDate(t *testing.T, where, s string) time.Time {
	t.Helper()
	if !graphDateRE.MatchString(s) {
		t.Errorf("%s: %q is not in Graph's date form", where, s)
		return time.Time{}
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Errorf("%s: %v", where, err)
	}
	return v
}

// checkDirectory asserts what must hold for every tenant this package
// makes, generated or demo.
func checkDirectory(t *testing.T, d *msgraph.Directory) {
	t.Helper()
	if !guidRE.MatchString(d.TenantID) {
		t.Errorf("tenantId %q is not a GUID", d.TenantID)
	}
	ids := map[string]string{}
	uniqueID := func(where, id string) {
		if !guidRE.MatchString(id) {
			t.Errorf("%s: id %q is not a GUID", where, id)
		}
		if prev, ok := ids[id]; ok {
			t.Errorf("%s: id %s already used by %s", where, id, prev)
		}
		ids[id] = where
	}

	spByID := map[string]*msgraph.ServicePrincipal{}
	spByAppID := map[string]*msgraph.ServicePrincipal{}
	for i := range d.ServicePrincipals {
		sp := &d.ServicePrincipals[i]
		where := fmt.Sprintf("servicePrincipals[%d] %q", i, sp.DisplayName)
		uniqueID(where, sp.ID)
		if !guidRE.MatchString(sp.AppID) {
			t.Errorf("%s: appId %q is not a GUID", where, sp.AppID)
		}
		if _, dup := spByAppID[sp.AppID]; dup {
			t.Errorf("%s: second service principal for appId %s", where, sp.AppID)
		}
		spByID[sp.ID], spByAppID[sp.AppID] = sp, sp
		parseDate(t, where+".createdDateTime", sp.CreatedDateTime)
		checkCredentials(t, where, sp.PasswordCredentials, sp.KeyCredentials, nil)
		if sp.PasswordCredentials == nil || sp.KeyCredentials == nil {
			t.Errorf("%s: credential collections must be [] not null", where)
		}
		switch sp.ServicePrincipalType {
		case "Application", "ManagedIdentity":
		default:
			t.Errorf("%s: servicePrincipalType %q", where, sp.ServicePrincipalType)
		}
	}

	resources := map[string]*msgraph.ServicePrincipal{}
	for i := range d.Resources {
		r := &d.Resources[i]
		resources[r.ID] = r
		if len(r.AppRoles) == 0 {
			t.Errorf("resources[%d] %q has no appRoles", i, r.DisplayName)
		}
		if sp, ok := spByAppID[r.AppID]; ok && sp.ID != r.ID {
			t.Errorf("resource %q has id %s but its service principal has %s", r.DisplayName, r.ID, sp.ID)
		}
		if r.AppOwnerOrganizationID != msgraph.FirstPartyTenantID {
			t.Errorf("resource %q: appOwnerOrganizationId %q", r.DisplayName, r.AppOwnerOrganizationID)
		}
	}

	owners := map[string]msgraph.DirectoryObject{}
	checkOwners := func(where string, os []msgraph.DirectoryObject) {
		seen := map[string]bool{}
		for _, o := range os {
			if seen[o.ID] {
				t.Errorf("%s: owner %s listed twice", where, o.ID)
			}
			seen[o.ID] = true
			if prev, ok := owners[o.ID]; ok && prev != o {
				t.Errorf("%s: owner %s is %+v here but %+v elsewhere", where, o.ID, o, prev)
			}
			owners[o.ID] = o
			switch o.ODataType {
			case odataUser:
				if !strings.Contains(o.UserPrincipalName, "@") {
					t.Errorf("%s: user owner %s has no userPrincipalName", where, o.ID)
				}
			case odataGrp:
			case odataSP:
				sp, ok := spByID[o.ID]
				if !ok {
					t.Errorf("%s: owner service principal %s is not in the directory", where, o.ID)
				} else if sp.DisplayName != o.DisplayName || sp.AppID != o.AppID {
					t.Errorf("%s: owner %s does not match its service principal", where, o.ID)
				}
			default:
				t.Errorf("%s: owner %s has @odata.type %q", where, o.ID, o.ODataType)
			}
		}
	}

	for i := range d.ServicePrincipals {
		sp := &d.ServicePrincipals[i]
		where := fmt.Sprintf("servicePrincipal %q", sp.DisplayName)
		checkOwners(where, sp.Owners)
		for j, a := range sp.AppRoleAssignments {
			aw := fmt.Sprintf("%s.appRoleAssignments[%d]", where, j)
			if a.PrincipalID != sp.ID || a.PrincipalType != "ServicePrincipal" || a.PrincipalDisplayName != sp.DisplayName {
				t.Errorf("%s: principal does not match the service principal", aw)
			}
			parseDate(t, aw+".createdDateTime", a.CreatedDateTime)
			res, ok := resources[a.ResourceID]
			if !ok {
				t.Errorf("%s: resourceId %s is not a resource service principal", aw, a.ResourceID)
				continue
			}
			if a.ResourceDisplayName != res.DisplayName {
				t.Errorf("%s: resourceDisplayName %q, resource is %q", aw, a.ResourceDisplayName, res.DisplayName)
			}
			found := false
			for _, r := range res.AppRoles {
				found = found || r.ID == a.AppRoleID
			}
			if !found {
				t.Errorf("%s: appRoleId %s is not an app role of %q", aw, a.AppRoleID, res.DisplayName)
			}
		}
	}

	for i := range d.Applications {
		app := &d.Applications[i]
		where := fmt.Sprintf("applications[%d] %q", i, app.DisplayName)
		uniqueID(where, app.ID)
		parseDate(t, where+".createdDateTime", app.CreatedDateTime)
		checkCredentials(t, where, app.PasswordCredentials, app.KeyCredentials, app.FederatedIdentityCredentials)
		if app.PasswordCredentials == nil || app.KeyCredentials == nil {
			t.Errorf("%s: credential collections must be [] not null", where)
		}
		checkOwners(where, app.Owners)
		sp, ok := spByAppID[app.AppID]
		if !ok {
			t.Errorf("%s: no service principal with appId %s", where, app.AppID)
			continue
		}
		if sp.ServicePrincipalType != "Application" || sp.AppOwnerOrganizationID != d.TenantID || sp.DisplayName != app.DisplayName {
			t.Errorf("%s: its service principal is not this tenant's Application", where)
		}
		requested := map[string]bool{}
		for _, rra := range app.RequiredResourceAccess {
			for _, ra := range rra.ResourceAccess {
				requested[rra.ResourceAppID+"/"+ra.Type+"/"+ra.ID] = true
			}
		}
		for _, a := range sp.AppRoleAssignments {
			key := resources[a.ResourceID].AppID + "/Role/" + a.AppRoleID
			if !requested[key] {
				t.Errorf("%s: granted %s is not in requiredResourceAccess", where, key)
			}
		}
	}
}

// checkCredentials asserts GUID key ids, Graph dates, real certificates
// whose customKeyIdentifier matches, and intact Sign+Verify pairs.
func checkCredentials(t *testing.T, where string, pw []msgraph.PasswordCredential, keys []msgraph.KeyCredential, fics []msgraph.FederatedIdentityCredential) {
	t.Helper()
	keyIDs := map[string]bool{}
	for i, p := range pw {
		w := fmt.Sprintf("%s.passwordCredentials[%d]", where, i)
		if !guidRE.MatchString(p.KeyID) || keyIDs[p.KeyID] {
			t.Errorf("%s: keyId %q not a unique GUID", w, p.KeyID)
		}
		keyIDs[p.KeyID] = true
		start := parseDate(t, w+".startDateTime", p.StartDateTime)
		end := parseDate(t, w+".endDateTime", p.EndDateTime)
		if !start.Before(end) {
			t.Errorf("%s: start %s not before end %s", w, p.StartDateTime, p.EndDateTime)
		}
		if p.Hint == nil || len(*p.Hint) != 3 {
			t.Errorf("%s: hint must be 3 characters", w)
		}
		if p.SecretText != nil {
			t.Errorf("%s: carries a secret value", w)
		}
	}
	for i, k := range keys {
		w := fmt.Sprintf("%s.keyCredentials[%d]", where, i)
		if !guidRE.MatchString(k.KeyID) || keyIDs[k.KeyID] {
			t.Errorf("%s: keyId %q not a unique GUID", w, k.KeyID)
		}
		keyIDs[k.KeyID] = true
		start := parseDate(t, w+".startDateTime", k.StartDateTime)
		end := parseDate(t, w+".endDateTime", k.EndDateTime)
		if k.CustomKeyIdentifier == nil {
			t.Errorf("%s: no customKeyIdentifier", w)
			continue
		}
		if k.Key == nil {
			// Only the private half of a pair, whose key Graph never returns.
			if k.Usage != "Sign" || k.Type != "X509CertAndPassword" {
				t.Errorf("%s: %s/%s certificate without key", w, k.Type, k.Usage)
			}
			partner := false
			for _, v := range keys {
				partner = partner || (v.Usage == "Verify" && v.KeyID != k.KeyID && v.CustomKeyIdentifier != nil &&
					*v.CustomKeyIdentifier == *k.CustomKeyIdentifier && v.EndDateTime == k.EndDateTime)
			}
			if !partner {
				t.Errorf("%s: Sign key without its Verify twin", w)
			}
			continue
		}
		if k.Type != "AsymmetricX509Cert" || k.Usage != "Verify" {
			t.Errorf("%s: type %q usage %q", w, k.Type, k.Usage)
		}
		der, err := base64.StdEncoding.DecodeString(*k.Key)
		if err != nil {
			t.Errorf("%s: key is not base64: %v", w, err)
			continue
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Errorf("%s: key does not parse: %v", w, err)
			continue
		}
		if !c.NotBefore.Equal(start) || !c.NotAfter.Equal(end) {
			t.Errorf("%s: dates %s..%s, certificate says %s..%s", w, start, end, c.NotBefore, c.NotAfter)
		}
		if k.DisplayName != nil && *k.DisplayName != "CN="+c.Subject.CommonName {
			t.Errorf("%s: displayName %q, subject CN %q", w, *k.DisplayName, c.Subject.CommonName)
		}
		sum := sha1.Sum(der)
		b64, hx := base64.StdEncoding.EncodeToString(sum[:]), strings.ToUpper(hex.EncodeToString(sum[:]))
		if cki := *k.CustomKeyIdentifier; cki != b64 && cki != hx {
			t.Errorf("%s: customKeyIdentifier %q is neither %q nor %q", w, cki, b64, hx)
		}
	}
	if len(fics) > 20 {
		t.Errorf("%s: %d federated credentials, Entra allows 20", where, len(fics))
	}
	names := map[string]bool{}
	for i, f := range fics {
		w := fmt.Sprintf("%s.federatedIdentityCredentials[%d]", where, i)
		if !guidRE.MatchString(f.ID) || names[f.Name] || f.Name == "" {
			t.Errorf("%s: id %q / name %q not unique", w, f.ID, f.Name)
		}
		names[f.Name] = true
		if !strings.HasPrefix(f.Issuer, "https://") || f.Subject == "" {
			t.Errorf("%s: issuer %q subject %q", w, f.Issuer, f.Subject)
		}
		if len(f.Audiences) != 1 || f.Audiences[0] != TokenExchangeAudience {
			t.Errorf("%s: audiences %q", w, f.Audiences)
		}
	}
}
