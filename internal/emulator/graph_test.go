package emulator

import (
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// collect follows nextLinks from path and returns every id, failing on a
// page that repeats the nextLink or exceeds top.
func collect(t *testing.T, e *testEnv, tok, path string, top int) []string {
	t.Helper()
	var ids []string
	link := path
	for pages := 0; link != ""; pages++ {
		if pages > 50 {
			t.Fatalf("%s: more than 50 pages", path)
		}
		g := e.get(t, tok, link)
		if g.status != 200 {
			t.Fatalf("%s: status %d: %s", link, g.status, g.raw)
		}
		vals := g.values()
		if len(vals) > top {
			t.Fatalf("%s: %d values on a page with $top=%d", link, len(vals), top)
		}
		for _, v := range vals {
			ids = append(ids, v["id"].(string))
		}
		next, _ := g.body["@odata.nextLink"].(string)
		if next != "" {
			u, err := url.Parse(next)
			if err != nil || !u.IsAbs() || !strings.HasPrefix(next, e.srv.GraphURL()+"/") {
				t.Fatalf("nextLink %q: want an absolute URL under %s", next, e.srv.GraphURL())
			}
			tokn := u.Query().Get("$skiptoken")
			if tokn == "" {
				t.Fatalf("nextLink %q has no $skiptoken", next)
			}
			if _, err := strconv.Atoi(tokn); err == nil {
				t.Fatalf("$skiptoken %q is a plain offset", tokn)
			}
		}
		link = next
	}
	return ids
}

func TestPagingVisitsEveryObjectOnce(t *testing.T) {
	e := newEnv(t, Faults{})
	tok := e.token(t, readerID)
	dir := testDirectory()
	var appIDs, spIDs, ownerIDs []string
	for _, a := range dir.Applications {
		appIDs = append(appIDs, a.ID)
	}
	for _, s := range dir.ServicePrincipals {
		spIDs = append(spIDs, s.ID)
	}
	for _, o := range dir.Applications[manyOwnersAppIdx].Owners {
		ownerIDs = append(ownerIDs, o.ID)
	}
	manyOwners := "/v1.0/applications/" + dir.Applications[manyOwnersAppIdx].ID + "/owners"
	for _, top := range []int{1, 2, 3, 7, 100} {
		for _, c := range []struct {
			path string
			want []string
		}{
			{"/v1.0/applications?$select=id,displayName", appIDs},
			{"/v1.0/servicePrincipals", spIDs},
			{manyOwners, ownerIDs},
		} {
			p := c.path + map[bool]string{true: "&", false: "?"}[strings.Contains(c.path, "?")] + "$top=" + strconv.Itoa(top)
			if got := collect(t, e, tok, p, top); !slices.Equal(got, c.want) {
				t.Errorf("%s: ids %v, want %v", p, got, c.want)
			}
		}
	}
	// Default page size is 100: one page, no nextLink.
	if g := e.get(t, tok, "/v1.0/applications"); g.body["@odata.nextLink"] != nil || len(g.values()) != 5 {
		t.Errorf("default page: %d values, nextLink %v", len(g.values()), g.body["@odata.nextLink"])
	}
}

func TestSkipTokenIsSealed(t *testing.T) {
	e := newEnv(t, Faults{})
	tok := e.token(t, readerID)
	g := e.get(t, tok, "/v1.0/applications?$top=2")
	next := g.body["@odata.nextLink"].(string)
	u, _ := url.Parse(next)
	skip := u.Query().Get("$skiptoken")
	tampered := []byte(skip)
	tampered[len(tampered)/2] ^= 1
	for name, path := range map[string]string{
		"tampered":         "/v1.0/applications?$top=2&$skiptoken=" + string(tampered),
		"made up":          "/v1.0/applications?$top=2&$skiptoken=2",
		"other collection": "/v1.0/servicePrincipals?$top=2&$skiptoken=" + skip,
	} {
		if g := e.get(t, tok, path); g.status != 400 || g.errCode() != "Directory_ExpiredPageToken" {
			t.Errorf("%s skiptoken: status %d code %s, want 400 Directory_ExpiredPageToken", name, g.status, g.errCode())
		}
	}
}

func TestQueryValidation(t *testing.T) {
	e := newEnv(t, Faults{})
	tok := e.token(t, readerID)
	tests := []struct {
		path   string
		status int
		code   string
		msg    string
	}{
		{"/v1.0/applications?$top=0", 400, "Request_BadRequest", "Invalid page size specified: '0'. Must be between 1 and 999 inclusive."},
		{"/v1.0/applications?$top=1000", 400, "Request_BadRequest", "Invalid page size specified: '1000'. Must be between 1 and 999 inclusive."},
		{"/v1.0/applications?$top=ten", 400, "Request_BadRequest", ""},
		{"/v1.0/applications?$top=999", 200, "", ""},
		{"/v1.0/applications?$select=id,bogusName", 400, "Request_BadRequest", "Could not find a property named 'bogusName' on type 'microsoft.graph.application'."},
		{"/v1.0/servicePrincipals?$select=signInAudience,appOwnerOrganizationId", 200, "", ""},
		{"/v1.0/servicePrincipals?$select=createdDateTime", 400, "Request_BadRequest", "Could not find a property named 'createdDateTime' on type 'microsoft.graph.servicePrincipal'."},
		{"/v1.0/servicePrincipals?$select=publisherDomain", 400, "Request_BadRequest", "Could not find a property named 'publisherDomain' on type 'microsoft.graph.servicePrincipal'."},
		{"/v1.0/applications?$expand=owners($select=id,shoeSize)", 400, "Request_BadRequest", "Could not find a property named 'shoeSize' on type 'microsoft.graph.directoryObject'."},
		{"/v1.0/applications?$expand=bogus", 400, "Request_BadRequest", ""},
		{"/v1.0/applications?$top=1&$top=2", 400, "Request_BadRequest", ""},
		{"/v1.0/applications?$bogus=1", 400, "Request_BadRequest", ""},
		{"/v1.0/applications?$filter=" + url.QueryEscape("notes eq 'x'"), 400, "Request_UnsupportedQuery", "Unsupported or invalid query filter clause specified for property 'notes' of resource 'Application'."},
		{"/v1.0/applications?$filter=" + url.QueryEscape("appId eq"), 400, "Request_BadRequest", ""},
		{"/v1.0/applications?$filter=" + url.QueryEscape("displayName ne 'app-1'"), 400, "Request_UnsupportedQuery", ""},
		{"/v1.0/servicePrincipals?$filter=" + url.QueryEscape("appOwnerOrganizationId eq '"+testTenant+"'"), 400, "Request_BadRequest", ""},
		{"/v1.0/applications/not-a-guid", 400, "Request_BadRequest", "Invalid object identifier 'not-a-guid'."},
		{"/v1.0/applications/00000000-0000-4000-8000-000000000bad", 404, "Request_ResourceNotFound", "Resource '00000000-0000-4000-8000-000000000bad' does not exist or one of its queried reference-property objects are not present."},
		{"/v1.0/servicePrincipals(appId='00000000-0000-4000-8000-000000000bad')", 404, "Request_ResourceNotFound", ""},
		{"/v1.0/users", 404, "Request_ResourceNotFound", ""},
		{"/v1.0/applications/a0000000-0000-4000-8000-000000000000/extensionProperties", 404, "Request_ResourceNotFound", ""},
	}
	for _, tt := range tests {
		g := e.get(t, tok, tt.path)
		if g.status != tt.status || g.errCode() != tt.code {
			t.Errorf("%s: status %d code %q, want %d %q (%s)", tt.path, g.status, g.errCode(), tt.status, tt.code, g.errMessage())
			continue
		}
		if tt.msg != "" && g.errMessage() != tt.msg {
			t.Errorf("%s: message %q, want %q", tt.path, g.errMessage(), tt.msg)
		}
	}
}

func TestSelectAndKeyCredentials(t *testing.T) {
	e := newEnv(t, Faults{})
	tok := e.token(t, readerID)
	certApp := testDirectory().Applications[2]
	keysOf := func(g graphResp, obj map[string]any) []map[string]any {
		t.Helper()
		arr, ok := obj["keyCredentials"].([]any)
		if !ok {
			t.Fatalf("no keyCredentials in %s", g.raw)
		}
		out := make([]map[string]any, len(arr))
		for i, v := range arr {
			out[i] = v.(map[string]any)
		}
		return out
	}
	tests := []struct {
		name     string
		path     string
		keyShown bool
	}{
		{"list, default properties", "/v1.0/applications?$filter=" + url.QueryEscape("id eq '"+certApp.ID+"'"), false},
		{"list, selected without keyCredentials", "/v1.0/applications?$select=id,passwordCredentials&$filter=" + url.QueryEscape("id eq '"+certApp.ID+"'"), false},
		{"list, keyCredentials selected", "/v1.0/applications?$select=id,keyCredentials&$filter=" + url.QueryEscape("id eq '"+certApp.ID+"'"), true},
		{"get, default properties", "/v1.0/applications/" + certApp.ID, false},
		{"get by appId, keyCredentials selected", "/v1.0/applications(appId='" + certApp.AppID + "')?$select=keyCredentials", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := e.get(t, tok, tt.path)
			if g.status != 200 {
				t.Fatalf("status %d: %s", g.status, g.raw)
			}
			obj := g.body
			if vals := g.values(); vals != nil {
				if len(vals) != 1 {
					t.Fatalf("%d values, want 1", len(vals))
				}
				obj = vals[0]
			}
			if strings.Contains(tt.path, "passwordCredentials") {
				if _, ok := obj["keyCredentials"]; ok || len(obj) != 2 {
					t.Fatalf("selected id,passwordCredentials, got %v", obj)
				}
				return
			}
			keys := keysOf(g, obj)
			if len(keys) != 2 || keys[0]["usage"] != "Sign" || keys[1]["usage"] != "Verify" {
				t.Fatalf("keyCredentials %v: want the Sign/Verify pair as two credentials", keys)
			}
			for _, k := range keys {
				key, present := k["key"]
				if !present {
					t.Errorf("key property absent: want it present (null or value)")
				}
				if (key != nil) != tt.keyShown {
					t.Errorf("key = %v, want shown=%v", key, tt.keyShown)
				}
			}
		})
	}
	g := e.get(t, tok, "/v1.0/applications?$select=id,appId&$top=1")
	if want := e.srv.GraphURL() + "/$metadata#applications(id,appId)"; g.body["@odata.context"] != want {
		t.Errorf("@odata.context %v, want %s", g.body["@odata.context"], want)
	}
	if v := g.values()[0]; len(v) != 2 || v["appId"] == nil {
		t.Errorf("$select=id,appId gave %v", v)
	}
	full := e.get(t, tok, "/v1.0/applications?$top=1").values()[0]
	for _, p := range []string{"id", "appId", "displayName", "passwordCredentials", "keyCredentials", "requiredResourceAccess", "tags", "notes"} {
		if _, ok := full[p]; !ok {
			t.Errorf("default properties lack %s", p)
		}
	}
	if tags, _ := full["tags"].([]any); tags == nil {
		t.Errorf("tags = %v, want [] for an application without tags", full["tags"])
	}
}

func TestExpandOwnersCapsAtTwenty(t *testing.T) {
	e := newEnv(t, Faults{})
	tok := e.token(t, readerID)
	many := testDirectory().Applications[manyOwnersAppIdx]
	g := e.get(t, tok, "/v1.0/applications?$select=id&$expand=owners($select=id,displayName)")
	if g.status != 200 {
		t.Fatalf("status %d: %s", g.status, g.raw)
	}
	if want := e.srv.GraphURL() + "/$metadata#applications(id,owners(id,displayName))"; g.body["@odata.context"] != want {
		t.Errorf("@odata.context %v, want %s", g.body["@odata.context"], want)
	}
	for _, v := range g.values() {
		owners, _ := v["owners"].([]any)
		want := 1
		if v["id"] == many.ID {
			want = 20
		}
		if len(owners) != want {
			t.Errorf("app %v: %d expanded owners, want %d", v["id"], len(owners), want)
		}
		if _, ok := v["owners@odata.nextLink"]; ok {
			t.Errorf("app %v: expanded owners carry a nextLink", v["id"])
		}
		for _, o := range owners {
			om := o.(map[string]any)
			if om["@odata.type"] == nil || om["id"] == nil || len(om) > 3 {
				t.Errorf("owner %v: want @odata.type, id and displayName only", om)
			}
		}
	}
	// The owners endpoint pages through all 25, each typed.
	o := e.get(t, tok, "/v1.0/applications/"+many.ID+"/owners")
	vals := o.values()
	if len(vals) != 25 {
		t.Fatalf("owners endpoint: %d owners, want 25", len(vals))
	}
	if vals[0]["@odata.type"] != "#microsoft.graph.user" || vals[4]["@odata.type"] != "#microsoft.graph.servicePrincipal" || vals[4]["appId"] == nil {
		t.Errorf("owner types: %v, %v", vals[0], vals[4])
	}
	if vals[0]["userPrincipalName"] != "u0@example.test" {
		t.Errorf("user owner %v: want userPrincipalName", vals[0])
	}
	if want := e.srv.GraphURL() + "/$metadata#directoryObjects"; o.body["@odata.context"] != want {
		t.Errorf("owners @odata.context %v, want %s", o.body["@odata.context"], want)
	}
}

func TestFilterAndAlternateKeys(t *testing.T) {
	e := newEnv(t, Faults{})
	tok := e.token(t, readerID)
	d := testDirectory()
	count := func(path string, hdr ...string) (int, graphResp) {
		t.Helper()
		g := e.get(t, tok, path, hdr...)
		if g.status != 200 {
			t.Fatalf("%s: status %d: %s", path, g.status, g.raw)
		}
		return len(g.values()), g
	}
	f := func(s string) string { return "$filter=" + url.QueryEscape(s) }
	tests := []struct {
		path string
		want int
	}{
		{"/v1.0/applications?" + f("appId eq '"+strings.ToUpper(d.Applications[3].AppID)+"'"), 1},
		{"/v1.0/applications?" + f("id eq '"+d.Applications[0].ID+"'"), 1},
		{"/v1.0/applications?" + f("appId in ('"+d.Applications[0].AppID+"','"+d.Applications[4].AppID+"')"), 2},
		{"/v1.0/applications?" + f("startswith(displayName,'APP-')"), 5},
		{"/v1.0/applications?" + f("displayName eq 'app-1' or (displayName eq 'app-2' and signInAudience eq 'AzureADMyOrg')"), 2},
		{"/v1.0/servicePrincipals?" + f("appOwnerOrganizationId eq f8cdef31-a31e-4b4a-93e4-5f571e91255a"), 1},
		{"/v1.0/servicePrincipals?" + f("accountEnabled eq true and servicePrincipalType eq 'Application'"), 4},
		{"/v1.0/applications/" + d.Applications[2].ID + "/federatedIdentityCredentials?" + f("name eq 'github-pr'"), 1},
	}
	for _, tt := range tests {
		if n, _ := count(tt.path); n != tt.want {
			t.Errorf("%s: %d values, want %d", tt.path, n, tt.want)
		}
	}
	n, g := count("/v1.0/applications?$count=true&"+f("displayName ne 'app-1'"), "ConsistencyLevel", "eventual")
	if n != 4 || g.body["@odata.count"] != float64(4) {
		t.Errorf("advanced ne: %d values, @odata.count %v; want 4 and 4", n, g.body["@odata.count"])
	}

	// Alternate keys and the resource principal, which is reachable but not listed.
	if g := e.get(t, tok, "/v1.0/servicePrincipals(appId='00000003-0000-0000-c000-000000000000')?$select=id,appRoles"); g.status != 200 || g.body["id"] != graphResourceSP {
		t.Errorf("Graph resource principal by appId: status %d body %s", g.status, g.raw)
	}
	if n, _ := count("/v1.0/servicePrincipals?" + f("appId eq '00000003-0000-0000-c000-000000000000'")); n != 0 {
		t.Errorf("resource principal listed: want only Directory.ServicePrincipals in the list")
	}
	sp := d.ServicePrincipals[1]
	a := e.get(t, tok, "/v1.0/servicePrincipals/"+sp.ID+"/appRoleAssignments")
	vals := a.values()
	if a.status != 200 || len(vals) != 1 || vals[0]["resourceId"] != graphResourceSP || vals[0]["appRoleId"] != "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30" {
		t.Errorf("appRoleAssignments: status %d body %s", a.status, a.raw)
	}
	fic := e.get(t, tok, "/v1.0/applications(appId='"+d.Applications[2].AppID+"')/federatedIdentityCredentials")
	if fic.status != 200 || len(fic.values()) != 2 || fic.values()[0]["issuer"] != "https://token.actions.githubusercontent.com" {
		t.Errorf("federatedIdentityCredentials: status %d body %s", fic.status, fic.raw)
	}
	one := e.get(t, tok, "/v1.0/applications/"+d.Applications[0].ID+"?$expand=owners")
	if one.status != 200 || one.body["appId"] != d.Applications[0].AppID || len(one.body["owners"].([]any)) != 1 {
		t.Errorf("get with $expand=owners: status %d body %s", one.status, one.raw)
	}
	if want := e.srv.GraphURL() + "/$metadata#applications(owners())/$entity"; one.body["@odata.context"] != want {
		t.Errorf("@odata.context %v, want %s", one.body["@odata.context"], want)
	}
}

func TestResponsesCarryRequestIDs(t *testing.T) {
	e := newEnv(t, Faults{})
	tok := e.token(t, readerID)
	g := e.get(t, tok, "/v1.0/applications?$top=1", "client-request-id", "5e1f0000-0000-4000-8000-000000000abc")
	if g.header.Get("request-id") == "" || g.header.Get("client-request-id") != "5e1f0000-0000-4000-8000-000000000abc" {
		t.Errorf("headers request-id %q client-request-id %q", g.header.Get("request-id"), g.header.Get("client-request-id"))
	}
	if !strings.HasPrefix(g.header.Get("Content-Type"), "application/json") || g.header.Get("x-ms-resource-unit") == "" {
		t.Errorf("headers %v: want JSON content type and x-ms-resource-unit", g.header)
	}
	g = e.get(t, tok, "/v1.0/applications")
	if g.header.Get("client-request-id") != g.header.Get("request-id") {
		t.Errorf("without a client-request-id, Graph echoes the request-id: got %q vs %q", g.header.Get("client-request-id"), g.header.Get("request-id"))
	}
}

func TestCountSegment(t *testing.T) {
	e := newEnv(t, Faults{})
	tok := e.token(t, readerID)
	g := e.get(t, tok, "/v1.0/servicePrincipals/$count?$filter="+url.QueryEscape("appOwnerOrganizationId eq "+testTenant), "ConsistencyLevel", "eventual")
	if g.status != 200 || string(g.raw) != "3" || !strings.HasPrefix(g.header.Get("Content-Type"), "text/plain") {
		t.Errorf("/$count: status %d, %q (%s)", g.status, g.raw, g.header.Get("Content-Type"))
	}
	if g := e.get(t, tok, "/v1.0/applications/$count"); g.status != 400 {
		t.Errorf("/$count without ConsistencyLevel: status %d, want 400", g.status)
	}
}
