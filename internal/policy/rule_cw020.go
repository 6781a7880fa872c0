package policy

import (
	"strings"
	"time"

	"github.com/credwatch/credwatch/internal/activity"
	"github.com/credwatch/credwatch/internal/inventory"
)

var cw020 = rule{
	id:       "CW020",
	title:    "Credential added by an unexpected actor",
	severity: High,
	kind:     credentialRule,
	why: "Adding a secret or certificate to an app is how an attacker who got hold of an owner's account, " +
		"an admin role or another app's token turns that into lasting access: the new credential signs in as " +
		"the app, with all its permissions, long after the stolen session ends. In most tenants only a few " +
		"people and pipelines ever add credentials; one added by anyone else deserves a look.",
	fix: "Ask the actor (the finding names the user or app, the address and the user agent) whether they " +
		"added it. If nobody can explain it, treat it as an incident: remove the credential " +
		"(`az ad app credential delete --id <appId> --key-id <keyId>`, Graph `removePassword` / `removeKey`), " +
		"revoke the actor's sessions and review what the app did since. If the actor is legitimate, add it to " +
		"`allowedActors`.",
	details: "Reads the directory audit log (\"Update application – Certificates and secrets management\", " +
		"\"Add service principal credentials\"...). Fires for each secret or certificate still on an object " +
		"whose latest audited addition was made by an actor matching no entry of `allowedActors`: a user " +
		"principal name, an app id, an object id, or a glob on an app's display name, letter case ignored. " +
		"With `allowedActors` empty (the default) the rule has nothing to compare with and never fires. " +
		"With a history store, who added each credential is kept once a scan has read it, so the finding " +
		"stays for as long as the credential exists, after the record has left the audit log. Credentials " +
		"added before any scan could read their record (the log keeps 30 days) are not judged; silent when " +
		"the audit log could not be read.",
	settings: func(r *Rules) ruleSettings { return scoped(&r.CW020.ScopedSettings) },
	thresholds: func(c *Config) []threshold {
		return []threshold{{"allowedActors", strings.Join(c.Rules.CW020.AllowedActors, ", ")}}
	},
	needs: func(e *evaluator) bool {
		return e.act != nil && e.act.audits && len(e.c.actors) > 0 && len(e.act.ev.CredentialAdded) > 0
	},
	cred: checkUnexpectedActor,
}

func checkUnexpectedActor(e *evaluator, o *inventory.Object, c *inventory.Credential, _ *credInfo) {
	if c.Type == inventory.Federated {
		return
	}
	ch, ok := e.credentialChange(c)
	if !ok || (ch.ObjectID != "" && !sameID(ch.ObjectID, o.ID)) || e.c.actorAllowed(&ch.Actor) {
		return
	}
	e.msgCred(c)
	e.msg(" was added ")
	e.msgDate(ch.When)
	e.msg(" by ")
	e.msgActor(&ch.Actor)
	e.msg(", who is not an allowed actor")
	e.emit(iCW020, o, c.KeyID, High, time.Time{}, changeEvidence(&ch))
}

// actorAllowed reports whether an allowed-actor entry matches the actor's
// name, object id or app id.
func (c *compiled) actorAllowed(a *activity.Actor) bool {
	for _, re := range c.actors {
		for _, v := range [3]string{a.Name, a.ID, a.AppID} {
			if v != "" && re.MatchString(v) {
				return true
			}
		}
	}
	return false
}

// msgActor names an actor for a message: "mallory@contoso.example (user,
// from 203.0.113.66)", "github-deploy (app 1234abcd)".
func (e *evaluator) msgActor(a *activity.Actor) {
	name := a.Name
	if name == "" {
		name = a.ID
	}
	if name == "" {
		e.msg("an unrecorded actor")
		return
	}
	e.msgQuote(name)
	switch a.Type {
	case activity.ActorUser:
		e.msg(" (user")
		if a.IP != "" {
			e.msg(", from ")
			e.msg(oneLine(a.IP))
		}
		e.msg(")")
	case activity.ActorApp:
		e.msg(" (app")
		if a.AppID != "" {
			e.msg(" ")
			e.msg(a.AppID)
		}
		e.msg(")")
	}
}

// changeEvidence is the evidence of an audited credential addition.
func changeEvidence(ch *activity.Change) map[string]string {
	ev := map[string]string{
		"actor":       ch.Actor.Name,
		"actorType":   string(ch.Actor.Type),
		"when":        timeString(ch.When),
		"auditRecord": ch.RecordID,
	}
	for k, v := range map[string]string{"actorId": ch.Actor.ID, "actorAppId": ch.Actor.AppID,
		"ip": ch.Actor.IP, "userAgent": ch.UserAgent} {
		if v != "" {
			ev[k] = v
		}
	}
	return ev
}

func sameID(a, b string) bool { return a == b || evKey(a) == evKey(b) }
