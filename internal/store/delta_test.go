package store

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/credwatch/credwatch/internal/emulator/tenantgen"
	"github.com/credwatch/credwatch/internal/inventory"
)

// generatedSnapshot is a complete snapshot of a generated tenant, as a
// collection reads it (no activity).
func generatedSnapshot(apps int) *inventory.Snapshot {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	d := tenantgen.Generate(tenantgen.Options{Seed: 3, Apps: apps, ExtraSPs: apps / 4, Now: now})
	d.Activity = nil
	return &inventory.Snapshot{SchemaVersion: inventory.SnapshotSchemaVersion, Kind: inventory.SnapshotKind,
		CollectedAt: now, Complete: true, Directory: *d}
}

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestDeltaStateRoundTrip(t *testing.T) {
	defer func(n int) { deltaChunkSize = n }(deltaChunkSize)
	deltaChunkSize = 4 << 10 // several chunks even for a small tenant
	forEachBackend(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := openTest(t, dsn)
		snap := generatedSnapshot(60)
		tenant := snap.TenantID
		if got, err := s.LoadDeltaState(ctx, tenant); err != nil || got != nil {
			t.Fatalf("before any save: %v, %v; want nil, nil", got, err)
		}
		st := &DeltaState{TenantID: tenant, ApplicationsLink: "https://graph.example/v1.0/applications/delta?$deltatoken=a1",
			ServicePrincipalsLink: "https://graph.example/v1.0/servicePrincipals/delta?$deltatoken=s1", Snapshot: snap}
		if err := s.SaveDeltaState(ctx, st); err != nil {
			t.Fatal(err)
		}
		if st.Bytes <= int64(deltaChunkSize) || st.SavedAt.IsZero() {
			t.Fatalf("saved %d bytes at %v: want several chunks and a time", st.Bytes, st.SavedAt)
		}
		got, err := s.LoadDeltaState(ctx, tenant)
		if err != nil {
			t.Fatal(err)
		}
		if got.ApplicationsLink != st.ApplicationsLink || got.ServicePrincipalsLink != st.ServicePrincipalsLink || got.Bytes != st.Bytes {
			t.Errorf("links %q %q, %d bytes; want what was saved", got.ApplicationsLink, got.ServicePrincipalsLink, got.Bytes)
		}
		if w, g := jsonOf(t, snap), jsonOf(t, got.Snapshot); w != g {
			t.Errorf("snapshot changed in the store:\n got %.300s\nwant %.300s", g, w)
		}
		// An owner of many apps is held once, not once an app: a large
		// tenant's baseline would otherwise load far bigger than it was.
		held, repeated := map[string]*byte{}, 0
		for _, a := range got.Snapshot.Applications {
			for _, o := range a.Owners {
				if p, ok := held[o.ID]; ok {
					if p != unsafe.StringData(o.ID) {
						t.Fatalf("owner %s of several apps loads as separate copies", o.ID)
					}
					repeated++
				}
				held[o.ID] = unsafe.StringData(o.ID)
			}
		}
		if repeated == 0 {
			t.Fatal("no owner of several apps in the generated tenant: nothing was checked")
		}

		// Saving again replaces the state; another tenant's is its own.
		smaller := generatedSnapshot(5)
		smaller.TenantID = tenant
		if err := s.SaveDeltaState(ctx, &DeltaState{TenantID: tenant, ApplicationsLink: "a2", ServicePrincipalsLink: "s2", Snapshot: smaller}); err != nil {
			t.Fatal(err)
		}
		other := generatedSnapshot(2)
		other.TenantID = "other-tenant"
		if err := s.SaveDeltaState(ctx, &DeltaState{TenantID: "other-tenant", ApplicationsLink: "a", ServicePrincipalsLink: "s", Snapshot: other}); err != nil {
			t.Fatal(err)
		}
		got, err = s.LoadDeltaState(ctx, tenant)
		if err != nil || got.ApplicationsLink != "a2" || len(got.Snapshot.Applications) != 5 {
			t.Fatalf("after replacing: %v, %+v", err, got)
		}
		if err := s.DeleteDeltaState(ctx, tenant); err != nil {
			t.Fatal(err)
		}
		if got, err := s.LoadDeltaState(ctx, tenant); err != nil || got != nil {
			t.Errorf("after delete: %v, %v", got, err)
		}
		if got, err := s.LoadDeltaState(ctx, "other-tenant"); err != nil || got == nil || len(got.Snapshot.Applications) != 2 {
			t.Errorf("the other tenant's state: %v, %v", got, err)
		}
	})
}

func TestDeltaStateRefusesUnusableSnapshots(t *testing.T) {
	s := openTest(t, "sqlite://"+t.TempDir()+"/credwatch.db")
	ctx := context.Background()
	snap := generatedSnapshot(2)
	partial := *snap
	partial.Complete = false
	for _, tt := range []struct {
		name string
		st   *DeltaState
		want string
	}{
		{"no snapshot", &DeltaState{TenantID: snap.TenantID, ApplicationsLink: "a", ServicePrincipalsLink: "s"}, "no snapshot"},
		{"no links", &DeltaState{TenantID: snap.TenantID, Snapshot: snap}, "links are required"},
		{"incomplete", &DeltaState{TenantID: snap.TenantID, ApplicationsLink: "a", ServicePrincipalsLink: "s", Snapshot: &partial}, "incomplete"},
		{"another tenant", &DeltaState{TenantID: "x", ApplicationsLink: "a", ServicePrincipalsLink: "s", Snapshot: snap}, "of tenant"},
	} {
		if err := s.SaveDeltaState(ctx, tt.st); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want an error about %q", tt.name, err, tt.want)
		}
	}
	if got, err := s.LoadDeltaState(ctx, snap.TenantID); err != nil || got != nil {
		t.Errorf("a refused save left state: %v, %v", got, err)
	}
}

func TestDeltaStateDetectsDamage(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := openTest(t, dsn)
		snap := generatedSnapshot(3)
		if err := s.SaveDeltaState(ctx, &DeltaState{TenantID: snap.TenantID, ApplicationsLink: "a", ServicePrincipalsLink: "s", Snapshot: snap}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.db.ExecContext(ctx, s.backend.rebind(`UPDATE delta_state SET objects = 1 WHERE tenant_id = ?`), snap.TenantID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.LoadDeltaState(ctx, snap.TenantID); err == nil || !strings.Contains(err.Error(), "objects") {
			t.Errorf("load with a wrong object count: %v", err)
		}
		if _, err := s.db.ExecContext(ctx, s.backend.rebind(`DELETE FROM delta_snapshot_chunks WHERE tenant_id = ?`), snap.TenantID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.LoadDeltaState(ctx, snap.TenantID); err == nil || !strings.Contains(err.Error(), "stored snapshot") {
			t.Errorf("load without chunks: %v", err)
		}
	})
}
