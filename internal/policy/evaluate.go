package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	"github.com/credwatch/credwatch/internal/inventory"
)

// Usage is optional activity evidence for the rules that can use it. Any
// map may be nil. Today CW001 reads it: an expired credential of an app
// that signed in recently (within rules.CW001.recentSignInDays) is high
// rather than medium, since something is probably still trying to use it.
type Usage struct {
	// AppLastSignIn is the last sign-in of each app, by appId.
	AppLastSignIn map[string]time.Time
	// CredentialLastSignIn is the last sign-in with each credential, by
	// keyId.
	CredentialLastSignIn map[string]time.Time
}

// Evaluate runs every enabled rule over the tenant at the instant now and
// returns the findings sorted by severity (highest first), then deadline
// (soonest first, none last), then id. Findings covered by an active
// exception are kept, marked Suppressed. A nil cfg means DefaultConfig.
// cfg should have passed Validate: invalid parts are ignored, not fatal.
func Evaluate(t *inventory.Tenant, cfg *Config, now time.Time) []Finding {
	return EvaluateWithUsage(t, cfg, now, nil)
}

// EvaluateWithUsage is Evaluate with activity evidence; u may be nil.
func EvaluateWithUsage(t *inventory.Tenant, cfg *Config, now time.Time, u *Usage) []Finding {
	return evaluate(Input{Tenant: t, Now: now}, cfg, u)
}

// evaluate runs the rules over in with usage u (which EvaluateInput
// derives from the evidence).
func evaluate(in Input, cfg *Config, u *Usage) []Finding {
	if cfg == nil {
		cfg = DefaultConfig()
	}
	t, now := in.Tenant, in.Now
	e := &evaluator{c: compile(cfg, now), now: now, usage: u}
	if t != nil {
		e.vaults = indexVaults(t.Vaults)
	}
	if in.Evidence != nil {
		e.act = prepareActivity(e.c, cfg, &in)
	}
	if t != nil {
		e.run(t)
		e.reportExpiredExceptions(t)
	} else {
		e.reportExpiredExceptions(&inventory.Tenant{})
	}
	return e.out.sorted()
}

// evaluator holds one evaluation's state. Scratch buffers are reused so
// that a credential without findings costs no allocation.
type evaluator struct {
	c     *compiled
	now   time.Time
	usage *Usage
	act   *activityState // nil without activity evidence
	// vaults links credentials with their key vault copies; nil when the
	// tenant has no vaults (CW050–CW063 then stay silent).
	vaults *vaultIndex
	out    findings

	buf   []byte            // message under construction
	cur   *inventory.Object // the object being evaluated
	infos []credInfo        // its credentials' dates
	view  appView           // its app, for the app-level rules

	lifetimeEv map[lifetimeKey]map[string]string // shared CW003 evidence

	credRules, objectRules, appRules, tenantRules []int
	mask                                          uint32 // rules active on the current object
}

// credInfo is what rules ask of a credential's dates, worked out once.
type credInfo struct {
	hasStart, hasEnd bool
	// broken: the end is before the start, so it can never be used.
	broken bool
	// expired: it has an end and now is at or past it.
	expired bool
	// live: not broken and not expired (it may not have started yet).
	live bool
	// started: its start is at or before now, or unknown.
	started bool
}

func (e *evaluator) info(c *inventory.Credential) credInfo {
	ci := credInfo{hasStart: !c.Start.IsZero(), hasEnd: !c.End.IsZero()}
	ci.broken = ci.hasStart && ci.hasEnd && c.End.Before(c.Start)
	ci.expired = ci.hasEnd && !e.now.Before(c.End)
	ci.live = !ci.broken && !ci.expired
	ci.started = !ci.hasStart || !c.Start.After(e.now)
	return ci
}

// appView is one app for the app-level rules: its application object and
// service principal, either possibly absent, and the one findings go on.
type appView struct {
	report  *inventory.Object
	app, sp *inventory.Object
}

func (e *evaluator) run(t *inventory.Tenant) {
	for i, r := range registry {
		if !e.c.rules[i].enabled || (r.needs != nil && !r.needs(e)) {
			continue
		}
		switch r.kind {
		case credentialRule:
			e.credRules = append(e.credRules, i)
		case objectRule:
			e.objectRules = append(e.objectRules, i)
		case appRule:
			e.appRules = append(e.appRules, i)
		case tenantRule:
			e.tenantRules = append(e.tenantRules, i)
		}
	}
	var apps appIndex
	if len(e.appRules) > 0 {
		apps = e.indexApps(t.Objects)
	}
	scoped := e.c.anyScoped()
	enabled := e.c.enabledMask()

	for oi := range t.Objects {
		o := &t.Objects[oi]
		e.mask = enabled
		if scoped {
			e.mask = e.scopeMask(o, enabled)
		}
		if e.mask == 0 {
			continue
		}
		azureManagedCerts := o.Type == inventory.ServicePrincipal && o.ServicePrincipalType == "ManagedIdentity"
		e.cur = o
		e.infos = e.infos[:0]
		for ci := range o.Credentials {
			e.infos = append(e.infos, e.info(&o.Credentials[ci]))
		}
		for ci := range o.Credentials {
			c := &o.Credentials[ci]
			// Azure creates and rotates a managed identity's certificates;
			// nobody can act on a finding about them.
			if azureManagedCerts && c.Type == inventory.Certificate {
				continue
			}
			for _, ri := range e.credRules {
				if e.mask&(1<<ri) != 0 {
					registry[ri].cred(e, o, c, &e.infos[ci])
				}
			}
		}
		for _, ri := range e.objectRules {
			if e.mask&(1<<ri) != 0 {
				registry[ri].object(e, o)
			}
		}
		if len(e.appRules) > 0 {
			var ok bool
			// One view reused: a fresh one per object would escape to the heap.
			if e.view, ok = e.appFor(oi, t.Objects, &apps); ok {
				for _, ri := range e.appRules {
					if e.mask&(1<<ri) != 0 {
						registry[ri].app(e, &e.view)
					}
				}
			}
		}
	}
	for _, ri := range e.tenantRules {
		registry[ri].tenant(e, t)
	}
}

func (e *evaluator) scopeMask(o *inventory.Object, enabled uint32) uint32 {
	if !e.c.global.contains(o) {
		return 0
	}
	m := enabled
	for i := range e.c.rules {
		if m&(1<<i) != 0 && !e.c.rules[i].scope.contains(o) {
			m &^= 1 << i
		}
	}
	return m
}

// appPair locates an app's application object and service principal in
// the tenant's object list; -1 when absent.
type appPair struct{ app, sp int32 }

// appCandidate reports whether an object can make its app the subject of
// an app-level finding: every such rule needs privileged permissions or a
// multi-tenant audience, which the application object or the service
// principal carries.
func (e *evaluator) appCandidate(o *inventory.Object) bool {
	if o.Type == inventory.Application && o.SignInAudience != "" && !strings.EqualFold(o.SignInAudience, "AzureADMyOrg") {
		return true
	}
	for i := range o.Permissions {
		if e.c.tiers.of(&o.Permissions[i]) >= TierHigh {
			return true
		}
	}
	return false
}

// appIndex pairs the application objects and service principals of the
// apps that can have app-level findings. pairOf[i] is object i's entry in
// pairs, or -1: one pass of appId lookups, then plain indexing.
type appIndex struct {
	pairs  []appPair
	pairOf []int32
}

// indexApps builds the appIndex. Most apps cannot have app-level findings,
// so the map of appIds stays small even for a large tenant.
func (e *evaluator) indexApps(objs []inventory.Object) appIndex {
	ix := appIndex{pairOf: make([]int32, len(objs))}
	byAppID := map[string]int32{}
	for i := range objs {
		ix.pairOf[i] = -1
		if objs[i].AppID != "" && e.appCandidate(&objs[i]) {
			if _, ok := byAppID[objs[i].AppID]; !ok {
				byAppID[objs[i].AppID] = int32(len(ix.pairs))
				ix.pairs = append(ix.pairs, appPair{-1, -1})
			}
		}
	}
	if len(ix.pairs) == 0 {
		return ix
	}
	for i := range objs {
		o := &objs[i]
		pi, ok := byAppID[o.AppID]
		if !ok {
			continue
		}
		ix.pairOf[i] = pi
		p := &ix.pairs[pi]
		switch {
		case o.Type == inventory.Application && p.app < 0:
			p.app = int32(i)
		case o.Type == inventory.ServicePrincipal && p.sp < 0:
			p.sp = int32(i)
		}
	}
	return ix
}

// appFor returns the app view object oi reports for: an application
// reports for itself and its service principal; a service principal only
// when its app has no application object in the tenant. ok is false when
// the object reports nothing.
func (e *evaluator) appFor(oi int, objs []inventory.Object, ix *appIndex) (appView, bool) {
	o := &objs[oi]
	p := appPair{-1, -1}
	switch {
	case ix.pairOf[oi] >= 0:
		p = ix.pairs[ix.pairOf[oi]]
	case o.AppID != "" || !e.appCandidate(o):
		return appView{}, false
	}
	switch o.Type {
	case inventory.Application:
		a := appView{report: o, app: o}
		if p.sp >= 0 {
			a.sp = &objs[p.sp]
		}
		return a, true
	case inventory.ServicePrincipal:
		if o.AppID != "" && (p.app >= 0 || p.sp != int32(oi)) {
			// The application object reports, or this is a duplicate
			// service principal and the first one does.
			return appView{}, false
		}
		return appView{report: o, sp: o}, true
	}
	return appView{}, false
}

// emit records a finding of rule ri on object o with the message in e.buf,
// applying the rule's severity override and the exceptions.
func (e *evaluator) emit(ri int, o *inventory.Object, keyID string, sev Severity, deadline time.Time, ev map[string]string) {
	r := &e.c.rules[ri]
	if r.pinned {
		sev = r.severity
	}
	rec := e.out.next()
	rec.idMsg = e.idAndMessage(r.id, o.ID, keyID)
	rec.ev = ev
	rec.obj = o
	rec.keyID = keyID
	rec.rule = uint8(ri)
	rec.sev = sev
	rec.sec = noDeadline
	if !deadline.IsZero() {
		rec.sec, rec.nsec = deadline.Unix(), int32(deadline.Nanosecond())
	}
	if len(e.c.exceptions.active[ri]) > 0 {
		rec.reason, rec.suppress = e.c.exceptions.suppression(ri, o.AppID, o.DisplayName, keyID)
	}
}

// idAndMessage returns the finding id followed by the message in e.buf,
// in one allocation.
func (e *evaluator) idAndMessage(ruleID, objectID, keyID string) string {
	var sb strings.Builder
	sb.Grow(32 + len(e.buf))
	hashID(&sb, ruleID, objectID, keyID)
	sb.Write(e.buf)
	return sb.String()
}

// findingID is FindingID without its temporary allocations.
func findingID(ruleID, objectID, keyID string) string {
	var sb strings.Builder
	sb.Grow(32)
	hashID(&sb, ruleID, objectID, keyID)
	return sb.String()
}

// hashID writes FindingID's 32 hex digits to sb.
func hashID(sb *strings.Builder, ruleID, objectID, keyID string) {
	var buf [192]byte
	b := append(buf[:0], ruleID...)
	b = append(b, '|')
	b = append(b, objectID...)
	b = append(b, '|')
	b = append(b, keyID...)
	sum := sha256.Sum256(b)
	var out [32]byte
	hex.Encode(out[:], sum[:16])
	sb.Write(out[:])
}
