package activity

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/msgraph"
)

// FuzzParseKeyDescription: any input is parsed or refused, never a panic;
// every entry parsed has a key id; and an entry written from plain fields
// reads back as written.
func FuzzParseKeyDescription(f *testing.F) {
	f.Add(`["[KeyIdentifier=c7890f61-2f17-478f-bc60-60fd19c09588,KeyType=Password,KeyUsage=Verify,DisplayName=ci-deploy]"]`)
	f.Add(`[]`)
	f.Add(`["[KeyIdentifier=k,KeyType=AsymmetricX509Cert,KeyUsage=Verify,DisplayName=CN=a, O=b]"]`)
	f.Fuzz(func(t *testing.T, in string) {
		got, err := ParseKeyDescription(in)
		if err != nil {
			if got != nil {
				t.Fatal("entries returned with an error")
			}
			return
		}
		for _, k := range got {
			if strings.TrimSpace(k.KeyID) == "" {
				t.Fatalf("entry without a key id from %q", in)
			}
			if !plainField(k.KeyID) || !plainField(k.KeyType) || !plainField(k.KeyUsage) ||
				strings.Contains(k.KeyID+k.KeyType+k.KeyUsage, ",") || !plainField(k.DisplayName) {
				continue
			}
			list, _ := json.Marshal([]string{formatKeyEntry(k)})
			back, err := ParseKeyDescription(string(list))
			if err != nil || len(back) != 1 || back[0] != k {
				t.Fatalf("round trip of %+v gave %+v, %v", k, back, err)
			}
		}
	})
}

// FuzzParseISODuration: never a panic, never a negative result, and a
// value accepted is unchanged by a round trip through its seconds.
func FuzzParseISODuration(f *testing.F) {
	for _, s := range []string{"P90D", "P4DT12H30M5S", "PT1H", "PT0.5S", "P1Y", "-P1D"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		d, err := ParseISODuration(in)
		if err != nil {
			if d != 0 {
				t.Fatal("value returned with an error")
			}
			return
		}
		if d < 0 {
			t.Fatalf("negative duration %v from %q", d, in)
		}
		s := d / time.Second
		ns := d % time.Second
		canon := "PT" + strconv.FormatInt(int64(s), 10) + "." + pad9(int64(ns)) + "S"
		back, err := ParseISODuration(canon)
		if err != nil || back != d {
			t.Fatalf("%q = %v, but %q = %v, %v", in, d, canon, back, err)
		}
	})
}

func pad9(n int64) string {
	s := strconv.FormatInt(n, 10)
	return strings.Repeat("0", 9-len(s)) + s
}

// FuzzParse feeds arbitrary JSON as activity data: Parse must return
// evidence or an error, never panic, and evidence must be sorted.
func FuzzParse(f *testing.F) {
	// Small seeds: the fuzzer minimises every new input, which takes
	// minutes for one the size of testdata/activity.json.
	f.Add([]byte(`{"directoryAudits":[{"id":"a","activityDisplayName":"Add service principal credentials.","activityDateTime":"2026-06-01T00:00:00Z","initiatedBy":{"user":{"userPrincipalName":"u"}},"targetResources":[{"id":"o","type":"ServicePrincipal","modifiedProperties":[{"displayName":"KeyDescription","oldValue":"[]","newValue":"[\"[KeyIdentifier=k,KeyType=Password,KeyUsage=Verify,DisplayName=a, b]\"]"}]}]}]}`))
	f.Add([]byte(`{"credentialSignInActivities":[{"id":"u","keyId":"k","keyType":"secret","expirationDate":"2021-04-01T21:36:48-8:00","signInActivity":{"lastSignInDateTime":"2021-03-18T00:00:00-8:00"}}],"defaultAppManagementPolicy":{"isEnabled":true,"applicationRestrictions":{"passwordCredentials":[{"restrictionType":"passwordLifetime","maxLifetime":"P90D"}],"keyCredentials":[]}}}`))
	f.Add([]byte(`{"signIns":[{"id":"s","createdDateTime":"2026-01-01T00:00:00+5:30","ipAddress":"::ffff:192.0.2.1"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var a msgraph.Activity
		if json.Unmarshal(data, &a) != nil {
			return
		}
		ev, err := Parse(&a, nil)
		if err != nil {
			return
		}
		for i := 1; i < len(ev.SignIns); i++ {
			if ev.SignIns[i].When.Before(ev.SignIns[i-1].When) {
				t.Fatal("sign-ins out of order")
			}
		}
	})
}
