package emulator

import (
	"reflect"
	"testing"

	"github.com/credwatch/credwatch/internal/emulator/tenantgen"
)

// noSharedMemory fails when a and b (equal values) share a pointer, slice
// array or map anywhere.
func noSharedMemory(t *testing.T, path string, a, b reflect.Value) {
	t.Helper()
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() {
			return
		}
		if a.Pointer() == b.Pointer() {
			t.Errorf("%s: shared pointer", path)
			return
		}
		noSharedMemory(t, path, a.Elem(), b.Elem())
	case reflect.Slice:
		if a.Len() > 0 && a.Pointer() == b.Pointer() {
			t.Errorf("%s: shared slice", path)
			return
		}
		for i := range a.Len() {
			noSharedMemory(t, path+"[]", a.Index(i), b.Index(i))
		}
	case reflect.Map:
		if !a.IsNil() && a.Pointer() == b.Pointer() {
			t.Errorf("%s: shared map", path)
		}
	case reflect.Struct:
		for i := range a.NumField() {
			noSharedMemory(t, path+"."+a.Type().Field(i).Name, a.Field(i), b.Field(i))
		}
	}
}

func TestDeepCopySharesNothing(t *testing.T) {
	d := tenantgen.Demo(testStart)
	d.Activity.Unavailable = map[string]string{"signIns": "not licensed"}
	c := deepCopy(d)
	if !reflect.DeepEqual(c, d) {
		t.Fatal("the copy differs")
	}
	noSharedMemory(t, "Directory", reflect.ValueOf(c), reflect.ValueOf(d))
	if deepCopy[*int](nil) != nil {
		t.Error("nil did not stay nil")
	}
}

// Start copies its Directory; API writes show in Server.Directory and
// nowhere else; what Directory returns is the caller's to change.
func TestServerWorksOnItsOwnCopy(t *testing.T) {
	e := newDemoEnv(t, nil)
	tok := e.token(t, writerID)
	given := e.dir // an identical Demo, not the one Start got: check that one too
	app := e.app(t, "qa-test-harness")
	if g := e.post(t, tok, "/v1.0/applications/"+app.ID+"/addPassword", `{}`); g.status != 200 {
		t.Fatalf("addPassword: status %d", g.status)
	}
	got := e.srv.Directory()
	idx := -1
	for i := range got.Applications {
		if got.Applications[i].ID == app.ID {
			idx = i
		}
	}
	if len(got.Applications[idx].PasswordCredentials) != len(app.PasswordCredentials)+1 {
		t.Errorf("Directory shows %d secrets, want %d", len(got.Applications[idx].PasswordCredentials), len(app.PasswordCredentials)+1)
	}
	if len(got.Activity.DirectoryAudits) != len(given.Activity.DirectoryAudits)+2 {
		t.Errorf("Directory shows %d audit records, want %d", len(got.Activity.DirectoryAudits), len(given.Activity.DirectoryAudits)+2)
	}
	got.Applications[idx].PasswordCredentials = nil
	got.Activity.DirectoryAudits = nil
	if again := e.srv.Directory(); len(again.Applications[idx].PasswordCredentials) == 0 || len(again.Activity.DirectoryAudits) == 0 {
		t.Error("changing the returned copy changed the server")
	}

	d := tenantgen.Demo(testStart)
	before := mustMarshal(t, d)
	srv, err := Start(Options{Directory: d, Clients: []Client{{ID: writerID, Secret: certSecret, Roles: []string{"Application.ReadWrite.All"}}}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	env := &testEnv{srv: srv, hc: srv.Client()}
	var owner string // terraform-cloud-runner's service principal
	for _, sp := range d.ServicePrincipals {
		if sp.AppID == d.Applications[1].AppID {
			owner = sp.ID
		}
	}
	if g := env.post(t, env.token(t, writerID), "/v1.0/applications/"+d.Applications[0].ID+"/owners/$ref",
		`{"@odata.id":"https://graph.microsoft.com/v1.0/directoryObjects/`+owner+`"}`); g.status != 204 {
		t.Fatalf("owner add: status %d: %s", g.status, g.raw)
	}
	if mustMarshal(t, d) != before {
		t.Error("an API write changed the Directory given to Start")
	}
}
