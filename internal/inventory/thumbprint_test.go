package inventory

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"testing"
)

// billingCertDER returns the base64 DER certificate in the snapshot
// fixture; its SHA-1 fingerprint, as openssl x509 -fingerprint -sha1
// printed it when the fixture was made, is billingThumbprint.
func billingCertDER(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("testdata/credwatch-snapshot.json")
	if err != nil {
		t.Fatal(err)
	}
	var s Snapshot
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatal(err)
	}
	return *s.Applications[0].KeyCredentials[0].Key
}

const billingThumbprint = "36FD07A2A16C8F7CC8F8A3036A9069BAF0CE8863"

func TestThumbprintForms(t *testing.T) {
	der := billingCertDER(t)
	ptr := func(s string) *string { return &s }
	tests := []struct {
		name     string
		cki, key *string
		want     string
	}{
		{"sha-1 of the certificate wins", ptr("u10QZEN9hyClxTB4GF5qNhp4sQo="), ptr(der), billingThumbprint},
		{"certificate without customKeyIdentifier", nil, ptr(der), billingThumbprint},
		{"base64 of 20 bytes (Graph default)", ptr("u10QZEN9hyClxTB4GF5qNhp4sQo="), nil, "BB5D1064437D8720A5C53078185E6A361A78B10A"},
		{"base64 without padding", ptr("u10QZEN9hyClxTB4GF5qNhp4sQo"), nil, "BB5D1064437D8720A5C53078185E6A361A78B10A"},
		{"40-hex string (how-to form)", ptr("BB5D1064437D8720A5C53078185E6A361A78B10A"), nil, "BB5D1064437D8720A5C53078185E6A361A78B10A"},
		{"lower-case hex is upper-cased", ptr("bb5d1064437d8720a5c53078185e6a361a78b10a"), nil, "BB5D1064437D8720A5C53078185E6A361A78B10A"},
		{"base64 of hex text", ptr(base64.StdEncoding.EncodeToString([]byte("b38825bb0cef258ceb4f286f1ca75f7498985229"))), nil, "B38825BB0CEF258CEB4F286F1CA75F7498985229"},
		{"key that is not base64 falls back to the identifier", ptr("u10QZEN9hyClxTB4GF5qNhp4sQo="), ptr("not base64!"), "BB5D1064437D8720A5C53078185E6A361A78B10A"},
		{"empty key falls back", ptr("u10QZEN9hyClxTB4GF5qNhp4sQo="), ptr(""), "BB5D1064437D8720A5C53078185E6A361A78B10A"},
		{"base64 of a label is no thumbprint", ptr(base64.StdEncoding.EncodeToString([]byte("my-cert-2024"))), nil, ""},
		{"39 hex characters", ptr("BB5D1064437D8720A5C53078185E6A361A78B10"), nil, ""},
		{"free text", ptr("rotation key"), nil, ""},
		{"nothing", nil, nil, ""},
		{"empty identifier", ptr(""), nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Thumbprint(tt.cki, tt.key); got != tt.want {
				t.Errorf("Thumbprint = %q, want %q", got, tt.want)
			}
		})
	}
}
