package inventory

import (
	"bytes"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/msgraph"
)

func loadFixture(t *testing.T, name string) *Snapshot {
	t.Helper()
	s, err := LoadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestMergeAzAppAndSPLists(t *testing.T) {
	s, err := Merge(loadFixture(t, "az-app-list.json"), loadFixture(t, "az-sp-list.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Applications) != 2 || len(s.ServicePrincipals) != 3 {
		t.Errorf("got %d applications and %d service principals, want 2 and 3", len(s.Applications), len(s.ServicePrincipals))
	}
	want := []string{"owners and permissions are not in az CLI output"}
	if s.Complete || !reflect.DeepEqual(s.Incomplete, want) {
		t.Errorf("got complete=%v %q, want incomplete with the one shared reason", s.Complete, s.Incomplete)
	}
}

func TestMergeOfTheSameFileTwiceChangesNothing(t *testing.T) {
	once, err := Merge(loadFixture(t, "credwatch-snapshot.json"))
	if err != nil {
		t.Fatal(err)
	}
	twice, err := Merge(loadFixture(t, "credwatch-snapshot.json"), loadFixture(t, "credwatch-snapshot.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(once, twice) {
		t.Error("merging a snapshot with itself changed it")
	}
}

func TestMergeRejectsConflictsAndMissingInput(t *testing.T) {
	base := func() *Snapshot {
		return &Snapshot{Complete: true, Directory: msgraph.Directory{TenantID: "t1", Applications: []msgraph.Application{{ID: "a1", DisplayName: "billing-sync"}}}}
	}
	changed := base()
	changed.Applications[0].Notes = "edited since"
	otherTenant := base()
	otherTenant.TenantID = "t2"
	tests := []struct {
		name    string
		snaps   []*Snapshot
		wantErr string
	}{
		{"none", nil, "merge snapshots: none given"},
		{"nil snapshot", []*Snapshot{base(), nil}, "snapshot 2 is missing"},
		{"same object, different content", []*Snapshot{base(), changed}, `application a1 "billing-sync" differs between snapshots (found again in snapshot 2)`},
		{"different tenants", []*Snapshot{base(), otherTenant}, "snapshot 2 is of tenant t2, an earlier one of tenant t1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Merge(tt.snaps...)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("got %v, want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestMergeIsCompleteOnlyIfEveryInputIs(t *testing.T) {
	early := time.Date(2025, 6, 1, 0, 0, 0, 0, time.UTC)
	late := early.Add(24 * time.Hour)
	a := &Snapshot{Complete: true, CollectedAt: late}
	b := &Snapshot{Complete: false, Incomplete: []string{"owners: 403"}, CollectedAt: early, Directory: msgraph.Directory{TenantID: "t1"}}
	c := &Snapshot{Complete: false, Incomplete: []string{"owners: 403", "permissions: throttled"}}
	s, err := Merge(a, b, c)
	if err != nil {
		t.Fatal(err)
	}
	if s.Complete || !reflect.DeepEqual(s.Incomplete, []string{"owners: 403", "permissions: throttled"}) {
		t.Errorf("got complete=%v %q", s.Complete, s.Incomplete)
	}
	if !s.CollectedAt.Equal(early) || s.TenantID != "t1" {
		t.Errorf("got collectedAt %v tenant %q, want the earliest time and the one tenant named", s.CollectedAt, s.TenantID)
	}
	if all, _ := Merge(a, &Snapshot{Complete: true}); !all.Complete {
		t.Error("two complete snapshots merged into an incomplete one")
	}
}

func TestMergePrefersResourceCopyWithRoles(t *testing.T) {
	bare := &Snapshot{Complete: true, Directory: msgraph.Directory{
		Resources: []msgraph.ServicePrincipal{{ID: "g", DisplayName: "Microsoft Graph"}}}}
	full := &Snapshot{Complete: true, Directory: msgraph.Directory{
		Resources: []msgraph.ServicePrincipal{{ID: "g", DisplayName: "Microsoft Graph", AppRoles: []msgraph.AppRole{{ID: "r", Value: "Mail.Send"}}}}}}
	s, err := Merge(bare, full)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Resources) != 1 || len(s.Resources[0].AppRoles) != 1 {
		t.Errorf("got resources %+v, want the one copy that has appRoles", s.Resources)
	}
}

func TestWriteSnapshotRoundTrips(t *testing.T) {
	for _, f := range []string{"credwatch-snapshot.json", "pwsh-applications.json", "graph-pages.json"} {
		t.Run(f, func(t *testing.T) {
			s := loadFixture(t, f)
			var first bytes.Buffer
			if err := WriteSnapshot(&first, s); err != nil {
				t.Fatal(err)
			}
			again, err := Load(bytes.NewReader(first.Bytes()), "written.json")
			if err != nil {
				t.Fatalf("reading back what WriteSnapshot wrote: %v", err)
			}
			// Graph's [] and an omitted list read back alike, so compare
			// what the snapshots mean.
			want, err := Build(s, "x")
			if err != nil {
				t.Fatal(err)
			}
			got, err := Build(again, "x")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("model changed in a write and read:\n%s", first.String())
			}
			var second bytes.Buffer
			if err := WriteSnapshot(&second, again); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(first.Bytes(), second.Bytes()) {
				t.Error("writing the same snapshot twice gave different bytes")
			}
			if !strings.HasPrefix(first.String(), "{\n  \"schemaVersion\": 1,\n  \"kind\": \"credwatch.snapshot\",") {
				t.Errorf("output is not indented credwatch format:\n%.200s", first.String())
			}
		})
	}
}

func TestWriteSnapshotLeavesCallersSecretsAloneButNeverWritesThem(t *testing.T) {
	secret, key := "placeholder-secret-text", "cGxhY2Vob2xkZXIta2V5"
	s := &Snapshot{Directory: msgraph.Directory{Applications: []msgraph.Application{{
		ID:                  "a1",
		PasswordCredentials: []msgraph.PasswordCredential{{KeyID: "k", SecretText: &secret}},
		KeyCredentials:      []msgraph.KeyCredential{{KeyID: "s", Type: "Symmetric", Key: &key}},
	}}}}
	var buf bytes.Buffer
	if err := WriteSnapshot(&buf, s); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(buf.String(), secret) || strings.Contains(buf.String(), key) {
		t.Errorf("secret written:\n%s", buf.String())
	}
	if s.Applications[0].PasswordCredentials[0].SecretText == nil || s.Applications[0].KeyCredentials[0].Key == nil {
		t.Error("WriteSnapshot modified the caller's snapshot")
	}
}
