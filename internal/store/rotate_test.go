package store

import (
	"context"
	"errors"
	"reflect"
	"testing"
)

func sampleRotation(id, oldKey string) *Rotation {
	return &Rotation{
		ID: id, TenantID: tenantA, ObjectID: "obj-1", AppID: "app-1", AppName: "Payroll Export", Kind: "secret",
		OldKeyID: oldKey, Vault: "kv-prod", SecretName: "payroll-export", DisplayName: "payroll rotated by credwatch 2025-06-10",
		EndAt: ts("2025-12-07T00:00:00Z"), State: RotationPending, Attempt: 1,
		CreatedAt: ts("2025-06-10T08:00:00.123456789Z"),
	}
}

func TestRotationRoundTripAndOneActivePerCredential(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := openTest(t, dsn)
		r := sampleRotation("rot-1", "key-old")
		if err := s.CreateRotation(ctx, r); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateRotation(ctx, sampleRotation("rot-2", "key-old")); !errors.Is(err, ErrRotationExists) {
			t.Fatalf("second active rotation of one key: %v, want ErrRotationExists", err)
		}
		r.State, r.NewKeyID, r.KeysBefore = RotationAdded, "key-new", []string{"key-old", "key-other"}
		r.StoredAt, r.LeaseOwner, r.LeaseUntil = ts("2025-06-10T08:01:00Z"), "host:1", ts("2025-06-10T08:11:00Z")
		if err := s.UpdateRotation(ctx, r); err != nil {
			t.Fatal(err)
		}
		stale := *r
		stale.Rev--
		if err := s.UpdateRotation(ctx, &stale); !errors.Is(err, ErrRotationConflict) {
			t.Fatalf("update with a stale rev: %v, want ErrRotationConflict", err)
		}
		got, err := s.GetRotation(ctx, "rot-1")
		if err != nil {
			t.Fatal(err)
		}
		r.UpdatedAt = got.UpdatedAt
		if !reflect.DeepEqual(got, r) {
			t.Errorf("round trip:\n got %+v\nwant %+v", got, r)
		}
		r.State, r.Error = RotationDone, "none"
		r.FinishedAt = ts("2025-06-20T00:00:00Z")
		if err := s.UpdateRotation(ctx, r); err != nil {
			t.Fatal(err)
		}
		// Finished, the credential may be rotated again (it would not be:
		// its key is gone, but the index must not stand in the way).
		if err := s.CreateRotation(ctx, sampleRotation("rot-3", "key-old")); err != nil {
			t.Fatalf("new rotation after the finished one: %v", err)
		}
		active, err := s.Rotations(ctx, RotationFilter{TenantID: tenantA, ActiveOnly: true})
		if err != nil || len(active) != 1 || active[0].ID != "rot-3" {
			t.Fatalf("active rotations = %+v, %v", active, err)
		}
		all, err := s.Rotations(ctx, RotationFilter{})
		if err != nil || len(all) != 2 {
			t.Fatalf("all rotations = %d, %v", len(all), err)
		}
		if _, err := s.GetRotation(ctx, "nope"); !errors.Is(err, ErrRotationNotFound) {
			t.Errorf("missing rotation: %v", err)
		}
		if err := s.CreateRotation(ctx, &Rotation{ID: "x"}); err == nil {
			t.Error("a rotation without tenant, object and key was stored")
		}
	})
}
