package policy

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/rules.md from the rule catalog")

const docsDir = "../../docs/"

func TestRulesDoc(t *testing.T) {
	got := RulesMarkdown(nil)
	path := docsDir + "rules.md"
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("docs/rules.md is out of date with the rule catalog; run go test ./internal/policy -run TestRulesDoc -update")
	}
	for _, r := range Catalog(nil) {
		if !bytes.Contains(got, []byte("\n## "+r.ID+"\n")) {
			t.Errorf("rules.md has no section for %s", r.ID)
		}
	}
}

// configKeyPaths lists every YAML key path of Config, lists marked "[]".
func configKeyPaths(t reflect.Type, prefix string) []string {
	var out []string
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		if t.Kind() == reflect.Slice {
			prefix += "[]"
		}
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t == reflect.TypeFor[Date]() {
		return nil
	}
	fields := yamlFields(t)
	for name, idx := range fields {
		p := joinPath(prefix, name)
		out = append(out, p)
		out = append(out, configKeyPaths(t.FieldByIndex(idx).Type, p)...)
	}
	slices.Sort(out)
	return out
}

type schemaNode struct {
	Type                 any                    `json:"type"`
	Properties           map[string]*schemaNode `json:"properties"`
	Items                *schemaNode            `json:"items"`
	Ref                  string                 `json:"$ref"`
	AdditionalProperties *bool                  `json:"additionalProperties"`
	Description          string                 `json:"description"`
	Default              any                    `json:"default"`
}

type schemaDoc struct {
	schemaNode
	Defs map[string]*schemaNode `json:"$defs"`
}

func loadSchema(t *testing.T) *schemaDoc {
	t.Helper()
	data, err := os.ReadFile(docsDir + "config.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var s schemaDoc
	if err := json.Unmarshal(data, &s); err != nil {
		t.Fatalf("config.schema.json: %v", err)
	}
	return &s
}

// schemaKeyPaths lists every property path of the schema, resolving refs.
func (s *schemaDoc) keyPaths(t *testing.T, n *schemaNode, prefix string, depth int) []string {
	if depth > 10 {
		t.Fatalf("schema recursion at %s", prefix)
	}
	if n.Ref != "" {
		name := strings.TrimPrefix(n.Ref, "#/$defs/")
		def, ok := s.Defs[name]
		if !ok {
			t.Fatalf("%s: unresolved $ref %s", prefix, n.Ref)
		}
		n = def
	}
	if n.Items != nil {
		return s.keyPaths(t, n.Items, prefix+"[]", depth+1)
	}
	var out []string
	if n.Properties != nil && (n.AdditionalProperties == nil || *n.AdditionalProperties) {
		t.Errorf("schema %s: objects must set additionalProperties: false, like the strict decoder", prefix)
	}
	for name, p := range n.Properties {
		path := joinPath(prefix, name)
		if p.Description == "" && p.Ref == "" {
			t.Errorf("schema %s has no description", path)
		}
		out = append(out, path)
		out = append(out, s.keyPaths(t, p, path, depth+1)...)
	}
	slices.Sort(out)
	return out
}

// The schema's policy definition, which the file's top level and each
// tenant's overrides share, has every key of Config and no other.
// internal/config checks the whole file.
func TestSchemaHasEveryConfigKey(t *testing.T) {
	s := loadSchema(t)
	want := configKeyPaths(reflect.TypeFor[Config](), "")
	def, ok := s.Defs["policy"]
	if !ok {
		t.Fatal("docs/config.schema.json has no $defs.policy")
	}
	got := s.keyPaths(t, def, "", 0)
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
}

func TestSchemaDefaultsMatchDefaultConfig(t *testing.T) {
	s := loadSchema(t)
	rules, ok := s.Defs["rules"]
	if !ok {
		t.Fatal("docs/config.schema.json has no $defs.rules")
	}
	d := DefaultConfig()
	want := map[string]map[string]any{}
	for _, r := range Catalog(d) {
		want[r.ID] = map[string]any{"enabled": true}
		for k, v := range r.Thresholds {
			if v != "" {
				want[r.ID][k] = v
			}
		}
	}
	for id, keys := range want {
		rule, ok := rules.Properties[id]
		if !ok {
			t.Errorf("schema lacks rules.%s", id)
			continue
		}
		props := map[string]*schemaNode{}
		for k, v := range rule.Properties {
			props[k] = v
		}
		if rule.Ref != "" {
			for k, v := range s.Defs[strings.TrimPrefix(rule.Ref, "#/$defs/")].Properties {
				props[k] = v
			}
		}
		for k, v := range keys {
			p, ok := props[k]
			if !ok {
				t.Errorf("schema rules.%s lacks %s", id, k)
				continue
			}
			got := strings.TrimSuffix(strings.TrimPrefix(jsonString(p.Default), `"`), `"`)
			if got != jsonString(v) && got != v {
				t.Errorf("schema rules.%s.%s default %v, want %v", id, k, got, v)
			}
		}
	}
}

func jsonString(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
