package emulator

import (
	"encoding/json"
	"testing"

	"github.com/credwatch/credwatch/internal/msgraph"
)

func TestAppManagementPolicies(t *testing.T) {
	e := newDemoEnv(t, nil)
	tok := e.token(t, policyClientID)
	want := e.dir.Activity

	g := e.get(t, tok, "/v1.0/policies/defaultAppManagementPolicy")
	var tenant msgraph.TenantAppManagementPolicy
	if err := json.Unmarshal(g.raw, &tenant); err != nil || g.status != 200 {
		t.Fatalf("default policy: status %d: %v", g.status, err)
	}
	if mustMarshal(t, tenant) != mustMarshal(t, want.DefaultAppManagementPolicy) {
		t.Errorf("default policy\n got %s\nwant %s", mustMarshal(t, tenant), mustMarshal(t, want.DefaultAppManagementPolicy))
	}
	if ctx := g.body["@odata.context"]; ctx != e.srv.GraphURL()+"/$metadata#policies/defaultAppManagementPolicy/$entity" {
		t.Errorf("@odata.context %v", ctx)
	}
	if g := e.get(t, tok, "/v1.0/policies/defaultAppManagementPolicy?$select=isEnabled"); len(g.body) != 2 || g.body["isEnabled"] != true {
		t.Errorf("$select=isEnabled: %s", g.raw)
	}

	custom := want.AppManagementPolicies[0]
	list := e.get(t, tok, "/v1.0/policies/appManagementPolicies")
	if vals := list.values(); len(vals) != 1 || vals[0]["id"] != custom.ID || vals[0]["appliesTo"] != nil {
		t.Errorf("list without $expand: %s", list.raw)
	}
	expanded := e.get(t, tok, "/v1.0/policies/appManagementPolicies?$expand=appliesTo")
	applies, _ := expanded.values()[0]["appliesTo"].([]any)
	if len(applies) != 1 || applies[0].(map[string]any)["id"] != custom.AppliesTo[0].ID ||
		applies[0].(map[string]any)["@odata.type"] != "#microsoft.graph.application" {
		t.Errorf("$expand=appliesTo: %s", expanded.raw)
	}
	if g := e.get(t, tok, "/beta/policies/appManagementPolicies/"+custom.ID); g.status != 200 || g.body["displayName"] != custom.DisplayName {
		t.Errorf("policy by id: status %d %s", g.status, g.raw)
	}
	if g := e.get(t, tok, "/v1.0/policies/appManagementPolicies/"+custom.ID+"/appliesTo"); len(g.values()) != 1 {
		t.Errorf("appliesTo: %s", g.raw)
	}
	if g := e.get(t, tok, "/v1.0/policies/appManagementPolicies/00000000-0000-4000-8000-000000000bad"); g.status != 404 {
		t.Errorf("unknown policy: status %d", g.status)
	}
	scanner := e.app(t, "credwatch-scanner")
	if g := e.get(t, tok, "/v1.0/applications/"+scanner.ID+"/appManagementPolicies"); len(g.values()) != 1 || g.values()[0]["id"] != custom.ID {
		t.Errorf("the scanner's policies: %s", g.raw)
	}
	if g := e.get(t, tok, "/v1.0/applications/"+e.app(t, "payroll-export").ID+"/appManagementPolicies"); g.status != 200 || len(g.values()) != 0 {
		t.Errorf("an app with no custom policy: status %d %s", g.status, g.raw)
	}
}

// A tenant that never set its policy has Graph's disabled default.
func TestDefaultPolicyWithoutActivity(t *testing.T) {
	e := newEnvOpts(t, Options{Directory: testDirectory(),
		Clients: []Client{{ID: policyClientID, Secret: certSecret, Roles: []string{"Policy.Read.All"}}}})
	tok := e.token(t, policyClientID)
	g := e.get(t, tok, "/v1.0/policies/defaultAppManagementPolicy")
	restr, _ := g.body["applicationRestrictions"].(map[string]any)
	if g.status != 200 || g.body["isEnabled"] != false || g.body["id"] != "00000000-0000-0000-0000-000000000000" || len(restr["passwordCredentials"].([]any)) != 0 {
		t.Errorf("default policy: status %d %s", g.status, g.raw)
	}
	if g := e.get(t, tok, "/v1.0/policies/appManagementPolicies"); g.status != 200 || len(g.values()) != 0 {
		t.Errorf("custom policies: status %d %s", g.status, g.raw)
	}
}
