package store

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/crashtest"
)

// The crash test re-executes this test binary as a child (as os/exec's
// own tests do); these variables select the child's part.
const (
	helperModeEnv  = "CREDWATCH_STORE_TEST_HELPER"
	helperDSNEnv   = "CREDWATCH_STORE_TEST_DSN"
	midWriteMarker = "MID-WRITE"
)

// runHelper is the child's main. In "crash-save" it starts saving a big
// scan and, half-way through the credentials, says so and waits to be
// killed inside the open transaction.
func runHelper(mode string) int {
	if mode != "crash-save" {
		fmt.Fprintf(os.Stderr, "unknown helper mode %q\n", mode)
		return 2
	}
	ctx := context.Background()
	s, err := Open(ctx, os.Getenv(helperDSNEnv), nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		return 1
	}
	batches := 0
	testHookAfterBatch = func(table string) {
		if table != "credentials" {
			return
		}
		if batches++; batches == 2 {
			fmt.Println(midWriteMarker)
			os.Stdout.Sync()
			time.Sleep(time.Hour) // until SIGKILL
		}
	}
	_, err = s.Save(ctx, bigRecord(tenantA, 2000, ts("2025-06-09T00:00:00Z")))
	fmt.Fprintln(os.Stderr, "save returned before the crash point:", err)
	return 3
}

func TestCrashMidSaveLeavesNoPartialScan(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := openTest(t, dsn)
		earlier := []*Record{sampleRecord(), bigRecord(tenantA, 50, ts("2025-06-05T00:00:00Z"))}
		for i, id := range saveAll(t, s, earlier...) {
			earlier[i].ID = id
		}
		s.Close()

		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), helperModeEnv+"=crash-save", helperDSNEnv+"="+dsn)
		crashtest.KillAt(t, cmd, midWriteMarker)

		s = openTest(t, dsn)
		scans, err := s.Scans(ctx, Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if len(scans) != len(earlier) {
			t.Fatalf("after the crash %d scans are visible, want the %d saved before it: %+v", len(scans), len(earlier), scans)
		}
		for _, want := range earlier {
			got, err := s.Load(ctx, want.ID)
			if err != nil {
				t.Fatalf("Load(%d) after the crash: %v", want.ID, err)
			}
			assertRecordEqual(t, want, got)
		}
		// No orphaned rows of the killed transaction either.
		db, _ := rawDB(t, dsn)
		var objects int
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM objects").Scan(&objects); err != nil {
			t.Fatal(err)
		}
		if want := len(earlier[0].Tenant.Objects) + len(earlier[1].Tenant.Objects); objects != want {
			t.Errorf("objects table holds %d rows, want %d", objects, want)
		}
		// And the store still takes writes.
		if _, err := s.Save(ctx, bigRecord(tenantA, 10, ts("2025-06-10T00:00:00Z"))); err != nil {
			t.Fatalf("Save after the crash: %v", err)
		}
	})
}
