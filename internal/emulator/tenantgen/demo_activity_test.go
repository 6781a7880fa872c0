package tenantgen

import (
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/msgraph"
)

func actorName(a msgraph.AuditActor) string {
	if a.User != nil {
		return a.User.UserPrincipalName
	}
	return a.App.DisplayName
}

// isoDays reads the "P<n>D" durations the demo policies use.
func isoDays(t *testing.T, s *string) time.Duration {
	t.Helper()
	n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimPrefix(*s, "P"), "D"))
	if err != nil {
		t.Fatalf("duration %q", *s)
	}
	return time.Duration(n) * dayDur
}

func (v *demoView) usage(keyID string) *msgraph.AppCredentialSignInActivity {
	for i := range v.d.Activity.CredentialSignInActivities {
		if u := &v.d.Activity.CredentialSignInActivities[i]; u.KeyID == keyID {
			return u
		}
	}
	return nil
}

func (v *demoView) signInsOf(appName string) []msgraph.SignIn {
	var out []msgraph.SignIn
	for _, si := range v.d.Activity.SignIns {
		if si.AppDisplayName == appName {
			out = append(out, si)
		}
	}
	return out
}

// Credential additions come from the allowed actors, except the two the
// demo table names (CW020).
func TestDemoUnexpectedCredentialActors(t *testing.T) {
	v := newDemoView(t)
	var unexpected []string
	for _, rec := range v.d.Activity.DirectoryAudits {
		if rec.ActivityDisplayName != ActivityAppCredentials && rec.ActivityDisplayName != ActivityAddSPCredentials {
			continue
		}
		if by := actorName(rec.InitiatedBy); !slices.Contains(DemoAllowedActors, by) {
			unexpected = append(unexpected, rec.TargetResources[0].DisplayName+" by "+by)
			if u := rec.InitiatedBy.User; u != nil && u.IPAddress != DemoMalloryIP {
				t.Errorf("mallory acted from %s, want %s", u.IPAddress, DemoMalloryIP)
			}
		}
	}
	sort.Strings(unexpected)
	want := []string{"Office 365 Exchange Online by tenant-provisioning", "tenant-provisioning by " + DemoMalloryUPN}
	if !slices.Equal(unexpected, want) {
		t.Errorf("credentials added by unexpected actors: %q, want %q", unexpected, want)
	}
	// Mallory's secret is then used from her address.
	for _, si := range v.signInsOf("tenant-provisioning") {
		if si.IPAddress != DemoMalloryIP {
			t.Errorf("tenant-provisioning signed in from %s", si.IPAddress)
		}
	}
}

// Every credential added in the window has its record: a consumer that
// reads the audit log misses none.
func TestDemoAuditCoversEveryRecentCredential(t *testing.T) {
	v := newDemoView(t)
	since := v.now.Add(-30 * dayDur)
	added := map[string]bool{}
	for _, rec := range v.d.Activity.DirectoryAudits {
		if isCredentialActivity(rec.ActivityDisplayName) {
			old, new := keyDescription(t, rec.ID, rec.TargetResources[0])
			for _, k := range diff(new, old) {
				added[k] = true
			}
		}
	}
	check := func(owner string, pw []msgraph.PasswordCredential, keys []msgraph.KeyCredential) {
		for _, p := range pw {
			if !date(p.StartDateTime).Before(since) && !added[p.KeyID] {
				t.Errorf("%s: secret %s added %s has no audit record", owner, p.KeyID, p.StartDateTime)
			}
		}
		for _, k := range keys {
			if !date(k.StartDateTime).Before(since) && !added[k.KeyID] {
				t.Errorf("%s: certificate %s from %s has no audit record", owner, k.KeyID, k.StartDateTime)
			}
		}
	}
	for _, a := range v.d.Applications {
		check(a.DisplayName, a.PasswordCredentials, a.KeyCredentials)
	}
	for _, sp := range v.d.ServicePrincipals {
		if sp.ServicePrincipalType != "ManagedIdentity" {
			check(sp.DisplayName, sp.PasswordCredentials, sp.KeyCredentials)
		}
	}
}

// CW022: an owner joined an app with critical permissions; the only other
// owner addition is on an ordinary app.
func TestDemoOwnerAddedToCriticalApp(t *testing.T) {
	v := newDemoView(t)
	var targets []string
	for _, rec := range v.d.Activity.DirectoryAudits {
		if rec.ActivityDisplayName == ActivityAddAppOwner {
			targets = append(targets, rec.TargetResources[1].DisplayName)
		}
	}
	sort.Strings(targets)
	if !slices.Equal(targets, []string{"directory-sync-admin", "expense-reports"}) {
		t.Fatalf("owner additions on %q", targets)
	}
	if !slices.Contains(v.perms(v.sp(v.app("directory-sync-admin").AppID)), "RoleManagement.ReadWrite.Directory") {
		t.Error("directory-sync-admin lost its critical permission")
	}
	if p := v.perms(v.sp(v.app("expense-reports").AppID)); len(p) > 0 {
		t.Errorf("expense-reports should hold no permissions, has %v", p)
	}
}

// CW030: payroll-export signs in from its network but once; the scanner
// never strays.
func TestDemoSignInsOutsideDeclaredNetworks(t *testing.T) {
	v := newDemoView(t)
	outside := func(app string) []string {
		var out []string
		ins := v.signInsOf(app)
		if len(ins) == 0 {
			t.Fatalf("%s never signs in", app)
		}
		for _, si := range ins {
			addr := netip.MustParseAddr(si.IPAddress)
			if !slices.ContainsFunc(DemoNetworks[app], func(c string) bool { return netip.MustParsePrefix(c).Contains(addr) }) {
				out = append(out, si.IPAddress)
			}
		}
		return out
	}
	if got := outside("payroll-export"); !slices.Equal(got, []string{DemoStrayIP}) {
		t.Errorf("payroll-export outside its network: %v, want once from %s", got, DemoStrayIP)
	}
	if got := outside("credwatch-scanner"); len(got) > 0 {
		t.Errorf("credwatch-scanner outside its network: %v", got)
	}
	for app := range DemoNetworks {
		if v.app(app) == nil {
			t.Errorf("DemoNetworks names %q, not a demo app", app)
		}
	}
}

// CW031: of the valid credentials that sign in, exactly one is stale and
// one never used; CW001 high: legacy-crm-sync's expired secret sits on an
// app that signed in lately.
func TestDemoCredentialUsage(t *testing.T) {
	v := newDemoView(t)
	since := v.now.Add(-30 * dayDur)
	var stale, never []string
	for _, u := range v.d.Activity.CredentialSignInActivities {
		if date(u.ExpirationDateTime).Before(v.now) {
			continue
		}
		name := v.sp(u.AppID).DisplayName
		switch sa := u.SignInActivity; {
		case sa == nil || sa.LastSignInDateTime == "":
			never = append(never, name)
		case date(sa.LastSignInDateTime).Before(since):
			stale = append(stale, name)
		}
	}
	if !slices.Equal(stale, []string{"feature-flags-svc"}) || !slices.Equal(never, []string{"helpdesk-ticketing"}) {
		t.Errorf("stale %q, never used %q; want feature-flags-svc and helpdesk-ticketing", stale, never)
	}
	if c := v.app("helpdesk-ticketing").KeyCredentials[0]; date(c.StartDateTime).After(v.now.Add(-90 * dayDur)) {
		t.Errorf("helpdesk-ticketing's certificate is only from %s: too new to call unused", c.StartDateTime)
	}

	crm := v.app("legacy-crm-sync")
	secret := crm.PasswordCredentials[0]
	if !date(secret.EndDateTime).Before(v.now) {
		t.Fatal("legacy-crm-sync's secret is not expired")
	}
	if u := v.usage(secret.KeyID); u == nil || u.SignInActivity == nil || date(u.SignInActivity.LastSignInDateTime).After(date(secret.EndDateTime)) {
		t.Errorf("legacy-crm-sync's expired secret: usage %+v", u)
	}
	recent := slices.ContainsFunc(v.signInsOf("legacy-crm-sync"), func(si msgraph.SignIn) bool {
		return date(si.CreatedDateTime).After(since) && si.ServicePrincipalCredentialKeyID == crm.KeyCredentials[0].KeyID
	})
	if !recent {
		t.Error("legacy-crm-sync has not signed in within 30 days")
	}
}

// CW041: exactly one app breaks the tenant policy; the custom policy's app
// complies with it.
func TestDemoTenantPolicyViolation(t *testing.T) {
	v := newDemoView(t)
	p := v.d.Activity.DefaultAppManagementPolicy
	if !p.IsEnabled {
		t.Fatal("default policy disabled")
	}
	lifetimes := map[string]msgraph.CredentialRestriction{}
	for _, r := range append(p.ApplicationRestrictions.PasswordCredentials, p.ApplicationRestrictions.KeyCredentials...) {
		lifetimes[r.RestrictionType] = r
	}
	pwLife, keyLife := lifetimes["passwordLifetime"], lifetimes["asymmetricKeyLifetime"]
	if pwLife.MaxLifetime == nil || *pwLife.MaxLifetime != "P180D" || keyLife.MaxLifetime == nil || *keyLife.MaxLifetime != "P365D" {
		t.Fatalf("lifetimes %+v %+v", pwLife, keyLife)
	}
	if lifetimes["passwordAddition"].State != "disabled" {
		t.Error("passwordAddition should be disabled")
	}
	var violators []string
	for _, a := range v.d.Applications {
		created := date(a.CreatedDateTime)
		bad := false
		if created.After(date(*pwLife.RestrictForAppsCreatedAfterDateTime)) {
			bad = slices.ContainsFunc(secrets(a.PasswordCredentials), func(w window) bool { return w.life() > isoDays(t, pwLife.MaxLifetime) })
		}
		if created.After(date(*keyLife.RestrictForAppsCreatedAfterDateTime)) {
			bad = bad || slices.ContainsFunc(certs(a.KeyCredentials), func(w window) bool { return w.life() > isoDays(t, keyLife.MaxLifetime) })
		}
		if bad {
			violators = append(violators, a.DisplayName)
		}
	}
	if !slices.Equal(violators, []string{"data-warehouse-loader"}) {
		t.Errorf("apps breaking the tenant policy: %q", violators)
	}

	if len(v.d.Activity.AppManagementPolicies) != 1 {
		t.Fatalf("%d custom policies", len(v.d.Activity.AppManagementPolicies))
	}
	cp := v.d.Activity.AppManagementPolicies[0]
	if len(cp.AppliesTo) != 1 || cp.AppliesTo[0].DisplayName != "credwatch-scanner" {
		t.Fatalf("custom policy applies to %+v", cp.AppliesTo)
	}
	scanner := v.app("credwatch-scanner")
	if len(scanner.PasswordCredentials) > 0 || slices.ContainsFunc(certs(scanner.KeyCredentials), func(w window) bool { return w.life() > 365*dayDur }) {
		t.Error("credwatch-scanner breaks its own custom policy")
	}
}
