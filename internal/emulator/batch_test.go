package emulator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func (e *testEnv) postBatch(t *testing.T, tok string, reqs []map[string]any) graphResp {
	t.Helper()
	b, _ := json.Marshal(map[string]any{"requests": reqs})
	req, _ := http.NewRequest(http.MethodPost, e.srv.GraphURL()+"/$batch", strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+tok)
	return e.do(t, req)
}

func get(id, url string, dependsOn ...string) map[string]any {
	m := map[string]any{"id": id, "method": "GET", "url": url}
	if len(dependsOn) > 0 {
		m["dependsOn"] = dependsOn
	}
	return m
}

func TestBatchLimits(t *testing.T) {
	e := newEnv(t, Faults{})
	tok := e.token(t, readerID)
	var many []map[string]any
	for i := range 21 {
		many = append(many, get(fmt.Sprint(i), "/applications?$top=1"))
	}
	tests := []struct {
		name string
		reqs []map[string]any
		want int
	}{
		{"21 requests", many, 400},
		{"20 requests", many[:20], 200},
		{"duplicate ids differing in case", []map[string]any{get("a", "/applications"), get("A", "/servicePrincipals")}, 400},
		{"dependency on a later request", []map[string]any{get("1", "/applications", "2"), get("2", "/servicePrincipals")}, 400},
		{"no requests", []map[string]any{}, 400},
	}
	for _, tt := range tests {
		g := e.postBatch(t, tok, tt.reqs)
		if g.status != tt.want {
			t.Errorf("%s: status %d, want %d (%s)", tt.name, g.status, tt.want, g.raw)
		}
		if tt.want == 400 && g.errCode() != "BadRequest" {
			t.Errorf("%s: code %q, want BadRequest", tt.name, g.errCode())
		}
	}
	if g := e.postBatch(t, "", many[:1]); g.status != 401 {
		t.Errorf("batch without a token: status %d, want 401", g.status)
	}
}

func TestBatchInnerResponses(t *testing.T) {
	e := newEnv(t, Faults{})
	tok := e.token(t, readerID)
	d := testDirectory()
	err := e.srv.SetFaults(Faults{Script: []ScriptedFault{{Path: "/v1.0/servicePrincipals/*/owners", Kind: FaultThrottle, RetryAfter: "0.25"}}})
	if err != nil {
		t.Fatal(err)
	}
	reqs := []map[string]any{
		get("1", "/applications?$top=2&$select=id"),
		get("2", "/applications/00000000-0000-4000-8000-000000000bad"),
		get("3", "/servicePrincipals/"+d.ServicePrincipals[0].ID+"/owners"),
		get("4", "/servicePrincipals/"+d.ServicePrincipals[1].ID+"/owners", "3"),
		get("5", e.srv.GraphURL()+"/applications"),
		get("6", "/$batch"),
		get("7", "applications(appId='"+d.Applications[1].AppID+"')?$select=displayName"),
		{"id": "8", "method": "POST", "url": "/applications", "headers": map[string]string{"Content-Type": "application/json"}, "body": map[string]any{"displayName": "x"}},
		get("9", "/servicePrincipals/"+d.ServicePrincipals[2].ID+"/owners"),
	}
	g := e.postBatch(t, tok, reqs)
	if g.status != 200 {
		t.Fatalf("batch: status %d: %s", g.status, g.raw)
	}
	var out struct {
		Responses []struct {
			ID      string            `json:"id"`
			Status  int               `json:"status"`
			Headers map[string]string `json:"headers"`
			Body    map[string]any    `json:"body"`
		} `json:"responses"`
	}
	if err := json.Unmarshal(g.raw, &out); err != nil {
		t.Fatal(err)
	}
	want := map[string]int{"1": 200, "2": 404, "3": 429, "4": 424, "5": 400, "6": 400, "7": 200, "8": 405, "9": 200}
	if len(out.Responses) != len(want) {
		t.Fatalf("%d responses, want %d", len(out.Responses), len(want))
	}
	for _, r := range out.Responses {
		if r.Status != want[r.ID] {
			t.Errorf("request %s: status %d, want %d (%v)", r.ID, r.Status, want[r.ID], r.Body)
		}
		switch r.ID {
		case "1":
			next, _ := r.Body["@odata.nextLink"].(string)
			if !strings.HasPrefix(next, e.srv.GraphURL()+"/applications?") {
				t.Errorf("inner nextLink %q: want absolute under the Graph root", next)
			}
			if r.Headers["Content-Type"] == "" {
				t.Errorf("inner headers %v: want Content-Type", r.Headers)
			}
		case "2":
			if code := r.Body["error"].(map[string]any)["code"]; code != "Request_ResourceNotFound" {
				t.Errorf("inner 404 code %v", code)
			}
		case "3":
			if r.Headers["Retry-After"] != "0.25" {
				t.Errorf("inner 429 headers %v: want its own Retry-After 0.25", r.Headers)
			}
		case "7":
			if r.Body["displayName"] != "app-1" {
				t.Errorf("relative url without slash: body %v", r.Body)
			}
		}
	}
	st := e.srv.Stats()
	if st.Batch != 1 || st.GraphRequests != 1 || st.BatchedRequests != len(reqs) || st.Faults.Throttle != 1 || st.Status[429] != 1 {
		t.Errorf("stats %+v: want 1 batch of %d requests and one inner 429", st, len(reqs))
	}
}
