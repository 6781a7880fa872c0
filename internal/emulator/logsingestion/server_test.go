package logsingestion

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

const monitorScope = "https://monitor.azure.com//.default"

func TestCallsAreCheckedLikeTheService(t *testing.T) {
	e := newEnv(t, nil)
	pub := e.token(t, publisherID, monitorScope)
	single := e.token(t, publisherID, "https://monitor.azure.com/.default")
	graph := e.token(t, publisherID, "https://graph.microsoft.com/.default")
	reader := e.token(t, readerID, monitorScope)
	outsider := e.token(t, outsiderID, monitorScope)
	rows := []byte(`[{"TimeGenerated":"2026-11-20T08:30:00Z","A":1},{"TimeGenerated":"2026-11-20T08:31:00Z","A":2}]`)
	path := func(rule, stream string) string {
		return "/dataCollectionRules/" + rule + "/streams/" + stream + "?api-version=" + APIVersion
	}
	overLimit := sized(MaxBodyBytes + 1)
	cases := []struct {
		name   string
		c      call
		status int
		code   string
		kept   int // rows kept by the call
	}{
		{"plain", call{token: pub, ctype: "application/json", body: rows}, 204, "", 2},
		{"gzip", call{token: pub, ctype: "application/json; charset=utf-8", encoding: "gzip", body: gz(t, rows)}, 204, "", 2},
		{"token asked with one slash", call{token: single, ctype: "application/json", body: rows}, 204, "", 2},
		{"rule ids in upper case", call{path: path(strings.ToUpper(testRule), openStream), token: pub, ctype: "application/json", body: rows}, 204, "", 2},
		{"exactly 1 MB", call{token: pub, ctype: "application/json", body: sized(MaxBodyBytes)}, 204, "", 1},
		{"no token", call{ctype: "application/json", body: rows}, 401, "AuthenticationFailed", 0},
		{"garbage token", call{token: "not.a.token", ctype: "application/json", body: rows}, 401, "InvalidAuthenticationToken", 0},
		{"graph token", call{token: graph, ctype: "application/json", body: rows}, 401, "InvalidAudience", 0},
		{"monitoring reader", call{token: reader, ctype: "application/json", body: rows}, 403, "OperationFailed", 0},
		{"no role", call{token: outsider, ctype: "application/json", body: rows}, 403, "OperationFailed", 0},
		{"no role on another rule", call{path: path(otherRule, openStream), token: reader, ctype: "application/json", body: rows}, 403, "OperationFailed", 0},
		{"unknown rule", call{path: path("dcr-00000000000000000000000000000000", openStream), token: pub, ctype: "application/json", body: rows}, 404, "NotFound", 0},
		{"unknown stream", call{path: path(testRule, "Custom-Nope"), token: pub, ctype: "application/json", body: rows}, 404, "NotFound", 0},
		{"bad path", call{path: "/dataCollectionRules/" + testRule + "?api-version=" + APIVersion, token: pub, ctype: "application/json", body: rows}, 404, "NotFound", 0},
		{"get", call{method: "GET", token: pub}, 405, "MethodNotAllowed", 0},
		{"no api version", call{path: strings.TrimSuffix(monitorPath, "?api-version="+APIVersion), token: pub, ctype: "application/json", body: rows}, 400, "MissingApiVersionParameter", 0},
		{"old api version", call{path: strings.Replace(monitorPath, APIVersion, "2021-11-01-preview", 1), token: pub, ctype: "application/json", body: rows}, 400, "InvalidApiVersionParameter", 0},
		{"text body", call{token: pub, ctype: "text/plain", body: rows}, 415, "UnsupportedMediaType", 0},
		{"deflate", call{token: pub, ctype: "application/json", encoding: "deflate", body: rows}, 415, "UnsupportedContentEncoding", 0},
		{"broken gzip", call{token: pub, ctype: "application/json", encoding: "gzip", body: []byte("not gzip")}, 400, "InvalidContentEncoding", 0},
		{"object body", call{token: pub, ctype: "application/json", body: []byte(`{"A":1}`)}, 400, "InvalidPayload", 0},
		{"empty body", call{token: pub, ctype: "application/json"}, 400, "InvalidPayload", 0},
		{"array of numbers", call{token: pub, ctype: "application/json", body: []byte(`[1,2]`)}, 400, "InvalidPayload", 0},
		{"truncated JSON", call{token: pub, ctype: "application/json", body: rows[:30]}, 400, "InvalidPayload", 0},
		{"not UTF-8", call{token: pub, ctype: "application/json", body: []byte("[{\"A\":\"\xff\"}]")}, 400, "InvalidPayload", 0},
		{"over 1 MB", call{token: pub, ctype: "application/json", body: overLimit}, 413, "ContentLengthLimitExceeded", 0},
		{"over 1 MB once decompressed", call{token: pub, ctype: "application/json", encoding: "gzip", body: gz(t, overLimit)}, 413, "ContentLengthLimitExceeded", 0},
		{"declared columns", call{path: path(testRule, typedStream), token: pub, ctype: "application/json",
			body: []byte(`[{"TimeGenerated":"2026-11-20T08:30:00Z","Seq":1,"Payload":"x"}]`)}, 204, "", 1},
		{"undeclared column", call{path: path(testRule, typedStream), token: pub, ctype: "application/json",
			body: []byte(`[{"TimeGenerated":"2026-11-20T08:30:00Z","Seq":1,"Extra":"x"}]`)}, 400, "InvalidPayload", 0},
		{"column starting with a digit", call{token: pub, ctype: "application/json", body: []byte(`[{"1st":1}]`)}, 400, "InvalidPayload", 0},
		{"reserved column", call{token: pub, ctype: "application/json", body: []byte(`[{"TenantId":"x"}]`)}, 400, "InvalidPayload", 0},
		{"column over 45 characters", call{token: pub, ctype: "application/json", body: []byte(`[{"` + strings.Repeat("a", 46) + `":1}]`)}, 400, "InvalidPayload", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rule, stream := testRule, openStream
			if strings.Contains(tc.c.path, typedStream) {
				stream = typedStream
			}
			if strings.Contains(tc.c.path, otherRule) {
				rule = otherRule
			}
			before := len(e.li.Rows(rule, stream))
			a := e.do(t, tc.c)
			if a.status != tc.status || a.code != tc.code {
				t.Fatalf("answer %d %s (%s), want %d %s", a.status, a.code, a.msg, tc.status, tc.code)
			}
			if a.header.Get("x-ms-request-id") == "" {
				t.Error("no x-ms-request-id")
			}
			if got := len(e.li.Rows(rule, stream)) - before; got != tc.kept {
				t.Errorf("kept %d rows, want %d", got, tc.kept)
			}
			reqs := e.li.Requests()
			if last := reqs[len(reqs)-1]; last.Status != tc.status || last.Code != tc.code || last.Rows != tc.kept {
				t.Errorf("recorded request %+v", last)
			}
		})
	}
}

// TestRoleAssignmentsNameObjectIDs: as in Azure RBAC, a role assignment
// names the caller's service principal by object id; one naming its app id
// or display name grants nothing.
func TestRoleAssignmentsNameObjectIDs(t *testing.T) {
	cases := []struct {
		name     string
		assigned string
		status   int
	}{
		{"object id", publisherOID, 204},
		{"object id in upper case", strings.ToUpper(publisherOID), 204},
		{"app id", publisherID, 403},
		{"display name", "client " + publisherID, 403},
		{"another principal's object id", readerOID, 403},
	}
	var rules []Rule
	for i, tc := range cases {
		rules = append(rules, Rule{ImmutableID: fmt.Sprintf("dcr-%032x", i+1), Streams: []Stream{{Name: openStream}},
			RoleAssignments: []RoleAssignment{{tc.assigned, PublisherRole}}})
	}
	e := newEnv(t, func(o *Options) { o.Rules = rules })
	tok := e.token(t, publisherID, monitorScope)
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := e.do(t, call{path: "/dataCollectionRules/" + rules[i].ImmutableID + "/streams/" + openStream + "?api-version=" + APIVersion,
				token: tok, ctype: "application/json", body: []byte(`[{"A":1}]`)})
			if a.status != tc.status {
				t.Fatalf("publisher with the role assigned to its %s: %d %s (%s), want %d", tc.name, a.status, a.code, a.msg, tc.status)
			}
			if a.status == 403 && !strings.Contains(a.msg, "objectId "+publisherOID) {
				t.Errorf("403 message %q does not name the caller's object id", a.msg)
			}
		})
	}
}

func TestRefusalsSayWhatIsWrong(t *testing.T) {
	e := newEnv(t, nil)
	a := e.do(t, call{token: e.token(t, outsiderID, monitorScope), ctype: "application/json", body: []byte(`[]`)})
	for _, want := range []string{"does not have access to ingest data", "immutable Id '" + testRule + "'",
		"/providers/Microsoft.Insights/dataCollectionRules/dcr-test", "tenantId " + testTenant} {
		if !strings.Contains(a.msg, want) {
			t.Errorf("403 message %q lacks %q", a.msg, want)
		}
	}
	a = e.do(t, call{token: e.token(t, publisherID, monitorScope), ctype: "application/json", body: sized(MaxBodyBytes + 10)})
	if !strings.HasPrefix(a.msg, "Maximum allowed content length: 1048576 bytes (1 MB).") {
		t.Errorf("413 message %q, want the service's", a.msg)
	}
	req, _ := http.NewRequest(http.MethodPost, e.li.Endpoint()+monitorPath, strings.NewReader("[]"))
	req.SetBasicAuth(publisherID, testSecret)
	req.Header.Set("Content-Type", "application/json")
	resp, err := e.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("basic auth: %d, want 401", resp.StatusCode)
	}
}

func TestRowsArriveIntactAndInOrder(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.token(t, publisherID, monitorScope)
	long := strings.Repeat("é", MaxFieldBytes) // twice the field limit in bytes
	first := `[{"TimeGenerated":"2026-11-20T08:30:00Z","Name":"Zoë <app> & \"quoted\"","Big":9007199254740993,"Nested":{"a":[1,2,{"b":null}]}}]`
	second := `[{"Seq":2},{"Seq":3,"Long":"` + long + `"}]`
	for _, body := range []string{first, second} {
		if a := e.do(t, call{token: tok, ctype: "application/json", encoding: "gzip", body: gz(t, []byte(body))}); a.status != 204 {
			t.Fatalf("upload: %d %s", a.status, a.msg)
		}
	}
	got := e.li.Rows(testRule, openStream)
	if len(got) != 3 {
		t.Fatalf("%d rows kept, want 3", len(got))
	}
	if got[0]["Name"] != `Zoë <app> & "quoted"` || got[0]["Big"].(json.Number).String() != "9007199254740993" {
		t.Errorf("first row = %v: text or a large integer changed", got[0])
	}
	nested, _ := json.Marshal(got[0]["Nested"])
	if string(nested) != `{"a":[1,2,{"b":null}]}` {
		t.Errorf("nested = %s", nested)
	}
	if got[1]["Seq"].(json.Number).String() != "2" || got[2]["Seq"].(json.Number).String() != "3" {
		t.Errorf("rows out of order: %v %v", got[1]["Seq"], got[2]["Seq"])
	}
	cut := got[2]["Long"].(string)
	if len(cut) > MaxFieldBytes || len(cut) < MaxFieldBytes-1 || !strings.HasPrefix(long, cut) {
		t.Errorf("a field of %d bytes was kept as %d bytes; the service cuts it to %d on a character boundary", len(long), len(cut), MaxFieldBytes)
	}
	if e.li.Rows(testRule, "Custom-Nope") != nil || e.li.Rows("dcr-x", openStream) != nil {
		t.Error("Rows of an unknown rule or stream is not nil")
	}
}

func TestRateLimitIsPerRuleAndSaysWhenToRetry(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.RequestsPerMinute = 2 })
	tok := e.token(t, publisherID, monitorScope)
	post := func(rule string) answer {
		return e.do(t, call{path: "/dataCollectionRules/" + rule + "/streams/" + openStream + "?api-version=" + APIVersion,
			token: tok, ctype: "application/json", body: []byte(`[{"A":1}]`)})
	}
	steps := []struct {
		advance    time.Duration
		rule       string
		status     int
		retryAfter string
	}{
		{0, testRule, 204, ""},
		{0, testRule, 204, ""},
		{0, testRule, 429, "60"},
		{0, otherRule, 204, ""}, // another rule has its own budget
		{45 * time.Second, testRule, 429, "15"},
		{15 * time.Second, testRule, 204, ""},
	}
	for i, s := range steps {
		e.clock.Advance(s.advance)
		a := post(s.rule)
		if a.status != s.status || a.header.Get("Retry-After") != s.retryAfter {
			t.Fatalf("step %d: %d Retry-After %q, want %d %q (%s)", i, a.status, a.header.Get("Retry-After"), s.status, s.retryAfter, a.msg)
		}
		if a.status == 429 && a.code != "TooManyRequests" {
			t.Errorf("step %d: code %s", i, a.code)
		}
	}
	if n := len(e.li.Rows(testRule, openStream)); n != 3 {
		t.Errorf("%d rows kept, want 3 (throttled calls keep none)", n)
	}
}

func TestFailNextInjectsFaultsAfterTheTokenIsChecked(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.token(t, publisherID, monitorScope)
	e.li.FailNext(Fault{Count: 2})
	e.li.FailNext(Fault{Rule: otherRule, Status: http.StatusInternalServerError, RetryAfter: "3"})
	post := func(rule, token string) answer {
		return e.do(t, call{path: "/dataCollectionRules/" + rule + "/streams/" + openStream + "?api-version=" + APIVersion,
			token: token, ctype: "application/json", body: []byte(`[{"A":1}]`)})
	}
	if a := post(testRule, ""); a.status != 401 {
		t.Fatalf("unauthenticated call: %d, want 401 and the fault kept", a.status)
	}
	want := []struct {
		rule   string
		status int
		code   string
	}{{testRule, 503, "ServiceUnavailable"}, {otherRule, 503, "ServiceUnavailable"}, {testRule, 204, ""}, {otherRule, 500, "InternalServerError"}, {otherRule, 204, ""}}
	for i, w := range want {
		a := post(w.rule, tok)
		if a.status != w.status || a.code != w.code {
			t.Fatalf("call %d to %s: %d %s, want %d %s", i, w.rule, a.status, a.code, w.status, w.code)
		}
		if w.status == 500 && a.header.Get("Retry-After") != "3" {
			t.Errorf("call %d: Retry-After %q, want 3", i, a.header.Get("Retry-After"))
		}
	}
	if n := len(e.li.Rows(testRule, openStream)) + len(e.li.Rows(otherRule, openStream)); n != 2 {
		t.Errorf("%d rows kept, want 2 (failed calls keep none)", n)
	}
}

func TestNeverLogsBodiesOrTokens(t *testing.T) {
	e := newEnv(t, nil)
	tok := e.token(t, publisherID, monitorScope)
	const canary = "canary-row-value-7f3e"
	body := []byte(`[{"Secret":"` + canary + `"}]`)
	e.do(t, call{token: tok, ctype: "application/json", body: body})
	e.do(t, call{token: tok, ctype: "application/json", body: []byte(`[{"` + canary + `":1,"1":2}]`)})
	e.do(t, call{token: tok + "x", ctype: "application/json", body: body})
	e.do(t, call{token: e.token(t, outsiderID, monitorScope), ctype: "application/json", body: body})
	logs := e.logs.String()
	if strings.Count(logs, "logs ingestion call") != 4 {
		t.Fatalf("want one debug record per call:\n%s", logs)
	}
	for _, leak := range []string{canary, tok[len(tok)-30:], "Bearer"} {
		if strings.Contains(logs, leak) {
			t.Errorf("the log contains %q:\n%s", leak, logs)
		}
	}
}

func TestStartRefusesBadOptions(t *testing.T) {
	good := func() Options {
		return Options{TenantID: testTenant, AuthorityHost: "https://127.0.0.1:1/", Rules: testRules()}
	}
	cases := []struct {
		name  string
		tweak func(*Options)
		want  string
	}{
		{"no tenant", func(o *Options) { o.TenantID = " " }, "TenantID is required"},
		{"http authority", func(o *Options) { o.AuthorityHost = "http://127.0.0.1:1/" }, "want https://host"},
		{"listen without port", func(o *Options) { o.Listen = "127.0.0.1" }, `listen address "127.0.0.1"`},
		{"bad rule id", func(o *Options) { o.Rules[1].ImmutableID = "my-dcr" }, `rules[1]: immutableId "my-dcr"`},
		{"rule id twice", func(o *Options) { o.Rules[1].ImmutableID = strings.ToUpper(testRule) }, "used twice"},
		{"bad stream", func(o *Options) { o.Rules[0].Streams[0].Name = "MyTable" }, `rules[0]: streams[0].name "MyTable"`},
		{"stream twice", func(o *Options) { o.Rules[0].Streams[1].Name = strings.ToLower(openStream) }, "declared twice"},
		{"reserved column", func(o *Options) { o.Rules[0].Streams[1].Columns[0].Name = "Type" }, `streams[1].columns[0].name "Type": the name is reserved`},
		{"long column", func(o *Options) { o.Rules[0].Streams[1].Columns[2].Name = strings.Repeat("c", 46) }, "at most 45"},
		{"bad type", func(o *Options) { o.Rules[0].Streams[1].Columns[1].Type = "integer" }, `columns[1].type "integer"`},
		{"unknown role", func(o *Options) { o.Rules[0].RoleAssignments[0].Role = "Metrics Publisher" }, `roleAssignments[0].role "Metrics Publisher"`},
		{"no principal", func(o *Options) { o.Rules[0].RoleAssignments[1].Principal = "" }, "roleAssignments[1].principal: required"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o := good()
			tc.tweak(&o)
			s, err := Start(o)
			if err == nil {
				s.Close()
				t.Fatalf("Start succeeded, want an error containing %q", tc.want)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want one containing %q", err, tc.want)
			}
		})
	}
}
