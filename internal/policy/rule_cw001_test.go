package policy

import (
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/inventory"
)

func TestCW001ExpiredStillAttached(t *testing.T) {
	mi := sp("mi", "my-identity",
		cert("mi-cert", "", now.Add(-90*day), now.Add(-time.Hour)),
		secret("mi-secret", "odd", now.Add(-90*day), now.Add(-time.Hour)))
	mi.ServicePrincipalType = "ManagedIdentity"
	plus5 := time.FixedZone("UTC+5", 5*3600)
	minus8 := time.FixedZone("UTC-8", -8*3600)

	runCredCases(t, "CW001", nil, []credCase{
		{name: "expired twelve days ago",
			obj:  app("a", "billing", secret("k1", "ci-deploy", now.Add(-100*day), now.Add(-12*day))),
			want: map[string]Severity{"k1": Medium},
			msg:  `client secret "ci-deploy" expired 12 days ago (2026-06-03) and is still attached`},
		{name: "end exactly now is expired",
			obj:  app("a", "billing", secret("k1", "x", now.Add(-100*day), now)),
			want: map[string]Severity{"k1": Medium},
			msg:  `client secret "x" expired less than a minute ago (2026-06-15) and is still attached`},
		{name: "one second before the end is not expired",
			obj: app("a", "billing", secret("k1", "x", now.Add(-100*day), now.Add(time.Second)))},
		{name: "one second after the end is expired",
			obj:  app("a", "billing", secret("k1", "x", now.Add(-100*day), now.Add(-time.Second))),
			want: map[string]Severity{"k1": Medium}},
		{name: "expired certificate",
			obj:  app("a", "billing", cert("c1", "CN=billing", now.Add(-400*day), now.Add(-3*time.Hour))),
			want: map[string]Severity{"c1": Medium},
			msg:  `certificate "CN=billing" expired 3 hours ago (2026-06-15) and is still attached`},
		{name: "same instant in other offsets: before the end",
			obj: app("a", "billing", secret("k1", "x", now.Add(-100*day).In(minus8), now.Add(time.Second).In(plus5)))},
		{name: "same instant in other offsets: after the end",
			obj:  app("a", "billing", secret("k1", "x", now.Add(-100*day).In(plus5), now.Add(-time.Second).In(minus8))),
			want: map[string]Severity{"k1": Medium}},
		{name: "federated credentials never expire",
			obj: app("a", "billing", federated("f1", "gh-main"))},
		{name: "missing end is not expired",
			obj: app("a", "billing", secret("k1", "x", now.Add(-100*day), time.Time{}))},
		{name: "missing start, expired end",
			obj:  app("a", "billing", secret("k1", "x", time.Time{}, now.Add(-2*day))),
			want: map[string]Severity{"k1": Medium}},
		{name: "end before start can never be used",
			obj:  app("a", "billing", secret("k1", "x", at("2026-09-01T00:00:00Z"), at("2026-08-01T00:00:00Z"))),
			want: map[string]Severity{"k1": Medium},
			msg:  `client secret "x" ends (2026-08-01) before it starts (2026-09-01); it can never be used`},
		{name: "leap day end",
			obj:  app("a", "billing", secret("k1", "x", at("2024-02-29T00:00:00Z").Add(-day), at("2024-02-29T12:00:00Z"))),
			want: map[string]Severity{"k1": Medium},
			msg:  `client secret "x" expired 837 days ago (2024-02-29) and is still attached`},
		{name: "managed identity certificates are Azure's, its secrets are not",
			obj:  mi,
			want: map[string]Severity{"mi-secret": Medium}},
		{name: "no description names the key",
			obj:  app("a", "billing", secret("0123456789abcdef", " ", now.Add(-100*day), now.Add(-2*day))),
			want: map[string]Severity{"0123456789abcdef": Medium},
			msg:  `client secret with key 01234567 expired 2 days ago (2026-06-13) and is still attached`},
	})
}

func TestCW001RecentSignInRaisesSeverity(t *testing.T) {
	obj := app("app-1", "billing", secret("k1", "x", now.Add(-100*day), now.Add(-5*day)))
	cases := []struct {
		name  string
		usage *Usage
		want  Severity
	}{
		{"no usage data", nil, Medium},
		{"app signed in yesterday", &Usage{AppLastSignIn: map[string]time.Time{"app-1": now.Add(-day)}}, High},
		{"credential used exactly 30 days ago", &Usage{CredentialLastSignIn: map[string]time.Time{"k1": now.Add(-30 * day)}}, High},
		{"credential used 30 days and 1 s ago", &Usage{CredentialLastSignIn: map[string]time.Time{"k1": now.Add(-30*day - time.Second)}}, Medium},
		{"another app signed in", &Usage{AppLastSignIn: map[string]time.Time{"other": now}}, Medium},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fs := EvaluateWithUsage(tenant(obj), onlyRule("CW001"), now, tc.usage)
			if len(fs) != 1 || fs[0].Severity != tc.want {
				t.Fatalf("got %s, want one CW001 %s", summary(fs), tc.want)
			}
			if tc.want == High && fs[0].Evidence["lastSignIn"] == "" {
				t.Errorf("evidence lacks lastSignIn: %v", fs[0].Evidence)
			}
		})
	}
}

func TestCW001DeadlineIsTheEnd(t *testing.T) {
	end := now.Add(-12 * day)
	fs := Evaluate(tenant(app("a", "n", secret("k1", "x", now.Add(-99*day), end))), onlyRule("CW001"), now)
	if len(fs) != 1 || fs[0].Deadline == nil || !fs[0].Deadline.Equal(end) {
		t.Fatalf("deadline = %v, want %v", fs[0].Deadline, end)
	}
	if fs[0].ObjectType != inventory.Application || fs[0].AppName != "n" || fs[0].AppID != "a" {
		t.Errorf("object fields: %+v", fs[0])
	}
}
