package msgraph

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"unsafe"
)

func TestInternerSharesRepeatedStringsAndTrimsSlices(t *testing.T) {
	// Decoded separately, as pages of a list are: no string is shared.
	var a, b Application
	var p ServicePrincipal
	for _, x := range []struct {
		doc string
		v   any
	}{
		{`{"id":"a1","appId":"app-1","displayName":"Payroll","owners":[{"id":"u1","displayName":"Ada"},{"id":"u2"},{"id":"u3"}]}`, &a},
		{`{"id":"a2","appId":"app-2","displayName":"Billing","owners":[{"id":"u1","displayName":"Ada"}]}`, &b},
		{`{"id":"s1","appId":"app-1","displayName":"Payroll","appRoleAssignments":[{"id":"g","principalId":"s1","resourceId":"r"}]}`, &p},
	} {
		if err := json.Unmarshal([]byte(x.doc), x.v); err != nil {
			t.Fatal(err)
		}
	}
	in := NewInterner()
	in.Application(&a)
	in.Application(&b)
	in.ServicePrincipal(&p)
	same := func(what, x, y string) {
		t.Helper()
		if x != y || unsafe.StringData(x) != unsafe.StringData(y) {
			t.Errorf("%s: %q and %q are not one string", what, x, y)
		}
	}
	same("owner id", a.Owners[0].ID, b.Owners[0].ID)
	same("owner name", a.Owners[0].DisplayName, b.Owners[0].DisplayName)
	same("appId of app and service principal", a.AppID, p.AppID)
	same("display name of app and service principal", a.DisplayName, p.DisplayName)
	same("principal of a grant", p.ID, p.AppRoleAssignments[0].PrincipalID)
	if cap(a.Owners) != len(a.Owners) {
		t.Errorf("owners: capacity %d for %d", cap(a.Owners), len(a.Owners))
	}
	// Read apart from their object, as the lookups are.
	more := in.Owners(append(make([]DirectoryObject, 0, 8), DirectoryObject{ID: string([]byte("u2"))}))
	same("owner read by a lookup", more[0].ID, a.Owners[1].ID)
	if cap(more) != 1 {
		t.Errorf("lookup owners: capacity %d for 1", cap(more))
	}
}

func TestInternerCopiesKeepTheirValues(t *testing.T) {
	in := NewInterner()
	var apps []Application
	var want []string
	// Enough ids to fill several blocks, and one longer than a block share.
	for i := range 5000 {
		id := fmt.Sprintf("%08d-0000-4000-8000-%012d", i, i)
		want = append(want, id)
		apps = append(apps, Application{ID: string([]byte(id)), DisplayName: "shared name",
			PasswordCredentials: []PasswordCredential{{KeyID: "k" + id}}})
	}
	long := strings.Repeat("x", blockSize)
	apps[0].DisplayName = long
	for i := range apps {
		in.Application(&apps[i])
	}
	for i, a := range apps[1:] {
		i++
		if a.ID != want[i] || a.PasswordCredentials[0].KeyID != "k"+want[i] || a.DisplayName != "shared name" {
			t.Fatalf("application %d reads %q, key %q, name %q after interning", i, a.ID, a.PasswordCredentials[0].KeyID, a.DisplayName)
		}
	}
	if apps[0].DisplayName != long || apps[0].ID != want[0] {
		t.Error("a string longer than a block changed")
	}
}

func TestSlabListsStayApart(t *testing.T) {
	var sl slab[string]
	a := sl.pack([]string{"a1", "a2"})
	b := sl.pack([]string{"b1"})
	a = append(a, "a3") // must not write over b
	if b[0] != "b1" || len(a) != 3 || a[2] != "a3" {
		t.Errorf("after appending to one list: %q and %q", a, b)
	}
	long := make([]string, slabLen)
	if got := sl.pack(long); len(got) != slabLen || cap(got) != slabLen {
		t.Errorf("a long list packs to len %d cap %d", len(got), cap(got))
	}
	if sl.pack(nil) != nil {
		t.Error("an empty list became non-nil")
	}
	p, q := sl.hold("x"), sl.hold("y")
	if *p != "x" || *q != "y" || p == q {
		t.Errorf("held values %q and %q", *p, *q)
	}
}
