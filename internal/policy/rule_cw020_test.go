package policy

import (
	"testing"

	"github.com/credwatch/credwatch/internal/activity"
	"github.com/credwatch/credwatch/internal/inventory"
)

func TestCW020UnexpectedActor(t *testing.T) {
	mallory := activity.Actor{Type: activity.ActorUser, ID: "u-m", Name: "mallory@contoso.example", IP: "203.0.113.66"}
	pipeline := activity.Actor{Type: activity.ActorApp, ID: "sp-deploy", Name: "github-deploy-prod", AppID: "a11ce000-0000-4000-8000-000000000009"}
	allow := func(list ...string) func(*Config) {
		return func(c *Config) { c.Rules.CW020.AllowedActors = list }
	}
	defaults := allow("Admin@Contoso.example", "github-deploy-*")
	obj := app("a", "billing", validSecret("k1"))
	by := func(a activity.Actor) func(*activity.Evidence) {
		return func(ev *activity.Evidence) { ev.CredentialAdded["k1"] = added("obj-a", "k1", a, now.Add(-3*day)) }
	}
	paired := cert("c1", "CN=x", now.Add(-day), now.Add(300*day))
	paired.PairedKeyID = "c1-sign"
	upper := validSecret("K1")

	runInputCases(t, "CW020", []inputCase{
		{name: "an empty list judges nothing", objs: []inventory.Object{obj}, ev: by(mallory)},
		{name: "actor not allowed", objs: []inventory.Object{obj}, ev: by(mallory), cfg: defaults,
			want: "CW020 high obj-a k1",
			msg:  `client secret "ok k1" was added 2026-06-12 by "mallory@contoso.example" (user, from 203.0.113.66), who is not an allowed actor`,
			check: func(t *testing.T, fs []Finding) {
				wantEvidence(t, fs[0], map[string]string{"actor": "mallory@contoso.example", "actorType": "user",
					"ip": "203.0.113.66", "when": "2026-06-12T12:00:00Z", "userAgent": "python-requests/2.32.3", "auditRecord": "Directory_k1"})
			}},
		{name: "user principal name allowed, letter case ignored", objs: []inventory.Object{obj}, ev: by(admin()), cfg: defaults},
		{name: "app allowed by display name glob", objs: []inventory.Object{obj}, ev: by(pipeline), cfg: defaults},
		{name: "app allowed by app id", objs: []inventory.Object{obj}, ev: by(pipeline), cfg: allow("A11CE000-0000-4000-8000-000000000009")},
		{name: "app not allowed", objs: []inventory.Object{obj}, ev: by(pipeline), cfg: allow("admin@contoso.example"),
			want: "CW020 high obj-a k1",
			msg:  `client secret "ok k1" was added 2026-06-12 by "github-deploy-prod" (app a11ce000-0000-4000-8000-000000000009), who is not an allowed actor`},
		{name: "record names nobody", objs: []inventory.Object{obj}, ev: by(activity.Actor{}), cfg: defaults,
			want: "CW020 high obj-a k1",
			msg:  `client secret "ok k1" was added 2026-06-12 by an unrecorded actor, who is not an allowed actor`},
		{name: "added before the audit window: no record", objs: []inventory.Object{obj}, cfg: defaults},
		{name: "the record is about another object", objs: []inventory.Object{obj}, cfg: defaults,
			ev: func(ev *activity.Evidence) { ev.CredentialAdded["k1"] = added("obj-other", "k1", mallory, now) }},
		{name: "audit log unreadable", objs: []inventory.Object{obj}, cfg: defaults, ev: func(ev *activity.Evidence) {
			by(mallory)(ev)
			ev.Unavailable[activity.PartAudits] = "tenant has no Microsoft Entra ID P1/P2 licence; audit rules skipped"
		}},
		{name: "removed credentials are not reported", objs: []inventory.Object{app("a", "billing")}, ev: by(mallory), cfg: defaults},
		{name: "the sign key of a certificate pair", objs: []inventory.Object{app("a", "billing", paired)}, cfg: defaults,
			ev:   func(ev *activity.Evidence) { ev.CredentialAdded["c1-sign"] = added("obj-a", "c1-sign", mallory, now) },
			want: "CW020 high obj-a c1"},
		{name: "inventory key ids in capitals", objs: []inventory.Object{app("a", "billing", upper)}, ev: by(mallory), cfg: defaults,
			want: "CW020 high obj-a K1"},
		{name: "federated credentials are not audited this way", objs: []inventory.Object{app("a", "billing", federated("k1", "gh"))},
			ev: by(mallory), cfg: defaults},
	})
}
