package report

import (
	"bytes"
	"cmp"
	"net/url"
	"runtime/debug"
	"strings"
	"unicode"

	"github.com/credwatch/credwatch/internal/inventory"
	"github.com/credwatch/credwatch/internal/policy"
)

// SARIF 2.1.0, the subset GitHub code scanning reads. Tenant objects are
// not files, so each result points at a stable pseudo-path for its object
// (entra/applications/<appId>); GitHub requires a physical location.
const (
	sarifSchema  = "https://json.schemastore.org/sarif-2.1.0.json"
	sarifVersion = "2.1.0"
	toolInfoURI  = "https://github.com/credwatch/credwatch"
	// fingerprintKey names the partial fingerprint; the finding id is
	// stable across scans, so alerts follow the finding, not a line.
	fingerprintKey = "credwatch/v1"
)

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool              sarifTool               `json:"tool"`
	AutomationDetails *sarifAutomationDetails `json:"automationDetails,omitempty"`
	Invocations       []sarifInvocation       `json:"invocations"`
	Results           []sarifResult           `json:"results"`
	Properties        map[string]any          `json:"properties,omitempty"`
}

// sarifAutomationDetails' id ("credwatch/<tenant>/") makes the tenant
// GitHub's analysis category, so uploads for two tenants to one
// repository do not close each other's alerts.
type sarifAutomationDetails struct {
	ID string `json:"id"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	InformationURI string      `json:"informationUri"`
	Version        string      `json:"version"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string              `json:"id"`
	Name                 string              `json:"name"`
	ShortDescription     sarifText           `json:"shortDescription"`
	FullDescription      sarifText           `json:"fullDescription"`
	Help                 sarifHelp           `json:"help"`
	DefaultConfiguration sarifConfiguration  `json:"defaultConfiguration"`
	Properties           sarifRuleProperties `json:"properties"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifHelp struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown"`
}

type sarifConfiguration struct {
	Level string `json:"level"`
}

type sarifRuleProperties struct {
	Tags             []string `json:"tags"`
	Precision        string   `json:"precision"`
	ProblemSeverity  string   `json:"problem.severity"`
	SecuritySeverity string   `json:"security-severity,omitempty"`
}

type sarifInvocation struct {
	ExecutionSuccessful bool                `json:"executionSuccessful"`
	Notifications       []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level   string    `json:"level"`
	Message sarifText `json:"message"`
}

type sarifResult struct {
	RuleID              string             `json:"ruleId"`
	RuleIndex           int                `json:"ruleIndex"`
	Level               string             `json:"level"`
	Message             sarifText          `json:"message"`
	Locations           []sarifLocation    `json:"locations"`
	PartialFingerprints map[string]string  `json:"partialFingerprints"`
	Suppressions        []sarifSuppression `json:"suppressions,omitempty"`
	Properties          map[string]any     `json:"properties,omitempty"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysicalLocation  `json:"physicalLocation"`
	LogicalLocations []sarifLogicalLocation `json:"logicalLocations"`
}

type sarifPhysicalLocation struct {
	ArtifactLocation sarifArtifactLocation `json:"artifactLocation"`
	Region           sarifRegion           `json:"region"`
}

type sarifArtifactLocation struct {
	URI string `json:"uri"`
}

// sarifRegion: GitHub wants a start line even when there is no text.
type sarifRegion struct {
	StartLine int `json:"startLine"`
}

type sarifLogicalLocation struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

type sarifSuppression struct {
	Kind          string `json:"kind"`
	Justification string `json:"justification,omitempty"`
}

// writeSARIF renders every finding, suppressed ones marked with an
// external suppression so dashboards close rather than lose them.
func writeSARIF(buf *bytes.Buffer, s *Scan, o Options) error {
	rules, index := sarifRules(o.Rules, s.Findings)
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{
			Name:           "credwatch",
			InformationURI: toolInfoURI,
			Version:        toolVersion(o.ToolVersion),
			Rules:          rules,
		}},
		Invocations: []sarifInvocation{{ExecutionSuccessful: true}},
		Results:     make([]sarifResult, 0, len(s.Findings)),
		Properties: map[string]any{
			"tenant":    s.Tenant,
			"source":    s.Source,
			"scannedAt": s.ScannedAt,
			"complete":  s.Complete,
		},
	}
	if s.Tenant != "" {
		run.AutomationDetails = &sarifAutomationDetails{ID: "credwatch/" + s.Tenant + "/"}
	}
	// An incomplete scan still ran; it says what it could not see.
	for _, reason := range s.Incomplete {
		run.Invocations[0].Notifications = append(run.Invocations[0].Notifications, sarifNotification{
			Level:   "warning",
			Message: sarifText{Text: sarifMessage("incomplete scan: " + reason)},
		})
	}
	for _, f := range s.Findings {
		uri := objectURI(f.ObjectType, f.AppID, f.ObjectID)
		msg := f.Message
		if msg == "" {
			msg = rules[index[f.RuleID]].ShortDescription.Text
		}
		r := sarifResult{
			RuleID:    f.RuleID,
			RuleIndex: index[f.RuleID],
			Level:     sarifLevel(f.Severity),
			Message:   sarifText{Text: sarifMessage(msg)},
			Locations: []sarifLocation{{
				PhysicalLocation: sarifPhysicalLocation{
					ArtifactLocation: sarifArtifactLocation{URI: uri},
					Region:           sarifRegion{StartLine: 1},
				},
				LogicalLocations: []sarifLogicalLocation{{
					Name:               cmp.Or(f.AppName, f.AppID, f.ObjectID),
					FullyQualifiedName: uri,
					Kind:               "module",
				}},
			}},
			PartialFingerprints: map[string]string{fingerprintKey: f.ID},
			Properties:          findingProperties(f),
		}
		if f.Suppressed {
			r.Suppressions = []sarifSuppression{{Kind: "external", Justification: f.SuppressionReason}}
		}
		run.Results = append(run.Results, r)
	}
	return encodeJSON(buf, sarifLog{Schema: sarifSchema, Version: sarifVersion, Runs: []sarifRun{run}})
}

// sarifRules builds the rule catalog from the caller's rules plus a
// minimal entry for any rule a finding names that the caller did not
// describe, so every result's ruleId resolves. index maps id to position.
func sarifRules(infos []RuleInfo, findings []policy.Finding) ([]sarifRule, map[string]int) {
	rules := []sarifRule{}
	index := map[string]int{}
	add := func(ri RuleInfo) {
		if _, ok := index[ri.ID]; ok {
			return
		}
		title := ri.Title
		if title == "" {
			title = "credwatch rule " + ri.ID
		}
		help := ri.Help
		if help == "" {
			help = title + ". `credwatch rules` describes every rule."
		}
		index[ri.ID] = len(rules)
		rules = append(rules, sarifRule{
			ID:                   ri.ID,
			Name:                 ruleName(ri.ID, title),
			ShortDescription:     sarifText{Text: title},
			FullDescription:      sarifText{Text: firstParagraph(help)},
			Help:                 sarifHelp{Text: help, Markdown: "**" + ri.ID + ": " + title + "**\n\n" + help},
			DefaultConfiguration: sarifConfiguration{Level: sarifLevel(ri.Severity)},
			Properties: sarifRuleProperties{
				Tags:             []string{"security", "credentials"},
				Precision:        "high",
				ProblemSeverity:  problemSeverity(ri.Severity),
				SecuritySeverity: securitySeverity(ri.Severity),
			},
		})
	}
	for _, ri := range infos {
		add(ri)
	}
	for _, f := range findings {
		add(RuleInfo{ID: f.RuleID, Severity: f.Severity})
	}
	return rules, index
}

// sarifLevel maps severities onto SARIF's three result levels.
func sarifLevel(s policy.Severity) string {
	switch {
	case s >= policy.High:
		return "error"
	case s >= policy.Low:
		return "warning"
	}
	return "note"
}

func problemSeverity(s policy.Severity) string {
	if l := sarifLevel(s); l != "note" {
		return l
	}
	return "recommendation"
}

// securitySeverity is GitHub's CVSS-like score that sets the alert's
// security severity; info findings carry none and fall back to
// problem.severity.
func securitySeverity(s policy.Severity) string {
	switch s {
	case policy.Critical:
		return "9.5"
	case policy.High:
		return "8.0"
	case policy.Medium:
		return "5.5"
	case policy.Low:
		return "3.0"
	}
	return ""
}

// objectURI is the stable pseudo-path of a tenant object.
func objectURI(t inventory.ObjectType, appID, objectID string) string {
	id := appID
	if id == "" {
		id = objectID
	}
	kind := "applications"
	if t == inventory.ServicePrincipal {
		kind = "servicePrincipals"
	}
	return "entra/" + kind + "/" + url.PathEscape(id)
}

func findingProperties(f policy.Finding) map[string]any {
	p := map[string]any{
		"id":         f.ID,
		"severity":   f.Severity.String(),
		"objectType": string(f.ObjectType),
		"objectId":   f.ObjectID,
		"appId":      f.AppID,
		"appName":    f.AppName,
	}
	if f.KeyID != "" {
		p["keyId"] = f.KeyID
	}
	if f.Deadline != nil {
		p["deadline"] = f.Deadline.UTC()
	}
	if len(f.Evidence) > 0 {
		p["evidence"] = f.Evidence
	}
	return p
}

// sarifMessage escapes square brackets, which SARIF plain-text messages
// read as embedded links ("[text](1)"), so a display name cannot forge one.
func sarifMessage(s string) string {
	if !strings.ContainsAny(s, "[]") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '[' || c == ']':
			b.WriteByte('\\')
		case c == '\\' && i+1 < len(s) && (s[i+1] == '[' || s[i+1] == ']'):
			b.WriteByte('\\') // a literal backslash before a bracket
		}
		b.WriteByte(c)
	}
	return b.String()
}

// ruleName turns a title into the PascalCase identifier SARIF's
// reportingDescriptor.name expects ("Secret expires soon" ->
// "SecretExpiresSoon").
func ruleName(id, title string) string {
	var b strings.Builder
	upper := true
	for _, r := range title {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			upper = true
			continue
		}
		if upper {
			r = unicode.ToUpper(r)
			upper = false
		}
		b.WriteRune(r)
	}
	if b.Len() == 0 {
		return id
	}
	return b.String()
}

func firstParagraph(s string) string {
	if i := strings.Index(s, "\n\n"); i >= 0 {
		return strings.TrimSpace(s[:i])
	}
	return strings.TrimSpace(s)
}

// toolVersion is the given version, else the module version the binary
// was built with, else "dev".
func toolVersion(v string) string {
	if v != "" {
		return v
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}
