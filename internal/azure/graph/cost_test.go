package graph

import (
	"net/url"
	"testing"

	"github.com/credwatch/credwatch/internal/emulator"
)

var costCases = []struct {
	method, url string
	want        int
}{
	{"GET", "/applications", 2},
	{"GET", "/applications?$select=id,appId&$expand=owners($select=id)&$top=999", 2},
	{"GET", "/applications?$select=id&$top=999", 1},
	{"GET", "/applications?$top=5", 1},
	{"GET", "/applications/delta?$select=id,passwordCredentials", 1},
	{"GET", "/applications/delta()?$deltatoken=x", 2},
	{"GET", "/applications/a1/federatedIdentityCredentials?$select=id,name", 1},
	{"GET", "/applications/a1/owners?$select=id&$top=999", 1},
	{"GET", "/servicePrincipals?$select=id&$expand=owners&$top=999", 1},
	{"GET", "/servicePrincipals/s1/appRoleAssignments?$top=999", 2},
	{"GET", "/servicePrincipals/s1/appRoleAssignments?$select=id&$top=999", 1},
	{"GET", "/servicePrincipals/delta?$skiptoken=x", 1},
	{"GET", "/servicePrincipals(appId='00000003-0000-0000-c000-000000000000')?$select=id,appRoles", 1},
	{"GET", "/applications/$count", 1},
	{"POST", "/applications/a1/addPassword", 1},
	{"DELETE", "/applications/a1/owners/o1/$ref", 1},
	{"POST", "/$batch", 0},
	{"GET", "/auditLogs/directoryAudits?$top=999", 0},
	{"GET", "https://graph.example/v1.0/applications?$select=id&$expand=owners&$skiptoken=abc", 2},
	{"GET", "https://graph.example/beta/applications", 2},
}

func TestResourceUnitsTable(t *testing.T) {
	for _, tt := range costCases {
		if got := ResourceUnits(tt.method, tt.url); got != tt.want {
			t.Errorf("ResourceUnits(%s %s) = %d, want %d", tt.method, tt.url, got, tt.want)
		}
	}
}

// The client prices requests as the emulator charges them: one table.
func TestResourceUnitsMatchTheEmulator(t *testing.T) {
	for _, tt := range costCases {
		u, err := url.Parse(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		path := u.EscapedPath()
		if !u.IsAbs() {
			path = "/v1.0" + path
		}
		if got, want := ResourceUnits(tt.method, tt.url), emulator.RequestCost(tt.method, path, u.RawQuery); got != want {
			t.Errorf("%s %s: client estimates %d, emulator charges %d", tt.method, tt.url, got, want)
		}
	}
}
