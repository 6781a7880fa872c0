package metrics

import (
	"errors"
	"strings"
	"testing"
)

func TestOpsCountsScansNotificationsAndIngestion(t *testing.T) {
	o := NewOps()
	o.InitTenant("tenant-a")
	o.ScanDone("tenant-a", ScanSuccess)
	o.ScanDone("tenant-a", ScanSuccess)
	o.ScanDone("tenant-a", ScanIncomplete)
	o.ScanDone("tenant-b", ScanFailure)
	o.InitChannel("slack")
	o.InitChannel("teams")
	o.Notification("teams", nil)
	o.Notification("teams", errors.New("webhook 500"))
	o.Notification("email", nil)
	o.IngestionBatches(3, 1)
	o.IngestionBatches(2, 0)
	golden(t, o, "ops.prom")
}

func TestNewOpsExportsZeroIngestionSeries(t *testing.T) {
	mfs := gather(t, NewOps())
	for _, r := range []string{"success", "failure"} {
		v, ok := value(mfs, "credwatch_ingestion_batches_total", map[string]string{"result": r})
		if !ok || v != 0 {
			t.Errorf("ingestion_batches_total{result=%q} = %v (present %v), want 0 from the start", r, v, ok)
		}
	}
}

func TestNilOpsIsANoOp(t *testing.T) {
	var o *Ops
	o.InitTenant("t")
	o.ScanDone("t", ScanFailure)
	o.InitChannel("c")
	o.Notification("c", errors.New("x"))
	o.IngestionBatches(1, 1)
}

func TestRegistryHasOursAndTheRuntimeCollectors(t *testing.T) {
	c := NewCollector()
	c.SetScan(tenantID, fixtureTenant(), fixtureFindings(), fixtureInfo())
	mfs, err := Registry(c, NewOps()).Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	have := map[string]bool{}
	for _, mf := range mfs {
		have[mf.GetName()] = true
	}
	for _, want := range []string{"go_goroutines", "credwatch_scan_complete", "credwatch_ingestion_batches_total"} {
		if !have[want] {
			t.Errorf("registry lacks %s", want)
		}
	}
	process := false
	for name := range have {
		process = process || strings.HasPrefix(name, "process_")
	}
	if !process {
		t.Error("registry has no process_ metrics")
	}
	// Nil parts are left out, not a panic.
	if _, err := Registry(nil, nil).Gather(); err != nil {
		t.Errorf("Registry(nil, nil).Gather: %v", err)
	}
}
