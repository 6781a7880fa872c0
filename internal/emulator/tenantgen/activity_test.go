package tenantgen

import (
	"encoding/base64"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/msgraph"
)

// keyInfo is where a credential lives, for the activity checks.
type keyInfo struct {
	holderID   string // application or service principal id
	spID       string // the service principal that signs in with it
	origin     string
	secret     bool
	thumb      string
	start, end time.Time
}

// credentialIndex maps every key id of d to its holder.
func credentialIndex(d *msgraph.Directory) map[string]keyInfo {
	spByAppID := map[string]*msgraph.ServicePrincipal{}
	for i := range d.ServicePrincipals {
		spByAppID[d.ServicePrincipals[i].AppID] = &d.ServicePrincipals[i]
	}
	out := map[string]keyInfo{}
	add := func(holder, spID, origin string, pw []msgraph.PasswordCredential, keys []msgraph.KeyCredential) {
		for _, p := range pw {
			out[p.KeyID] = keyInfo{holder, spID, origin, true, "", date(p.StartDateTime), date(p.EndDateTime)}
		}
		for _, k := range keys {
			out[k.KeyID] = keyInfo{holder, spID, origin, false, thumbHex(k), date(k.StartDateTime), date(k.EndDateTime)}
		}
	}
	for _, a := range d.Applications {
		if sp := spByAppID[a.AppID]; sp != nil {
			add(a.ID, sp.ID, "application", a.PasswordCredentials, a.KeyCredentials)
		}
	}
	for _, sp := range d.ServicePrincipals {
		add(sp.ID, sp.ID, "servicePrincipal", sp.PasswordCredentials, sp.KeyCredentials)
	}
	return out
}

func isCredentialActivity(name string) bool {
	switch name {
	case ActivityAppCredentials, ActivityAddSPCredentials, ActivityRemoveSPCredentials:
		return true
	}
	return false
}

func keyDescription(t *testing.T, where string, tr msgraph.TargetResource) (old, new []string) {
	t.Helper()
	for _, mp := range tr.ModifiedProperties {
		if mp.DisplayName == "KeyDescription" {
			old, new = ParseKeyEntries(mp.OldValue), ParseKeyEntries(mp.NewValue)
			if old == nil && *mp.OldValue != "[]" || new == nil && *mp.NewValue != "[]" {
				t.Errorf("%s: KeyDescription values %q / %q do not parse", where, *mp.OldValue, *mp.NewValue)
			}
			return old, new
		}
	}
	t.Errorf("%s: no KeyDescription", where)
	return nil, nil
}

func diff(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// checkActivity asserts what must hold for the activity of every tenant
// this package makes: every key id an audit record or sign-in names is a
// credential of the directory or one a record shows removed; dates inside
// their windows; usage records agree with the sign-ins.
func checkActivity(t *testing.T, d *msgraph.Directory, now time.Time) {
	t.Helper()
	act := d.Activity
	if act == nil {
		t.Fatal("no activity")
	}
	since := now.Add(-30 * dayDur)
	if date(act.AuditSince) != since || date(act.SignInsSince) != since {
		t.Errorf("windows start %s / %s, want %s", act.AuditSince, act.SignInsSince, since)
	}
	keys := credentialIndex(d)
	ownersOf := map[string][]msgraph.DirectoryObject{}
	appIDs := map[string]bool{}
	for _, a := range d.Applications {
		ownersOf[a.ID] = a.Owners
		appIDs[a.ID] = true
	}

	removed := map[string]bool{}
	for _, rec := range act.DirectoryAudits {
		if isCredentialActivity(rec.ActivityDisplayName) && len(rec.TargetResources) > 0 {
			old, new := keyDescription(t, rec.ID, rec.TargetResources[0])
			for _, k := range diff(old, new) {
				removed[k] = true
			}
		}
	}
	companions := map[string]bool{}
	prev := now.Add(time.Hour)
	for i, rec := range act.DirectoryAudits {
		where := fmt.Sprintf("directoryAudits[%d] %q", i, rec.ActivityDisplayName)
		at := parseDate(t, where, rec.ActivityDateTime)
		if at.Before(since) || at.After(now) {
			t.Errorf("%s: at %s, outside the window", where, rec.ActivityDateTime)
		}
		if at.After(prev) {
			t.Errorf("%s: not newest first", where)
		}
		prev = at
		if rec.Category != CategoryApplicationManagement || rec.LoggedByService != LoggedByCoreDirectory || rec.Result != "success" {
			t.Errorf("%s: category %q service %q result %q", where, rec.Category, rec.LoggedByService, rec.Result)
		}
		if (rec.InitiatedBy.User == nil) == (rec.InitiatedBy.App == nil) {
			t.Errorf("%s: initiatedBy must be a user or an app", where)
		}
		if u := rec.InitiatedBy.User; u != nil {
			if _, err := netip.ParseAddr(u.IPAddress); err != nil || u.UserPrincipalName == "" {
				t.Errorf("%s: user actor %+v", where, *u)
			}
		}
		if !strings.HasPrefix(rec.ID, "Directory_"+rec.CorrelationID+"_") {
			t.Errorf("%s: id %q", where, rec.ID)
		}
		switch rec.ActivityDisplayName {
		case ActivityAppCredentials, ActivityAddSPCredentials, ActivityRemoveSPCredentials:
			tr := rec.TargetResources[0]
			wantType := map[bool]string{true: "Application", false: "ServicePrincipal"}[rec.ActivityDisplayName == ActivityAppCredentials]
			if tr.Type != wantType {
				t.Errorf("%s: target type %q, want %q", where, tr.Type, wantType)
			}
			old, new := keyDescription(t, where, tr)
			changed := append(diff(new, old), diff(old, new)...)
			if len(changed) == 0 {
				t.Errorf("%s: KeyDescription shows no change", where)
			}
			for _, k := range append(old, new...) {
				if ki, ok := keys[k]; ok {
					if ki.holderID != tr.ID {
						t.Errorf("%s: key %s belongs to %s, not the target %s", where, k, ki.holderID, tr.ID)
					}
				} else if !removed[k] {
					t.Errorf("%s: key %s is neither a credential nor a removed one", where, k)
				}
			}
			if rec.ActivityDisplayName == ActivityAppCredentials {
				companions[rec.CorrelationID] = true
			}
		case ActivityUpdateApplication:
			delete(companions, rec.CorrelationID)
		case ActivityAddAppOwner:
			if len(rec.TargetResources) != 2 || !appIDs[rec.TargetResources[1].ID] {
				t.Errorf("%s: targets %+v", where, rec.TargetResources)
				continue
			}
			owner := rec.TargetResources[0].ID
			if !slices.ContainsFunc(ownersOf[rec.TargetResources[1].ID], func(o msgraph.DirectoryObject) bool { return o.ID == owner }) {
				t.Errorf("%s: %s is not an owner of %s", where, owner, rec.TargetResources[1].DisplayName)
			}
		default:
			t.Errorf("%s: unexpected activity", where)
		}
	}
	if len(companions) > 0 {
		t.Errorf("%d credential records without their Update application companion", len(companions))
	}

	usage := map[string]msgraph.AppCredentialSignInActivity{}
	for i, u := range act.CredentialSignInActivities {
		where := fmt.Sprintf("credentialSignInActivities[%d]", i)
		ki, ok := keys[u.KeyID]
		if !ok {
			t.Errorf("%s: key %s is not a credential", where, u.KeyID)
			continue
		}
		if _, dup := usage[u.KeyID]; dup {
			t.Errorf("%s: second record for %s", where, u.KeyID)
		}
		usage[u.KeyID] = u
		if want := base64.StdEncoding.EncodeToString([]byte(u.KeyID + "|" + ki.origin)); u.ID != want || u.CredentialOrigin != ki.origin {
			t.Errorf("%s: id %q origin %q, want %q %q", where, u.ID, u.CredentialOrigin, want, ki.origin)
		}
		if wantType := map[bool]string{true: "clientSecret", false: "certificate"}[ki.secret]; u.KeyType != wantType || u.KeyUsage != "verify" {
			t.Errorf("%s: keyType %q keyUsage %q", where, u.KeyType, u.KeyUsage)
		}
		if u.ServicePrincipalObjectID != ki.spID || (ki.origin == "application") != (u.AppObjectID == ki.holderID) {
			t.Errorf("%s: object ids do not match the credential's holder", where)
		}
		if exp := parseDate(t, where, u.ExpirationDateTime); !exp.Equal(ki.end.Truncate(time.Second)) {
			t.Errorf("%s: expirationDateTime %s, credential ends %s", where, u.ExpirationDateTime, ki.end)
		}
		if sa := u.SignInActivity; sa != nil && sa.LastSignInDateTime != "" {
			last := parseDate(t, where, sa.LastSignInDateTime)
			if last.After(now) || last.Before(ki.start.Truncate(time.Second)) || last.After(ki.end) {
				t.Errorf("%s: last sign-in %s outside %s..%s", where, last, ki.start, ki.end)
			}
		}
	}

	prev = now.Add(time.Hour)
	latest := map[string]msgraph.SignIn{}
	for i, si := range act.SignIns {
		where := fmt.Sprintf("signIns[%d] %q", i, si.AppDisplayName)
		at := parseDate(t, where, si.CreatedDateTime)
		if at.Before(since) || at.After(now) || at.After(prev) {
			t.Errorf("%s: at %s, outside the window or out of order", where, si.CreatedDateTime)
		}
		prev = at
		if !slices.Equal(si.SignInEventTypes, []string{"servicePrincipal"}) || si.IsInteractive || si.Status == nil || si.Status.ErrorCode != 0 {
			t.Errorf("%s: not a successful service principal sign-in", where)
		}
		if si.ResourceID != msgraph.GraphAppID || si.Location == nil || si.Location.CountryOrRegion == "" {
			t.Errorf("%s: resource %q location %v", where, si.ResourceID, si.Location)
		}
		if _, err := netip.ParseAddr(si.IPAddress); err != nil {
			t.Errorf("%s: ipAddress %q", where, si.IPAddress)
		}
		if si.ClientCredentialType == "federatedIdentityCredential" {
			if si.FederatedCredentialID == "" || si.ServicePrincipalCredentialKeyID != "" {
				t.Errorf("%s: federated sign-in names no federated credential, or a key", where)
			}
			continue
		}
		ki, ok := keys[si.ServicePrincipalCredentialKeyID]
		switch {
		case !ok:
			t.Errorf("%s: key %q is not a credential", where, si.ServicePrincipalCredentialKeyID)
			continue
		case ki.spID != si.ServicePrincipalID:
			t.Errorf("%s: key %s is not one of the signing-in service principal's", where, si.ServicePrincipalCredentialKeyID)
		case at.Before(ki.start.Truncate(time.Second)) || at.After(ki.end):
			t.Errorf("%s: at %s, credential valid %s..%s", where, at, ki.start, ki.end)
		case ki.secret != (si.ClientCredentialType == "clientSecret") || ki.thumb != si.ServicePrincipalCredentialThumbprint:
			t.Errorf("%s: clientCredentialType %q thumbprint %q for a %v credential", where, si.ClientCredentialType, si.ServicePrincipalCredentialThumbprint, ki)
		}
		if l, seen := latest[si.ServicePrincipalCredentialKeyID]; !seen || at.After(date(l.CreatedDateTime)) {
			latest[si.ServicePrincipalCredentialKeyID] = si
		}
	}
	for k, si := range latest {
		u, ok := usage[k]
		if !ok || u.SignInActivity == nil || u.SignInActivity.LastSignInDateTime != si.CreatedDateTime || u.SignInActivity.LastSignInRequestID != si.ID {
			t.Errorf("key %s last signed in at %s (%s) but its usage record says %+v", k, si.CreatedDateTime, si.ID, u.SignInActivity)
		}
	}

	if p := act.DefaultAppManagementPolicy; p == nil || p.ID != DefaultAppManagementPolicyID || p.ApplicationRestrictions == nil {
		t.Errorf("default app management policy %+v", p)
	}
	for _, p := range act.AppManagementPolicies {
		for _, o := range p.AppliesTo {
			if !appIDs[o.ID] || o.ODataType != "#microsoft.graph.application" {
				t.Errorf("policy %q applies to %+v, not an application here", p.DisplayName, o)
			}
		}
	}
}

func TestGeneratedActivityIsConsistent(t *testing.T) {
	for _, seed := range []int64{1, 2, 3} {
		checkActivity(t, Generate(Options{Seed: seed, Apps: 250, ExtraSPs: 40, Now: testNow}), testNow)
	}
}

func TestDemoActivityIsConsistent(t *testing.T) {
	checkActivity(t, Demo(testNow), testNow)
	later := testNow.AddDate(0, 5, 3)
	checkActivity(t, Demo(later), later)
}

// A generated tenant of some size shows every kind of evidence.
func TestGeneratedActivityHasRealisticMix(t *testing.T) {
	d := Generate(Options{Seed: 11, Apps: 400, ExtraSPs: 40, Now: testNow})
	act := d.Activity
	count := map[string]int{}
	for _, rec := range act.DirectoryAudits {
		count[rec.ActivityDisplayName]++
		if rec.InitiatedBy.App != nil {
			count["by app"]++
		}
		if isCredentialActivity(rec.ActivityDisplayName) {
			old, new := keyDescription(t, rec.ID, rec.TargetResources[0])
			if len(diff(old, new)) > 0 {
				count["removal"]++
			}
		}
	}
	since := testNow.Add(-30 * dayDur)
	for _, u := range act.CredentialSignInActivities {
		switch sa := u.SignInActivity; {
		case sa == nil:
			count["no signInActivity"]++
		case sa.LastSignInDateTime == "":
			count["null dates"]++
		case date(sa.LastSignInDateTime).Before(since):
			count["stale"]++
		default:
			count["recent"]++
		}
	}
	for _, si := range act.SignIns {
		count[si.ClientCredentialType]++
		if strings.Contains(si.IPAddress, ":") {
			count["ipv6"]++
		}
	}
	for _, k := range []string{ActivityAppCredentials, ActivityUpdateApplication, ActivityAddAppOwner, "by app", "removal",
		"no signInActivity", "null dates", "stale", "recent", "clientSecret", "certificate", "federatedIdentityCredential", "ipv6"} {
		if count[k] == 0 {
			t.Errorf("no %q in a 400-app tenant's activity: %v", k, count)
		}
	}
	if count["recent"] < count["stale"]+count["no signInActivity"]+count["null dates"] {
		t.Errorf("most credentials should be in use: %v", count)
	}
}

func TestActivityNamesAreEntrasBytes(t *testing.T) {
	if !strings.Contains(ActivityAppCredentials, "application \u2013 Certificates") || !strings.HasSuffix(ActivityAppCredentials, "management ") {
		t.Errorf("%q must carry U+2013 and a trailing space", ActivityAppCredentials)
	}
	name := `<img src=x onerror=alert(1)>`
	got := jsonList([]string{PasswordKeyEntry(msgraph.PasswordCredential{KeyID: "k1", DisplayName: &name}),
		KeyKeyEntry(msgraph.KeyCredential{KeyID: "k2", Type: "AsymmetricX509Cert", Usage: "Verify"})})
	want := `["[KeyIdentifier=k1,KeyType=Password,KeyUsage=Verify,DisplayName=<img src=x onerror=alert(1)>]","[KeyIdentifier=k2,KeyType=AsymmetricX509Cert,KeyUsage=Verify,DisplayName=]"]`
	if got != want {
		t.Errorf("KeyDescription\n got %s\nwant %s", got, want)
	}
	if ids := ParseKeyEntries(&got); !slices.Equal(ids, []string{"k1", "k2"}) {
		t.Errorf("ParseKeyEntries: %v", ids)
	}
	if jsonList(nil) != "[]" {
		t.Error("an empty list must be []")
	}
}
