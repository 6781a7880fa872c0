package policy

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// RulesMarkdown renders the rule catalog under cfg (nil means the
// defaults) as Markdown: docs/rules.md is this output for the defaults.
func RulesMarkdown(cfg *Config) []byte {
	cat := Catalog(cfg)
	var b bytes.Buffer
	b.WriteString(`# Rules

<!-- Generated from the rule catalog in internal/policy; edit the rules there and run
     go test ./internal/policy -run TestRulesDoc -update -->

credwatch judges every application credential against these rules. Each finding carries the
rule id, a severity, the object and credential it is about, a one-line message, a deadline (the
credential's end, where one matters) and evidence. Finding ids are stable across scans: the
first 16 bytes of SHA-256 over rule id, object id and key id, so history, exceptions and
notifications can key on them.

Severities, highest first: critical, high, medium, low, info. Every rule can be disabled, given
a fixed severity, scoped to some apps, and excepted for named apps until a date: see
[configuration.md](configuration.md).

Times are instants, compared in UTC whatever offset the data carries; a "day" is a 24-hour
period counted from the moment of the scan.

| Rule | Severity | Title | Thresholds (defaults) |
|---|---|---|---|
`)
	for _, r := range cat {
		fmt.Fprintf(&b, "| [%s](#%s) | %s | %s | %s |\n", r.ID, strings.ToLower(r.ID), r.Severity, r.Title, thresholdList(r.Thresholds))
	}
	for _, r := range cat {
		fmt.Fprintf(&b, "\n## %s\n\n**%s**\n\n", r.ID, r.Title)
		sev := r.Severity.String()
		if r.Severities != "" {
			sev = r.Severities
		}
		fmt.Fprintf(&b, "- Severity: %s\n- One finding per: %s\n", sev, subjectText(r.Subject))
		if len(r.Thresholds) > 0 {
			fmt.Fprintf(&b, "- Thresholds: %s\n", thresholdList(r.Thresholds))
		}
		fmt.Fprintf(&b, "\n**Why it matters.** %s\n\n**When it fires.** %s\n\n**How to fix.** %s\n", r.Why, r.Details, r.Fix)
	}
	b.WriteString(`
## Permission tiers

CW006 and CW010 look at the application permissions (app roles) granted to an app's service
principal. A permission is privileged when its tier is **high** or **critical**. The built-in
tiers below come from internal/policy/permissions.yaml; ` + "`permissionTiers`" + ` in the configuration
overrides any of them or adds others (also for permissions the scan could only see by
appRoleId). Permissions not listed have no tier.
`)
	writeTierTables(&b)
	return b.Bytes()
}

func thresholdList(th map[string]string) string {
	if len(th) == 0 {
		return "—"
	}
	keys := make([]string, 0, len(th))
	for k := range th {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		v := th[k]
		if v == "" {
			v = "unset"
		}
		parts[i] = fmt.Sprintf("`%s` %s", k, v)
	}
	return strings.Join(parts, ", ")
}

func subjectText(s string) string {
	switch s {
	case "credential":
		return "credential (secret, certificate or federated credential)"
	case "object":
		return "application or service principal"
	case "app":
		return "app (its application object, or its service principal when the tenant has no application object)"
	case "configuration":
		return "expired exception in the configuration"
	case "tenant":
		return "tenant (object type `tenant`, object id the tenant id)"
	case "vault":
		return "key vault (object type `keyVault`, object id its resource id)"
	case "sign-in":
		return "app and the credential it signed in with (key id)"
	}
	return s
}

func writeTierTables(b *bytes.Buffer) {
	var f tierFile
	if err := yaml.Unmarshal(permissionsYAML, &f); err != nil {
		fmt.Fprintf(b, "\n(permission table unreadable: %v)\n", err)
		return
	}
	for _, r := range f.Resources {
		fmt.Fprintf(b, "\n### %s (`%s`)\n\n| Tier | Permissions |\n|---|---|\n", r.Name, r.AppID)
		for _, l := range []struct {
			name  string
			perms []string
		}{{"critical", r.Critical}, {"high", r.High}, {"medium", r.Medium}} {
			if len(l.perms) > 0 {
				fmt.Fprintf(b, "| %s | %s |\n", l.name, strings.Join(l.perms, ", "))
			}
		}
	}
}
