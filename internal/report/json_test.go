package report

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestJSONRoundTripsIntoScan(t *testing.T) {
	s := fixtureScan()
	out := render(t, "json", s, fixtureOptions())
	var back Scan
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&back); err != nil {
		t.Fatalf("decode: %v", err)
	}
	if !reflect.DeepEqual(&back, s) {
		t.Errorf("round trip changed the scan:\n got %+v\nwant %+v", back, *s)
	}
}

func TestJSONSchemaVersionComesFirst(t *testing.T) {
	out := render(t, "json", fixtureScan(), fixtureOptions())
	if !strings.HasPrefix(out, "{\n  \"schemaVersion\": 1,\n  \"kind\": \"credwatch.scan\",") {
		t.Errorf("JSON does not open with schemaVersion and kind:\n%.120s", out)
	}
}

func TestJSONAlwaysCarriesSuppressedFindings(t *testing.T) {
	var back Scan
	if err := json.Unmarshal([]byte(render(t, "json", fixtureScan(), Options{ShowSuppressed: false})), &back); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range back.Findings {
		if f.Suppressed {
			n++
			if f.SuppressionReason == "" {
				t.Error("suppressed finding without its reason")
			}
		}
	}
	if n != 2 {
		t.Errorf("%d suppressed findings in JSON, want 2", n)
	}
}

func TestJSONEmptyScanHasArraysNotNull(t *testing.T) {
	out := render(t, "json", NewScan(nil, nil, fixedNow), Options{})
	for _, want := range []string{`"credentials": []`, `"findings": []`} {
		if !strings.Contains(out, want) {
			t.Errorf("empty scan JSON lacks %s", want)
		}
	}
}

func TestInventoryJSONRoundTrips(t *testing.T) {
	var back Inventory
	dec := json.NewDecoder(strings.NewReader(renderInventory(t, "json")))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&back); err != nil {
		t.Fatal(err)
	}
	if want := NewInventory(fixtureTenant(), fixedNow); !reflect.DeepEqual(&back, want) {
		t.Errorf("round trip changed the inventory:\n got %+v\nwant %+v", back, *want)
	}
	if back.Kind != InventoryKind || back.SchemaVersion != SchemaVersion {
		t.Errorf("kind %q version %d", back.Kind, back.SchemaVersion)
	}
}
