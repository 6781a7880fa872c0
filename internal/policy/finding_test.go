package policy

import "testing"

func TestSeverityRoundTrip(t *testing.T) {
	for s := Info; s <= Critical; s++ {
		got, err := ParseSeverity(s.String())
		if err != nil || got != s {
			t.Errorf("ParseSeverity(%q) = %v, %v", s.String(), got, err)
		}
	}
	if _, err := ParseSeverity("severe"); err == nil {
		t.Error("ParseSeverity accepted an unknown name")
	}
}

func TestFindingIDStableAndDistinct(t *testing.T) {
	a := FindingID("CW001", "obj", "key")
	if a != FindingID("CW001", "obj", "key") {
		t.Error("same inputs gave different ids")
	}
	if a == FindingID("CW002", "obj", "key") || a == FindingID("CW001", "obj", "key2") {
		t.Error("different inputs gave the same id")
	}
	// The separator keeps ("ab","c") and ("a","bc") apart.
	if FindingID("CW001", "ab", "c") == FindingID("CW001", "a", "bc") {
		t.Error("ids collide across field boundaries")
	}
}
