package store

import "testing"

func TestIDIndexFindsTheFirstOfEachID(t *testing.T) {
	ids := []string{"c", "a", "b", "a", "c", "", "a"}
	x := newIDIndex(len(ids), func(i int) string { return ids[i] })
	for _, tc := range []struct {
		id    string
		first int
		found bool
	}{{"a", 1, true}, {"b", 2, true}, {"c", 0, true}, {"", 5, true}, {"d", 0, false}, {"A", 0, false}} {
		if i, ok := x.first(tc.id); i != tc.first || ok != tc.found {
			t.Errorf("first(%q) = %d, %v; want %d, %v", tc.id, i, ok, tc.first, tc.found)
		}
	}
	if !x.isFirst("a", 1) || x.isFirst("a", 3) || x.isFirst("a", 6) || x.isFirst("d", 0) {
		t.Error("isFirst: only the first position of an id is first")
	}
	if _, ok := newIDIndex(0, nil).first("a"); ok {
		t.Error("an empty index found an id")
	}
}
