package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/credwatch/credwatch/internal/inventory"
	"github.com/credwatch/credwatch/internal/policy"
)

// clone deep-copies a record (all its types survive a JSON round trip).
func clone(t *testing.T, r *Record) *Record {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var out Record
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return &out
}

func TestCompare(t *testing.T) {
	base := sampleRecord()
	base.ID = 1
	app := base.Tenant.Objects[0]
	appRef := ObjectRef{Type: app.Type, ID: app.ID, AppID: app.AppID, DisplayName: app.DisplayName}
	sp := base.Tenant.Objects[1]
	spRef := ObjectRef{Type: sp.Type, ID: sp.ID, AppID: sp.AppID, DisplayName: sp.DisplayName}
	secret := CredentialRef{Object: appRef, Type: inventory.Secret, KeyID: "k-secret-1", DisplayName: "prod key",
		Hint: "Abc", Start: app.Credentials[0].Start, End: app.Credentials[0].End}
	cw002, cw005, cw010 := base.Findings[0], base.Findings[1], base.Findings[2]

	newObj := inventory.Object{Type: inventory.Application, ID: "a-new", AppID: "c-new", DisplayName: "billing",
		Credentials: []inventory.Credential{{Type: inventory.Secret, KeyID: "k-new", Hint: "Xy1",
			End: ts("2026-06-01T00:00:00Z")}},
		Owners:      []*inventory.Owner{{Type: inventory.OwnerUser, ID: "u-9", DisplayName: "Cy"}},
		Permissions: []inventory.Permission{{Resource: "Microsoft Graph", ResourceAppID: graphApp, AppRoleID: usersRole, Value: "User.Read.All"}},
	}
	newRef := ObjectRef{Type: inventory.Application, ID: "a-new", AppID: "c-new", DisplayName: "billing"}

	tests := []struct {
		name   string
		mutate func(to *Record)
		want   Diff // From and To are checked separately
	}{
		{name: "identical scans are empty", mutate: func(*Record) {}},
		{
			name: "a key repeated on an object counts once",
			mutate: func(to *Record) {
				o := &to.Tenant.Objects[0]
				dup := o.Credentials[0]
				dup.DisplayName = "a second copy"
				o.Credentials = append(o.Credentials, dup)
			},
		},
		{
			name: "owners of an object with many are matched one by one",
			mutate: func(to *Record) {
				o := &to.Tenant.Objects[0]
				for i := range 40 {
					o.Owners = append(o.Owners, &inventory.Owner{Type: inventory.OwnerUser, ID: fmt.Sprintf("u-many-%02d", i)})
				}
			},
			want: Diff{OwnersAdded: func() []OwnerChange {
				var out []OwnerChange
				for i := range 40 {
					out = append(out, OwnerChange{Object: appRef, Type: inventory.OwnerUser, ID: fmt.Sprintf("u-many-%02d", i)})
				}
				return out
			}()},
		},
		{
			name: "an added object brings its credentials, owners and permissions",
			mutate: func(to *Record) {
				to.Tenant.Objects = append([]inventory.Object{newObj}, to.Tenant.Objects...)
			},
			want: Diff{
				ObjectsAdded:     []ObjectRef{newRef},
				CredentialsAdded: []CredentialRef{{Object: newRef, Type: inventory.Secret, KeyID: "k-new", Hint: "Xy1", End: ts("2026-06-01T00:00:00Z")}},
				OwnersAdded:      []OwnerChange{{Object: newRef, Type: inventory.OwnerUser, ID: "u-9", DisplayName: "Cy"}},
				PermissionsAdded: []PermissionChange{{Object: newRef, Resource: "Microsoft Graph", ResourceAppID: graphApp, AppRoleID: usersRole, Value: "User.Read.All"}},
			},
		},
		{
			name: "a removed object takes its owners and permissions",
			mutate: func(to *Record) {
				to.Tenant.Objects = append(to.Tenant.Objects[:1], to.Tenant.Objects[2:]...)
			},
			want: Diff{
				ObjectsRemoved:     []ObjectRef{spRef},
				OwnersRemoved:      []OwnerChange{{Object: spRef, Type: inventory.OwnerServicePrincipal, ID: "s-owner", DisplayName: "Automation"}},
				PermissionsRemoved: []PermissionChange{{Object: spRef, Resource: "Microsoft Graph", ResourceAppID: graphApp, AppRoleID: mailRole, Value: "Mail.ReadWrite"}},
			},
		},
		{
			name: "credential added and removed on a kept object",
			mutate: func(to *Record) {
				o := &to.Tenant.Objects[0]
				o.Credentials[0] = inventory.Credential{Type: inventory.Secret, KeyID: "k-secret-2", Hint: "Def",
					Start: ts("2025-06-01T00:00:00Z"), End: ts("2026-06-01T00:00:00Z")}
			},
			want: Diff{
				CredentialsAdded: []CredentialRef{{Object: appRef, Type: inventory.Secret, KeyID: "k-secret-2", Hint: "Def",
					Start: ts("2025-06-01T00:00:00Z"), End: ts("2026-06-01T00:00:00Z")}},
				CredentialsRemoved: []CredentialRef{secret},
			},
		},
		{
			name: "a renamed object's removed and changed credentials name it as each scan did",
			mutate: func(to *Record) {
				o := &to.Tenant.Objects[0]
				o.DisplayName = "payroll (renamed)"
				o.Credentials[0].Hint = "Abd"
				o.Owners = o.Owners[:1]
			},
			want: Diff{
				CredentialsChanged: []CredentialChange{{Before: secret,
					After: CredentialRef{Object: ObjectRef{Type: app.Type, ID: app.ID, AppID: app.AppID, DisplayName: "payroll (renamed)"},
						Type: inventory.Secret, KeyID: "k-secret-1", DisplayName: "prod key", Hint: "Abd", Start: secret.Start, End: secret.End},
					Fields: []string{"hint"}}},
				OwnersRemoved: func() []OwnerChange {
					var out []OwnerChange
					for _, ow := range app.Owners[1:] {
						out = append(out, OwnerChange{Object: appRef, Type: ow.Type, ID: ow.ID, DisplayName: ow.DisplayName,
							UserPrincipalName: ow.UserPrincipalName, Mail: ow.Mail})
					}
					return out
				}(),
			},
		},
		{
			name: "credential changed in the fields that matter",
			mutate: func(to *Record) {
				c := &to.Tenant.Objects[0].Credentials[0]
				c.End = ts("2027-01-01T00:00:00Z")
				c.DisplayName = "prod key (renewed)"
				c.Hint = "Abd"
				// Not judged: usage and key type.
				to.Tenant.Objects[0].Credentials[1].Usage = "Verify"
			},
			want: Diff{CredentialsChanged: []CredentialChange{{
				Before: secret,
				After: CredentialRef{Object: appRef, Type: inventory.Secret, KeyID: "k-secret-1", DisplayName: "prod key (renewed)",
					Hint: "Abd", Start: secret.Start, End: ts("2027-01-01T00:00:00Z")},
				Fields: []string{"displayName", "hint", "end"},
			}}},
		},
		{
			name: "certificate start and thumbprint changed",
			mutate: func(to *Record) {
				c := &to.Tenant.Objects[0].Credentials[1]
				c.Start = ts("2024-02-02T10:00:00Z")
				c.Thumbprint = "FFFF"
			},
			want: Diff{CredentialsChanged: []CredentialChange{{
				Before: CredentialRef{Object: appRef, Type: inventory.Certificate, KeyID: "k-cert-verify", DisplayName: "CN=payroll",
					Thumbprint: "0123456789ABCDEF0123456789ABCDEF01234567", Start: ts("2024-02-01T10:00:00Z"), End: ts("2299-12-31T23:59:59.9999999Z")},
				After: CredentialRef{Object: appRef, Type: inventory.Certificate, KeyID: "k-cert-verify", DisplayName: "CN=payroll",
					Thumbprint: "FFFF", Start: ts("2024-02-02T10:00:00Z"), End: ts("2299-12-31T23:59:59.9999999Z")},
				Fields: []string{"start", "thumbprint"},
			}}},
		},
		{
			name: "owners added and removed, sorted by object then owner id",
			mutate: func(to *Record) {
				o := &to.Tenant.Objects[0]
				o.Owners = []*inventory.Owner{o.Owners[1], {Type: inventory.OwnerUser, ID: "u-3"}, {Type: inventory.OwnerUser, ID: "u-2"}}
			},
			want: Diff{
				OwnersAdded: []OwnerChange{{Object: appRef, Type: inventory.OwnerUser, ID: "u-2"}, {Object: appRef, Type: inventory.OwnerUser, ID: "u-3"}},
				OwnersRemoved: []OwnerChange{{Object: appRef, Type: inventory.OwnerUser, ID: "u-1", DisplayName: "Ada Admin",
					UserPrincipalName: "ada@contoso.example", Mail: "ada@contoso.example"}},
			},
		},
		{
			name: "permissions matched by resource and role, not by name",
			mutate: func(to *Record) {
				to.Tenant.Objects[0].Permissions = []inventory.Permission{
					{Resource: "Graph (renamed)", ResourceAppID: graphApp, AppRoleID: mailRole, Value: "Mail.ReadWrite"},
					{Resource: "Microsoft Graph", ResourceAppID: graphApp, AppRoleID: usersRole, Value: usersRole},
				}
				to.Tenant.Objects[1].Permissions = nil
			},
			want: Diff{
				PermissionsAdded:   []PermissionChange{{Object: appRef, Resource: "Microsoft Graph", ResourceAppID: graphApp, AppRoleID: usersRole, Value: usersRole}},
				PermissionsRemoved: []PermissionChange{{Object: spRef, Resource: "Microsoft Graph", ResourceAppID: graphApp, AppRoleID: mailRole, Value: "Mail.ReadWrite"}},
			},
		},
		{
			name: "findings opened and resolved by id; suppression is no change",
			mutate: func(to *Record) {
				opened := policy.Finding{ID: "f-new", RuleID: "CW007", Severity: policy.Low, ObjectID: app.ID, AppName: app.DisplayName}
				opened2 := policy.Finding{ID: "f-new2", RuleID: "CW003", Severity: policy.Medium, ObjectID: app.ID, AppName: app.DisplayName}
				kept := cw005
				kept.Suppressed, kept.SuppressionReason = false, ""
				kept.Message = "reworded"
				to.Findings = []policy.Finding{opened, kept, cw010, opened2}
			},
			want: Diff{
				FindingsOpened: []policy.Finding{
					{ID: "f-new2", RuleID: "CW003", Severity: policy.Medium, ObjectID: app.ID, AppName: app.DisplayName},
					{ID: "f-new", RuleID: "CW007", Severity: policy.Low, ObjectID: app.ID, AppName: app.DisplayName},
				},
				FindingsResolved: []policy.Finding{cw002},
			},
		},
	}
	stored := openTest(t, "sqlite://"+filepath.Join(t.TempDir(), "credwatch.db"))
	storedID, err := stored.Save(context.Background(), clone(t, base))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			to := clone(t, base)
			to.ID = 2
			to.ScannedAt = ts("2025-06-02T00:00:00Z")
			tt.mutate(to)
			before := clone(t, base)
			d, err := Compare(base, to)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(base, before) {
				t.Error("Compare changed its input")
			}
			if d.From.ID != 1 || d.To.ID != 2 || !d.To.ScannedAt.Equal(to.ScannedAt) || d.From.Objects != 3 || d.From.Credentials != 3 {
				t.Errorf("From, To = %+v, %+v", d.From, d.To)
			}
			got := *d
			got.From, got.To = ScanInfo{}, ScanInfo{}
			if !reflect.DeepEqual(got, tt.want) {
				gj, _ := json.MarshalIndent(got, "", "  ")
				wj, _ := json.MarshalIndent(tt.want, "", "  ")
				t.Errorf("diff = %s\nwant %s", gj, wj)
			}
			if empty := reflect.DeepEqual(tt.want, Diff{}); d.Empty() != empty {
				t.Errorf("Empty() = %v, want %v", d.Empty(), empty)
			}
			// A scan diffed from the store, read row by row, gives the
			// same diff as one loaded whole.
			sd, err := stored.CompareStored(context.Background(), storedID, to)
			if err != nil {
				t.Fatal(err)
			}
			gotStored := *sd
			gotStored.From, gotStored.To = ScanInfo{}, ScanInfo{}
			if !reflect.DeepEqual(gotStored, tt.want) {
				gj, _ := json.MarshalIndent(gotStored, "", "  ")
				wj, _ := json.MarshalIndent(tt.want, "", "  ")
				t.Errorf("stored diff = %s\nwant %s", gj, wj)
			}
			if sd.From.ID != storedID || sd.From.Objects != 3 || sd.From.Credentials != 3 || !sd.From.Complete {
				t.Errorf("stored From = %+v", sd.From)
			}
		})
	}
}

func TestCompareStoredRefuses(t *testing.T) {
	ctx := context.Background()
	s := openTest(t, "sqlite://"+filepath.Join(t.TempDir(), "credwatch.db"))
	complete, err := s.Save(ctx, sampleRecord())
	if err != nil {
		t.Fatal(err)
	}
	partialID, err := s.Save(ctx, partial(sampleRecord(), "owners: 403"))
	if err != nil {
		t.Fatal(err)
	}
	other := sampleRecord()
	other.Tenant.ID = tenantB
	tests := []struct {
		name string
		from int64
		to   *Record
		want error
	}{
		{"partial from", partialID, sampleRecord(), ErrIncompleteScan},
		{"partial to", complete, partial(sampleRecord(), "owners: 403"), ErrIncompleteScan},
		{"other tenant", complete, other, ErrTenantMismatch},
		{"no such scan", 999, sampleRecord(), ErrNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := s.CompareStored(ctx, tt.from, tt.to)
			if !errors.Is(err, tt.want) {
				t.Fatalf("CompareStored = %+v, %v; want %v", d, err, tt.want)
			}
		})
	}
}

func TestBaseline(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := openTest(t, dsn)
		rec := sampleRecord()
		id, err := s.Save(ctx, rec)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Baseline(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if want := policy.BaselineOf(rec.Tenant); !reflect.DeepEqual(got, want) {
			t.Errorf("Baseline = %+v\nwant %+v", got, want)
		}
		if _, err := s.Baseline(ctx, id+100); !errors.Is(err, ErrNotFound) {
			t.Errorf("Baseline of a missing scan: %v, want ErrNotFound", err)
		}
	})
}

func TestCompareRefuses(t *testing.T) {
	complete := sampleRecord()
	partialScan := partial(sampleRecord(), "owners: 403")
	other := sampleRecord()
	other.Tenant.ID = tenantB
	tests := []struct {
		name     string
		from, to *Record
		want     error
	}{
		{"partial from", partialScan, complete, ErrIncompleteScan},
		{"partial to", complete, partialScan, ErrIncompleteScan},
		{"other tenant", complete, other, ErrTenantMismatch},
		{"missing scan", complete, &Record{}, nil},
		{"nil scan", nil, complete, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := Compare(tt.from, tt.to)
			if err == nil {
				t.Fatalf("Compare succeeded: %+v", d)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestDiffJSONIsCamelCase(t *testing.T) {
	from := sampleRecord()
	to := clone(t, from)
	to.Tenant.Objects[0].Owners = nil
	d, err := Compare(from, to)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"from", "to", "ownersRemoved"} {
		if _, ok := m[k]; !ok {
			t.Errorf("JSON lacks %q: %s", k, b)
		}
	}
	if _, ok := m["objectsAdded"]; ok {
		t.Errorf("empty list written: %s", b)
	}
	// Sorted by owner id: the group g-1, then the user u-1.
	owner := m["ownersRemoved"].([]any)[1].(map[string]any)
	for _, k := range []string{"object", "type", "id", "userPrincipalName"} {
		if _, ok := owner[k]; !ok {
			t.Errorf("owner JSON lacks %q: %v", k, owner)
		}
	}
}
