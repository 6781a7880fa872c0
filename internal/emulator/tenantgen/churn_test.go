package tenantgen

import (
	"encoding/json"
	"testing"
)

func TestChurnIsRepeatableAndChangesWhatItSays(t *testing.T) {
	churned := func(seed int64) ([]byte, map[string]int, int) {
		d := Generate(Options{Seed: 4, Apps: 300})
		made := Churn(d, ChurnOptions{Seed: seed, Apps: 60})
		b, err := json.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		return b, made, len(d.Applications)
	}
	a, made, n := churned(1)
	b, _, _ := churned(1)
	c, _, _ := churned(2)
	if string(a) != string(b) {
		t.Error("the same seed made different changes")
	}
	if string(a) == string(c) {
		t.Error("another seed made the same changes")
	}
	total := 0
	for _, k := range made {
		total += k
	}
	if total != 60 {
		t.Errorf("%d changes reported (%v), want 60", total, made)
	}
	if want := 300 - made["deleted"] + made["registered"]; n != want {
		t.Errorf("%d applications after churn, want %d", n, want)
	}
	base, _ := json.Marshal(Generate(Options{Seed: 4, Apps: 300}))
	if string(base) == string(a) {
		t.Error("churn changed nothing")
	}
}
