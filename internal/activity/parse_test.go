package activity

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/inventory"
	"github.com/credwatch/credwatch/internal/msgraph"
)

var update = flag.Bool("update", false, "rewrite testdata golden files")

const (
	appObj = "8b1e0a2c-0000-4000-8000-000000000001"
	spObj  = "5d1c0a2c-0000-4000-8000-000000000002"
	appID  = "c0ffee00-0000-4000-8000-000000000002"
	keyA   = "c7890f61-2f17-478f-bc60-60fd19c09588"
	keyB   = "0b9f1c3e-5a1d-4e0b-9b7f-2f6d8e1a4c55"
	keyC   = "5f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"
	keyCrt = "83f45296-fb8f-4aaa-a399-ac51084e02b7"
)

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func loadActivity(t *testing.T) *msgraph.Activity {
	t.Helper()
	data, err := os.ReadFile("testdata/activity.json")
	if err != nil {
		t.Fatal(err)
	}
	var a msgraph.Activity
	if err := json.Unmarshal(data, &a); err != nil {
		t.Fatal(err)
	}
	return &a
}

func testTenant() *inventory.Tenant {
	return &inventory.Tenant{ID: "tenant", Complete: true, Objects: []inventory.Object{
		{Type: inventory.Application, ID: appObj, AppID: appID, DisplayName: "billing-sync"},
		{Type: inventory.ServicePrincipal, ID: spObj, AppID: appID, DisplayName: "billing-sync"},
	}}
}

func parseFixture(t *testing.T) *Evidence {
	t.Helper()
	ev, err := Parse(loadActivity(t), testTenant())
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

func TestParseMatchesGolden(t *testing.T) {
	got, err := json.MarshalIndent(parseFixture(t), "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	const path = "testdata/evidence.golden.json"
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("evidence differs from %s; run go test ./internal/activity -run TestParseMatchesGolden -update and review the diff", path)
	}
}

func TestParseCredentialChanges(t *testing.T) {
	ev := parseFixture(t)
	cases := []struct {
		name    string
		m       map[string]Change
		key     string
		check   func(c Change) bool
		explain string
	}{
		{"en dash and trailing space name, user actor", ev.CredentialAdded, keyA, func(c Change) bool {
			return c.ObjectID == appObj && c.ObjectType == inventory.Application && c.AppID == appID &&
				c.CredentialType == inventory.Secret && c.DisplayName == "ci-deploy" &&
				c.When.Equal(at("2026-06-01T07:43:07.0421234Z")) && c.When.Location() == time.UTC &&
				c.Actor == Actor{Type: ActorUser, ID: "u-admin", Name: "admin@contoso.example", IP: "198.51.100.10"} &&
				c.UserAgent == "python-requests/2.32.3" && c.RecordID == "Directory_aaa_1"
		}, "admin added ci-deploy on the application"},
		{"period-suffixed name, app actor, commas in the display name", ev.CredentialAdded, keyB, func(c Change) bool {
			return c.ObjectID == spObj && c.ObjectType == inventory.ServicePrincipal &&
				c.DisplayName == "backup, rotated=2026, [old] copy" && c.KeyType == "Password" &&
				c.Actor == Actor{Type: ActorApp, ID: "sp-deploy", Name: "github-deploy", AppID: "a11ce000-0000-4000-8000-000000000009"}
		}, "github-deploy added the backup secret on the service principal"},
		{"certificate added in the same record as a removal", ev.CredentialAdded, keyCrt, func(c Change) bool {
			return c.CredentialType == inventory.Certificate && c.DisplayName == "CN=billing-sync, O=Contoso" &&
				c.Actor.Name == "mallory@contoso.example" && c.UserAgent == "curl/8.5.0"
		}, "mallory added the certificate"},
		{"removal", ev.CredentialRemoved, keyC, func(c Change) bool {
			return c.ObjectID == appObj && c.DisplayName == "legacy" && c.Actor.IP == "203.0.113.66" &&
				c.When.Equal(at("2026-06-03T09:30:00.5Z"))
		}, "mallory removed legacy"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, ok := tc.m[tc.key]
			if !ok {
				t.Fatalf("no change for key %s", tc.key)
			}
			if !tc.check(c) {
				t.Errorf("want %s; got %+v", tc.explain, c)
			}
		})
	}
	if len(ev.CredentialAdded) != 3 || len(ev.CredentialRemoved) != 1 {
		t.Errorf("added %d, removed %d; want 3 and 1 (the failed record and the plain update are ignored)",
			len(ev.CredentialAdded), len(ev.CredentialRemoved))
	}
}

func TestParseOwnerAdded(t *testing.T) {
	ev := parseFixture(t)
	want := OwnerChange{RecordID: "Directory_ddd_1", ObjectID: appObj, ObjectType: inventory.Application, AppID: appID,
		OwnerID: "u-bob", OwnerType: inventory.OwnerUser, OwnerName: "bob@contoso.example", When: at("2026-06-04T08:00:00Z"),
		Actor: Actor{Type: ActorUser, ID: "u-admin", Name: "admin@contoso.example", IP: "198.51.100.10"}}
	if len(ev.OwnerAdded) != 1 || ev.OwnerAdded[0] != want {
		t.Errorf("owner changes = %+v\nwant %+v", ev.OwnerAdded, want)
	}
}

func TestParseOwnerWithoutObjectProperties(t *testing.T) {
	// An owner service principal added to a service principal, without
	// the ObjectID property: the object is the last target of the type.
	a := &msgraph.Activity{DefaultAppManagementPolicy: &msgraph.TenantAppManagementPolicy{}, DirectoryAudits: []msgraph.DirectoryAudit{{
		ID: "r1", ActivityDisplayName: "Add owner to service principal.", ActivityDateTime: "2026-06-04T08:00:00Z",
		InitiatedBy: msgraph.AuditActor{User: &msgraph.AuditUser{UserPrincipalName: "admin@contoso.example"}},
		TargetResources: []msgraph.TargetResource{
			{ID: "sp-owner", DisplayName: "robot", Type: "ServicePrincipal"},
			{ID: spObj, DisplayName: "billing-sync", Type: "ServicePrincipal"},
		},
	}}}
	ev, err := Parse(a, testTenant())
	if err != nil {
		t.Fatal(err)
	}
	if len(ev.OwnerAdded) != 1 {
		t.Fatalf("owner changes = %+v", ev.OwnerAdded)
	}
	o := ev.OwnerAdded[0]
	if o.ObjectID != spObj || o.OwnerID != "sp-owner" || o.OwnerType != inventory.OwnerServicePrincipal || o.OwnerName != "robot" || o.AppID != appID {
		t.Errorf("owner change = %+v", o)
	}
}

func TestParseSignIns(t *testing.T) {
	ev := parseFixture(t)
	if ev.SkippedSignIns != 1 {
		t.Errorf("skipped = %d, want 1 (the unparseable address)", ev.SkippedSignIns)
	}
	var ids []string
	for _, s := range ev.SignIns {
		ids = append(ids, s.ID)
	}
	if strings.Join(ids, ",") != "si-1,si-2,si-3" {
		t.Fatalf("sign-ins in order %v, want by time", ids)
	}
	s := ev.SignIns[1]
	if s.IP.String() != "2001:db8:5f0c::1a" || s.Location != "Dublin, Dublin, IE" || s.AppID != appID || s.KeyID != keyA || !s.Success {
		t.Errorf("sign-in si-2 = %+v", s)
	}
	if f := ev.SignIns[2]; f.Success || f.Location != "DE" || f.KeyID != "" {
		t.Errorf("failed sign-in si-3 = %+v", f)
	}
}

func TestParseUsageTakesTheLatestOfEveryField(t *testing.T) {
	ev := parseFixture(t)
	u := ev.Usage
	if got := u.Keys[keyA].LastSignIn; !got.Equal(at("2026-06-12T06:00:00Z")) {
		t.Errorf("key A last sign-in = %v, want the non-interactive one", got)
	}
	if got := u.KeyLastSignIn[keyA]; !got.Equal(at("2026-06-12T06:00:00Z")) {
		t.Errorf("key A merged last sign-in = %v", got)
	}
	if got := u.AppLastSignIn[appID]; !got.Equal(at("2026-06-12T06:00:00Z")) {
		t.Errorf("app last sign-in = %v", got)
	}
	if k, ok := u.Keys[keyB]; !ok || !k.LastSignIn.IsZero() || k.Origin != "servicePrincipal" {
		t.Errorf("never-used key B = %+v (present %v)", k, ok)
	}
	if _, ok := u.KeyLastSignIn[keyB]; ok {
		t.Error("a never-used key has a last sign-in")
	}
}

func TestParseUsageDocumentationVariants(t *testing.T) {
	// Microsoft's examples: expirationDate, keyType "secret", offsets
	// with a one-digit hour.
	cases := []struct {
		name string
		rec  msgraph.AppCredentialSignInActivity
		want KeyUsage
	}{
		{"schema names", msgraph.AppCredentialSignInActivity{ID: "1", KeyID: "K1", AppID: "A", KeyType: "clientSecret",
			ExpirationDateTime: "2025-04-01T21:36:48Z", SignInActivity: &msgraph.SignInActivity{LastSignInDateTime: "2025-03-18T00:00:00Z"}},
			KeyUsage{KeyID: "k1", AppID: "a", KeyType: "clientSecret", Expires: at("2025-04-01T21:36:48Z"), LastSignIn: at("2025-03-18T00:00:00Z")}},
		{"doc spellings", msgraph.AppCredentialSignInActivity{ID: "2", KeyID: "k2", KeyType: "secret",
			ExpirationDate: "2021-04-01T21:36:48-8:00", SignInActivity: &msgraph.SignInActivity{LastSignInDateTime: "2021-03-18T00:00:00-8:00"}},
			KeyUsage{KeyID: "k2", KeyType: "clientSecret", Expires: at("2021-04-02T05:36:48Z"), LastSignIn: at("2021-03-18T08:00:00Z")}},
		{"expirationDateTime wins over expirationDate", msgraph.AppCredentialSignInActivity{ID: "3", KeyID: "k3", KeyType: "certificate",
			ExpirationDateTime: "2030-01-01T00:00:00+05:30", ExpirationDate: "garbage"},
			KeyUsage{KeyID: "k3", KeyType: "certificate", Expires: at("2029-12-31T18:30:00Z")}},
		{"one-digit positive offset and fractions", msgraph.AppCredentialSignInActivity{ID: "4", KeyID: "k4",
			SignInActivity: &msgraph.SignInActivity{LastSuccessfulSignInDateTime: "2021-03-18T10:00:00.5+5:30"}},
			KeyUsage{KeyID: "k4", LastSignIn: at("2021-03-18T04:30:00.5Z")}},
		{"empty signInActivity", msgraph.AppCredentialSignInActivity{ID: "5", KeyID: "k5", SignInActivity: &msgraph.SignInActivity{}},
			KeyUsage{KeyID: "k5"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := Parse(&msgraph.Activity{CredentialSignInActivities: []msgraph.AppCredentialSignInActivity{tc.rec}}, nil)
			if err != nil {
				t.Fatal(err)
			}
			got := ev.Usage.Keys[tc.want.KeyID]
			if got != tc.want {
				t.Errorf("usage = %+v\nwant    %+v", got, tc.want)
			}
		})
	}
}

func TestParsePolicy(t *testing.T) {
	ev := parseFixture(t)
	p := ev.Policy
	if p == nil || !p.Enabled {
		t.Fatalf("policy = %+v", p)
	}
	life, ok := p.Application.Find("passwordLifetime")
	if !ok || !life.Enabled || life.MaxLifetime != 90*24*time.Hour || !life.CreatedAfter.Equal(at("2017-01-01T10:37:00Z")) {
		t.Errorf("passwordLifetime = %+v", life)
	}
	add, ok := p.Application.Find("passwordAddition")
	if !ok || add.MaxLifetime != 0 || !add.CreatedAfter.Equal(at("2021-01-01T10:37:00Z")) {
		t.Errorf("passwordAddition = %+v", add)
	}
	cert, ok := p.Application.Find("asymmetricKeyLifetime")
	if !ok || cert.Enabled || cert.MaxLifetime != 365*24*time.Hour || !cert.CreatedAfter.IsZero() {
		t.Errorf("asymmetricKeyLifetime = %+v", cert)
	}
	if _, ok := p.ServicePrincipal.Find("passwordLifetime"); ok {
		t.Error("service principals have no restrictions in the fixture")
	}
	if len(ev.Policies) != 1 {
		t.Fatalf("custom policies = %+v", ev.Policies)
	}
	cp := ev.Policies[0]
	x, _ := cp.Restrictions.Find("passwordLifetime")
	want := 4*24*time.Hour + 12*time.Hour + 30*time.Minute + 5*time.Second
	if cp.ID != "pol-2" || x.MaxLifetime != want || strings.Join(cp.AppliesTo, ",") != appObj+",aaa-sp" {
		t.Errorf("custom policy = %+v", cp)
	}
	if !ev.Available(PartDefaultPolicy) || !ev.Available(PartAudits) {
		t.Errorf("parts unavailable: %v", ev.Unavailable)
	}
}

func TestRestrictionAppliesTo(t *testing.T) {
	cutoff := at("2021-01-01T00:00:00Z")
	cases := []struct {
		name    string
		after   time.Time
		created time.Time
		want    bool
	}{
		{"no cutoff covers everything", time.Time{}, time.Time{}, true},
		{"created after the cutoff", cutoff, cutoff.Add(time.Second), true},
		{"created exactly at the cutoff", cutoff, cutoff, false},
		{"created before", cutoff, cutoff.Add(-time.Hour), false},
		{"unknown creation with a cutoff", cutoff, time.Time{}, false},
	}
	for _, tc := range cases {
		if got := (Restriction{CreatedAfter: tc.after}).AppliesTo(tc.created); got != tc.want {
			t.Errorf("%s: AppliesTo = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestParseWithoutActivityMarksEveryPartUnavailable(t *testing.T) {
	ev, err := Parse(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range Parts {
		if ev.Available(p) {
			t.Errorf("part %s available without data", p)
		}
	}
	var nilEv *Evidence
	if nilEv.Available(PartAudits) {
		t.Error("nil evidence has a part")
	}
	ev, err = Parse(&msgraph.Activity{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ev.Available(PartDefaultPolicy) || !ev.Available(PartSignIns) {
		t.Errorf("empty activity: unavailable = %v; want only the missing default policy", ev.Unavailable)
	}
}

func TestParseRejectsMalformedRecordsNamingThem(t *testing.T) {
	credRecord := func(date, newValue string) msgraph.DirectoryAudit {
		return msgraph.DirectoryAudit{ID: "Directory_bad_1", ActivityDisplayName: "Add service principal credentials",
			ActivityDateTime: date, TargetResources: []msgraph.TargetResource{{ID: spObj, Type: "ServicePrincipal",
				ModifiedProperties: []msgraph.ModifiedProperty{{DisplayName: "KeyDescription", OldValue: ptr("[]"), NewValue: ptr(newValue)}}}}}
	}
	good := `["[KeyIdentifier=k,KeyType=Password,KeyUsage=Verify,DisplayName=x]"]`
	policy := func(maxLife, after string) *msgraph.TenantAppManagementPolicy {
		return &msgraph.TenantAppManagementPolicy{ApplicationRestrictions: &msgraph.AppRestrictions{PasswordCredentials: []msgraph.CredentialRestriction{
			{RestrictionType: "passwordLifetime", MaxLifetime: ptr(maxLife), RestrictForAppsCreatedAfterDateTime: ptr(after)}}}}
	}
	cases := []struct {
		name string
		a    msgraph.Activity
		want string
	}{
		{"bad audit date", msgraph.Activity{DirectoryAudits: []msgraph.DirectoryAudit{credRecord("2026-13-01T00:00:00Z", good)}},
			`directory audit "Directory_bad_1": activityDateTime: cannot parse "2026-13-01T00:00:00Z": month out of range`},
		{"missing audit date", msgraph.Activity{DirectoryAudits: []msgraph.DirectoryAudit{credRecord("", good)}},
			`directory audit "Directory_bad_1": activityDateTime: missing`},
		{"KeyDescription not a list", msgraph.Activity{DirectoryAudits: []msgraph.DirectoryAudit{credRecord("2026-06-01T00:00:00Z", `{"a":1}`)}},
			`directory audit "Directory_bad_1": targetResources[0].KeyDescription newValue: KeyDescription is not a JSON array of strings`},
		{"KeyDescription entry without id", msgraph.Activity{DirectoryAudits: []msgraph.DirectoryAudit{credRecord("2026-06-01T00:00:00Z", `["[KeyType=Password]"]`)}},
			`targetResources[0].KeyDescription newValue: KeyDescription entry 0: no KeyIdentifier`},
		{"bad sign-in date", msgraph.Activity{SignIns: []msgraph.SignIn{{ID: "si-9", IPAddress: "192.0.2.1", CreatedDateTime: "yesterday"}}},
			`sign-in "si-9": createdDateTime: cannot parse "yesterday"`},
		{"bad usage date", msgraph.Activity{CredentialSignInActivities: []msgraph.AppCredentialSignInActivity{{ID: "u-1", KeyID: "k",
			SignInActivity: &msgraph.SignInActivity{LastSignInDateTime: "2021-02-30T00:00:00Z"}}}},
			`credential usage record "u-1": signInActivity.lastSignInDateTime: cannot parse "2021-02-30T00:00:00Z": day out of range`},
		{"usage without key id", msgraph.Activity{CredentialSignInActivities: []msgraph.AppCredentialSignInActivity{{ID: "u-2"}}},
			`credential usage record "u-2": keyId: missing`},
		{"policy in years", msgraph.Activity{DefaultAppManagementPolicy: policy("P1Y", "")},
			`defaultAppManagementPolicy.applicationRestrictions.passwordCredentials[0].maxLifetime: invalid ISO 8601 duration "P1Y": years have no fixed length`},
		{"policy bad cutoff", msgraph.Activity{DefaultAppManagementPolicy: policy("P90D", "soon")},
			`defaultAppManagementPolicy.applicationRestrictions.passwordCredentials[0].restrictForAppsCreatedAfterDateTime: cannot parse "soon"`},
		{"bad window", msgraph.Activity{AuditSince: "2026-06-01T25:00:00Z"}, `activity auditSince: cannot parse`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := Parse(&tc.a, nil)
			if err == nil {
				t.Fatalf("parsed: %+v", ev)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error = %v\nwant it to contain %s", err, tc.want)
			}
		})
	}
}

func ptr(s string) *string { return &s }
