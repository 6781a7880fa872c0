package store

import (
	"context"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/activity"
	"github.com/credwatch/credwatch/internal/inventory"
	"github.com/credwatch/credwatch/internal/policy"
)

// assertRecordEqual deep-compares records, naming the first part that
// differs rather than dumping both.
func assertRecordEqual(t *testing.T, want, got *Record) {
	t.Helper()
	if reflect.DeepEqual(want, got) {
		return
	}
	if want.ID != got.ID || !reflect.DeepEqual(want.ScannedAt, got.ScannedAt) {
		t.Errorf("id, scannedAt = %d, %#v; want %d, %#v", got.ID, got.ScannedAt, want.ID, want.ScannedAt)
	}
	wt, gt := *want.Tenant, *got.Tenant
	wt.Objects, gt.Objects = nil, nil
	if !reflect.DeepEqual(wt, gt) {
		t.Errorf("tenant = %#v\nwant %#v", gt, wt)
	}
	if len(want.Tenant.Objects) != len(got.Tenant.Objects) {
		t.Errorf("%d objects, want %d", len(got.Tenant.Objects), len(want.Tenant.Objects))
	} else {
		for i := range want.Tenant.Objects {
			if w, g := want.Tenant.Objects[i], got.Tenant.Objects[i]; !reflect.DeepEqual(w, g) {
				t.Errorf("objects[%d] = %#v\nwant %#v", i, g, w)
			}
		}
	}
	if len(want.Findings) != len(got.Findings) {
		t.Errorf("%d findings, want %d", len(got.Findings), len(want.Findings))
	} else {
		for i := range want.Findings {
			if w, g := want.Findings[i], got.Findings[i]; !reflect.DeepEqual(w, g) {
				t.Errorf("findings[%d] = %#v\nwant %#v", i, g, w)
			}
		}
	}
	if !t.Failed() {
		t.Errorf("records differ: %#v\nwant %#v", got, want)
	}
}

func TestSaveLoadRoundTripIsExact(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := openTest(t, dsn)
		want := sampleRecord()
		id, err := s.Save(ctx, want)
		if err != nil {
			t.Fatalf("Save: %v", err)
		}
		got, err := s.Load(ctx, id)
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		want.ID = id
		assertRecordEqual(t, want, got)

		// A second scan gets its own id and does not disturb the first.
		id2, err := s.Save(ctx, bigRecord(tenantA, 3, ts("2025-06-02T00:00:00Z")))
		if err != nil {
			t.Fatalf("Save: %v", err)
		}
		if id2 == id {
			t.Fatalf("second scan got id %d again", id)
		}
		again, err := s.Load(ctx, id)
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		assertRecordEqual(t, want, again)
	})
}

func TestLoadNormalisesZonesAndEmptyCollections(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := openTest(t, dsn)
		cet := time.FixedZone("CET", 3600)
		in := &Record{
			Tenant: &inventory.Tenant{ID: tenantA, CollectedAt: time.Date(2025, 1, 2, 13, 0, 0, 700, cet),
				Source: "graph", Complete: true, Incomplete: []string{},
				Objects: []inventory.Object{{Type: inventory.Application, ID: "o1", Tags: []string{},
					Credentials: []inventory.Credential{{Type: inventory.Federated, KeyID: "f1", Audiences: []string{}}},
					Owners:      []*inventory.Owner{}, Permissions: []inventory.Permission{}}}},
			Findings: []policy.Finding{{ID: "f", Evidence: map[string]string{}, Deadline: ptr(time.Time{})}},
			// A reading of the wall clock carries a monotonic part.
			ScannedAt: time.Now().In(cet),
		}
		id, err := s.Save(ctx, in)
		if err != nil {
			t.Fatalf("Save: %v", err)
		}
		got, err := s.Load(ctx, id)
		if err != nil {
			t.Fatalf("Load: %v", err)
		}
		want := &Record{
			ID: id,
			Tenant: &inventory.Tenant{ID: tenantA, CollectedAt: time.Date(2025, 1, 2, 12, 0, 0, 700, time.UTC),
				Source: "graph", Complete: true,
				Objects: []inventory.Object{{Type: inventory.Application, ID: "o1",
					Credentials: []inventory.Credential{{Type: inventory.Federated, KeyID: "f1"}}}}},
			// A non-nil zero deadline stays non-nil.
			Findings:  []policy.Finding{{ID: "f", Deadline: ptr(time.Time{})}},
			ScannedAt: in.ScannedAt.UTC().Round(0),
		}
		assertRecordEqual(t, want, got)
	})
}

func TestSaveRejectsUnstorableInputWithoutWriting(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := openTest(t, dsn)
		if _, err := s.Save(ctx, nil); err == nil {
			t.Error("Save(nil) succeeded")
		}
		if _, err := s.Save(ctx, &Record{}); err == nil {
			t.Error("Save without tenant succeeded")
		}
		r := bigRecord(tenantA, 3, ts("2025-06-01T00:00:00Z"))
		r.Tenant.Objects[2].Credentials[1].End = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
		_, err := s.Save(ctx, r)
		if err == nil || !strings.Contains(err.Error(), "objects[2] (obj-000002) credentials[1] end: year 10000 out of range") {
			t.Fatalf("Save with year 10000: err = %v", err)
		}
		scans, err := s.Scans(ctx, Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(scans) != 0 {
			t.Errorf("failed Save left %d scans visible", len(scans))
		}
	})
}

func TestSaveStampsScanTimeFromClock(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := openTest(t, dsn)
		now := ts("2025-07-01T08:00:00.123456789Z")
		s.now = func() time.Time { return now }
		id, err := s.Save(ctx, bigRecord(tenantA, 1, time.Time{}))
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.Load(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if !got.ScannedAt.Equal(now) {
			t.Errorf("ScannedAt = %v, want the clock's %v", got.ScannedAt, now)
		}
	})
}

func TestLoadUnknownScanIsNotFound(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		s := openTest(t, dsn)
		if _, err := s.Load(context.Background(), 42); !errors.Is(err, ErrNotFound) {
			t.Errorf("Load(42) err = %v, want ErrNotFound", err)
		}
	})
}

// saveAll stores records in order and returns their ids.
func saveAll(t *testing.T, s *Store, recs ...*Record) []int64 {
	t.Helper()
	ids := make([]int64, len(recs))
	for i, r := range recs {
		id, err := s.Save(context.Background(), r)
		if err != nil {
			t.Fatalf("Save #%d: %v", i, err)
		}
		ids[i] = id
	}
	return ids
}

func partial(r *Record, why string) *Record {
	r.Tenant.Complete = false
	r.Tenant.Incomplete = []string{why}
	return r
}

func TestScansFilterAndOrder(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := openTest(t, dsn)
		ids := saveAll(t, s,
			bigRecord(tenantA, 2, ts("2025-06-01T00:00:00Z")),                         // 0
			bigRecord(tenantB, 1, ts("2025-06-02T00:00:00Z")),                         // 1
			partial(bigRecord(tenantA, 3, ts("2025-06-03T00:00:00Z")), "owners: 403"), // 2
			bigRecord(tenantA, 4, ts("2025-06-03T00:00:00Z")),                         // 3: same time as 2, later id
			// Imported late, scanned early: order follows scan time, not id.
			bigRecord(tenantA, 5, ts("2025-05-01T00:00:00.5Z")), // 4
		)
		tests := []struct {
			name string
			f    Filter
			want []int64
		}{
			{"all newest first", Filter{}, []int64{ids[3], ids[2], ids[1], ids[0], ids[4]}},
			{"one tenant", Filter{TenantID: tenantA}, []int64{ids[3], ids[2], ids[0], ids[4]}},
			{"since is inclusive", Filter{Since: ts("2025-06-02T00:00:00Z")}, []int64{ids[3], ids[2], ids[1]}},
			{"since in another zone", Filter{Since: ts("2025-06-02T00:00:00Z").In(time.FixedZone("X", -7200))},
				[]int64{ids[3], ids[2], ids[1]}},
			{"limit", Filter{TenantID: tenantA, Limit: 2}, []int64{ids[3], ids[2]}},
			{"unknown tenant", Filter{TenantID: "nobody"}, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.Scans(ctx, tt.f)
				if err != nil {
					t.Fatal(err)
				}
				var gotIDs []int64
				for _, si := range got {
					gotIDs = append(gotIDs, si.ID)
				}
				if !reflect.DeepEqual(gotIDs, tt.want) {
					t.Errorf("ids = %v, want %v", gotIDs, tt.want)
				}
			})
		}
		all, err := s.Scans(ctx, Filter{TenantID: tenantA, Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		want := []ScanInfo{
			{ID: ids[3], TenantID: tenantA, Source: "demo", ScannedAt: ts("2025-06-03T00:00:00Z"),
				CollectedAt: ts("2025-06-03T00:00:00Z"), Complete: true, Objects: 4, Credentials: 8, Findings: 4},
			{ID: ids[2], TenantID: tenantA, Source: "demo", ScannedAt: ts("2025-06-03T00:00:00Z"),
				CollectedAt: ts("2025-06-03T00:00:00Z"), Incomplete: []string{"owners: 403"}, Objects: 3, Credentials: 6, Findings: 3},
		}
		if !reflect.DeepEqual(all, want) {
			t.Errorf("Scans = %#v\nwant %#v", all, want)
		}
		if _, err := s.Scans(ctx, Filter{Limit: -1}); err == nil {
			t.Error("negative limit accepted")
		}
	})
}

func TestLatestCompleteSkipsPartialScans(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := openTest(t, dsn)
		ids := saveAll(t, s,
			bigRecord(tenantA, 1, ts("2025-06-01T00:00:00Z")),                         // 0
			bigRecord(tenantA, 1, ts("2025-06-02T00:00:00Z")),                         // 1
			bigRecord(tenantB, 1, ts("2025-06-02T12:00:00Z")),                         // 2
			partial(bigRecord(tenantA, 1, ts("2025-06-03T00:00:00Z")), "graph: 429"),  // 3
			partial(bigRecord(tenantB, 1, ts("2025-06-04T00:00:00Z")), "credentials"), // 4
			bigRecord(tenantA, 1, ts("2025-06-02T00:00:00Z")),                         // 5: same time as 1, later id
		)
		tests := []struct {
			name     string
			tenant   string
			before   int64
			want     int64 // 0: none
			notFound bool
		}{
			{"latest skips the newer partial scan", tenantA, 0, ids[5], false},
			{"before a partial scan", tenantA, ids[3], ids[5], false},
			{"same scan time orders by id", tenantA, ids[5], ids[1], false},
			{"before the second", tenantA, ids[1], ids[0], false},
			{"nothing before the first", tenantA, ids[0], 0, false},
			{"other tenant", tenantB, 0, ids[2], false},
			{"other tenant's only newer scan is partial", tenantB, ids[4], ids[2], false},
			{"unknown tenant", "nobody", 0, 0, false},
			{"unknown before id", tenantA, 9999, 0, true},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := s.LatestComplete(ctx, tt.tenant, tt.before)
				if tt.notFound {
					if !errors.Is(err, ErrNotFound) {
						t.Errorf("err = %v, want ErrNotFound", err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				switch {
				case tt.want == 0 && got != nil:
					t.Errorf("got scan %d, want none", got.ID)
				case tt.want != 0 && got == nil:
					t.Errorf("got none, want scan %d", tt.want)
				case tt.want != 0 && got.ID != tt.want:
					t.Errorf("got scan %d, want %d", got.ID, tt.want)
				case got != nil && !got.Complete:
					t.Errorf("returned partial scan %d", got.ID)
				}
			})
		}
	})
}

// Who added each credential is kept per tenant: updates add, replace and
// delete records by key id, a reader can skip the keys it does not need
// yet still learn every stored key, and tenants do not mix.
func TestProvenance(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := openTest(t, dsn)
		at := time.Date(2026, 10, 1, 8, 0, 0, 0, time.UTC)
		ch := func(key, actor string) activity.Change {
			return activity.Change{RecordID: "r-" + key, ObjectID: "o1", KeyID: key, When: at,
				Actor: activity.Actor{Type: activity.ActorUser, Name: actor, IP: "203.0.113.7"}}
		}
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		names := func(tenant string, want func(string) bool) (map[string]string, []string) {
			t.Helper()
			got, stored, err := s.Provenance(ctx, tenant, want)
			must(err)
			out := map[string]string{}
			for k, c := range got {
				out[k] = c.Actor.Name
			}
			slices.Sort(stored)
			return out, stored
		}
		must(s.UpdateProvenance(ctx, "t1", map[string]activity.Change{"k1": ch("k1", "mallory"), "K2": ch("K2", "eve")}, nil))
		must(s.UpdateProvenance(ctx, "t2", map[string]activity.Change{"k1": ch("k1", "other-tenant")}, nil))
		must(s.UpdateProvenance(ctx, "t1", map[string]activity.Change{"k1": ch("k1", "trent"), "k3": ch("k3", "bob")}, nil))
		got, stored := names("t1", nil)
		if want := map[string]string{"k1": "trent", "k2": "eve", "k3": "bob"}; !reflect.DeepEqual(got, want) {
			t.Errorf("after updates: %v, want %v", got, want)
		}
		all, _, err := s.Provenance(ctx, "t1", nil)
		must(err)
		if c := all["k1"]; !c.When.Equal(at) || c.Actor.IP != "203.0.113.7" || c.RecordID != "r-k1" {
			t.Errorf("k1 read back as %+v", c)
		}
		// Only the wanted keys are decoded; every key is listed.
		got, stored = names("t1", func(k string) bool { return k == "k3" })
		if !reflect.DeepEqual(got, map[string]string{"k3": "bob"}) || !slices.Equal(stored, []string{"k1", "k2", "k3"}) {
			t.Errorf("wanting k3: %v, stored %v", got, stored)
		}
		must(s.UpdateProvenance(ctx, "t1", nil, []string{"K2", "k3"}))
		if got, _ := names("t1", nil); !reflect.DeepEqual(got, map[string]string{"k1": "trent"}) {
			t.Errorf("after removing k2 and k3: %v", got)
		}
		if got, _ := names("t2", nil); !reflect.DeepEqual(got, map[string]string{"k1": "other-tenant"}) {
			t.Errorf("tenant t2: %v", got)
		}
	})
}
