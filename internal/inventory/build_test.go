package inventory

import (
	"cmp"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/msgraph"
)

func str(s string) *string { return &s }

func key(id, cki, usage, keyType, displayName string) msgraph.KeyCredential {
	k := msgraph.KeyCredential{KeyID: id, Usage: usage, Type: keyType, DisplayName: str(displayName),
		StartDateTime: "2025-01-01T00:00:00Z", EndDateTime: "2026-01-01T00:00:00Z"}
	if cki != "" {
		k.CustomKeyIdentifier = str(cki)
	}
	return k
}

// buildKeysOf builds a snapshot holding one application with these keys
// and returns its credentials.
func buildKeysOf(t *testing.T, keys ...msgraph.KeyCredential) []Credential {
	t.Helper()
	s := &Snapshot{Directory: msgraph.Directory{Applications: []msgraph.Application{{ID: "a1", DisplayName: "saml-gateway", KeyCredentials: keys}}}}
	tenant, err := Build(s, "test")
	if err != nil {
		t.Fatal(err)
	}
	return tenant.Objects[0].Credentials
}

func TestBuildPairsSignAndVerifyKeysByCustomKeyIdentifier(t *testing.T) {
	const a, b = "s4gluwzvJYzrTyhvHKdfdJiYUik=", "u10QZEN9hyClxTB4GF5qNhp4sQo="
	type want struct{ keyID, usage, paired, thumbprint string }
	tests := []struct {
		name string
		keys []msgraph.KeyCredential
		want []want
	}{
		{
			"pair becomes one credential with the Verify key's id",
			[]msgraph.KeyCredential{key("sign", a, "Sign", "X509CertAndPassword", "CN=gw"), key("verify", a, "Verify", "AsymmetricX509Cert", "CN=gw")},
			[]want{{"verify", "Sign,Verify", "sign", "B38825BB0CEF258CEB4F286F1CA75F7498985229"}},
		},
		{
			"same display name, different certificates stay two",
			[]msgraph.KeyCredential{key("v1", a, "Verify", "AsymmetricX509Cert", "CN=gw"), key("v2", b, "Verify", "AsymmetricX509Cert", "CN=gw")},
			[]want{{"v1", "Verify", "", "B38825BB0CEF258CEB4F286F1CA75F7498985229"}, {"v2", "Verify", "", "BB5D1064437D8720A5C53078185E6A361A78B10A"}},
		},
		{
			"same display name, Sign and Verify of different certificates are not paired",
			[]msgraph.KeyCredential{key("s1", a, "Sign", "X509CertAndPassword", "CN=gw"), key("v2", b, "Verify", "AsymmetricX509Cert", "CN=gw")},
			[]want{{"s1", "Sign", "", "B38825BB0CEF258CEB4F286F1CA75F7498985229"}, {"v2", "Verify", "", "BB5D1064437D8720A5C53078185E6A361A78B10A"}},
		},
		{
			"no identifier, no pairing",
			[]msgraph.KeyCredential{key("s1", "", "Sign", "X509CertAndPassword", "CN=gw"), key("v1", "", "Verify", "AsymmetricX509Cert", "CN=gw")},
			[]want{{"s1", "Sign", "", ""}, {"v1", "Verify", "", ""}},
		},
		{
			"one Sign pairs with one of two Verify copies",
			[]msgraph.KeyCredential{key("v1", a, "Verify", "AsymmetricX509Cert", "CN=gw"), key("v2", a, "Verify", "AsymmetricX509Cert", "CN=gw"), key("s1", a, "Sign", "X509CertAndPassword", "CN=gw")},
			[]want{{"v1", "Sign,Verify", "s1", "B38825BB0CEF258CEB4F286F1CA75F7498985229"}, {"v2", "Verify", "", "B38825BB0CEF258CEB4F286F1CA75F7498985229"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []want
			for _, c := range buildKeysOf(t, tt.keys...) {
				got = append(got, want{c.KeyID, c.Usage, c.PairedKeyID, c.Thumbprint})
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestBuildNeverHashesSecretKeyMaterial(t *testing.T) {
	// A Symmetric key's "key" is the secret; hashing it would publish a
	// fingerprint of a secret as if it were a certificate thumbprint.
	k := key("sym", "", "Verify", "Symmetric", "hmac")
	k.Key = str("c2VjcmV0LWJ5dGVz")
	c := buildKeysOf(t, k)
	if len(c) != 1 || c[0].Thumbprint != "" || c[0].KeyType != "Symmetric" || c[0].Type != Certificate {
		t.Errorf("got %+v, want one Symmetric key credential without a thumbprint", c)
	}
}

func TestBuildResolvesPermissions(t *testing.T) {
	graph := msgraph.ServicePrincipal{ID: "graph-sp", AppID: msgraph.GraphAppID, DisplayName: "Microsoft Graph",
		AppOwnerOrganizationID: msgraph.FirstPartyTenantID,
		AppRoles:               []msgraph.AppRole{{ID: "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30", Value: "Application.Read.All"}}}
	ledger := msgraph.ServicePrincipal{ID: "ledger-sp", AppID: "ledger-app", DisplayName: "Contoso Ledger",
		AppRoles: []msgraph.AppRole{{ID: "r-post", Value: "Ledger.Post"}}}
	assign := func(role, resource, resourceName, principalType string) msgraph.AppRoleAssignment {
		return msgraph.AppRoleAssignment{AppRoleID: role, ResourceID: resource, ResourceDisplayName: resourceName,
			PrincipalID: "worker-sp", PrincipalType: principalType}
	}
	worker := msgraph.ServicePrincipal{ID: "worker-sp", AppID: "worker-app", DisplayName: "worker",
		AppRoleAssignments: []msgraph.AppRoleAssignment{
			assign("9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30", "graph-sp", "Microsoft Graph", "ServicePrincipal"),
			assign("r-post", "ledger-sp", "Contoso Ledger", "ServicePrincipal"),
			assign("unknown-role", "graph-sp", "Microsoft Graph", "ServicePrincipal"),
			assign("r-x", "gone-sp", "Deleted API", "ServicePrincipal"),
			assign("r-user", "ledger-sp", "Contoso Ledger", "User"),
		}}
	s := &Snapshot{Directory: msgraph.Directory{
		Applications: []msgraph.Application{
			{ID: "worker-app-obj", AppID: "worker-app", DisplayName: "worker"},
			{ID: "lonely-app-obj", AppID: "lonely-app", DisplayName: "lonely"},
		},
		// Graph's copy in the list lacks appRoles; the resource copy has them.
		ServicePrincipals: []msgraph.ServicePrincipal{worker, {ID: "graph-sp", AppID: msgraph.GraphAppID, DisplayName: "Microsoft Graph"}, ledger},
		Resources:         []msgraph.ServicePrincipal{graph},
	}}
	tenant, err := Build(s, "test")
	if err != nil {
		t.Fatal(err)
	}
	want := []Permission{
		{Resource: "Contoso Ledger", ResourceAppID: "ledger-app", AppRoleID: "r-post", Value: "Ledger.Post"},
		{Resource: "Deleted API", AppRoleID: "r-x", Value: "r-x"},
		{Resource: "Microsoft Graph", ResourceAppID: msgraph.GraphAppID, AppRoleID: "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30", Value: "Application.Read.All"},
		{Resource: "Microsoft Graph", ResourceAppID: msgraph.GraphAppID, AppRoleID: "unknown-role", Value: "unknown-role"},
	}
	objs := map[string]Object{}
	for _, o := range tenant.Objects {
		objs[o.ID] = o
	}
	if got := objs["worker-sp"].Permissions; !reflect.DeepEqual(got, want) {
		t.Errorf("service principal permissions:\ngot  %+v\nwant %+v", got, want)
	}
	if got := objs["worker-app-obj"]; !reflect.DeepEqual(got.Permissions, want) || got.FirstParty {
		t.Errorf("application should show its service principal's permissions and not be first-party: %+v", got)
	}
	if got := objs["lonely-app-obj"].Permissions; got != nil {
		t.Errorf("application without a service principal got permissions %+v", got)
	}
}

func TestBuildMarksFirstPartyServicePrincipals(t *testing.T) {
	tests := []struct {
		ownerOrg string
		want     bool
	}{
		{"f8cdef31-a31e-4b4a-93e4-5f571e91255a", true},
		{"72f988bf-86f1-41af-91ab-2d7cd011db47", true},
		{"F8CDEF31-A31E-4B4A-93E4-5F571E91255A", true},
		{"5f1c2c1e-8a43-4a3e-9b7e-2d2f0e6a1b10", false},
		{"", false},
	}
	for _, tt := range tests {
		s := &Snapshot{Directory: msgraph.Directory{ServicePrincipals: []msgraph.ServicePrincipal{{ID: "sp", AppOwnerOrganizationID: tt.ownerOrg}}}}
		tenant, err := Build(s, "test")
		if err != nil {
			t.Fatal(err)
		}
		if got := tenant.Objects[0].FirstParty; got != tt.want {
			t.Errorf("appOwnerOrganizationId %q: FirstParty = %v, want %v", tt.ownerOrg, got, tt.want)
		}
	}
}

func TestBuildOwnerTypes(t *testing.T) {
	owners := []msgraph.DirectoryObject{
		{ODataType: "#microsoft.graph.user", ID: "1", DisplayName: "a"},
		{ODataType: "#microsoft.graph.servicePrincipal", ID: "2", DisplayName: "b"},
		{ODataType: "#microsoft.graph.group", ID: "3", DisplayName: "c"},
		{ODataType: "#microsoft.graph.device", ID: "4", DisplayName: "d"},
		{ID: "5", DisplayName: "e"},
	}
	s := &Snapshot{Directory: msgraph.Directory{Applications: []msgraph.Application{{ID: "a1", Owners: owners}}}}
	tenant, err := Build(s, "test")
	if err != nil {
		t.Fatal(err)
	}
	var got []OwnerType
	for _, o := range tenant.Objects[0].Owners {
		got = append(got, o.Type)
	}
	want := []OwnerType{OwnerUser, OwnerServicePrincipal, OwnerGroup, OwnerOther, OwnerOther}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestBuildRejectsBadDataNamingObjectAndField(t *testing.T) {
	tests := []struct{ file, wantErr string }{
		{"bad-date.json", `application 8b1e0a2c-0000-4000-8000-000000000001 "billing-sync": passwordCredentials[2].endDateTime: cannot parse "2025-13-01": month out of range`},
		{"bad-key-date.json", `servicePrincipal 7b8c9d0e-1f2a-4b3c-8d4e-5f6a7b8c9d0e "payments-api": keyCredentials[0].startDateTime: cannot parse "yesterday"`},
		{"bad-leap-day.json", `servicePrincipal 7b8c9d0e-1f2a-4b3c-8d4e-5f6a7b8c9d0e "payments-api": createdDateTime: cannot parse "2023-02-29T10:00:00Z": day out of range`},
		{"duplicate-id.json", `application 6a7b8c9d-0e1f-4a2b-9c3d-4e5f6a7b8c9d "payments-api-copy": duplicate object id (also application "payments-api")`},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			s := loadFixture(t, filepath.Join("invalid", tt.file))
			_, err := Build(s, "test")
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("got  %v\nwant %s", err, tt.wantErr)
			}
		})
	}
	if _, err := Build(&Snapshot{Directory: msgraph.Directory{Applications: []msgraph.Application{{DisplayName: "no-id"}}}}, "test"); err == nil ||
		err.Error() != `application "no-id": id: missing` {
		t.Errorf("object without id: got %v", err)
	}
	if _, err := Build(nil, "test"); err == nil {
		t.Error("Build(nil) returned no error")
	}
}

func TestBuildKeepsMissingDatesZero(t *testing.T) {
	s := &Snapshot{Directory: msgraph.Directory{Applications: []msgraph.Application{{ID: "a1",
		PasswordCredentials: []msgraph.PasswordCredential{{KeyID: "k"}}}}}}
	tenant, err := Build(s, "test")
	if err != nil {
		t.Fatal(err)
	}
	c := tenant.Objects[0].Credentials[0]
	if !c.Start.IsZero() || !c.End.IsZero() || !tenant.Objects[0].CreatedAt.IsZero() {
		t.Errorf("missing dates should stay zero, got %+v", c)
	}
}

func TestBuildCopiesScanFacts(t *testing.T) {
	at := time.Date(2025, 6, 2, 7, 30, 0, 0, time.FixedZone("CEST", 2*3600))
	s := &Snapshot{CollectedAt: at, Complete: false, Incomplete: []string{"owners: 403 Authorization_RequestDenied"},
		Directory: msgraph.Directory{TenantID: "t1"}}
	tenant, err := Build(s, "snapshot:scan.json")
	if err != nil {
		t.Fatal(err)
	}
	if tenant.ID != "t1" || !tenant.CollectedAt.Equal(at) || tenant.CollectedAt.Location() != time.UTC ||
		tenant.Source != "snapshot:scan.json" || tenant.Complete || !reflect.DeepEqual(tenant.Incomplete, s.Incomplete) {
		t.Errorf("got %+v", tenant)
	}
	s.Incomplete[0] = "changed"
	if tenant.Incomplete[0] == "changed" {
		t.Error("tenant shares the snapshot's Incomplete slice")
	}
}

func TestBuildOrderDoesNotDependOnInputOrder(t *testing.T) {
	s := loadFixture(t, "credwatch-snapshot.json")
	want, err := Build(s, "x")
	if err != nil {
		t.Fatal(err)
	}
	for i := range want.Objects[1:] {
		a, b := want.Objects[i], want.Objects[i+1]
		if a.Type == b.Type && strings.ToLower(a.DisplayName) > strings.ToLower(b.DisplayName) {
			t.Errorf("objects out of order: %q before %q", a.DisplayName, b.DisplayName)
		}
	}
	r := loadFixture(t, "credwatch-snapshot.json")
	slices.Reverse(r.Applications)
	slices.Reverse(r.ServicePrincipals)
	for i := range r.Applications {
		slices.Reverse(r.Applications[i].PasswordCredentials)
		slices.Reverse(r.Applications[i].KeyCredentials)
		slices.Reverse(r.Applications[i].Owners)
	}
	for i := range r.ServicePrincipals {
		slices.Reverse(r.ServicePrincipals[i].AppRoleAssignments)
	}
	got, err := Build(r, "x")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Error("reversing the input changed the model")
	}
}

func TestBuildSortsNamesIgnoringLetterCase(t *testing.T) {
	names := []string{"beta", "Alpha", "alpha", "ÉCLAIR", "éclair", "Zulu", "zeta", "a", "A", "", "İstanbul", "istanbul", "ß", "Ω", "ω", "\xff", "b\xffc"}
	s := &Snapshot{Directory: msgraph.Directory{TenantID: "t"}}
	for i, n := range names {
		s.Applications = append(s.Applications, msgraph.Application{ID: fmt.Sprintf("%02d", i), DisplayName: n})
	}
	got, err := Build(s, "x")
	if err != nil {
		t.Fatal(err)
	}
	// The order people read: by the lower-case name, then by the name as
	// written, then by id.
	want := slices.Clone(names)
	slices.SortStableFunc(want, func(a, b string) int {
		return cmp.Or(strings.Compare(strings.ToLower(a), strings.ToLower(b)), strings.Compare(a, b))
	})
	var order []string
	for _, o := range got.Objects {
		order = append(order, o.DisplayName)
	}
	if !slices.Equal(order, want) {
		t.Errorf("order %q, want %q", order, want)
	}
}

func TestBuildHoldsEachOwnerOnce(t *testing.T) {
	ada := msgraph.DirectoryObject{ODataType: "#microsoft.graph.user", ID: "u1", DisplayName: "Ada", UserPrincipalName: "ada@contoso.example"}
	renamed := ada
	renamed.DisplayName = "Ada L." // read at another moment: kept as read
	s := &Snapshot{Directory: msgraph.Directory{TenantID: "t",
		Applications: []msgraph.Application{{ID: "a1", Owners: []msgraph.DirectoryObject{ada}}, {ID: "a2", Owners: []msgraph.DirectoryObject{ada}},
			{ID: "a3", Owners: []msgraph.DirectoryObject{renamed}}},
		ServicePrincipals: []msgraph.ServicePrincipal{{ID: "s1", Owners: []msgraph.DirectoryObject{ada}}}}}
	got, err := Build(s, "x")
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*Owner{}
	for _, o := range got.Objects {
		byID[o.ID] = o.Owners[0]
	}
	if byID["a1"] != byID["a2"] || byID["a1"] != byID["s1"] {
		t.Error("one owner of three objects is held three times")
	}
	if byID["a3"] == byID["a1"] || byID["a3"].DisplayName != "Ada L." || byID["a1"].DisplayName != "Ada" {
		t.Errorf("owners read differently share a record: %+v, %+v", byID["a1"], byID["a3"])
	}
}
