package config

import (
	"encoding"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/credwatch/credwatch/internal/azure/loganalytics"
	"github.com/credwatch/credwatch/internal/notify"
	"github.com/credwatch/credwatch/internal/policy"
)

const docsDir = "../../docs/"

// keyPaths lists every YAML key path of a configuration type, lists
// marked "[]". A tenant's policy overrides have the policy's keys.
func keyPaths(t reflect.Type, prefix string) []string {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		if t.Kind() == reflect.Slice {
			prefix += "[]"
		}
		t = t.Elem()
	}
	if t == reflect.TypeFor[policy.Override]() {
		t = reflect.TypeFor[policy.Config]()
	}
	if t.Kind() != reflect.Struct || reflect.PointerTo(t).Implements(reflect.TypeFor[encoding.TextUnmarshaler]()) {
		return nil
	}
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		if tag == "" || tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(opts, "inline") {
			out = append(out, keyPaths(f.Type, prefix)...)
			continue
		}
		p := name
		if prefix != "" {
			p = prefix + "." + name
		}
		out = append(out, p)
		out = append(out, keyPaths(f.Type, p)...)
	}
	slices.Sort(out)
	return out
}

// schema is the subset of JSON Schema 2020-12 that docs/config.schema.json
// uses; validate refuses any other keyword, so no constraint is skipped
// unnoticed.
type schema struct {
	raw  map[string]any
	defs map[string]any
}

func loadSchema(t *testing.T) *schema {
	t.Helper()
	data, err := os.ReadFile(docsDir + "config.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatalf("config.schema.json: %v", err)
	}
	defs, _ := raw["$defs"].(map[string]any)
	return &schema{raw: raw, defs: defs}
}

func (s *schema) resolve(n map[string]any) (map[string]any, error) {
	ref, ok := n["$ref"].(string)
	if !ok {
		return n, nil
	}
	def, ok := s.defs[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("unresolved $ref %s", ref)
	}
	return def, nil
}

// paths lists every property path of the schema, resolving refs, and
// checks that each object is closed and each property described.
func (s *schema) paths(t *testing.T, n map[string]any, prefix string, depth int) []string {
	if depth > 20 {
		t.Fatalf("schema recursion at %s", prefix)
	}
	n, err := s.resolve(n)
	if err != nil {
		t.Fatalf("%s: %v", prefix, err)
	}
	if items, ok := n["items"].(map[string]any); ok {
		return s.paths(t, items, prefix+"[]", depth+1)
	}
	props, _ := n["properties"].(map[string]any)
	if props != nil && n["additionalProperties"] != false {
		t.Errorf("schema %s: objects must set additionalProperties: false, like the strict decoder", prefix)
	}
	var out []string
	for name, p := range props {
		path := name
		if prefix != "" {
			path = prefix + "." + name
		}
		pm := p.(map[string]any)
		if d, _ := pm["description"].(string); d == "" {
			t.Errorf("schema %s has no description", path)
		}
		out = append(out, path)
		out = append(out, s.paths(t, pm, path, depth+1)...)
	}
	slices.Sort(out)
	return out
}

// The schema describes the whole file: every key of Config, each tenant's
// overrides included, and no key Config lacks.
func TestSchemaHasEveryConfigKey(t *testing.T) {
	s := loadSchema(t)
	want := keyPaths(reflect.TypeFor[Config](), "")
	got := s.paths(t, s.raw, "", 0)
	for _, p := range want {
		if !slices.Contains(got, p) {
			t.Errorf("config key %s is missing from docs/config.schema.json", p)
		}
	}
	for _, p := range got {
		if !slices.Contains(want, p) {
			t.Errorf("docs/config.schema.json has %s, which Config does not", p)
		}
	}
	for _, p := range []string{"tenants[].policy.rules.CW002.criticalDays", "tenants[].policy.exceptions[].reason", "notifications.channels[].smtp.host", "logAnalytics.ruleId"} {
		if !slices.Contains(want, p) {
			t.Errorf("the key walk misses %s", p)
		}
	}
}

// Every key of the file is explained in configuration.md.
func TestConfigurationDocCoversEveryKey(t *testing.T) {
	data, err := os.ReadFile(docsDir + "configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	for _, p := range keyPaths(reflect.TypeFor[Config](), "") {
		key := p[strings.LastIndexAny(p, ".]")+1:]
		if _, isRule := policy.Lookup(key); isRule {
			continue // rule ids are checked below
		}
		if !strings.Contains(doc, "`"+key+"`") {
			t.Errorf("configuration.md does not mention `%s` (%s)", key, p)
		}
	}
	for _, r := range policy.Catalog(nil) {
		if !strings.Contains(doc, r.ID) {
			t.Errorf("configuration.md does not mention %s", r.ID)
		}
	}
}

// validate checks v (decoded YAML) against schema node n and returns the
// first problem, with its path.
func (s *schema) validate(n map[string]any, v any, path string) error {
	n, err := s.resolve(n)
	if err != nil {
		return err
	}
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%s: %s", orRoot(path), fmt.Sprintf(format, args...))
	}
	for kw := range n {
		switch kw {
		case "$schema", "$id", "$defs", "$ref", "title", "description", "default",
			"type", "properties", "additionalProperties", "items", "required", "enum", "pattern",
			"minLength", "minimum", "maximum", "minItems", "uniqueItems", "anyOf", "not", "format",
			"dependentRequired":
		default:
			return fail("schema keyword %q is not checked by this test", kw)
		}
	}
	if ts, ok := n["type"]; ok && !typeMatches(ts, v) {
		return fail("%s is not of type %v", describe(v), ts)
	}
	if e, ok := n["enum"].([]any); ok && !slices.ContainsFunc(e, func(x any) bool { return reflect.DeepEqual(x, v) }) {
		return fail("%s is not one of %v", describe(v), e)
	}
	if sub, ok := n["not"].(map[string]any); ok && s.validate(sub, v, path) == nil {
		return fail("%s matches what is refused here (%v)", describe(v), sub)
	}
	if alts, ok := n["anyOf"].([]any); ok {
		var errs []string
		for _, a := range alts {
			err := s.validate(a.(map[string]any), v, path)
			if err == nil {
				errs = nil
				break
			}
			errs = append(errs, err.Error())
		}
		if errs != nil {
			return fail("matches none of anyOf: %s", strings.Join(errs, "; "))
		}
	}
	switch v := v.(type) {
	case string:
		if m, ok := n["minLength"].(float64); ok && float64(len(v)) < m {
			return fail("%q is shorter than %v", v, m)
		}
		if p, ok := n["pattern"].(string); ok && !regexp.MustCompile(p).MatchString(v) {
			return fail("%q does not match %s", v, p)
		}
		switch f, _ := n["format"].(string); f {
		case "":
		case "regex":
			if _, err := regexp.Compile(v); err != nil {
				return fail("%q is not a regular expression", v)
			}
		case "date", "date-time":
			layout := map[string]string{"date": time.DateOnly, "date-time": time.RFC3339}[f]
			if _, err := time.Parse(layout, v); err != nil {
				return fail("%q is not a %s", v, f)
			}
		default:
			return fail("format %q is not checked by this test", f)
		}
	case float64:
		if m, ok := n["minimum"].(float64); ok && v < m {
			return fail("%v is less than %v", v, m)
		}
		if m, ok := n["maximum"].(float64); ok && v > m {
			return fail("%v is more than %v", v, m)
		}
	case []any:
		if m, ok := n["minItems"].(float64); ok && float64(len(v)) < m {
			return fail("has %d items, fewer than %v", len(v), m)
		}
		if n["uniqueItems"] == true {
			for i := range v {
				for j := range i {
					if reflect.DeepEqual(v[i], v[j]) {
						return fail("items %d and %d are equal", j, i)
					}
				}
			}
		}
		if items, ok := n["items"].(map[string]any); ok {
			for i, x := range v {
				if err := s.validate(items, x, path+"["+strconv.Itoa(i)+"]"); err != nil {
					return err
				}
			}
		}
	case map[string]any:
		props, _ := n["properties"].(map[string]any)
		for _, r := range asStrings(n["required"]) {
			if _, ok := v[r]; !ok {
				return fail("%s is required", r)
			}
		}
		if dr, ok := n["dependentRequired"].(map[string]any); ok {
			for key, needs := range dr {
				if _, ok := v[key]; !ok {
					continue
				}
				for _, r := range asStrings(needs) {
					if _, ok := v[r]; !ok {
						return fail("%s is required with %s", r, key)
					}
				}
			}
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			kp := k
			if path != "" {
				kp = path + "." + k
			}
			p, ok := props[k].(map[string]any)
			if !ok {
				if n["additionalProperties"] == false {
					return fmt.Errorf("%s: unknown key", kp)
				}
				continue
			}
			if err := s.validate(p, v[k], kp); err != nil {
				return err
			}
		}
	}
	return nil
}

func orRoot(path string) string {
	if path == "" {
		return "(document)"
	}
	return path
}

func asStrings(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, x := range l {
		out = append(out, x.(string))
	}
	return out
}

func describe(v any) string {
	if v == nil {
		return "null"
	}
	return fmt.Sprintf("%T %v", v, v)
}

func typeMatches(ts, v any) bool {
	var types []string
	switch ts := ts.(type) {
	case string:
		types = []string{ts}
	default:
		types = asStrings(ts)
	}
	for _, t := range types {
		switch x := v.(type) {
		case nil:
			if t == "null" {
				return true
			}
		case bool:
			if t == "boolean" {
				return true
			}
		case string:
			if t == "string" {
				return true
			}
		case float64:
			if t == "number" || (t == "integer" && x == math.Trunc(x)) {
				return true
			}
		case []any:
			if t == "array" {
				return true
			}
		case map[string]any:
			if t == "object" {
				return true
			}
		}
	}
	return false
}

// jsonValue turns a YAML node into the value JSON would hold: what an
// editor's schema check sees. Timestamps stay text; !replace is a YAML
// tag the schema does not see.
func jsonValue(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return jsonValue(n.Content[0])
	case yaml.AliasNode:
		return jsonValue(n.Alias)
	case yaml.MappingNode:
		m := map[string]any{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			v, err := jsonValue(n.Content[i+1])
			if err != nil {
				return nil, err
			}
			m[n.Content[i].Value] = v
		}
		return m, nil
	case yaml.SequenceNode:
		l := []any{}
		for _, c := range n.Content {
			v, err := jsonValue(c)
			if err != nil {
				return nil, err
			}
			l = append(l, v)
		}
		return l, nil
	}
	switch n.ShortTag() {
	case "!!null":
		return nil, nil
	case "!!bool":
		var b bool
		err := n.Decode(&b)
		return b, err
	case "!!int", "!!float":
		var f float64
		err := n.Decode(&f)
		return f, err
	}
	return n.Value, nil
}

// exampleConfigs are the configuration files and examples credwatch ships:
// each must load, and pass the schema an editor would check it with.
func exampleConfigs(t *testing.T) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	doc, err := os.ReadFile(docsDir + "configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllSubmatch(doc, -1) {
		out[fmt.Sprintf("configuration.md example %d", i+1)] = b[1]
	}
	var files []string
	for _, g := range []string{docsDir + "examples/*.yaml", "testdata/*.yaml", "../policy/testdata/valid-*.yaml"} {
		m, err := filepath.Glob(g)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	for _, f := range files {
		if strings.HasPrefix(filepath.Base(f), "invalid-") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.ToSlash(f)] = b
	}
	if len(out) < 6 {
		t.Fatalf("found %d example configurations, want the docs' and testdata's", len(out))
	}
	return out
}

func TestExampleConfigsMatchTheSchema(t *testing.T) {
	s := loadSchema(t)
	for name, data := range exampleConfigs(t) {
		t.Run(name, func(t *testing.T) {
			if _, err := Parse(data, name); err != nil {
				t.Fatalf("does not load: %v", err)
			}
			var n yaml.Node
			if err := yaml.Unmarshal(data, &n); err != nil {
				t.Fatal(err)
			}
			v, err := jsonValue(&n)
			if err != nil {
				t.Fatal(err)
			}
			if err := s.validate(s.raw, v, ""); err != nil {
				t.Errorf("loads, but the schema refuses it: %v", err)
			}
		})
	}
}

// The schema refuses what credwatch refuses, at the key a user would look
// at; a schema that accepted everything would pass the test above.
func TestSchemaRefusesBadConfigs(t *testing.T) {
	s := loadSchema(t)
	tests := []struct{ name, yaml, want string }{
		{"unknown key in a tenant's policy", "tenants:\n  - id: contoso.example\n    policy:\n      rules:\n        CW002: {days: 3}\n", "tenants[0].policy.rules.CW002.days: unknown key"},
		{"tenants inside a tenant's policy", "tenants:\n  - id: a.example\n    policy: {tenants: []}\n", "tenants[0].policy.tenants: unknown key"},
		{"tenant without id", "tenants:\n  - name: Contoso\n", "tenants[0]: id is required"},
		{"unknown cloud", "tenants:\n  - id: a.example\n    cloud: mars\n", "tenants[0].cloud"},
		{"secret without client id", "tenants:\n  - id: a.example\n    clientSecretEnv: SECRET\n", "clientId is required with clientSecretEnv"},
		{"two secrets", "tenants:\n  - id: a.example\n    clientId: x\n    clientSecretEnv: S\n    certificateFile: c.pem\n", "tenants[0]: "},
		{"inline webhook URL", "notifications:\n  channels:\n    - {name: t, type: teams, url: \"https://example.invalid/x\"}\n", "notifications.channels[0].url"},
		{"log analytics without rule", "logAnalytics: {endpoint: \"https://x.ingest.monitor.azure.com\"}\n", "logAnalytics: ruleId is required"},
		{"threshold of the wrong type", "rules:\n  CW002: {criticalDays: soon}\n", "rules.CW002.criticalDays"},
		{"unknown top-level key", "unknownSection: true\n", "unknownSection: unknown key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := Parse([]byte(tt.yaml), "c.yaml"); err == nil {
				t.Fatalf("credwatch accepts %q", tt.yaml)
			}
			var n yaml.Node
			if err := yaml.Unmarshal([]byte(tt.yaml), &n); err != nil {
				t.Fatal(err)
			}
			v, err := jsonValue(&n)
			if err != nil {
				t.Fatal(err)
			}
			err = s.validate(s.raw, v, "")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("schema check: %v; want an error containing %q", err, tt.want)
			}
		})
	}
}

// The schema's defaults are DefaultConfig's and notify's.
func TestSchemaDefaultsMatchTheCode(t *testing.T) {
	s := loadSchema(t)
	d := Default()
	var reminders []any
	for _, r := range notify.DefaultReminders {
		reminders = append(reminders, float64(r))
	}
	at := func(path ...string) any {
		n := s.raw
		for _, k := range path {
			var err error
			if n, err = s.resolve(n); err != nil {
				t.Fatal(err)
			}
			n = n["properties"].(map[string]any)[k].(map[string]any)
		}
		return n["default"]
	}
	for _, c := range []struct {
		path []string
		want any
	}{
		{[]string{"rotation", "renewDays"}, float64(d.Rotation.RenewDays)},
		{[]string{"rotation", "graceDays"}, float64(d.Rotation.GraceDays)},
		{[]string{"rotation", "description"}, d.Rotation.Description},
		{[]string{"notifications", "digest"}, notify.DefaultConfig().Digest},
		{[]string{"notifications", "reminders"}, reminders},
		{[]string{"logAnalytics", "findingsStream"}, loganalytics.FindingsStream},
		{[]string{"logAnalytics", "credentialsStream"}, loganalytics.CredentialsStream},
	} {
		if got := at(c.path...); !reflect.DeepEqual(got, c.want) {
			t.Errorf("schema default of %s = %v, want %v", strings.Join(c.path, "."), got, c.want)
		}
	}
}

// Editors check patterns as ECMA-262 regular expressions, which have no
// inline flags such as (?i); Go's RE2 accepts both.
func TestSchemaPatternsArePortable(t *testing.T) {
	s := loadSchema(t)
	flags := regexp.MustCompile(`\(\?[a-zA-Z]`)
	var walk func(v any, path string)
	walk = func(v any, path string) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if p, ok := x.(string); ok && k == "pattern" {
					if _, err := regexp.Compile(p); err != nil || flags.MatchString(p) {
						t.Errorf("%s: pattern %q is not portable (%v)", path, p, err)
					}
				}
				walk(x, path+"/"+k)
			}
		case []any:
			for i, x := range v {
				walk(x, path+"/"+strconv.Itoa(i))
			}
		}
	}
	walk(s.raw, "#")
}
