package policy

import (
	"errors"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

func TestInvalidConfigFilesReportEveryProblemWithItsLine(t *testing.T) {
	cases := []struct {
		file string
		want []string
	}{
		{"invalid-type.yaml", []string{
			`testdata/invalid-type.yaml:4: rules.CW001.enabled: cannot unmarshal string "yes please" into bool`,
			`testdata/invalid-type.yaml:6: rules.CW002.criticalDays: cannot unmarshal string "x" into int`,
			`testdata/invalid-type.yaml:7: rules.CW002.warningDays: cannot unmarshal float "7.5" into int`,
			`testdata/invalid-type.yaml:9: rules.CW007.maxActiveSecrets: cannot unmarshal list into int`,
			`testdata/invalid-type.yaml:11: exceptions: cannot unmarshal mapping into list`,
		}},
		{"invalid-unknown-key.yaml", []string{
			`testdata/invalid-unknown-key.yaml:3: rules.CW002.critcalDays: unknown key "critcalDays" (did you mean criticalDays?)`,
			`testdata/invalid-unknown-key.yaml:4: rules.CW012: unknown rule "CW012" (did you mean CW002?)`,
			`testdata/invalid-unknown-key.yaml:7: rules.CW008.criticalDays: unknown key "criticalDays" (known: enabled, scope, severity)`,
			`testdata/invalid-unknown-key.yaml:8: colour: unknown key "colour" (known: exceptions, keyVaults, permissionTiers, rotation, rules, scope)`,
		}},
		{"invalid-values.yaml", []string{
			`testdata/invalid-values.yaml:3: rules.CW002.criticalDays: must not exceed warningDays (40 > 30)`,
			`testdata/invalid-values.yaml:6: rules.CW003.secretMaxDays: must not be negative (got -1)`,
			`testdata/invalid-values.yaml:7: rules.CW003.certificateMaxDays: must be at least 1`,
			`testdata/invalid-values.yaml:8: rules.CW003.severity: unknown severity "severe" (want one of info, low, medium, high, critical)`,
			`testdata/invalid-values.yaml:10: rules.CW004.neverExpiresYear: must be a year between 1970 and 9999 (got 99)`,
			"testdata/invalid-values.yaml:12: rules.CW005.descriptionPattern: invalid regular expression: missing closing ]: `[`",
			`testdata/invalid-values.yaml:14: rules.CW007.maxActiveSecrets: must not be negative (got -2)`,
			`testdata/invalid-values.yaml:18: rules.CW010.scope.include.names[0]: invalid glob "prod-[a": unclosed [`,
			`testdata/invalid-values.yaml:22: permissionTiers[0].tier: unknown tier "extreme" (want one of none, medium, high, critical)`,
			`testdata/invalid-values.yaml:23: permissionTiers[1].resource: required (the resource's appId)`,
		}},
		{"invalid-exceptions.yaml", []string{
			`testdata/invalid-exceptions.yaml:2: exceptions[0].reason: required: say why the finding is accepted`,
			`testdata/invalid-exceptions.yaml:5: exceptions[1].rule: unknown rule "CW042"`,
			`testdata/invalid-exceptions.yaml:9: exceptions[2]: needs appId or app`,
			`testdata/invalid-exceptions.yaml:11: exceptions[2].expires: invalid date "31/12/2026" (want YYYY-MM-DD or an RFC 3339 time)`,
			`testdata/invalid-exceptions.yaml:12: exceptions[3].rule: CW099 cannot be excepted; renew or remove the expired exception`,
			`testdata/invalid-exceptions.yaml:16: exceptions[4].expires: required: every exception needs an end date (YYYY-MM-DD)`,
			`testdata/invalid-exceptions.yaml:18: exceptions[4].reason: required: say why the finding is accepted`,
		}},
		{"invalid-activity.yaml", []string{
			`testdata/invalid-activity.yaml:3: rules.CW003.thresholds: must be config or fromTenantPolicy (got "fromPolicy")`,
			`testdata/invalid-activity.yaml:5: rules.CW020.allowedActors[0]: must not be empty`,
			`testdata/invalid-activity.yaml:5: rules.CW020.allowedActors[1]: invalid glob "prod-[a": unclosed [`,
			`testdata/invalid-activity.yaml:8: rules.CW030.networks[0]: needs appId or app`,
			`testdata/invalid-activity.yaml:10: rules.CW030.networks[1].cidrs[0]: invalid CIDR "198.51.100.0/33" (want an address range such as 198.51.100.0/24)`,
			`testdata/invalid-activity.yaml:10: rules.CW030.networks[1].cidrs[1]: invalid CIDR "nonsense" (want an address range such as 198.51.100.0/24)`,
			`testdata/invalid-activity.yaml:11: rules.CW030.networks[2].cidrs: required: at least one address range, e.g. 198.51.100.0/24`,
			`testdata/invalid-activity.yaml:13: rules.CW031.unusedDays: must be at least 1`,
			`testdata/invalid-activity.yaml:15: rules.CW040.scope: unknown key "scope" (known: enabled, severity)`,
		}},
		{"invalid-syntax.yaml", []string{
			`testdata/invalid-syntax.yaml:4: invalid YAML: did not find expected key`,
		}},
		{"invalid-duplicate.yaml", []string{
			`testdata/invalid-duplicate.yaml:4: rules.CW002: duplicate key (first at line 2)`,
		}},
		{"invalid-shape.yaml", []string{
			`testdata/invalid-shape.yaml:1: the configuration must be a mapping with keys exceptions, keyVaults, permissionTiers, rotation, rules, scope`,
		}},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			cfg, err := LoadConfig("testdata/" + tc.file)
			if err == nil {
				t.Fatalf("loaded without error: %+v", cfg)
			}
			if cfg != nil {
				t.Error("returned a config along with the error")
			}
			got := strings.Split(err.Error(), "\n")
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("errors:\n%s\nwant:\n%s", err, strings.Join(tc.want, "\n"))
			}
			var ce *ConfigError
			if !errors.As(err, &ce) || ce.File == "" || ce.Line == 0 {
				t.Errorf("errors.As(*ConfigError) = %+v", ce)
			}
		})
	}
}

func TestEveryInvalidTestdataFileHasACase(t *testing.T) {
	// Keeps the table above complete: a new invalid-*.yaml needs its expected text.
	entries, err := os.ReadDir("testdata")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("config_test.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "invalid-") && !strings.Contains(string(src), `{"`+e.Name()+`"`) {
			t.Errorf("testdata/%s has no case in TestInvalidConfigFilesReportEveryProblemWithItsLine", e.Name())
		}
	}
}

func TestValidFullConfig(t *testing.T) {
	cfg, err := LoadConfig("testdata/valid-full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	r := cfg.Rules
	if r.CW001.Severity == nil || *r.CW001.Severity != High || r.CW001.RecentSignInDays != 14 || !r.CW001.Enabled {
		t.Errorf("CW001 = %+v", r.CW001)
	}
	if r.CW002.CriticalDays != 10 || r.CW002.WarningDays != 45 ||
		!reflect.DeepEqual(r.CW002.Scope.Include.Names, []string{"prod-*", "billing-?"}) {
		t.Errorf("CW002 = %+v", r.CW002)
	}
	if r.CW003.SecretMaxDays != 90 || r.CW003.CertificateMaxDays != 397 || r.CW004.NeverExpiresYear != 2090 || r.CW004.NeverExpiresYears != 5 {
		t.Errorf("thresholds: %+v %+v", r.CW003, r.CW004)
	}
	if r.CW005.Enabled || r.CW005.DescriptionPattern != `https://runbooks\.example\.com/` || r.CW011.Enabled || !r.CW010.Enabled {
		t.Errorf("enabled flags / pattern wrong: %+v", r)
	}
	if r.CW007.MaxActiveSecrets != 3 || *r.CW006.Severity != Critical || *r.CW099.Severity != Medium {
		t.Errorf("CW006/CW007/CW099 wrong")
	}
	if r.CW003.Thresholds != ThresholdsFromTenantPolicy || r.CW031.UnusedDays != 60 || *r.CW040.Severity != Low || r.CW041.Enabled ||
		!reflect.DeepEqual(r.CW020.AllowedActors, []string{"admin@contoso.example", "github-deploy*"}) || *r.CW021.Severity != Critical {
		t.Errorf("activity rules: %+v %+v %+v %+v", r.CW003, r.CW020, r.CW031, r.CW041)
	}
	if len(r.CW030.Networks) != 2 || r.CW030.Networks[0].App != "payroll-*" || r.CW030.Networks[1].AppID == "" ||
		!reflect.DeepEqual(r.CW030.Networks[0].CIDRs, []string{"198.51.100.0/24", "2001:db8::/32"}) ||
		!reflect.DeepEqual(r.CW022.Scope.Exclude.Tags, []string{"lab"}) {
		t.Errorf("CW022/CW030 = %+v %+v", r.CW022, r.CW030)
	}
	if !reflect.DeepEqual(cfg.Scope.Exclude.Tags, []string{"HideApp"}) {
		t.Errorf("scope = %+v", cfg.Scope)
	}
	if len(cfg.PermissionTiers) != 2 || cfg.PermissionTiers[0].Tier != TierCritical || cfg.PermissionTiers[1].Tier != TierNone {
		t.Errorf("tiers = %+v", cfg.PermissionTiers)
	}
	if len(cfg.Exceptions) != 2 {
		t.Fatalf("exceptions = %+v", cfg.Exceptions)
	}
	e0, e1 := cfg.Exceptions[0], cfg.Exceptions[1]
	if !e0.Expires.DayOnly || !e0.Expires.Until().Equal(at("2027-01-01T00:00:00Z")) || e0.KeyID == "" {
		t.Errorf("exception 0 = %+v (until %v)", e0, e0.Expires.Until())
	}
	if e1.Expires.DayOnly || !e1.Expires.Until().Equal(at("2026-09-30T15:00:00Z")) {
		t.Errorf("exception 1 = %+v", e1)
	}
}

func TestEmptyConfigIsTheDefault(t *testing.T) {
	for _, data := range []string{"", "# nothing but a comment\n", "---\n", "rules:\n", "rules: {}\n"} {
		cfg, err := ParseConfig([]byte(data), "c.yaml")
		if err != nil {
			t.Fatalf("%q: %v", data, err)
		}
		if !reflect.DeepEqual(cfg, DefaultConfig()) {
			t.Errorf("%q: %+v differs from the default", data, cfg)
		}
	}
}

func TestDecodedKeysKeepTheirDefaultsElsewhere(t *testing.T) {
	cfg, err := ParseConfig([]byte("rules:\n  CW002:\n    criticalDays: 3\n"), "c.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Rules.CW002.CriticalDays != 3 || cfg.Rules.CW002.WarningDays != DefaultWarningDays || !cfg.Rules.CW002.Enabled {
		t.Errorf("CW002 = %+v", cfg.Rules.CW002)
	}
}

func TestConfigRoundTripsThroughYAML(t *testing.T) {
	cfg, err := LoadConfig("testdata/valid-full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out, err := yaml.Marshal(cfg)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseConfig(out, "marshalled")
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !reflect.DeepEqual(cfg, back) {
		t.Errorf("round trip changed the config:\n%s", out)
	}
}

func TestValidateProgrammaticConfig(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("default config invalid: %v", err)
	}
	cfg := DefaultConfig()
	bad := Severity(9)
	cfg.Rules.CW008.Severity = &bad
	cfg.Rules.CW002.WarningDays = 50000
	cfg.Scope.Exclude.AppIDs = []string{" "}
	cfg.Scope.Include.Tags = []string{""}
	cfg.PermissionTiers = []TierOverride{{Resource: "r", Permission: " ", Tier: Tier(7)}}
	cfg.Exceptions = []Exception{{Rule: "", App: "[", Reason: "r", Expires: Date{Time: now}}}
	want := []string{
		"scope.include.tags[0]: must not be empty",
		"scope.exclude.appIds[0]: must not be empty",
		"rules.CW008.severity: invalid severity 9",
		"rules.CW002.warningDays: must be at most 36500 days (got 50000)",
		"permissionTiers[0].permission: required (the permission value, e.g. Mail.Read)",
		"permissionTiers[0].tier: invalid tier 7",
		"exceptions[0].rule: required",
		`exceptions[0].app: invalid glob "[": unclosed [`,
	}
	err := cfg.Validate()
	if err == nil || err.Error() != strings.Join(want, "\n") {
		t.Errorf("Validate:\n%v\nwant:\n%s", err, strings.Join(want, "\n"))
	}
}

func TestLoadConfigMissingFile(t *testing.T) {
	_, err := LoadConfig("testdata/does-not-exist.yaml")
	if err == nil || !strings.HasPrefix(err.Error(), "read config: ") || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("err = %v", err)
	}
}

func TestDateForms(t *testing.T) {
	cases := []struct {
		in    string
		until time.Time
		str   string
	}{
		{"2026-12-31", at("2027-01-01T00:00:00Z"), "2026-12-31"},
		{"2024-02-29", at("2024-03-01T00:00:00Z"), "2024-02-29"},
		{"2026-12-31T18:00:00-05:00", at("2026-12-31T23:00:00Z"), "2026-12-31T18:00:00-05:00"},
	}
	for _, tc := range cases {
		var d Date
		if err := d.UnmarshalText([]byte(tc.in)); err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		if !d.Until().Equal(tc.until) || d.String() != tc.str {
			t.Errorf("%s: until %v, string %s", tc.in, d.Until(), d.String())
		}
	}
	var d Date
	for _, bad := range []string{"2026-02-30", "tomorrow", "2026-13-01"} {
		if err := d.UnmarshalText([]byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

func TestGlobs(t *testing.T) {
	cases := []struct {
		glob, name string
		match      bool
	}{
		{"prod-*", "prod-billing", true},
		{"prod-*", "PROD-Billing", true},
		{"prod-*", "preprod-billing", false},
		{"billing-?", "billing-1", true},
		{"billing-?", "billing-12", false},
		{"app-[0-9]", "app-7", true},
		{"app-[!0-9]", "app-7", false},
		{"app-[]x]", "app-]", true},
		{"a.b (legacy)", "a.b (legacy)", true},
		{"a.b (legacy)", "axb (legacy)", false},
		{"*/ci", "team/ci", true},
		{`back\slash*`, `back\slash-1`, true},
	}
	for _, tc := range cases {
		re, err := compileGlob(tc.glob)
		if err != nil {
			t.Fatalf("%s: %v", tc.glob, err)
		}
		if re.MatchString(tc.name) != tc.match {
			t.Errorf("glob %q on %q: match = %v", tc.glob, tc.name, !tc.match)
		}
	}
	for _, bad := range []string{"", "  ", "app-[", "app-[z-a]"} {
		if _, err := compileGlob(bad); err == nil {
			t.Errorf("glob %q accepted", bad)
		}
	}
}

func TestSyntaxErrorLineInLongFiles(t *testing.T) {
	for _, entries := range []int{10, 400} { // line-by-line scan, then bisection
		var b strings.Builder
		b.WriteString("exceptions:\n")
		for range entries {
			b.WriteString("  - rule: CW003\n    app: x\n    reason: r\n    expires: 2030-01-01\n")
		}
		b.WriteString("   bad: [\n")
		_, err := ParseConfig([]byte(b.String()), "long.yaml")
		want := "long.yaml:" + strconv.Itoa(entries*4+2) + ": invalid YAML: "
		if err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%d entries: err = %v, want prefix %q", entries, err, want)
		}
	}
}
