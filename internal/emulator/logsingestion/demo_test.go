package logsingestion

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// sentinelTemplate is credwatch's published data collection rule.
const sentinelTemplate = "../../../docs/sentinel/credwatch-dcr.json"

// TestDemoRuleDeclaresTheSentinelTemplatesStreams holds the demo's stream
// declarations equal to the template users deploy, so the demo refuses
// exactly the rows Azure would drop.
func TestDemoRuleDeclaresTheSentinelTemplatesStreams(t *testing.T) {
	raw, err := os.ReadFile(sentinelTemplate)
	if err != nil {
		t.Fatal(err)
	}
	want, err := StreamsFromDCR(raw)
	if err != nil {
		t.Fatal(err)
	}
	got := DemoRule(publisherOID).Streams
	if len(got) != len(want) {
		t.Fatalf("the demo declares %d streams, the template %d", len(got), len(want))
	}
	for _, w := range want {
		i := slices.IndexFunc(got, func(s Stream) bool { return s.Name == w.Name })
		if i < 0 {
			t.Errorf("the demo does not declare the template's stream %s", w.Name)
			continue
		}
		if !slices.Equal(got[i].Columns, w.Columns) {
			t.Errorf("stream %s: the demo declares\n%v\nthe template\n%v", w.Name, got[i].Columns, w.Columns)
		}
	}
}

func TestDemoRuleLetsTheDemoClientPublishDeclaredColumns(t *testing.T) {
	e := newEnv(t, func(o *Options) { o.Rules = []Rule{DemoRule(publisherOID)} })
	const findings = "Custom-CredwatchFindings"
	path := "/dataCollectionRules/" + DemoRuleID + "/streams/" + findings + "?api-version=" + APIVersion
	row := `{"TimeGenerated":"2026-11-20T08:30:00Z","EntraTenantId":"t-1","FindingId":"f-1","RuleId":"CW001","Suppressed":false`
	cases := []struct {
		name   string
		client string
		body   string
		status int
	}{
		{"declared columns", publisherID, "[" + row + "}]", 204},
		{"an undeclared column", publisherID, "[" + row + `,"Extra":"x"}]`, 400},
		{"another client", outsiderID, "[" + row + "}]", 403},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := e.do(t, call{path: path, token: e.token(t, tc.client, monitorScope), ctype: "application/json", body: []byte(tc.body)})
			if a.status != tc.status {
				t.Errorf("%d %s (%s), want %d", a.status, a.code, a.msg, tc.status)
			}
		})
	}
	if n := len(e.li.Rows(DemoRuleID, findings)); n != 1 {
		t.Errorf("%d rows kept, want 1", n)
	}
	if got := e.li.ResourceID(DemoRuleID); !strings.HasSuffix(got, "/resourceGroups/rg-monitoring/providers/Microsoft.Insights/dataCollectionRules/dcr-credwatch") {
		t.Errorf("ResourceID = %s", got)
	}
}
