package tenantgen

import (
	"encoding/base64"
	"encoding/hex"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/credwatch/credwatch/internal/msgraph"
)

// activityWindow is how far back the audit and sign-in records reach: the
// 30 days Entra ID P1 keeps.
const activityWindow = 30 * day

// network is an address range sign-ins and audited users come from. All
// are documentation ranges (RFC 5737, RFC 3849), never real addresses.
type network struct {
	prefix string // what an address starts with
	cidr   string
	v6     bool
	loc    msgraph.SignInLocation
}

var (
	netCorp  = network{"198.51.100.", "198.51.100.0/24", false, msgraph.SignInLocation{City: "Amsterdam", State: "Noord-Holland", CountryOrRegion: "NL"}}
	netCloud = network{"192.0.2.", "192.0.2.0/24", false, msgraph.SignInLocation{City: "Boydton", State: "Virginia", CountryOrRegion: "US"}}
	netAway  = network{"203.0.113.", "203.0.113.0/24", false, msgraph.SignInLocation{City: "Frankfurt am Main", State: "Hessen", CountryOrRegion: "DE"}}
	netV6    = network{"2001:db8:5f0c::", "2001:db8::/32", true, msgraph.SignInLocation{City: "Dublin", State: "Dublin", CountryOrRegion: "IE"}}
)

// addr draws a host address in n.
func (n network) addr(r *rand.Rand) string {
	if n.v6 {
		return n.prefix + strconv.FormatInt(int64(1+r.IntN(0xfffe)), 16)
	}
	return n.prefix + strconv.Itoa(1+r.IntN(254))
}

// holder is an object that carries credentials: an application (with its
// service principal, which signs in) or a service principal on its own.
type holder struct {
	app *msgraph.Application // nil: the credentials are the service principal's
	sp  *msgraph.ServicePrincipal
}

func (h holder) id() string {
	if h.app != nil {
		return h.app.ID
	}
	return h.sp.ID
}

func (h holder) name() string {
	if h.app != nil {
		return h.app.DisplayName
	}
	return h.sp.DisplayName
}

func (h holder) origin() string {
	if h.app != nil {
		return "application"
	}
	return "servicePrincipal"
}

func (h holder) creds() ([]msgraph.PasswordCredential, []msgraph.KeyCredential) {
	if h.app != nil {
		return h.app.PasswordCredentials, h.app.KeyCredentials
	}
	return h.sp.PasswordCredentials, h.sp.KeyCredentials
}

// credential is one secret or certificate a client can sign in with.
type credential struct {
	h          holder
	index      int // among the holder's secrets, or among its keys
	keyID      string
	keyType    string // "clientSecret" or "certificate"
	thumb      string // upper-case hex SHA-1 of a certificate
	start, end time.Time
}

// signingCreds lists the credentials of h that clients sign in with:
// every secret and every Verify certificate that is not half of a
// Sign+Verify pair (those sign SAML tokens and never authenticate).
func signingCreds(h holder) []credential {
	pw, keys := h.creds()
	var out []credential
	for i, p := range pw {
		out = append(out, credential{h: h, index: i, keyID: p.KeyID, keyType: "clientSecret",
			start: parseGraphTime(p.StartDateTime), end: parseGraphTime(p.EndDateTime)})
	}
	for i, k := range keys {
		if k.Usage != "Verify" || pairedWithSign(keys, k) {
			continue
		}
		out = append(out, credential{h: h, index: i, keyID: k.KeyID, keyType: "certificate", thumb: thumbHex(k),
			start: parseGraphTime(k.StartDateTime), end: parseGraphTime(k.EndDateTime)})
	}
	return out
}

func pairedWithSign(keys []msgraph.KeyCredential, k msgraph.KeyCredential) bool {
	return slices.ContainsFunc(keys, func(o msgraph.KeyCredential) bool {
		return o.Usage == "Sign" && o.CustomKeyIdentifier != nil && k.CustomKeyIdentifier != nil &&
			*o.CustomKeyIdentifier == *k.CustomKeyIdentifier
	})
}

// thumbHex is the certificate thumbprint as sign-in logs print it, from a
// customKeyIdentifier in base64 or hex.
func thumbHex(k msgraph.KeyCredential) string {
	if k.CustomKeyIdentifier == nil {
		return ""
	}
	cki := *k.CustomKeyIdentifier
	if raw, err := hex.DecodeString(cki); err == nil && len(raw) == 20 {
		return strings.ToUpper(cki)
	}
	if raw, err := base64.StdEncoding.DecodeString(cki); err == nil {
		return strings.ToUpper(hex.EncodeToString(raw))
	}
	return ""
}

func parseGraphTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// activityGen builds a tenant's activity evidence from its objects. It
// draws from its own generator, so the objects stay as they were without
// it.
type activityGen struct {
	r          *rand.Rand
	now, since time.Time
	dir        *msgraph.Directory
	act        *msgraph.Activity
	spByAppID  map[string]*msgraph.ServicePrincipal
	// auditAt and signInAt hold the time of each record, in step with
	// act's lists, so finish sorts without parsing dates back.
	auditAt, signInAt []time.Time
}

func newActivityGen(r *rand.Rand, now time.Time, dir *msgraph.Directory) *activityGen {
	g := &activityGen{r: r, now: now, since: now.Add(-activityWindow), dir: dir,
		act: &msgraph.Activity{}, spByAppID: make(map[string]*msgraph.ServicePrincipal, len(dir.ServicePrincipals))}
	for i := range dir.ServicePrincipals {
		sp := &dir.ServicePrincipals[i]
		g.spByAppID[sp.AppID] = sp
	}
	return g
}

// holders lists every credential holder: applications (with their service
// principals) in order, then service principals of type Application that
// carry credentials of their own. Managed identities are left out: Azure
// rotates their certificates and their sign-ins are a different event
// type.
func (g *activityGen) holders() []holder {
	var out []holder
	for i := range g.dir.Applications {
		a := &g.dir.Applications[i]
		if sp := g.spByAppID[a.AppID]; sp != nil {
			out = append(out, holder{app: a, sp: sp})
		}
	}
	for i := range g.dir.ServicePrincipals {
		sp := &g.dir.ServicePrincipals[i]
		if sp.ServicePrincipalType == "Application" && len(sp.PasswordCredentials)+len(sp.KeyCredentials) > 0 {
			out = append(out, holder{sp: sp})
		}
	}
	return out
}

// signInAt is one planned sign-in.
type signInAt struct {
	at  time.Time
	net network
	ip  string // "" draws one from net
}

// spread plans n sign-ins of c from net: the last at last, the others
// drawn between the later of the window's start and c's start, and last.
func (g *activityGen) spread(c credential, last time.Time, n int, net network) []signInAt {
	if last.IsZero() || last.Before(g.since) {
		return nil
	}
	lo := maxTime(g.since, c.start.Add(time.Minute))
	out := []signInAt{{at: last, net: net}}
	for range n - 1 {
		if !lo.Before(last) {
			break
		}
		out = append(out, signInAt{at: lo.Add(between(g.r, 0, last.Sub(lo))), net: net})
	}
	return out
}

// use records the sign-ins of credential c and its usage report record.
// last is its last sign-in (zero: never used); plan are the sign-ins
// inside the window. nullDates gives a never-used credential an empty
// signInActivity instead of none, as the report does for some.
func (g *activityGen) use(c credential, last time.Time, plan []signInAt, nullDates bool) {
	lastID := ""
	var latest time.Time
	for _, p := range plan {
		si := g.signIn(c.h.sp, p)
		si.ServicePrincipalCredentialKeyID = c.keyID
		si.ClientCredentialType = c.keyType
		si.ServicePrincipalCredentialThumbprint = c.thumb
		if at := p.at.Truncate(time.Second); lastID == "" || at.After(latest) {
			latest, lastID = at, si.ID
		}
		g.addSignIn(si, p.at)
	}
	if lastID != "" {
		last = latest
	}
	rec := msgraph.AppCredentialSignInActivity{
		ID:                       base64.StdEncoding.EncodeToString([]byte(c.keyID + "|" + c.h.origin())),
		AppID:                    c.h.sp.AppID,
		ServicePrincipalObjectID: c.h.sp.ID,
		KeyID:                    c.keyID,
		KeyType:                  c.keyType,
		KeyUsage:                 "verify",
		CredentialOrigin:         c.h.origin(),
		CreatedDateTime:          graphTime(c.start, fracNone),
		ExpirationDateTime:       graphTime(c.end, fracNone),
	}
	if c.h.app != nil {
		rec.AppObjectID = c.h.app.ID
	}
	switch {
	case !last.IsZero():
		if lastID == "" {
			lastID = guid(g.r) // the sign-in itself is older than the log keeps
		}
		at := graphTime(last, fracNone)
		rec.ResourceID = msgraph.GraphAppID
		rec.SignInActivity = &msgraph.SignInActivity{LastSignInDateTime: at, LastSignInRequestID: lastID,
			LastNonInteractiveSignInDateTime: at, LastSuccessfulSignInDateTime: at}
	case nullDates:
		rec.SignInActivity = &msgraph.SignInActivity{}
	}
	g.act.CredentialSignInActivities = append(g.act.CredentialSignInActivities, rec)
}

// signIn is a successful app-only sign-in of sp to Microsoft Graph.
func (g *activityGen) signIn(sp *msgraph.ServicePrincipal, p signInAt) msgraph.SignIn {
	ip := p.ip
	if ip == "" {
		ip = p.net.addr(g.r)
	}
	loc := p.net.loc
	appName := sp.AppDisplayName
	if appName == "" {
		appName = sp.DisplayName
	}
	return msgraph.SignIn{
		ID:                   guid(g.r),
		CreatedDateTime:      graphTime(p.at, fracNone),
		AppID:                sp.AppID,
		AppDisplayName:       appName,
		ServicePrincipalID:   sp.ID,
		ServicePrincipalName: sp.DisplayName,
		IPAddress:            ip,
		Location:             &loc,
		Status:               &msgraph.SignInStatus{ErrorCode: 0},
		ResourceDisplayName:  "Microsoft Graph",
		ResourceID:           msgraph.GraphAppID,
		SignInEventTypes:     []string{"servicePrincipal"},
	}
}

// ficSignIns records sign-ins of app's service principal with its federated
// credentials.
func (g *activityGen) ficSignIns(app *msgraph.Application, plan []signInAt) {
	sp := g.spByAppID[app.AppID]
	if sp == nil || len(app.FederatedIdentityCredentials) == 0 {
		return
	}
	for _, p := range plan {
		si := g.signIn(sp, p)
		si.ClientCredentialType = "federatedIdentityCredential"
		si.FederatedCredentialID = pick(g.r, app.FederatedIdentityCredentials).ID
		g.addSignIn(si, p.at)
	}
}

// removedCred is a credential no longer on its holder: added long ago,
// removed inside the window.
type removedCred struct {
	entry            string // its KeyDescription entry
	added, removedAt time.Time
}

// keyItem is one credential on a holder's timeline.
type keyItem struct {
	entry            string
	added, removedAt time.Time // removedAt zero: still there
}

func (k keyItem) presentBefore(t time.Time) bool {
	return k.added.Before(t) && (k.removedAt.IsZero() || !k.removedAt.Before(t))
}

func (k keyItem) presentAfter(t time.Time) bool {
	return !k.added.After(t) && (k.removedAt.IsZero() || k.removedAt.After(t))
}

// actorFunc says who changed h at t, with the User-Agent they used.
type actorFunc func(h holder, at time.Time) (msgraph.AuditActor, string)

// credentialAudits writes the audit records of every credential h gained
// inside the window, and of the removals listed. A certificate counts as
// added a while after its notBefore (uploads lag issuance); a secret at
// its start. Keys of one certificate (a Sign+Verify pair) arrive together.
func (g *activityGen) credentialAudits(h holder, removed []removedCred, who actorFunc) {
	pw, keys := h.creds()
	var items []keyItem
	for _, p := range pw {
		at := minTime(parseGraphTime(p.StartDateTime), g.now)
		items = append(items, keyItem{entry: PasswordKeyEntry(p), added: at})
	}
	lag := map[string]time.Time{}
	for _, k := range keys {
		group := k.EndDateTime
		if k.CustomKeyIdentifier != nil {
			group += *k.CustomKeyIdentifier
		}
		at, ok := lag[group]
		if !ok {
			at = minTime(parseGraphTime(k.StartDateTime).Add(between(g.r, 5*time.Minute, 36*time.Hour)), g.now.Add(-time.Minute))
			lag[group] = at
		}
		items = append(items, keyItem{entry: KeyKeyEntry(k), added: at})
	}
	for _, rc := range removed {
		items = append(items, keyItem{entry: rc.entry, added: rc.added, removedAt: rc.removedAt})
	}
	type event struct {
		at      time.Time
		removal bool
	}
	var events []event
	seen := map[string]bool{} // by time: UnixNano overflows for odd clocks
	for _, it := range items {
		if k := it.added.Format(time.RFC3339Nano); !it.added.Before(g.since) && !seen[k] {
			seen[k] = true
			events = append(events, event{it.added, false})
		}
		if !it.removedAt.IsZero() && !it.removedAt.Before(g.since) {
			events = append(events, event{it.removedAt, true})
		}
	}
	slices.SortStableFunc(events, func(a, b event) int { return a.at.Compare(b.at) })
	for _, ev := range events {
		var before, after []string
		for _, it := range items {
			if it.presentBefore(ev.at) {
				before = append(before, it.entry)
			}
			if it.presentAfter(ev.at) {
				after = append(after, it.entry)
			}
		}
		by, ua := who(h, ev.at)
		change := CredentialChange{CorrelationID: guid(g.r), At: ev.at.Add(subSecond(g.r, frac7)), By: by, UserAgent: ua,
			TargetID: h.id(), TargetName: h.name(), ServicePrincipal: h.app == nil, Removed: ev.removal,
			Before: before, After: after}
		g.addAudits(change.Records(), change.At)
	}
}

// ownerAdded writes the audit record of owner o joining app at t.
func (g *activityGen) ownerAdded(app *msgraph.Application, o msgraph.DirectoryObject, at time.Time, by msgraph.AuditActor, ua string) {
	change := OwnerChange{CorrelationID: guid(g.r), At: at.Add(subSecond(g.r, frac7)), By: by, UserAgent: ua,
		Owner: o, TargetID: app.ID, TargetName: app.DisplayName, TargetAppID: app.AppID}
	g.addAudits(change.Records(), change.At)
}

// reserve sizes the record lists for a tenant with creds credentials:
// large tenants otherwise spend most of their memory on growing them.
func (g *activityGen) reserve(creds int) {
	g.act.SignIns = make([]msgraph.SignIn, 0, 2*creds+16)
	g.signInAt = make([]time.Time, 0, 2*creds+16)
	g.act.CredentialSignInActivities = make([]msgraph.AppCredentialSignInActivity, 0, creds)
	g.act.DirectoryAudits = make([]msgraph.DirectoryAudit, 0, creds/2+16)
	g.auditAt = make([]time.Time, 0, creds/2+16)
}

func (g *activityGen) addAudits(recs []msgraph.DirectoryAudit, at time.Time) {
	for _, rec := range recs {
		g.act.DirectoryAudits = append(g.act.DirectoryAudits, rec)
		g.auditAt = append(g.auditAt, at)
	}
}

func (g *activityGen) addSignIn(si msgraph.SignIn, at time.Time) {
	g.act.SignIns = append(g.act.SignIns, si)
	g.signInAt = append(g.signInAt, at)
}

// finish orders the records newest first, as the APIs return them, and
// stamps the windows.
func (g *activityGen) finish() *msgraph.Activity {
	g.act.DirectoryAudits = newestFirst(g.act.DirectoryAudits, g.auditAt)
	g.act.SignIns = newestFirst(g.act.SignIns, g.signInAt)
	g.act.AuditSince = graphTime(g.since, fracNone)
	g.act.SignInsSince = graphTime(g.since, fracNone)
	return g.act
}

// newestFirst orders items by their times, latest first, keeping the order
// of items with equal times.
func newestFirst[T any](items []T, at []time.Time) []T {
	order := make([]int, len(items))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int {
		if c := at[b].Compare(at[a]); c != 0 {
			return c
		}
		return a - b
	})
	out := make([]T, len(items))
	for i, j := range order {
		out[i] = items[j]
	}
	return out
}

// userActor is a user changing something from ip.
func userActor(u msgraph.DirectoryObject, ip string) msgraph.AuditActor {
	return msgraph.AuditActor{User: &msgraph.AuditUser{ID: u.ID, DisplayName: u.DisplayName, UserPrincipalName: u.UserPrincipalName, IPAddress: ip}}
}

// appActor is a service principal changing something with its own token.
func appActor(sp *msgraph.ServicePrincipal) msgraph.AuditActor {
	return msgraph.AuditActor{App: &msgraph.AuditApp{AppID: sp.AppID, DisplayName: sp.DisplayName, ServicePrincipalID: sp.ID, ServicePrincipalName: sp.DisplayName}}
}

// User-Agent strings of the tools that change credentials.
const (
	uaPortal     = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.0.0"
	uaAzureCLI   = "python/3.11.9 (Linux-6.5.0-1025-azure-x86_64-with-glibc2.35) AZURECLI/2.63.0"
	uaTerraform  = "Go/go1.22.5 (amd64-linux) go-autorest/v14.2.1 hashicorp/go-azure-sdk/msgraph/2.0 terraform-provider-azuread/v2.53.1"
	uaPowerShell = "Mozilla/5.0 (Windows NT 10.0; Microsoft Windows 10.0.22631; en-US) PowerShell/7.4.3 Microsoft.Graph.Applications/2.20.0"
	uaRequests   = "python-requests/2.32.3"
)

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
