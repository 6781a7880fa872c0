package activity

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseKeyDescription(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want []KeyDescription
	}{
		{"empty list", "[]", []KeyDescription{}},
		{"null", "null", nil},
		{"missing", "", nil},
		{"one secret", `["[KeyIdentifier=c7890f61-2f17-478f-bc60-60fd19c09588,KeyType=Password,KeyUsage=Verify,DisplayName=ci-deploy]"]`,
			[]KeyDescription{{"c7890f61-2f17-478f-bc60-60fd19c09588", "Password", "Verify", "ci-deploy"}}},
		{"commas, equals and brackets in the name", `["[KeyIdentifier=k1,KeyType=AsymmetricX509Cert,KeyUsage=Verify,DisplayName=CN=app, O=Contoso, L=[x]]"]`,
			[]KeyDescription{{"k1", "AsymmetricX509Cert", "Verify", "CN=app, O=Contoso, L=[x]"}}},
		{"a name that repeats a field marker", `["[KeyIdentifier=k1,KeyType=Password,KeyUsage=Verify,DisplayName=a,KeyType=Sign]"]`,
			[]KeyDescription{{"k1", "Password", "Verify", "a,KeyType=Sign"}}},
		{"empty name", `["[KeyIdentifier=k1,KeyType=Password,KeyUsage=Verify,DisplayName=]"]`,
			[]KeyDescription{{"k1", "Password", "Verify", ""}}},
		{"fields in another order", `["[DisplayName=n,KeyUsage=Sign,KeyIdentifier=k2,KeyType=AsymmetricX509Cert]"]`,
			[]KeyDescription{{"k2", "AsymmetricX509Cert", "Sign", "n"}}},
		{"only the id", `["[KeyIdentifier=k3]"]`, []KeyDescription{{KeyID: "k3"}}},
		{"two entries", `["[KeyIdentifier=a,KeyType=Password,KeyUsage=Verify,DisplayName=x]","[KeyIdentifier=b,KeyType=Password,KeyUsage=Verify,DisplayName=y]"]`,
			[]KeyDescription{{"a", "Password", "Verify", "x"}, {"b", "Password", "Verify", "y"}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseKeyDescription(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %#v\nwant %#v", got, tc.want)
			}
		})
	}
	for _, in := range []string{`"[KeyIdentifier=x]"`, `[1]`, `["[KeyType=Password,DisplayName=x]"]`, `["[]"]`, `[`} {
		if got, err := ParseKeyDescription(in); err == nil {
			t.Errorf("ParseKeyDescription(%s) = %v, want an error", in, got)
		}
	}
}

// formatKeyEntry writes an entry as Entra does.
func formatKeyEntry(k KeyDescription) string {
	return "[KeyIdentifier=" + k.KeyID + ",KeyType=" + k.KeyType + ",KeyUsage=" + k.KeyUsage + ",DisplayName=" + k.DisplayName + "]"
}

// plainField reports whether v can be written into an entry and read back
// unchanged: no field marker, no surrounding space, no closing bracket at
// the end.
func plainField(v string) bool {
	for _, f := range keyFields {
		if strings.Contains(v, f+"=") {
			return false
		}
	}
	return v == strings.TrimSpace(v) && !strings.HasSuffix(v, "]") && !strings.HasPrefix(v, "[")
}
