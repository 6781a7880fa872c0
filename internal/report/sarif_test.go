package report

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func decodeSARIF(t *testing.T, out string) sarifLog {
	t.Helper()
	var log sarifLog
	dec := json.NewDecoder(strings.NewReader(out))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&log); err != nil {
		t.Fatalf("SARIF does not decode: %v", err)
	}
	return log
}

func TestSARIFHasWhatGitHubRequires(t *testing.T) {
	s := fixtureScan()
	log := decodeSARIF(t, render(t, "sarif", s, fixtureOptions()))
	if log.Version != "2.1.0" || log.Schema == "" || len(log.Runs) != 1 {
		t.Fatalf("version %q schema %q runs %d", log.Version, log.Schema, len(log.Runs))
	}
	run := log.Runs[0]
	if run.AutomationDetails == nil || run.AutomationDetails.ID != "credwatch/"+s.Tenant+"/" {
		t.Errorf("automationDetails = %+v, want the tenant as category", run.AutomationDetails)
	}
	d := run.Tool.Driver
	if d.Name != "credwatch" || d.InformationURI == "" || d.Version != "1.0.0-test" {
		t.Errorf("driver = %+v", d)
	}
	ids := map[string]int{}
	for i, r := range d.Rules {
		if _, dup := ids[r.ID]; dup {
			t.Errorf("rule %s listed twice", r.ID)
		}
		ids[r.ID] = i
		if r.Name == "" || r.ShortDescription.Text == "" || r.FullDescription.Text == "" || r.Help.Text == "" || r.Help.Markdown == "" {
			t.Errorf("rule %s lacks a name, description or help: %+v", r.ID, r)
		}
		if !slices.Contains([]string{"error", "warning", "note"}, r.DefaultConfiguration.Level) {
			t.Errorf("rule %s level %q", r.ID, r.DefaultConfiguration.Level)
		}
		if !slices.Contains(r.Properties.Tags, "security") {
			t.Errorf("rule %s not tagged security", r.ID)
		}
	}
	wantScore := map[string]string{"CW001": "9.5", "CW002": "8.0", "CW003": "5.5", "CW006": "3.0", "CW007": ""}
	for id, score := range wantScore {
		if got := d.Rules[ids[id]].Properties.SecuritySeverity; got != score {
			t.Errorf("rule %s security-severity %q, want %q", id, got, score)
		}
	}

	if len(run.Results) != len(s.Findings) {
		t.Fatalf("%d results for %d findings", len(run.Results), len(s.Findings))
	}
	for i, r := range run.Results {
		f := s.Findings[i]
		idx, ok := ids[r.RuleID]
		if !ok || idx != r.RuleIndex {
			t.Errorf("result %d ruleId %q (index %d) not in rules", i, r.RuleID, r.RuleIndex)
		}
		if !slices.Contains([]string{"error", "warning", "note"}, r.Level) || r.Message.Text == "" {
			t.Errorf("result %d level %q message %q", i, r.Level, r.Message.Text)
		}
		if len(r.Locations) == 0 || r.Locations[0].PhysicalLocation.ArtifactLocation.URI == "" ||
			r.Locations[0].PhysicalLocation.Region.StartLine < 1 || len(r.Locations[0].LogicalLocations) == 0 {
			t.Errorf("result %d lacks a physical or logical location: %+v", i, r.Locations)
		}
		if r.PartialFingerprints[fingerprintKey] != f.ID {
			t.Errorf("result %d fingerprint %q, want finding id %q", i, r.PartialFingerprints[fingerprintKey], f.ID)
		}
		switch {
		case f.Suppressed && (len(r.Suppressions) != 1 || r.Suppressions[0].Kind != "external" || r.Suppressions[0].Justification != f.SuppressionReason):
			t.Errorf("suppressed finding %d: suppressions %+v", i, r.Suppressions)
		case !f.Suppressed && len(r.Suppressions) != 0:
			t.Errorf("unsuppressed finding %d carries suppressions", i)
		}
	}
	first := run.Results[0].Locations[0].PhysicalLocation.ArtifactLocation.URI
	if first != "entra/applications/"+appPayroll {
		t.Errorf("first result uri %q", first)
	}
}

func TestSARIFLevels(t *testing.T) {
	log := decodeSARIF(t, render(t, "sarif", fixtureScan(), fixtureOptions()))
	got := map[string]string{}
	for _, r := range log.Runs[0].Results {
		got[r.RuleID] = r.Level
	}
	want := map[string]string{"CW001": "error", "CW002": "error", "CW004": "warning", "CW006": "warning", "CW007": "note"}
	for id, lvl := range want {
		if got[id] != lvl {
			t.Errorf("%s level %q, want %q", id, got[id], lvl)
		}
	}
}

func TestSARIFIncompleteScanNotifies(t *testing.T) {
	tn := fixtureTenant()
	tn.Complete, tn.Incomplete = false, []string{"list owners: forbidden"}
	log := decodeSARIF(t, render(t, "sarif", NewScan(tn, nil, fixedNow), Options{}))
	inv := log.Runs[0].Invocations
	if len(inv) != 1 || len(inv[0].Notifications) != 1 || !strings.Contains(inv[0].Notifications[0].Message.Text, "list owners: forbidden") {
		t.Errorf("invocations = %+v", inv)
	}
	if log.Runs[0].Properties["complete"] != false {
		t.Error("run properties do not say the scan is incomplete")
	}
	if log.Runs[0].Results == nil {
		t.Error("results must be an empty array, not null")
	}
}

func TestSARIFMessageEscapesLinks(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain", "plain"},
		{"[see](https://evil.example)", `\[see\](https://evil.example)`},
		{`back\[`, `back\\\[`},
		{`back\slash`, `back\slash`},
	}
	for _, tt := range tests {
		if got := sarifMessage(tt.in); got != tt.want {
			t.Errorf("sarifMessage(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRuleName(t *testing.T) {
	if got := ruleName("CW002", "Credential expires soon"); got != "CredentialExpiresSoon" {
		t.Errorf("ruleName = %q", got)
	}
	if got := ruleName("CW009", " - "); got != "CW009" {
		t.Errorf("ruleName of an empty title = %q", got)
	}
}
