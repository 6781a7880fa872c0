package policy

import (
	"testing"

	"github.com/credwatch/credwatch/internal/inventory"
)

func TestBaselineMatchesIdsWithoutLetterCase(t *testing.T) {
	b := BaselineOf(&inventory.Tenant{ID: "t", Complete: true, Objects: []inventory.Object{{
		ID: "0A1B2C3D-0000-4000-8000-00000000000A",
		Credentials: []inventory.Credential{
			{KeyID: "11111111-2222-4333-8444-555555555555", PairedKeyID: "66666666-7777-4888-8999-AAAAAAAAAAAA"},
			{KeyID: "Not-A-Guid"},
		},
	}}})
	tests := []struct {
		id         string
		object, ok bool
	}{
		{"0a1b2c3d-0000-4000-8000-00000000000a", true, true},
		{"0a1b2c3d-0000-4000-8000-00000000000b", true, false},
		{"11111111-2222-4333-8444-555555555555", false, true},
		{"66666666-7777-4888-8999-aaaaaaaaaaaa", false, true},
		{"not-a-guid", false, true},
		{"not-a-gui", false, false},
		{"", false, false},
		// Same letters as a GUID's but not one: never equal to its bytes.
		{"111111112222433384445555555555555555", false, false},
	}
	for _, tt := range tests {
		var got bool
		if tt.object {
			got = b.hasObject(tt.id)
		} else {
			got = b.hasKey(tt.id)
		}
		if got != tt.ok {
			t.Errorf("has(%q) = %v, want %v", tt.id, got, tt.ok)
		}
	}
}
