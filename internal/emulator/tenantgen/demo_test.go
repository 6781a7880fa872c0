package tenantgen

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/credwatch/credwatch/internal/msgraph"
)

// demoView indexes the demo tenant for the assertions below.
type demoView struct {
	t     *testing.T
	d     *msgraph.Directory
	now   time.Time
	roles map[string]string // resourceId/appRoleId -> permission value
}

func newDemoView(t *testing.T) *demoView {
	v := &demoView{t: t, d: Demo(testNow), now: testNow, roles: map[string]string{}}
	for _, r := range v.d.Resources {
		for _, ar := range r.AppRoles {
			v.roles[r.ID+"/"+ar.ID] = ar.Value
		}
	}
	return v
}

func (v *demoView) app(name string) *msgraph.Application {
	for i := range v.d.Applications {
		if v.d.Applications[i].DisplayName == name {
			return &v.d.Applications[i]
		}
	}
	v.t.Fatalf("demo has no app %q", name)
	return nil
}

func (v *demoView) sp(appID string) *msgraph.ServicePrincipal {
	for i := range v.d.ServicePrincipals {
		if v.d.ServicePrincipals[i].AppID == appID {
			return &v.d.ServicePrincipals[i]
		}
	}
	v.t.Fatalf("demo has no service principal for %s", appID)
	return nil
}

func (v *demoView) perms(sp *msgraph.ServicePrincipal) []string {
	var out []string
	for _, a := range sp.AppRoleAssignments {
		out = append(out, v.roles[a.ResourceID+"/"+a.AppRoleID])
	}
	return out
}

func date(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

const dayDur = 24 * time.Hour

type window struct{ start, end time.Time }

func (w window) life() time.Duration { return w.end.Sub(w.start) }

func secrets(pw []msgraph.PasswordCredential) []window {
	var out []window
	for _, p := range pw {
		out = append(out, window{date(p.StartDateTime), date(p.EndDateTime)})
	}
	return out
}

func certs(keys []msgraph.KeyCredential) []window {
	var out []window
	for _, k := range keys {
		if k.Usage == "Verify" {
			out = append(out, window{date(k.StartDateTime), date(k.EndDateTime)})
		}
	}
	return out
}

func TestDemoIsConsistent(t *testing.T) {
	d := Demo(testNow)
	checkDirectory(t, d)
	if n := len(d.Applications); n < 35 || n > 45 {
		t.Errorf("demo has %d apps, want about 40", n)
	}
	if d.TenantID != DemoTenantID {
		t.Errorf("tenantId %s", d.TenantID)
	}
}

func TestDemoIsStable(t *testing.T) {
	if !bytes.Equal(mustJSON(t, Demo(testNow)), mustJSON(t, Demo(testNow))) {
		t.Fatal("two demo tenants for the same now differ")
	}
	later := Demo(testNow.AddDate(0, 2, 0))
	if later.Applications[0].ID != Demo(testNow).Applications[0].ID {
		t.Fatal("the demo's ids depend on now")
	}
}

// Every rule fires on its named app: checked on the data itself, not
// through the policy package.
func TestDemoShowsEveryRule(t *testing.T) {
	v := newDemoView(t)
	now := v.now
	anySecret := func(name string, f func(w window) bool) bool {
		return slices.ContainsFunc(secrets(v.app(name).PasswordCredentials), f)
	}
	anyCert := func(name string, f func(w window) bool) bool {
		return slices.ContainsFunc(certs(v.app(name).KeyCredentials), f)
	}
	expired := func(w window) bool { return w.end.Before(now) }
	within := func(lo, hi int) func(w window) bool {
		return func(w window) bool {
			return w.end.After(now.Add(time.Duration(lo)*dayDur)) && !w.end.After(now.Add(time.Duration(hi)*dayDur))
		}
	}
	validSecrets := func(name string) int {
		n := 0
		for _, w := range secrets(v.app(name).PasswordCredentials) {
			if w.end.After(now) {
				n++
			}
		}
		return n
	}
	hasPerm := func(name, perm string) bool {
		return slices.Contains(v.perms(v.sp(v.app(name).AppID)), perm)
	}

	for _, tc := range []struct {
		rule, app string
		ok        func() bool
	}{
		{"CW001 expired secret", "legacy-crm-sync", func() bool { return anySecret("legacy-crm-sync", expired) }},
		{"CW001 expired certificate", "old-sharepoint-connector", func() bool { return anyCert("old-sharepoint-connector", expired) }},
		{"CW002 high", "payroll-export", func() bool { return anySecret("payroll-export", within(0, 7)) }},
		{"CW002 medium", "invoice-ocr", func() bool { return anyCert("invoice-ocr", within(7, 30)) }},
		{"CW002 rotation staged", "hr-onboarding-bot", func() bool {
			ws := secrets(v.app("hr-onboarding-bot").PasswordCredentials)
			old := slices.IndexFunc(ws, within(0, 7))
			return old >= 0 && slices.ContainsFunc(ws, func(w window) bool {
				return w.start.After(ws[old].start) && w.end.After(now.Add(30*dayDur))
			})
		}},
		{"CW003 secret lifetime", "data-warehouse-loader", func() bool {
			return anySecret("data-warehouse-loader", func(w window) bool { return w.life() > 180*dayDur })
		}},
		{"CW003 certificate lifetime", "vpn-cert-auth", func() bool {
			return anyCert("vpn-cert-auth", func(w window) bool { return w.life() > 365*dayDur })
		}},
		{"CW004 never expires", "ancient-batch-jobs", func() bool {
			return slices.ContainsFunc(v.app("ancient-batch-jobs").PasswordCredentials, func(p msgraph.PasswordCredential) bool {
				return strings.HasPrefix(p.EndDateTime, "2299-12-31T")
			})
		}},
		{"CW004 lifetime over 10 years", "build-agent-legacy", func() bool {
			return anyCert("build-agent-legacy", func(w window) bool { return w.life() > 10*365*dayDur && w.end.Year() < 2099 })
		}},
		{"CW005 no description", "marketing-analytics", func() bool {
			return slices.ContainsFunc(v.app("marketing-analytics").PasswordCredentials, func(p msgraph.PasswordCredential) bool {
				return p.DisplayName == nil
			})
		}},
		{"CW006 Mail.ReadWrite with secret", "mailbox-archiver", func() bool {
			return hasPerm("mailbox-archiver", "Mail.ReadWrite") && validSecrets("mailbox-archiver") > 0
		}},
		{"CW006 Application.ReadWrite.All with secret", "tenant-provisioning", func() bool {
			return hasPerm("tenant-provisioning", "Application.ReadWrite.All") && validSecrets("tenant-provisioning") > 0
		}},
		{"CW007 more than 2 secrets", "ci-secrets-sprawl", func() bool { return validSecrets("ci-secrets-sprawl") > 2 }},
		{"CW008 secret on service principal", "reporting-dashboard", func() bool {
			return len(v.sp(v.app("reporting-dashboard").AppID).PasswordCredentials) > 0
		}},
		{"CW008 secret on first-party service principal", "Office 365 Exchange Online", func() bool {
			return slices.ContainsFunc(v.d.ServicePrincipals, func(sp msgraph.ServicePrincipal) bool {
				return sp.AppOwnerOrganizationID == msgraph.FirstPartyTenantID && len(sp.PasswordCredentials) > 0
			})
		}},
		{"CW010 privileged app with owners", "directory-sync-admin", func() bool {
			return hasPerm("directory-sync-admin", "RoleManagement.ReadWrite.Directory") && len(v.app("directory-sync-admin").Owners) > 0
		}},
		{"CW011 multi-tenant with secret", "partner-portal", func() bool {
			a := v.app("partner-portal")
			return a.SignInAudience != "AzureADMyOrg" && len(a.PasswordCredentials) > 0
		}},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			if !tc.ok() {
				t.Errorf("%s does not show %s", tc.app, tc.rule)
			}
		})
	}
}

func TestDemoShowsEveryFeature(t *testing.T) {
	v := newDemoView(t)
	for _, tc := range []struct {
		feature string
		ok      func() bool
	}{
		{"Sign+Verify pair", func() bool {
			keys := v.app("sso-token-signing").KeyCredentials
			return len(keys) == 2 && keys[0].Usage == "Sign" && keys[1].Usage == "Verify" &&
				*keys[0].CustomKeyIdentifier == *keys[1].CustomKeyIdentifier && keys[0].KeyID != keys[1].KeyID
		}},
		{"federated-credential-only app", func() bool {
			a := v.app("github-deploy")
			return len(a.PasswordCredentials) == 0 && len(a.KeyCredentials) == 0 && len(a.FederatedIdentityCredentials) > 0 &&
				a.FederatedIdentityCredentials[0].Issuer == GitHubIssuer &&
				strings.HasPrefix(a.FederatedIdentityCredentials[0].Subject, "repo:")
		}},
		{"managed identity with certificate", func() bool {
			return slices.ContainsFunc(v.d.ServicePrincipals, func(sp msgraph.ServicePrincipal) bool {
				return sp.ServicePrincipalType == "ManagedIdentity" && len(sp.KeyCredentials) > 0
			})
		}},
		{"more than 20 owners of every kind", func() bool {
			owners := v.app("platform-shared-services").Owners
			kinds := map[string]bool{}
			for _, o := range owners {
				kinds[o.ODataType] = true
			}
			return len(owners) > 20 && len(kinds) == 3
		}},
		{"hex thumbprint", func() bool {
			return len(*v.app("backup-orchestrator").KeyCredentials[0].CustomKeyIdentifier) == 40
		}},
		{"hostile HTML name", func() bool { return v.app(`<img src=x onerror=alert(1)>`) != nil }},
		{"formula name", func() bool {
			return slices.ContainsFunc(v.d.Applications, func(a msgraph.Application) bool {
				return strings.HasPrefix(a.DisplayName, `=cmd|' /C calc'!A0`)
			})
		}},
		{"Unicode right-to-left name", func() bool {
			return slices.ContainsFunc(v.d.Applications, func(a msgraph.Application) bool {
				return strings.ContainsFunc(a.DisplayName, func(r rune) bool { return unicode.Is(unicode.Arabic, r) })
			})
		}},
	} {
		t.Run(tc.feature, func(t *testing.T) {
			if !tc.ok() {
				t.Errorf("demo lacks: %s", tc.feature)
			}
		})
	}
}

// lowPermissions may sit on a healthy app; anything else is privileged.
var lowPermissions = []string{"Application.Read.All", "AuditLog.Read.All", "Reports.Read.All", "Policy.Read.All"}

// problems is an independent, deliberately crude reading of the rules, to
// show that only the apps meant to be unhealthy are.
func (v *demoView) problems(a *msgraph.Application) []string {
	now := v.now
	var out []string
	sp := v.sp(a.AppID)
	valid := 0
	for i, w := range secrets(a.PasswordCredentials) {
		if w.end.After(now) {
			valid++
		}
		if w.life() > 180*dayDur {
			out = append(out, "secret lifetime")
		}
		if a.PasswordCredentials[i].DisplayName == nil {
			out = append(out, "no description")
		}
	}
	for _, w := range append(secrets(a.PasswordCredentials), certs(a.KeyCredentials)...) {
		switch {
		case w.end.Before(now):
			out = append(out, "expired")
		case w.end.Before(now.Add(30 * dayDur)):
			out = append(out, "expiring")
		}
	}
	for _, w := range certs(a.KeyCredentials) {
		if w.life() > 365*dayDur {
			out = append(out, "certificate lifetime")
		}
	}
	if valid > 2 {
		out = append(out, "many secrets")
	}
	if len(sp.PasswordCredentials)+len(sp.KeyCredentials) > 0 {
		out = append(out, "credential on service principal")
	}
	if a.SignInAudience != "AzureADMyOrg" && len(a.PasswordCredentials) > 0 {
		out = append(out, "multi-tenant secret")
	}
	for _, p := range v.perms(sp) {
		if !slices.Contains(lowPermissions, p) {
			out = append(out, "privileged "+p)
		}
	}
	return out
}

func TestDemoMostAppsAreHealthy(t *testing.T) {
	v := newDemoView(t)
	wantUnhealthy := []string{
		"legacy-crm-sync", "old-sharepoint-connector", "payroll-export", "invoice-ocr", "hr-onboarding-bot",
		`<img src=x onerror=alert(1)>`, "data-warehouse-loader", "vpn-cert-auth", "ancient-batch-jobs",
		"build-agent-legacy", "marketing-analytics", `=cmd|' /C calc'!A0`, "mailbox-archiver",
		"tenant-provisioning", "ci-secrets-sprawl", "reporting-dashboard", "directory-sync-admin", "partner-portal",
	}
	var unhealthy []string
	for i := range v.d.Applications {
		a := &v.d.Applications[i]
		if p := v.problems(a); len(p) > 0 {
			unhealthy = append(unhealthy, a.DisplayName)
			if !slices.Contains(wantUnhealthy, a.DisplayName) {
				t.Errorf("%q should be healthy but has %v", a.DisplayName, p)
			}
		}
	}
	for _, n := range wantUnhealthy {
		if !slices.Contains(unhealthy, n) {
			t.Errorf("%q should show a problem but looks healthy", n)
		}
	}
	if healthy := len(v.d.Applications) - len(unhealthy); healthy <= len(unhealthy) {
		t.Errorf("%d healthy apps against %d unhealthy", healthy, len(unhealthy))
	}
	// Privileged permissions with owners (CW010) only on directory-sync-admin.
	for i := range v.d.Applications {
		a := &v.d.Applications[i]
		if len(a.Owners) == 0 || a.DisplayName == "directory-sync-admin" {
			continue
		}
		for _, p := range v.perms(v.sp(a.AppID)) {
			if !slices.Contains(lowPermissions, p) {
				t.Errorf("%q has owners and %s", a.DisplayName, p)
			}
		}
	}
}
