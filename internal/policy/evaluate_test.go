package policy

import (
	"cmp"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/inventory"
)

func TestFindingIDsAreStable(t *testing.T) {
	// Literal values: a change here breaks history, suppressions and
	// notification de-duplication for every user.
	cases := []struct{ rule, obj, key, want string }{
		{"CW002", "8b1e0a2c-0000-4000-8000-000000000001", "f0b0b335-1d71-4883-8f98-567911bfdca6", "477a01011dd557fbbab4a185c214bb57"},
		{"CW007", "8b1e0a2c-0000-4000-8000-000000000001", "", "3e47012345fd8cfa4fb3f55d6b8d3de9"},
	}
	for _, tc := range cases {
		if got := FindingID(tc.rule, tc.obj, tc.key); got != tc.want {
			t.Errorf("FindingID(%s, %s, %s) = %s, want %s", tc.rule, tc.obj, tc.key, got, tc.want)
		}
		if got := findingID(tc.rule, tc.obj, tc.key); got != tc.want {
			t.Errorf("findingID(%s, %s, %s) = %s, want %s", tc.rule, tc.obj, tc.key, got, tc.want)
		}
	}
	long := strings.Repeat("x", 300)
	if findingID("CW001", long, long) != FindingID("CW001", long, long) {
		t.Error("findingID differs from FindingID on long input")
	}

	// The same tenant evaluated twice, a day apart, keeps its ids.
	obj := app("a", "n", secret("k1", "x", now.Add(-day), now.Add(3*day)))
	a := Evaluate(tenant(obj), onlyRule("CW002"), now)
	b := Evaluate(tenant(obj), onlyRule("CW002"), now.Add(day))
	if len(a) != 1 || len(b) != 1 || a[0].ID != b[0].ID || a[0].ID != FindingID("CW002", "obj-a", "k1") {
		t.Errorf("ids differ across scans: %v / %v", a, b)
	}
}

func TestFindingsSortedBySeverityDeadlineID(t *testing.T) {
	fp := sp("fp", "Office 365 Exchange Online", validSecret("fpk"))
	fp.FirstParty = true
	objs := []inventory.Object{
		app("a", "a", secret("a-expiring-later", "x", now.Add(-day), now.Add(6*day)), cert("a-soon", "x", now.Add(-day), now.Add(2*day))),
		app("b", "b", cert("b-medium", "x", now.Add(-day), now.Add(20*day)), secret("b-nodesc", "", now.Add(-day), now.Add(90*day))),
		fp,
		app("c", "c", secret("c-expired", "x", now.Add(-90*day), now.Add(-day))),
	}
	fs := Evaluate(tenant(objs...), nil, now)
	var got []string
	for _, f := range fs {
		got = append(got, f.RuleID+" "+f.Severity.String()+" "+f.KeyID)
	}
	want := []string{
		"CW008 critical fpk",
		"CW002 high a-soon",
		"CW002 high a-expiring-later",
		"CW001 medium c-expired",
		"CW002 medium b-medium",
		"CW005 low b-nodesc",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("order:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// Without deadlines, same severity sorts by id.
	for i := 1; i < len(fs); i++ {
		if compareFindings(fs[i-1], fs[i]) > 0 {
			t.Errorf("findings %d and %d out of order", i-1, i)
		}
	}
}

func TestEvaluateIsDeterministicWhateverTheObjectOrder(t *testing.T) {
	var objs []inventory.Object
	for i := range 40 {
		id := string(rune('a'+i%26)) + string(rune('a'+i/26))
		o := app(id, "app "+id,
			secret(id+"-1", "", now.Add(-400*day), now.Add(time.Duration(i-20)*day)),
			cert(id+"-2", "c", now.Add(-day), now.Add(time.Duration(i*10)*day)))
		o.Permissions = []inventory.Permission{graphPerm("Mail.Send")}
		objs = append(objs, o)
	}
	want := Evaluate(tenant(objs...), nil, now)
	r := rand.New(rand.NewPCG(1, 2))
	for range 3 {
		r.Shuffle(len(objs), func(i, j int) { objs[i], objs[j] = objs[j], objs[i] })
		if got := Evaluate(tenant(objs...), nil, now); !reflect.DeepEqual(got, want) {
			t.Fatal("order of objects changed the findings")
		}
	}
}

func TestTimeZoneOfNowDoesNotMatter(t *testing.T) {
	objs := []inventory.Object{app("a", "n",
		secret("k1", "", now.Add(-400*day), now.Add(7*day)),
		secret("k2", "x", now.Add(-day), now.Add(-time.Second)),
		secret("k3", "x", at("2030-01-01T00:00:00Z"), at("2099-01-01T00:00:00Z")))}
	utc := Evaluate(tenant(objs...), nil, now)
	for _, loc := range []*time.Location{time.FixedZone("UTC+14", 14*3600), time.FixedZone("UTC-12", -12*3600)} {
		if got := Evaluate(tenant(objs...), nil, now.In(loc)); !reflect.DeepEqual(got, utc) {
			t.Errorf("now in %s gave different findings:\n%s\nwant\n%s", loc, messages(got), messages(utc))
		}
	}
}

func TestSeverityOverridePinsEveryFinding(t *testing.T) {
	cfg := onlyRule("CW002")
	critical := Critical
	cfg.Rules.CW002.Severity = &critical
	fs := Evaluate(tenant(app("a", "n",
		secret("high", "x", now.Add(-day), now.Add(day)),
		secret("medium", "x", now.Add(-day), now.Add(20*day)))), cfg, now)
	if got := summary(fs); got != "CW002 critical obj-a high; CW002 critical obj-a medium" {
		t.Errorf("got %s", got)
	}
	if info := Catalog(cfg)[iCW002]; info.Severity != Critical {
		t.Errorf("catalog severity = %s", info.Severity)
	}
}

func TestDisabledRuleProducesNothing(t *testing.T) {
	obj := app("a", "n", secret("k1", "", now.Add(-day), now.Add(day)))
	cfg := DefaultConfig()
	if got := summary(Evaluate(tenant(obj), cfg, now)); got != "CW002 high obj-a k1; CW005 low obj-a k1" {
		t.Fatalf("default: %s", got)
	}
	cfg.Rules.CW005.Enabled = false
	if got := summary(Evaluate(tenant(obj), cfg, now)); got != "CW002 high obj-a k1" {
		t.Errorf("CW005 disabled: %s", got)
	}
	if Catalog(cfg)[iCW005].Enabled {
		t.Error("catalog says CW005 enabled")
	}
}

func TestScoping(t *testing.T) {
	mk := func(id, name string, tags ...string) inventory.Object {
		o := app(id, name, secret(id+"-k", "", now.Add(-day), now.Add(day)))
		o.Tags = tags
		return o
	}
	objs := []inventory.Object{
		mk("prod-1", "prod-billing"),
		mk("prod-2", "PROD-hr", "HideApp"),
		mk("dev-1", "dev-billing", "tier0"),
		mk("legacy", "legacy-thing"),
	}
	cases := []struct {
		name string
		set  func(c *Config)
		want string // object ids with findings, in order
	}{
		{"no scope", func(*Config) {}, "obj-dev-1 obj-legacy obj-prod-1 obj-prod-2"},
		{"global exclude by tag", func(c *Config) { c.Scope.Exclude.Tags = []string{"hideapp"} },
			"obj-dev-1 obj-legacy obj-prod-1"},
		{"rule include by name glob", func(c *Config) { c.Rules.CW002.Scope.Include.Names = []string{"prod-*"} },
			"obj-prod-1 obj-prod-2"},
		{"include by name, exclude by app id", func(c *Config) {
			c.Rules.CW002.Scope.Include.Names = []string{"prod-*"}
			c.Rules.CW002.Scope.Exclude.AppIDs = []string{"PROD-2"}
		}, "obj-prod-1"},
		{"include by tag or app id", func(c *Config) {
			c.Rules.CW002.Scope.Include.Tags = []string{"tier0"}
			c.Rules.CW002.Scope.Include.AppIDs = []string{"legacy"}
		}, "obj-dev-1 obj-legacy"},
		{"global and rule scope together", func(c *Config) {
			c.Scope.Include.Names = []string{"*billing"}
			c.Rules.CW002.Scope.Exclude.Names = []string{"dev-*"}
		}, "obj-prod-1"},
		{"scope of another rule does not matter", func(c *Config) { c.Rules.CW005.Scope.Include.Names = []string{"nothing"} },
			"obj-dev-1 obj-legacy obj-prod-1 obj-prod-2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := onlyRule("CW002")
			tc.set(cfg)
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, f := range Evaluate(tenant(objs...), cfg, now) {
				ids = append(ids, f.ObjectID)
			}
			if got := strings.Join(sortedCopy(ids), " "); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

// compareFindings is the documented order of Evaluate's result.
func compareFindings(a, b Finding) int {
	if a.Severity != b.Severity {
		return cmp.Compare(b.Severity, a.Severity)
	}
	switch {
	case a.Deadline != nil && b.Deadline != nil:
		if c := a.Deadline.Compare(*b.Deadline); c != 0 {
			return c
		}
	case a.Deadline != nil:
		return -1
	case b.Deadline != nil:
		return 1
	}
	return cmp.Compare(a.ID, b.ID)
}

func sortedCopy(s []string) []string {
	out := append([]string(nil), s...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestExceptions(t *testing.T) {
	objs := []inventory.Object{
		app("11111111-1111-1111-1111-111111111111", "legacy-vendor",
			secret("k1", "x", now.Add(-day), now.Add(2*day)),
			cert("k2", "y", now.Add(-day), now.Add(3*day))),
		app("22222222-2222-2222-2222-222222222222", "billing", secret("k3", "z", now.Add(-day), now.Add(4*day))),
	}
	day1 := func(s string) Date { return Date{Time: at(s + "T00:00:00Z"), DayOnly: true} }
	cases := []struct {
		name string
		ex   []Exception
		want string
		msg  string // message of the CW099 finding, if any
	}{
		{"none", nil, "CW002 high obj-11111111-1111-1111-1111-111111111111 k1; CW002 high obj-11111111-1111-1111-1111-111111111111 k2; CW002 high obj-22222222-2222-2222-2222-222222222222 k3", ""},
		{"by app id suppresses both keys", []Exception{{Rule: "CW002", AppID: "11111111-1111-1111-1111-111111111111", Reason: "vendor", Expires: day1("2026-07-01")}},
			"CW002 high obj-11111111-1111-1111-1111-111111111111 k1 suppressed; CW002 high obj-11111111-1111-1111-1111-111111111111 k2 suppressed; CW002 high obj-22222222-2222-2222-2222-222222222222 k3", ""},
		{"by glob and key", []Exception{{Rule: "CW002", App: "LEGACY-*", KeyID: "k2", Reason: "vendor", Expires: day1("2026-07-01")}},
			"CW002 high obj-11111111-1111-1111-1111-111111111111 k1; CW002 high obj-11111111-1111-1111-1111-111111111111 k2 suppressed; CW002 high obj-22222222-2222-2222-2222-222222222222 k3", ""},
		{"app id and glob must both match", []Exception{{Rule: "CW002", AppID: "22222222-2222-2222-2222-222222222222", App: "legacy-*", Reason: "r", Expires: day1("2026-07-01")}},
			"CW002 high obj-11111111-1111-1111-1111-111111111111 k1; CW002 high obj-11111111-1111-1111-1111-111111111111 k2; CW002 high obj-22222222-2222-2222-2222-222222222222 k3", ""},
		{"another rule's exception", []Exception{{Rule: "CW003", App: "*", Reason: "r", Expires: day1("2026-07-01")}},
			"CW002 high obj-11111111-1111-1111-1111-111111111111 k1; CW002 high obj-11111111-1111-1111-1111-111111111111 k2; CW002 high obj-22222222-2222-2222-2222-222222222222 k3", ""},
		{"a day-only date lasts through that day", []Exception{{Rule: "CW002", App: "billing", Reason: "r", Expires: day1("2026-06-15")}},
			"CW002 high obj-11111111-1111-1111-1111-111111111111 k1; CW002 high obj-11111111-1111-1111-1111-111111111111 k2; CW002 high obj-22222222-2222-2222-2222-222222222222 k3 suppressed", ""},
		{"expired yesterday: reported, not suppressing", []Exception{{Rule: "CW002", AppID: "22222222-2222-2222-2222-222222222222", Reason: "waiting on\nvendor", Expires: day1("2026-06-14")}},
			"CW002 high obj-11111111-1111-1111-1111-111111111111 k1; CW002 high obj-11111111-1111-1111-1111-111111111111 k2; CW002 high obj-22222222-2222-2222-2222-222222222222 k3; CW099 low ",
			`exception for CW002 on app "billing" (22222222-2222-2222-2222-222222222222) expired 2026-06-14; it said: "waiting on vendor"`},
		{"exact instant: expired at now", []Exception{{Rule: "CW002", App: "legacy-*", KeyID: "k1", Reason: "r", Expires: Date{Time: now}}},
			"CW002 high obj-11111111-1111-1111-1111-111111111111 k1; CW002 high obj-11111111-1111-1111-1111-111111111111 k2; CW002 high obj-22222222-2222-2222-2222-222222222222 k3; CW099 low  k1",
			`exception for CW002 on apps matching "legacy-*", key k1 expired 2026-06-15T12:00:00Z; it said: "r"`},
		{"exact instant: one second left", []Exception{{Rule: "CW002", App: "legacy-*", KeyID: "k1", Reason: "r", Expires: Date{Time: now.Add(time.Second)}}},
			"CW002 high obj-11111111-1111-1111-1111-111111111111 k1 suppressed; CW002 high obj-11111111-1111-1111-1111-111111111111 k2; CW002 high obj-22222222-2222-2222-2222-222222222222 k3", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := onlyRule("CW002")
			cfg.Rules.CW099.Enabled = true
			cfg.Exceptions = tc.ex
			if err := cfg.Validate(); err != nil {
				t.Fatal(err)
			}
			fs := Evaluate(tenant(objs...), cfg, now)
			if got := summary(fs); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			for _, f := range fs {
				if f.Suppressed && f.SuppressionReason != tc.ex[0].Reason {
					t.Errorf("suppression reason %q", f.SuppressionReason)
				}
				if f.RuleID == "CW099" {
					if f.Message != tc.msg {
						t.Errorf("CW099 message:\n got %s\nwant %s", f.Message, tc.msg)
					}
					if f.Evidence["reason"] != tc.ex[0].Reason || f.Deadline == nil || !f.Deadline.Equal(tc.ex[0].Expires.Until()) {
						t.Errorf("CW099 finding: %+v", f)
					}
				}
			}
		})
	}
}

func TestExpiredExceptionIDIsStableAndRuleCanBeDisabled(t *testing.T) {
	cfg := onlyRule("CW002")
	cfg.Rules.CW099.Enabled = true
	cfg.Exceptions = []Exception{{Rule: "CW002", App: "x*", Reason: "r", Expires: Date{Time: at("2026-01-01T00:00:00Z"), DayOnly: true}}}
	fs := Evaluate(tenant(), cfg, now)
	if len(fs) != 1 || fs[0].ID != FindingID("CW099", "|x*", "CW002|") {
		t.Fatalf("got %+v", fs)
	}
	cfg.Rules.CW099.Enabled = false
	if fs := Evaluate(tenant(), cfg, now); len(fs) != 0 {
		t.Errorf("CW099 disabled but got %s", summary(fs))
	}
	if fs := Evaluate(nil, cfg, now); len(fs) != 0 || fs == nil {
		t.Errorf("nil tenant: %#v", fs)
	}
}

func TestNilConfigIsTheDefault(t *testing.T) {
	obj := app("a", "n", secret("k1", "", now.Add(-day), now.Add(day)))
	if !reflect.DeepEqual(Evaluate(tenant(obj), nil, now), Evaluate(tenant(obj), DefaultConfig(), now)) {
		t.Error("nil config differs from DefaultConfig")
	}
}

func TestInvalidConfigDoesNotCrashEvaluate(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Rules.CW002.CriticalDays = -5
	cfg.Rules.CW002.WarningDays = 1 << 40
	cfg.Rules.CW004.NeverExpiresYears = -1
	cfg.Rules.CW005.DescriptionPattern = "(["
	cfg.Rules.CW007.MaxActiveSecrets = -1
	cfg.Scope.Include.Names = []string{"["}
	cfg.Exceptions = []Exception{{Rule: "CW404"}, {Rule: "CW002", App: "["}}
	_ = Evaluate(tenant(app("a", "n", validSecret("k"))), cfg, now)
}

func TestEveryFindingHasTheFieldsConsumersNeed(t *testing.T) {
	o := withPerms(app("a", "n",
		secret("k1", "", now.Add(-400*day), now.Add(2*day)),
		secret("k2", "", now.Add(-400*day), now.Add(-2*day)),
		secret("k3", "", time.Time{}, time.Time{}), validSecret("k4")), "Mail.Send")
	o.SignInAudience = "AzureADMultipleOrgs"
	o.Owners = []*inventory.Owner{{Type: inventory.OwnerUser, ID: "u", UserPrincipalName: "u@x"}}
	s := sp("a", "n", validSecret("sk"))
	fs := Evaluate(tenant(o, s), nil, now)
	rules := map[string]bool{}
	for _, f := range fs {
		rules[f.RuleID] = true
		if f.ID == "" || f.RuleID == "" || f.ObjectID == "" || f.ObjectType == "" || f.AppID != "a" || f.AppName != "n" || f.Message == "" {
			t.Errorf("incomplete finding %+v", f)
		}
		if _, ok := Lookup(f.RuleID); !ok {
			t.Errorf("finding of unknown rule %s", f.RuleID)
		}
	}
	for _, id := range []string{"CW001", "CW002", "CW003", "CW004", "CW005", "CW006", "CW007", "CW008", "CW010", "CW011"} {
		if !rules[id] {
			t.Errorf("no %s finding in the all-rules tenant:\n%s", id, messages(fs))
		}
	}
}

func TestCatalogAndLookup(t *testing.T) {
	cat := Catalog(nil)
	if len(cat) != numRules {
		t.Fatalf("catalog has %d rules", len(cat))
	}
	for i, r := range cat {
		if i > 0 && cat[i-1].ID >= r.ID {
			t.Errorf("catalog not in id order at %s", r.ID)
		}
		if r.Title == "" || r.Why == "" || r.Fix == "" || r.Details == "" || !r.Enabled {
			t.Errorf("%s incomplete: %+v", r.ID, r)
		}
		if !strings.Contains(r.Fix, "az ") && !strings.Contains(r.Fix, "Graph") && r.ID != "CW099" {
			t.Errorf("%s fix names neither an Azure CLI nor a Graph step", r.ID)
		}
		got, ok := Lookup(r.ID)
		if !ok || !reflect.DeepEqual(got, r) {
			t.Errorf("Lookup(%s) = %+v, %v", r.ID, got, ok)
		}
	}
	if _, ok := Lookup("CW009"); ok {
		t.Error("Lookup found CW009")
	}
	cfg := DefaultConfig()
	cfg.Rules.CW002.CriticalDays = 3
	if th := Catalog(cfg)[iCW002].Thresholds; th["criticalDays"] != "3" || th["warningDays"] != "30" {
		t.Errorf("thresholds = %v", th)
	}
	wantSev := map[string]Severity{"CW001": Medium, "CW002": High, "CW003": Medium, "CW004": High, "CW005": Low,
		"CW006": Medium, "CW007": Low, "CW008": Medium, "CW010": High, "CW011": Low,
		"CW020": High, "CW021": High, "CW022": Medium, "CW030": High, "CW031": Medium, "CW040": Medium, "CW041": Medium,
		"CW050": Low, "CW051": Medium, "CW052": High, "CW060": Medium, "CW061": Medium, "CW062": Medium, "CW063": Info,
		"CW099": Low}
	for _, r := range cat {
		if wantSev[r.ID] != r.Severity {
			t.Errorf("%s default severity %s, want %s", r.ID, r.Severity, wantSev[r.ID])
		}
	}
}

func TestAppendDateMatchesTimeFormat(t *testing.T) {
	for _, tm := range []time.Time{now, at("2024-02-29T23:59:59Z"), at("0001-01-01T00:00:00Z"), at("9999-12-31T23:59:59Z"),
		time.Date(2026, 1, 1, 1, 0, 0, 0, time.FixedZone("UTC+2", 7200)), time.Date(-5, 1, 1, 0, 0, 0, 0, time.UTC)} {
		if got, want := string(appendDate(nil, tm)), tm.UTC().Format(time.DateOnly); got != want {
			t.Errorf("appendDate(%v) = %s, want %s", tm, got, want)
		}
	}
}

func TestSortKeysOrderLikeCompareFindings(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	var fs findings
	obj := &inventory.Object{ID: "o"}
	deadlines := []time.Time{now, now.Add(time.Nanosecond), now.Add(-time.Hour), at("9999-12-31T23:59:59Z"), at("0001-01-01T00:00:00Z").Add(time.Second)}
	for i := range 3000 {
		f := Finding{Severity: Severity(r.IntN(5)), ID: FindingID("CW001", "o", string(rune(i)))}
		if i%7 == 0 {
			f.ID = "same-pre" + f.ID[8:] // ties on the 8-byte prefix fall back to the whole id
		}
		if i%11 == 0 {
			f.ID = f.ID[:r.IntN(10)] // short ids, prefixes of others
		}
		if k := r.IntN(len(deadlines) + 1); k < len(deadlines) {
			d := deadlines[k]
			f.Deadline = &d
		}
		if i%3 == 0 {
			fs.addWhole(f)
			continue
		}
		rec := fs.next()
		rec.obj, rec.sev, rec.sec = obj, f.Severity, noDeadline
		rec.idMsg = (f.ID + strings.Repeat("-", 32))[:32] + "message"
		if f.Deadline != nil {
			rec.sec, rec.nsec = f.Deadline.Unix(), int32(f.Deadline.Nanosecond())
		}
	}
	got := fs.sorted()
	if len(got) != 3000 {
		t.Fatalf("%d findings", len(got))
	}
	for i := 1; i < len(got); i++ {
		if compareFindings(got[i-1], got[i]) > 0 {
			t.Fatalf("out of order at %d: %+v then %+v", i, got[i-1], got[i])
		}
	}
}

func TestCredentialsWithoutFindingsDoNotAllocate(t *testing.T) {
	healthy := func(n int) *inventory.Tenant {
		var objs []inventory.Object
		for i := range n {
			id := strings.Repeat("x", i%7) + string(rune('a'+i%26))
			o := withPerms(app(id, "app", validSecret("k1"), cert("c1", "c", now.Add(-day), now.Add(300*day)), federated("f1", "gh")), "User.Read.All")
			o.Owners = []*inventory.Owner{{ID: "u"}}
			objs = append(objs, o, sp(id, "app"))
		}
		return tenant(objs...)
	}
	small, large := healthy(10), healthy(1000)
	cfg := DefaultConfig()
	if fs := Evaluate(large, cfg, now); len(fs) != 0 {
		t.Fatalf("healthy tenant has findings:\n%s", messages(fs))
	}
	a := testing.AllocsPerRun(5, func() { Evaluate(small, cfg, now) })
	b := testing.AllocsPerRun(5, func() { Evaluate(large, cfg, now) })
	if b != a {
		t.Errorf("allocations grow with clean credentials: %v for 30, %v for 3000", a, b)
	}
}
