package emulator

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/msgraph"
)

// bigDirectory has n applications, each with a service principal, owner
// and secret: enough for delta rounds of more than one page.
func bigDirectory(n int) *msgraph.Directory {
	d := &msgraph.Directory{TenantID: testTenant}
	for i := range n {
		owner := msgraph.DirectoryObject{ODataType: "#microsoft.graph.user", ID: guidN("d0000000", i%7), DisplayName: fmt.Sprintf("Owner %d", i%7)}
		d.Applications = append(d.Applications, msgraph.Application{
			ID: guidN("a0000000", i), AppID: guidN("b0000000", i), DisplayName: fmt.Sprintf("app-%d", i),
			PasswordCredentials: []msgraph.PasswordCredential{{KeyID: guidN("c0000000", i), Hint: strp("abc"), EndDateTime: "2027-01-01T00:00:00Z"}},
			Owners:              []msgraph.DirectoryObject{owner},
		})
		d.ServicePrincipals = append(d.ServicePrincipals, msgraph.ServicePrincipal{
			ID: guidN("5b000000", i), AppID: guidN("b0000000", i), DisplayName: fmt.Sprintf("app-%d", i), Owners: []msgraph.DirectoryObject{owner},
		})
	}
	return d
}

func deltaEnv(t *testing.T, n int) *testEnv {
	t.Helper()
	return newEnvOpts(t, Options{Directory: bigDirectory(n), Clients: []Client{
		{ID: readerID, Secret: certSecret, Roles: []string{"Application.Read.All"}},
		{ID: writerID, Secret: certSecret, Roles: []string{"Application.ReadWrite.All"}},
	}})
}

// deltaRound follows a delta round from link to its deltaLink, checking
// the links' shapes, and returns the items and the deltaLink.
func deltaRound(t *testing.T, e *testEnv, tok, link string) ([]map[string]any, string) {
	t.Helper()
	var items []map[string]any
	for pages := 0; ; pages++ {
		if pages > 20 {
			t.Fatalf("%s: more than 20 pages", link)
		}
		g := e.get(t, tok, link)
		if g.status != 200 {
			t.Fatalf("%s: status %d: %s", link, g.status, g.raw)
		}
		items = append(items, g.values()...)
		next, _ := g.body["@odata.nextLink"].(string)
		dl, _ := g.body["@odata.deltaLink"].(string)
		switch {
		case next != "" && dl != "":
			t.Fatalf("page with both nextLink and deltaLink")
		case next != "":
			u, _ := url.Parse(next)
			if u.Query().Get("$skiptoken") == "" || len(u.Query()) != 1 {
				t.Fatalf("nextLink %q: want only a $skiptoken", next)
			}
			link = next
		case dl != "":
			u, _ := url.Parse(dl)
			if u.Query().Get("$deltatoken") == "" || len(u.Query()) != 1 || !strings.HasPrefix(dl, e.srv.GraphURL()+"/") {
				t.Fatalf("deltaLink %q: want an absolute link with only a $deltatoken", dl)
			}
			return items, dl
		default:
			t.Fatalf("%s: page with neither nextLink nor deltaLink", link)
		}
	}
}

func TestDeltaRounds(t *testing.T) {
	e := deltaEnv(t, 250)
	tok, wtok := e.token(t, readerID), e.token(t, writerID)
	dir := bigDirectory(250)

	// Round 1: every application, selected properties only, over pages.
	items, link1 := deltaRound(t, e, tok, "/v1.0/applications/delta?$select=displayName,passwordCredentials")
	if len(items) != 250 {
		t.Fatalf("round 1: %d items, want 250", len(items))
	}
	if items[0]["displayName"] != "app-0" || items[0]["passwordCredentials"] == nil || items[0]["appId"] != nil {
		t.Errorf("round 1 item %v: want id, displayName and passwordCredentials only", items[0])
	}
	if got := slices.Compact(slices.Sorted(slices.Values(ids(items)))); len(got) != 250 {
		t.Errorf("round 1: %d distinct ids", len(got))
	}
	if e.srv.Stats().ByKind[kindDeltaApps].Requests != 2 {
		t.Errorf("round 1 of 250 took %d pages, want 2", e.srv.Stats().ByKind[kindDeltaApps].Requests)
	}

	// Nothing changed: an empty round.
	if items, _ := deltaRound(t, e, tok, link1); len(items) != 0 {
		t.Errorf("unchanged tenant: %d items", len(items))
	}

	// A secret and an owner change through the API.
	app7, app9 := dir.Applications[7].ID, dir.Applications[9].ID
	if g := e.post(t, wtok, "/v1.0/applications/"+app7+"/addPassword", `{}`); g.status != 200 {
		t.Fatalf("addPassword: %d", g.status)
	}
	if g := e.send(t, wtok, "DELETE", "/v1.0/applications/"+app9+"/owners/"+dir.Applications[9].Owners[0].ID+"/$ref", ""); g.status != 204 {
		t.Fatalf("remove owner: %d %s", g.status, g.raw)
	}
	items, link2 := deltaRound(t, e, tok, link1)
	if got := ids(items); !slices.Equal(got, []string{app7, app9}) {
		t.Fatalf("round after writes: %v, want %s and %s", got, app7, app9)
	}
	if pw, _ := items[0]["passwordCredentials"].([]any); len(pw) != 2 || items[0]["displayName"] != nil {
		t.Errorf("changed secret: %v, want id and passwordCredentials (2) only", items[0])
	}
	if len(items[1]) != 1 {
		t.Errorf("owner change: %v, want only the id (owners are not selected)", items[1])
	}
	// A replayed link gives the same changes; the new one gives none.
	if again, _ := deltaRound(t, e, tok, link1); !slices.Equal(ids(again), ids(items)) {
		t.Errorf("replayed deltaLink: %v, want %v", ids(again), ids(items))
	}
	if items, _ := deltaRound(t, e, tok, link2); len(items) != 0 {
		t.Errorf("after catching up: %d items", len(items))
	}

	// Changes made where the API does not reach.
	added := msgraph.Application{ID: guidN("a1000000", 1), AppID: guidN("b1000000", 1), DisplayName: "new-app"}
	err := e.srv.Mutate(func(d *msgraph.Directory) {
		d.Applications[4].DisplayName = "renamed"
		d.Applications[5].FederatedIdentityCredentials = []msgraph.FederatedIdentityCredential{{ID: "f", Name: "gh", Issuer: "https://issuer"}}
		d.Applications = slices.Delete(d.Applications, 3, 4)
		d.Applications = append(d.Applications, added)
	})
	if err != nil {
		t.Fatal(err)
	}
	items, _ = deltaRound(t, e, tok, link2)
	want := []string{dir.Applications[4].ID, dir.Applications[5].ID, added.ID, dir.Applications[3].ID}
	if got := ids(items); !slices.Equal(got, want) {
		t.Fatalf("round after Mutate: %v, want %v", got, want)
	}
	if items[0]["displayName"] != "renamed" || items[0]["passwordCredentials"] == nil {
		t.Errorf("changed app %v: want all selected properties", items[0])
	}
	if items[2]["displayName"] != "new-app" {
		t.Errorf("new app %v", items[2])
	}
	if rm, _ := items[3]["@removed"].(map[string]any); rm["reason"] != "changed" || len(items[3]) != 2 {
		t.Errorf("removed app %v: want id and @removed", items[3])
	}
	if g := e.get(t, tok, "/v1.0/applications/"+dir.Applications[3].ID); g.status != 404 {
		t.Errorf("removed app still served: %d", g.status)
	}
}

func TestDeltaServicePrincipalsSeeRelationshipChanges(t *testing.T) {
	e := deltaEnv(t, 10)
	tok := e.token(t, readerID)
	_, link := deltaRound(t, e, tok, "/v1.0/servicePrincipals/delta?$deltatoken=latest&$select=id,displayName")
	sp := bigDirectory(10).ServicePrincipals[2]
	if err := e.srv.Mutate(func(d *msgraph.Directory) {
		d.ServicePrincipals[2].AppRoleAssignments = append(d.ServicePrincipals[2].AppRoleAssignments,
			msgraph.AppRoleAssignment{ID: "x", AppRoleID: "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30", PrincipalID: sp.ID, ResourceID: graphResourceSP})
	}); err != nil {
		t.Fatal(err)
	}
	items, _ := deltaRound(t, e, tok, link)
	if len(items) != 1 || items[0]["id"] != sp.ID || items[0]["displayName"] != sp.DisplayName {
		t.Errorf("after a new assignment: %v, want %s with its selected properties", items, sp.ID)
	}
}

func TestDeltaLatestStartsFromNow(t *testing.T) {
	e := deltaEnv(t, 10)
	tok, wtok := e.token(t, readerID), e.token(t, writerID)
	items, link := deltaRound(t, e, tok, "/v1.0/applications/delta?$select=id,passwordCredentials&$deltatoken=latest")
	if len(items) != 0 {
		t.Fatalf("latest: %d items, want none", len(items))
	}
	app := bigDirectory(10).Applications[1].ID
	if g := e.post(t, wtok, "/v1.0/applications/"+app+"/addPassword", `{}`); g.status != 200 {
		t.Fatal(g.status)
	}
	if items, _ := deltaRound(t, e, tok, link); !slices.Equal(ids(items), []string{app}) || items[0]["passwordCredentials"] == nil {
		t.Errorf("after latest: %v", items)
	}
}

func TestDeltaTokenExpires(t *testing.T) {
	e := deltaEnv(t, 10)
	tok := e.token(t, readerID)
	_, link := deltaRound(t, e, tok, "/v1.0/applications/delta?$select=id,displayName")
	e.clock.Set(testStart.Add(deltaTokenLifetime))
	tok = e.token(t, readerID)
	_, link = deltaRound(t, e, tok, link) // just in time; the new link is fresh
	e.clock.Set(testStart.Add(2*deltaTokenLifetime + time.Second))
	tok = e.token(t, readerID)
	g := e.get(t, tok, link)
	if g.status != 410 || g.errCode() != "syncStateNotFound" {
		t.Fatalf("expired token: %d %q, want 410 syncStateNotFound", g.status, g.errCode())
	}
	loc := g.header.Get("Location")
	if want := e.srv.GraphURL() + "/applications/delta?$select=id,displayName"; loc != want {
		t.Fatalf("Location %q, want %q", loc, want)
	}
	if items, _ := deltaRound(t, e, tok, loc); len(items) != 10 {
		t.Errorf("fresh round from Location: %d items, want 10", len(items))
	}
}

func TestDeltaRefusesBadQueries(t *testing.T) {
	e := deltaEnv(t, 3)
	tok := e.token(t, readerID)
	_, appLink := deltaRound(t, e, tok, "/v1.0/applications/delta")
	_, spLink := deltaRound(t, e, tok, "/v1.0/servicePrincipals/delta")
	spTok, _ := url.Parse(spLink)
	for _, tt := range []struct {
		path string
		code string
	}{
		{appLink + "&$select=id", "Request_BadRequest"},
		{"/v1.0/applications/delta?$deltatoken=garbage", "Request_BadRequest"},
		{"/v1.0/applications/delta?" + spTok.RawQuery, "Request_BadRequest"},
		{"/v1.0/applications/delta?$expand=owners", "Request_UnsupportedQuery"},
		{"/v1.0/applications/delta?$select=nope", "Request_BadRequest"},
	} {
		if g := e.get(t, tok, tt.path); g.status != 400 || g.errCode() != tt.code {
			t.Errorf("%s: %d %q, want 400 %s", tt.path, g.status, g.errCode(), tt.code)
		}
	}
	for _, p := range []string{"/v1.0/applications/delta()", "/v1.0/servicePrincipals/microsoft.graph.delta", "/beta/applications/delta"} {
		if g := e.get(t, tok, p); g.status != 200 {
			t.Errorf("%s: %d", p, g.status)
		}
	}
}
