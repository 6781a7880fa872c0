package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/emulator/tenantgen"
	"github.com/credwatch/credwatch/internal/msgraph"
)

func (e *testEnv) send(t testing.TB, tok, method, path, body string) graphResp {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "credwatch-test/1.0")
	return e.do(t, req)
}

func (e *testEnv) post(t testing.TB, tok, path, body string) graphResp {
	t.Helper()
	return e.send(t, tok, http.MethodPost, path, body)
}

// latestAudits returns the newest n audit records as the API lists them.
func latestAudits(t *testing.T, e *testEnv, n int) []msgraph.DirectoryAudit {
	t.Helper()
	tok := e.token(t, auditClientID)
	g := e.get(t, tok, fmt.Sprintf("/v1.0/auditLogs/directoryAudits?$top=%d", n))
	if g.status != 200 {
		t.Fatalf("audit log: status %d: %s", g.status, g.raw)
	}
	var page struct{ Value []msgraph.DirectoryAudit }
	if err := json.Unmarshal(g.raw, &page); err != nil {
		t.Fatal(err)
	}
	return page.Value
}

func keyDesc(t *testing.T, rec msgraph.DirectoryAudit) (old, new []string) {
	t.Helper()
	for _, mp := range rec.TargetResources[0].ModifiedProperties {
		if mp.DisplayName == "KeyDescription" {
			return tenantgen.ParseKeyEntries(mp.OldValue), tenantgen.ParseKeyEntries(mp.NewValue)
		}
	}
	t.Fatalf("record %q has no KeyDescription", rec.ActivityDisplayName)
	return nil, nil
}

func TestAddPassword(t *testing.T) {
	e := newDemoEnv(t, nil)
	e.clock.Set(testStart.Add(90 * time.Minute))
	tok, reader := e.token(t, writerID), e.token(t, readerID)
	app := e.app(t, "inventory-api")

	g := e.post(t, tok, "/v1.0/applications/"+app.ID+"/addPassword", `{"passwordCredential":{"displayName":"rotated by test"}}`)
	if g.status != 200 {
		t.Fatalf("addPassword: status %d: %s", g.status, g.raw)
	}
	secret, _ := g.body["secretText"].(string)
	keyID, _ := g.body["keyId"].(string)
	if len(secret) != 40 || g.body["hint"] != secret[:3] || !isGUID(keyID) || g.body["displayName"] != "rotated by test" {
		t.Fatalf("response: secret %d chars, hint %v, keyId %q: %s", len(secret), g.body["hint"], keyID, strings.ReplaceAll(string(g.raw), secret, "<secret>"))
	}
	start, end := parseTime(g.body["startDateTime"].(string)), parseTime(g.body["endDateTime"].(string))
	if !start.Equal(testStart.Add(90*time.Minute)) || !end.Equal(start.AddDate(2, 0, 0)) {
		t.Errorf("dates %v..%v, want now..now+2y", start, end)
	}

	// The next list shows the key with its hint and without the secret.
	a := e.get(t, reader, "/v1.0/applications?$select=id,passwordCredentials&"+q("id eq '"+app.ID+"'"))
	if strings.Contains(string(a.raw), secret) || strings.Contains(string(a.raw), "secretText") {
		t.Fatal("the application list shows the secret")
	}
	pcs := a.values()[0]["passwordCredentials"].([]any)
	last := pcs[len(pcs)-1].(map[string]any)
	if len(pcs) != len(app.PasswordCredentials)+1 || last["keyId"] != keyID || last["hint"] != secret[:3] || last["secretText"] != nil {
		t.Errorf("after addPassword: %d credentials, last %v", len(pcs), last)
	}

	recs := latestAudits(t, e.testEnv, 2)
	cred, companion := recs[0], recs[1]
	if cred.ActivityDisplayName != "Update application \u2013 Certificates and secrets management " {
		t.Errorf("activity %q", cred.ActivityDisplayName)
	}
	if companion.ActivityDisplayName != "Update application" || companion.CorrelationID != cred.CorrelationID {
		t.Errorf("companion %q correlation %s, want Update application %s", companion.ActivityDisplayName, companion.CorrelationID, cred.CorrelationID)
	}
	old, new := keyDesc(t, cred)
	if slices.Contains(old, keyID) || !slices.Contains(new, keyID) || len(new) != len(old)+1 {
		t.Errorf("KeyDescription old %v new %v should add %s", old, new, keyID)
	}
	if !strings.Contains(*cred.TargetResources[0].ModifiedProperties[0].NewValue, "KeyIdentifier="+keyID+",KeyType=Password,KeyUsage=Verify,DisplayName=rotated by test]") {
		t.Errorf("KeyDescription newValue %s", *cred.TargetResources[0].ModifiedProperties[0].NewValue)
	}
	if by := cred.InitiatedBy.App; by == nil || by.AppID != writerID || cred.InitiatedBy.User != nil {
		t.Errorf("initiatedBy %+v, want the writer's app", cred.InitiatedBy)
	}
	if cred.TargetResources[0].ID != app.ID || cred.TargetResources[0].Type != "Application" || !parseTime(cred.ActivityDateTime).Equal(start) {
		t.Errorf("target %+v at %s", cred.TargetResources[0], cred.ActivityDateTime)
	}
	if len(cred.AdditionalDetails) != 1 || cred.AdditionalDetails[0].Value != "credwatch-test/1.0" {
		t.Errorf("additionalDetails %+v", cred.AdditionalDetails)
	}
	if strings.Contains(mustMarshal(t, e.srv.Directory()), secret) {
		t.Error("the directory holds the secret")
	}
}

func TestAddPasswordVariants(t *testing.T) {
	e := newDemoEnv(t, nil)
	tok := e.token(t, writerID)
	app := e.app(t, "teams-notifier")
	sp := e.sp(t, app.AppID)
	tests := []struct {
		name, path, body string
		status           int
		activity         string
	}{
		{"by appId", "/v1.0/applications(appId='" + app.AppID + "')/addPassword", `{"passwordCredential":{"startDateTime":"2026-03-02T00:00:00Z","endDateTime":"2026-06-01T00:00:00Z"}}`, 200, tenantgen.ActivityAppCredentials},
		{"empty body", "/v1.0/applications/" + app.ID + "/addPassword", ``, 200, tenantgen.ActivityAppCredentials},
		{"service principal", "/v1.0/servicePrincipals/" + sp.ID + "/addPassword", `{}`, 200, tenantgen.ActivityAddSPCredentials},
		{"service principal by appId, beta", "/beta/servicePrincipals(appId='" + app.AppID + "')/addPassword", `{}`, 200, tenantgen.ActivityAddSPCredentials},
		{"bad date", "/v1.0/applications/" + app.ID + "/addPassword", `{"passwordCredential":{"endDateTime":"tomorrow"}}`, 400, ""},
		{"end before start", "/v1.0/applications/" + app.ID + "/addPassword", `{"passwordCredential":{"startDateTime":"2026-03-02T00:00:00Z","endDateTime":"2026-03-01T00:00:00Z"}}`, 400, ""},
		{"not JSON", "/v1.0/applications/" + app.ID + "/addPassword", `{`, 400, ""},
		{"unknown app", "/v1.0/applications/00000000-0000-4000-8000-000000000bad/addPassword", `{}`, 404, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := e.post(t, tok, tt.path, tt.body)
			if g.status != tt.status {
				t.Fatalf("status %d, want %d: %s", g.status, tt.status, g.raw)
			}
			if tt.status != 200 {
				return
			}
			if tt.name == "by appId" && (g.body["startDateTime"] != "2026-03-02T00:00:00.0000000Z" || g.body["endDateTime"] != "2026-06-01T00:00:00.0000000Z") {
				t.Errorf("dates %v..%v", g.body["startDateTime"], g.body["endDateTime"])
			}
			rec := latestAudits(t, e.testEnv, 2)
			if rec[0].ActivityDisplayName != tt.activity {
				t.Errorf("activity %q, want %q", rec[0].ActivityDisplayName, tt.activity)
			}
			if _, new := keyDesc(t, rec[0]); !slices.Contains(new, g.body["keyId"].(string)) {
				t.Errorf("KeyDescription does not name the new key")
			}
		})
	}
	dir := e.srv.Directory()
	for _, s := range dir.ServicePrincipals {
		if s.ID == sp.ID && len(s.PasswordCredentials) != 2 {
			t.Errorf("service principal has %d secrets, want 2", len(s.PasswordCredentials))
		}
	}
}

func TestRemovePassword(t *testing.T) {
	e := newDemoEnv(t, nil)
	tok, reader := e.token(t, writerID), e.token(t, readerID)
	app := e.app(t, "ci-secrets-sprawl")
	gone := app.PasswordCredentials[1].KeyID
	path := "/v1.0/applications/" + app.ID + "/removePassword"
	if g := e.post(t, tok, path, `{"keyId":"`+gone+`"}`); g.status != 204 || len(g.raw) != 0 {
		t.Fatalf("removePassword: status %d: %s", g.status, g.raw)
	}
	a := e.get(t, reader, "/v1.0/applications/"+app.ID)
	var keys []string
	for _, pc := range a.body["passwordCredentials"].([]any) {
		keys = append(keys, pc.(map[string]any)["keyId"].(string))
	}
	if slices.Contains(keys, gone) || len(keys) != len(app.PasswordCredentials)-1 {
		t.Errorf("after removePassword: keys %v still hold %s", keys, gone)
	}
	rec := latestAudits(t, e.testEnv, 2)[0]
	old, new := keyDesc(t, rec)
	if rec.ActivityDisplayName != tenantgen.ActivityAppCredentials || !slices.Contains(old, gone) || slices.Contains(new, gone) {
		t.Errorf("record %q old %v new %v", rec.ActivityDisplayName, old, new)
	}
	for _, tt := range []struct {
		body   string
		status int
	}{
		{`{"keyId":"` + gone + `"}`, 404},
		{`{"keyId":"00000000-0000-4000-8000-000000000bad"}`, 404},
		{`{"keyId":"not-a-guid"}`, 400},
		{`{}`, 400},
	} {
		if g := e.post(t, tok, path, tt.body); g.status != tt.status {
			t.Errorf("%s: status %d, want %d", tt.body, g.status, tt.status)
		}
	}
	sp := e.sp(t, e.app(t, "reporting-dashboard").AppID)
	if g := e.post(t, tok, "/v1.0/servicePrincipals/"+sp.ID+"/removePassword", `{"keyId":"`+sp.PasswordCredentials[0].KeyID+`"}`); g.status != 204 {
		t.Fatalf("service principal removePassword: status %d", g.status)
	}
	if rec := latestAudits(t, e.testEnv, 1)[0]; rec.ActivityDisplayName != tenantgen.ActivityRemoveSPCredentials || rec.TargetResources[0].Type != "ServicePrincipal" {
		t.Errorf("service principal removal recorded as %q on %q", rec.ActivityDisplayName, rec.TargetResources[0].Type)
	}
}

func TestOwnerReferences(t *testing.T) {
	e := newDemoEnv(t, nil)
	tok, reader := e.token(t, writerID), e.token(t, readerID)
	app := e.app(t, "tenant-provisioning") // no owners
	newOwner := e.app(t, "payroll-export").Owners[0]
	ref := `{"@odata.id":"https://graph.microsoft.com/v1.0/directoryObjects/` + newOwner.ID + `"}`
	if g := e.post(t, tok, "/v1.0/applications/"+app.ID+"/owners/$ref", ref); g.status != 204 {
		t.Fatalf("add owner: status %d: %s", g.status, g.raw)
	}
	owners := ids(e.get(t, reader, "/v1.0/applications/"+app.ID+"/owners").values())
	if !slices.Equal(owners, []string{newOwner.ID}) {
		t.Errorf("owners %v, want %s", owners, newOwner.ID)
	}
	rec := latestAudits(t, e.testEnv, 1)[0]
	if rec.ActivityDisplayName != tenantgen.ActivityAddAppOwner || len(rec.TargetResources) != 2 ||
		rec.TargetResources[0].ID != newOwner.ID || rec.TargetResources[0].Type != "User" || rec.TargetResources[1].ID != app.ID {
		t.Errorf("owner record %q targets %+v", rec.ActivityDisplayName, rec.TargetResources)
	}
	for _, tt := range []struct {
		name, body string
		status     int
	}{
		{"already an owner", ref, 400},
		{"unknown object", `{"@odata.id":"https://graph.microsoft.com/v1.0/directoryObjects/00000000-0000-4000-8000-000000000bad"}`, 404},
		{"not an id", `{"@odata.id":"https://graph.microsoft.com/v1.0/directoryObjects/me"}`, 400},
		{"no reference", `{}`, 400},
	} {
		if g := e.post(t, tok, "/v1.0/applications/"+app.ID+"/owners/$ref", tt.body); g.status != tt.status {
			t.Errorf("%s: status %d, want %d", tt.name, g.status, tt.status)
		}
	}
	del := "/v1.0/applications/" + app.ID + "/owners/" + newOwner.ID + "/$ref"
	if g := e.send(t, tok, http.MethodDelete, del, ""); g.status != 204 {
		t.Fatalf("remove owner: status %d: %s", g.status, g.raw)
	}
	if owners := e.get(t, reader, "/v1.0/applications/"+app.ID+"/owners").values(); len(owners) != 0 {
		t.Errorf("owners after removal: %v", ids(owners))
	}
	if rec := latestAudits(t, e.testEnv, 1)[0]; rec.ActivityDisplayName != tenantgen.ActivityRemoveAppOwner || rec.TargetResources[0].ID != newOwner.ID {
		t.Errorf("removal recorded as %q", rec.ActivityDisplayName)
	}
	if g := e.send(t, tok, http.MethodDelete, del, ""); g.status != 404 {
		t.Errorf("removing a non-owner: status %d, want 404", g.status)
	}
	// A service principal can be made an owner too.
	pipeline := e.sp(t, e.app(t, tenantgen.DemoPipelineApp).AppID)
	if g := e.post(t, tok, "/v1.0/applications/"+app.ID+"/owners/$ref", `{"@odata.id":"https://graph.microsoft.com/v1.0/directoryObjects/`+pipeline.ID+`"}`); g.status != 204 {
		t.Errorf("service principal owner: status %d", g.status)
	}
}

// Application.ReadWrite.OwnedBy changes only the objects the caller's
// service principal owns: the pipeline owns platform-shared-services.
func TestOwnedByWritesOnlyOwnedApps(t *testing.T) {
	var pipelineAppID string
	e := newDemoEnv(t, func(o *Options) {
		for _, a := range o.Directory.Applications {
			if a.DisplayName == tenantgen.DemoPipelineApp {
				pipelineAppID = a.AppID
			}
		}
		o.Clients = append(o.Clients, Client{ID: pipelineAppID, Secret: certSecret, Roles: []string{"Application.ReadWrite.OwnedBy"}})
	})
	tok := e.token(t, pipelineAppID)
	if g := e.post(t, tok, "/v1.0/applications/"+e.app(t, "platform-shared-services").ID+"/addPassword", `{}`); g.status != 200 {
		t.Errorf("owned app: status %d: %s", g.status, g.errMessage())
	}
	if g := e.post(t, tok, "/v1.0/applications/"+e.app(t, "payroll-export").ID+"/addPassword", `{}`); g.status != 403 {
		t.Errorf("app it does not own: status %d, want 403", g.status)
	}
	rec := latestAudits(t, e.testEnv, 2)[0]
	if by := rec.InitiatedBy.App; by == nil || by.DisplayName != tenantgen.DemoPipelineApp || by.ServicePrincipalID != e.sp(t, pipelineAppID).ID {
		t.Errorf("initiatedBy %+v, want the pipeline's service principal", rec.InitiatedBy.App)
	}
}

func TestWritesVisibleInBatch(t *testing.T) {
	e := newDemoEnv(t, nil)
	tok := e.token(t, writerID)
	app := e.app(t, "log-shipper")
	b := e.postBatch(t, tok, []map[string]any{
		{"id": "add", "method": "POST", "url": "/applications/" + app.ID + "/addPassword",
			"headers": map[string]string{"Content-Type": "application/json"}, "body": map[string]any{"passwordCredential": map[string]any{"displayName": "batched"}}},
		get("read", "/applications/"+app.ID+"?$select=passwordCredentials", "add"),
	})
	resps := map[string]map[string]any{}
	for _, r := range b.body["responses"].([]any) {
		resps[r.(map[string]any)["id"].(string)] = r.(map[string]any)
	}
	added := resps["add"]["body"].(map[string]any)
	secret := added["secretText"].(string)
	readBody, _ := json.Marshal(resps["read"]["body"])
	if !strings.Contains(string(readBody), added["keyId"].(string)) || strings.Contains(string(readBody), secret) {
		t.Errorf("the batched read does not show the new key, or shows its secret: %s", strings.ReplaceAll(string(readBody), secret, "<secret>"))
	}
	if strings.Contains(e.logs.String(), secret) {
		t.Error("the log holds the secret")
	}
}

// The secret addPassword returns appears nowhere else: not in the debug
// log, not in later reads, not in audit records or the directory.
func TestSecretTextNeverLeaves(t *testing.T) {
	e := newDemoEnv(t, nil)
	tok, audit := e.token(t, writerID), e.token(t, auditClientID)
	app := e.app(t, "budget-planner")
	var secrets []string
	for range 3 {
		g := e.post(t, tok, "/v1.0/applications/"+app.ID+"/addPassword", `{"passwordCredential":{"displayName":"leak check"}}`)
		secrets = append(secrets, g.body["secretText"].(string))
	}
	var elsewhere strings.Builder
	elsewhere.WriteString(e.logs.String())
	elsewhere.Write(e.get(t, e.token(t, readerID), "/v1.0/applications/"+app.ID+"?$select=passwordCredentials,keyCredentials").raw)
	elsewhere.Write(e.get(t, audit, "/v1.0/auditLogs/directoryAudits").raw)
	elsewhere.WriteString(mustMarshal(t, e.srv.Directory()))
	if !strings.Contains(e.logs.String(), "addPassword") {
		t.Fatal("the debug log does not show the requests at all")
	}
	for _, s := range secrets {
		if strings.Contains(elsewhere.String(), s) {
			t.Errorf("a secret (%d chars) shows up outside its addPassword response", len(s))
		}
	}
}

func TestConcurrentReadsAndWrites(t *testing.T) {
	e := newDemoEnv(t, nil)
	writer, reader, audit := e.token(t, writerID), e.token(t, readerID), e.token(t, auditClientID)
	app := e.app(t, "feature-flags-svc")
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for i := range 4 {
		wg.Add(2)
		go func() {
			defer wg.Done()
			for range 3 {
				if g := e.post(t, writer, "/v1.0/applications/"+app.ID+"/addPassword", `{}`); g.status != 200 {
					errs <- fmt.Sprintf("writer %d: %d", i, g.status)
				}
			}
		}()
		go func() {
			defer wg.Done()
			for range 3 {
				for _, p := range []string{"/v1.0/applications?$top=999", "/v1.0/applications/" + app.ID + "/owners"} {
					if g := e.get(t, reader, p); g.status != 200 {
						errs <- fmt.Sprintf("reader %d: %d", i, g.status)
					}
				}
				if g := e.get(t, audit, "/v1.0/auditLogs/directoryAudits?$top=5"); g.status != 200 {
					errs <- fmt.Sprintf("auditor %d: %d", i, g.status)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for msg := range errs {
		t.Error(msg)
	}
	dir := e.srv.Directory()
	n := len(app.PasswordCredentials)
	for _, a := range dir.Applications {
		if a.ID == app.ID {
			n = len(a.PasswordCredentials) - n
		}
	}
	if n != 12 {
		t.Errorf("%d secrets added, want 12", n)
	}
	if got := len(dir.Activity.DirectoryAudits) - len(e.dir.Activity.DirectoryAudits); got != 24 {
		t.Errorf("%d audit records written, want 24", got)
	}
}

func mustMarshal(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
