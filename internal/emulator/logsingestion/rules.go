package logsingestion

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

var (
	ruleIDPattern     = regexp.MustCompile(`^(?i)dcr-[0-9a-f]{32}$`)
	streamNamePattern = regexp.MustCompile(`^(?i:custom|microsoft)-[A-Za-z0-9_-]+$`)
	columnPattern     = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,44}$`)
	resourceName      = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
)

// reservedColumns cannot be declared (the Logs Ingestion API overview).
var reservedColumns = []string{"_ResourceId", "id", "_SubscriptionId", "TenantId", "Type", "UniqueId", "Title"}

// columnTypes are the types a stream declaration takes.
var columnTypes = []string{"string", "int", "long", "real", "boolean", "datetime", "dynamic"}

// roles are the built-in roles a rule's role assignments may name; only
// PublisherRole carries the ingestion data action.
var roles = []string{"monitoring metrics publisher", "monitoring reader", "monitoring contributor", "reader", "contributor", "owner"}

// checkColumn says why name cannot be a column, or "".
func checkColumn(name string) string {
	if !columnPattern.MatchString(name) {
		return "a column name starts with a letter and has at most 45 letters, digits and underscores"
	}
	if slices.ContainsFunc(reservedColumns, func(r string) bool { return strings.EqualFold(r, name) }) {
		return "the name is reserved"
	}
	return ""
}

func newRule(rc Rule, sub string) (*rule, error) {
	if !ruleIDPattern.MatchString(rc.ImmutableID) {
		return nil, fmt.Errorf("immutableId %q: want dcr- and 32 hex digits", rc.ImmutableID)
	}
	if rc.Name == "" {
		rc.Name = "dcr-credwatch"
	}
	if rc.ResourceGroup == "" {
		rc.ResourceGroup = "rg-monitoring"
	}
	if !resourceName.MatchString(rc.Name) || !resourceName.MatchString(rc.ResourceGroup) {
		return nil, fmt.Errorf("name %q, resource group %q: want letters, digits, '-', '_' or '.'", rc.Name, rc.ResourceGroup)
	}
	ru := &rule{cfg: rc, streams: map[string]*stream{},
		armID: "/subscriptions/" + sub + "/resourceGroups/" + rc.ResourceGroup + "/providers/Microsoft.Insights/dataCollectionRules/" + rc.Name}
	for i, sc := range rc.Streams {
		if !streamNamePattern.MatchString(sc.Name) {
			return nil, fmt.Errorf("streams[%d].name %q: want Custom-<name>", i, sc.Name)
		}
		key := strings.ToLower(sc.Name)
		if _, dup := ru.streams[key]; dup {
			return nil, fmt.Errorf("streams[%d].name %s: declared twice", i, sc.Name)
		}
		st := &stream{cfg: sc}
		if len(sc.Columns) > 0 {
			st.cols = map[string]bool{}
		}
		for j, c := range sc.Columns {
			if why := checkColumn(c.Name); why != "" {
				return nil, fmt.Errorf("streams[%d].columns[%d].name %q: %s", i, j, c.Name, why)
			}
			if !slices.Contains(columnTypes, c.Type) {
				return nil, fmt.Errorf("streams[%d].columns[%d].type %q: want one of %s", i, j, c.Type, strings.Join(columnTypes, ", "))
			}
			if st.cols[c.Name] {
				return nil, fmt.Errorf("streams[%d].columns[%d].name %s: declared twice", i, j, c.Name)
			}
			st.cols[c.Name] = true
		}
		ru.streams[key] = st
	}
	for i, ra := range rc.RoleAssignments {
		if strings.TrimSpace(ra.Principal) == "" {
			return nil, fmt.Errorf("roleAssignments[%d].principal: required", i)
		}
		if !slices.Contains(roles, strings.ToLower(strings.TrimSpace(ra.Role))) {
			return nil, fmt.Errorf("roleAssignments[%d].role %q: want %s or another built-in monitoring role", i, ra.Role, PublisherRole)
		}
	}
	return ru, nil
}

// decodeRow decodes a kept row; rows are checked when received.
func decodeRow(raw json.RawMessage) map[string]any {
	var m map[string]any
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	_ = d.Decode(&m)
	return m
}
