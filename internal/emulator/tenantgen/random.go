package tenantgen

import (
	"math/rand/v2"
	"time"

	"github.com/credwatch/credwatch/internal/msgraph"
)

// feature is something every generated tenant of a useful size shows at
// least once, whatever the dice say, so tests and benchmarks over any seed
// meet it.
type feature uint16

const (
	fManyOwners        feature = 1 << iota // more than 20 owners
	fSignVerify                            // Sign+Verify certificate pair on the app
	fHexThumb                              // customKeyIdentifier as hex thumbprint
	fNeverSecret                           // secret ending 2299-12-31
	fFederated                             // federated credential
	fSPSecret                              // secret on the service principal
	fManySecrets                           // 3 to 5 valid secrets
	fHostile                               // hostile display name
	fUnicode                               // non-Latin or emoji display name
	fMultiTenantSecret                     // multi-tenant app with a secret
	fCriticalSecret                        // critical permission and a secret
	fExpired                               // expired secret still attached
	fSoon7                                 // secret ending within 7 days
	fNoDesc                                // secret without description
	numFeatures        = iota
)

// forcedFeatures spreads the features over the apps, one each in equal
// stretches, after the automation apps. Tenants too small for all of them
// are left to chance.
func forcedFeatures(r *rand.Rand, apps int) map[int]feature {
	m := make(map[int]feature, numFeatures)
	start := min(len(automationNames), apps)
	span := apps - start
	if span < numFeatures {
		return m
	}
	stride := span / numFeatures
	for k := range numFeatures {
		m[start+k*stride+r.IntN(stride)] |= 1 << k
	}
	return m
}

// randomTenant draws apps and extra service principals.
type randomTenant struct {
	*builder
	forced map[int]feature
	// ownerSPs are the automation apps' service principals, which own
	// some of the apps created after them.
	ownerSPs      []msgraph.DirectoryObject
	vendorTenants []string
}

type secretClass uint8

const (
	secShort   secretClass = iota // 90 or 180 days, valid more than 30 days
	secYear                       // 1 year
	secTwoYear                    // 2 years, the portal's longest
	secLong                       // 3 or 5 years, set through the API
	secNever                      // ends 2299-12-31
	secDecades                    // 15 to 99 years
	secExpired                    // ended 1 to 700 days ago
	secSoon7                      // ends within 7 days
	secSoon30                     // ends in 8 to 30 days
)

func randomSecretClass(r *rand.Rand) secretClass {
	switch x := r.IntN(100); {
	case x < 25:
		return secShort
	case x < 50:
		return secYear
	case x < 70:
		return secTwoYear
	case x < 76:
		return secLong
	case x < 80:
		return secNever
	case x < 82:
		return secDecades
	case x < 92:
		return secExpired
	case x < 95:
		return secSoon7
	}
	return secSoon30
}

func randomCertClass(r *rand.Rand) certClass {
	switch x := r.IntN(100); {
	case x < 55:
		return certNormal
	case x < 67:
		return certTwoYear
	case x < 75:
		return certLong
	case x < 78:
		return certDecades
	case x < 90:
		return certExpired
	case x < 94:
		return certSoon7
	}
	return certSoon30
}

// secretDates draws a secret's validity for its class, relative to now.
func (g *randomTenant) secretDates(c secretClass) (start, end time.Time) {
	r, now := g.r, g.now
	switch c {
	case secShort:
		life := days(pick(r, []int{90, 180}))
		start = now.Add(-between(r, 0, life-days(31)))
		return start, start.Add(life)
	case secYear:
		start = now.Add(-between(r, 0, days(330)))
		return start, start.AddDate(1, 0, 0)
	case secTwoYear:
		start = now.Add(-between(r, 0, days(690)))
		return start, start.AddDate(2, 0, 0)
	case secLong:
		start = now.Add(-between(r, days(30), days(900)))
		return start, start.AddDate(pick(r, []int{3, 5}), 0, 0)
	case secNever:
		start = now.Add(-between(r, days(30), days(6*365)))
		h := pick(r, []int{0, 5, 23})
		return start, time.Date(2299, 12, 31, h, 0, 0, 0, time.UTC)
	case secDecades:
		start = now.Add(-between(r, days(30), days(5*365)))
		return start, start.AddDate(pick(r, []int{15, 20, 50, 99}), 0, 0)
	case secExpired:
		end = now.Add(-between(r, days(1), days(700)))
		return end.Add(-days(pick(r, []int{180, 365, 730}))), end
	case secSoon7:
		end = now.Add(between(r, time.Hour, days(7)))
		return end.Add(-days(pick(r, []int{90, 180, 365}))), end
	default: // secSoon30
		end = now.Add(between(r, days(8), days(30)))
		return end.Add(-days(pick(r, []int{90, 180, 365}))), end
	}
}

func randomFraction(r *rand.Rand) fraction {
	switch r.IntN(4) {
	case 0:
		return fracNone
	case 1:
		return frac3
	}
	return frac7
}

func randomAudience(r *rand.Rand) string {
	switch x := r.IntN(100); {
	case x < 85:
		return "AzureADMyOrg"
	case x < 95:
		return "AzureADMultipleOrgs"
	case x < 99:
		return "AzureADandPersonalMicrosoftAccount"
	}
	return "PersonalMicrosoftAccount"
}

func ownerCount(r *rand.Rand) int {
	if r.IntN(400) == 0 {
		return 21 + r.IntN(20) // beyond the 20 owners $expand returns
	}
	switch x := r.IntN(100); {
	case x < 20:
		return 0
	case x < 55:
		return 1
	case x < 75:
		return 2
	case x < 85:
		return 3
	}
	return 4 + r.IntN(7)
}

type tier uint8

const (
	tierNone tier = iota
	tierLow
	tierHigh
	tierCritical
)

func randomTier(r *rand.Rand) tier {
	switch x := r.IntN(100); {
	case x < 60:
		return tierNone
	case x < 85:
		return tierLow
	case x < 95:
		return tierHigh
	}
	return tierCritical
}

func drawPerms(r *rand.Rand, t tier) []perm {
	var out []perm
	switch t {
	case tierLow:
		for range 1 + r.IntN(3) {
			out = append(out, pick(r, lowPerms))
		}
	case tierHigh:
		for range 1 + r.IntN(2) {
			out = append(out, pick(r, highPerms))
		}
		if chance(r, 0.5) {
			out = append(out, pick(r, lowPerms))
		}
	case tierCritical:
		for range 1 + r.IntN(2) {
			out = append(out, pick(r, criticalPerms))
		}
		for range r.IntN(3) {
			out = append(out, pick(r, append(lowPerms[:len(lowPerms):len(lowPerms)], highPerms...)))
		}
	}
	return out
}

// app draws application i with its service principal.
func (g *randomTenant) app(i int) {
	r := g.r
	f := g.forced[i]
	automation := i < len(automationNames)

	var name string
	switch {
	case automation:
		name = automationNames[i]
	case f&fHostile != 0:
		name = pick(r, hostileNames)
	case f&fUnicode != 0:
		name = pick(r, unicodeNames)
	default:
		name = appName(r)
	}
	audience := randomAudience(r)
	if f&fMultiTenantSecret != 0 {
		audience = "AzureADMultipleOrgs"
	}

	var nSecrets, nCerts, nFIC int
	switch x := r.IntN(100); {
	case x < 22: // sign-in only: SPAs, web apps, APIs
	case x < 62:
		nSecrets = 1 + min(r.IntN(12)/8, 1) + min(r.IntN(40)/36, 3)
	case x < 77:
		nCerts = 1 + r.IntN(5)/4
	case x < 85:
		nSecrets, nCerts = 1+r.IntN(5)/4, 1
	case x < 97:
		nFIC = 1 + r.IntN(10)/6
	default:
		nFIC, nSecrets = 1, 1
	}
	if f&(fNeverSecret|fMultiTenantSecret|fCriticalSecret|fExpired|fSoon7|fNoDesc) != 0 {
		nSecrets = max(nSecrets, 1)
	}
	if f&fManySecrets != 0 {
		nSecrets = 3 + r.IntN(3)
	}
	if f&fHexThumb != 0 || automation {
		nCerts = max(nCerts, 1)
	}
	if f&fFederated != 0 {
		nFIC = max(nFIC, 1)
	}
	if automation {
		nSecrets, nFIC = 0, 0
	}

	app := g.newApp(name, audience, g.now)
	earliest := g.now
	for s := range nSecrets {
		class := randomSecretClass(r)
		switch {
		case f&fManySecrets != 0:
			class = pick(r, []secretClass{secShort, secYear})
		case s > 0:
		case f&fNeverSecret != 0:
			class = secNever
		case f&fExpired != 0:
			class = secExpired
		case f&fSoon7 != 0:
			class = secSoon7
		}
		start, end := g.secretDates(class)
		frac := randomFraction(r)
		if class == secNever && chance(r, 0.7) {
			frac = fracNone
		}
		desc := secretDesc(r)
		if s == 0 && f&fNoDesc != 0 {
			desc = nil
		}
		app.PasswordCredentials = append(app.PasswordCredentials, g.secret(secretSpec{
			desc: desc, start: start, end: end, frac: frac, legacyKeyID: chance(r, 0.03),
		}))
		earliest = minTime(earliest, start)
	}
	hexThumb := f&fHexThumb != 0 || chance(r, 0.08)
	for c := range nCerts {
		class := randomCertClass(r)
		if c > 0 {
			class = certNormal // the newer certificate of a rotation
		}
		ct := g.certs.get(name, class)
		app.KeyCredentials = append(app.KeyCredentials, g.keyCred(ct, hexThumb, chance(r, 0.03)))
		earliest = minTime(earliest, ct.notBefore)
	}
	if f&fSignVerify != 0 || chance(r, 0.01) {
		ct := g.certs.get(name, certNormal)
		pair := g.signVerifyPair(ct)
		app.KeyCredentials = append(app.KeyCredentials, pair[:]...)
		earliest = minTime(earliest, ct.notBefore)
	}
	for k := range nFIC {
		app.FederatedIdentityCredentials = append(app.FederatedIdentityCredentials, g.randomFIC(k))
	}
	created := earliest.Add(-between(r, time.Hour, days(400)))
	if earliest.Equal(g.now) {
		created = g.now.Add(-between(r, days(1), days(5*365)))
	}
	app.CreatedDateTime = graphTime(created, fracNone)

	if chance(r, 0.25) {
		app.Tags = append(app.Tags, pick(r, appTags))
		if t := pick(r, appTags); chance(r, 0.4) && t != app.Tags[0] {
			app.Tags = append(app.Tags, t)
		}
	}
	if chance(r, 0.04) {
		app.Notes = pick(r, notes)
	}

	nOwners := ownerCount(r)
	if f&fManyOwners != 0 {
		nOwners = 21 + r.IntN(20)
	}
	app.Owners = g.distinctOwners(nOwners, g.ownerSPs)

	t := randomTier(r)
	if f&fCriticalSecret != 0 {
		t = tierCritical
	}
	perms := drawPerms(r, t)
	if automation {
		perms = []perm{gperm("Application.ReadWrite.OwnedBy")}
	}
	requested := perms
	if len(perms) > 0 && chance(r, 0.05) {
		// Requested but never consented: not granted, so not a permission.
		requested = append(perms[:len(perms):len(perms)], pick(r, lowPerms))
	}
	app.RequiredResourceAccess = requiredAccess(requested, chance(r, 0.6))

	sp := g.appSP(&app, created)
	if chance(r, 0.03) {
		sp.AccountEnabled = boolp(false)
	}
	if len(perms) > 0 {
		at := minTime(created.Add(between(r, time.Hour, days(30))), g.now.Add(-time.Hour))
		g.grant(&sp, perms, at)
	}
	if len(app.Owners) > 0 && chance(r, 0.4) {
		sp.Owners = []msgraph.DirectoryObject{app.Owners[0]}
	}
	if f&fSPSecret != 0 || chance(r, 0.02) {
		start, end := g.secretDates(pick(r, []secretClass{secShort, secYear, secTwoYear}))
		sp.PasswordCredentials = append(sp.PasswordCredentials, g.secret(secretSpec{
			desc: secretDesc(r), start: start, end: end, frac: frac7,
		}))
	}
	if chance(r, 0.01) {
		pair := g.signVerifyPair(g.certs.get(name, certNormal))
		sp.KeyCredentials = append(sp.KeyCredentials, pair[:]...)
		sp.Tags = append(sp.Tags, "WindowsAzureActiveDirectoryCustomSingleSignOnApplication")
	}

	g.dir.Applications = append(g.dir.Applications, app)
	g.dir.ServicePrincipals = append(g.dir.ServicePrincipals, sp)
	if automation {
		g.ownerSPs = append(g.ownerSPs, spOwner(&sp))
	}
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
