package inventory

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/credwatch/credwatch/internal/msgraph"
)

// Where a converted file came from, for completeness reasons.
const (
	labelAz         = "az CLI output"
	labelPowerShell = "Graph PowerShell output"
	labelPages      = "the Graph list pages"
)

// maxExpandedOwners is how many owners Graph returns for $expand=owners,
// with no link to the rest.
const maxExpandedOwners = 20

// item is one application or service principal read from an export, with
// keys normalised to Graph's camelCase.
type item struct {
	where string // "item 3", "page 2 item 5": for errors
	kind  ObjectType
	obj   map[string]any
}

// loadObjects reads az CLI or Graph PowerShell output: an array of objects,
// or (single) one object, which is what ConvertTo-Json writes for a
// one-item result and az writes for "show".
func loadObjects(name string, raw []any, single bool) (*Snapshot, error) {
	var items []item
	pascal, camel := 0, 0
	for i, r := range raw {
		where := fmt.Sprintf("item %d", i)
		if single {
			where = "the object"
		}
		orig, _ := r.(map[string]any)
		m, ok := normalize(r).(map[string]any)
		if !ok {
			return nil, &FormatError{File: name, Problem: fmt.Sprintf("%s is not a JSON object", where)}
		}
		if isPascalCase(orig) {
			pascal++
		} else {
			camel++
		}
		it := item{where: where, obj: m}
		if it.kind = itemKind(it.obj, ""); it.kind == "" {
			return nil, &FormatError{File: name, Problem: where + " is neither an application nor a service principal"}
		}
		items = append(items, it)
	}
	if pascal > 0 && camel > 0 {
		return nil, &FormatError{File: name, Problem: "mixes PascalCase (Graph PowerShell) and camelCase (az CLI) objects"}
	}
	label := labelAz
	if pascal > 0 {
		label = labelPowerShell
	}
	return fromItems(name, label, items)
}

// loadPages reads Graph list pages: {"@odata.context": ..., "value": [...]}.
func loadPages(name string, pages []any) (*Snapshot, error) {
	var items []item
	for p, v := range pages {
		page, ok := v.(map[string]any)
		if !ok {
			return nil, &FormatError{File: name, Problem: fmt.Sprintf("value %d is not a Graph list page", p)}
		}
		values, ok := page["value"].([]any)
		if !ok {
			return nil, &FormatError{File: name, Problem: fmt.Sprintf("page %d has no \"value\" array", p)}
		}
		ctx, _ := page["@odata.context"].(string)
		pageKind, err := contextKind(ctx)
		if err != nil {
			return nil, &FormatError{File: name, Problem: fmt.Sprintf("page %d: %v", p, err)}
		}
		for i, r := range values {
			where := fmt.Sprintf("page %d item %d", p, i)
			m, ok := normalize(r).(map[string]any)
			if !ok {
				return nil, &FormatError{File: name, Problem: where + " is not a JSON object"}
			}
			if _, removed := m["@removed"]; removed {
				continue // a delta page's deletion marker
			}
			it := item{where: where, obj: m}
			if it.kind = itemKind(it.obj, pageKind); it.kind == "" {
				return nil, &FormatError{File: name, Problem: where + " is neither an application nor a service principal"}
			}
			items = append(items, it)
		}
	}
	return fromItems(name, labelPages, items)
}

// isPage reports whether a decoded JSON value looks like a Graph list page.
func isPage(v any) bool {
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	_, ok = m["value"]
	return ok
}

// contextKind reads the entity set from an @odata.context URL such as
// ".../$metadata#applications(id,appId)"; "" means the items must say.
func contextKind(ctx string) (ObjectType, error) {
	i := strings.LastIndexByte(ctx, '#')
	if i < 0 {
		return "", nil
	}
	frag := ctx[i+1:]
	n := 0
	for n < len(frag) && (frag[n] >= 'a' && frag[n] <= 'z' || frag[n] >= 'A' && frag[n] <= 'Z') {
		n++
	}
	set, rest := frag[:n], frag[n:]
	if strings.HasPrefix(rest, "(") {
		depth := 0
		for j := 0; j < len(rest); j++ {
			if rest[j] == '(' {
				depth++
			} else if rest[j] == ')' {
				if depth--; depth == 0 {
					rest = rest[j+1:]
					break
				}
			}
		}
	}
	if rest != "" && rest != "/$entity" && !strings.HasPrefix(rest, "/$delta") {
		return "", fmt.Errorf("a Graph page of %s%s, not a list of applications or service principals", set, rest)
	}
	switch strings.ToLower(set) {
	case "applications":
		return Application, nil
	case "serviceprincipals":
		return ServicePrincipal, nil
	case "directoryobjects":
		return "", nil
	}
	return "", fmt.Errorf("a Graph page of %s, not of applications or service principals", set)
}

// Keys that mark an object as a service principal or an application.
// Service principals also carry signInAudience, so they are tried first.
var (
	spMarkers  = []string{"servicePrincipalType", "appOwnerOrganizationId", "servicePrincipalNames", "appRoleAssignmentRequired", "appDisplayName", "appRoleAssignments"}
	appMarkers = []string{"requiredResourceAccess", "signInAudience", "identifierUris", "publisherDomain", "isFallbackPublicClient", "web", "spa", "api"}
)

// itemKind tells an application from a service principal: by @odata.type,
// then by the page it came from, then by the properties only one has.
func itemKind(m map[string]any, pageKind ObjectType) ObjectType {
	if t, ok := m["@odata.type"].(string); ok && t != "" {
		switch strings.ToLower(strings.TrimPrefix(t, "#")) {
		case "microsoft.graph.application":
			return Application
		case "microsoft.graph.serviceprincipal":
			return ServicePrincipal
		}
		return ""
	}
	if pageKind != "" {
		return pageKind
	}
	for _, k := range spMarkers {
		if _, ok := m[k]; ok {
			return ServicePrincipal
		}
	}
	for _, k := range appMarkers {
		if _, ok := m[k]; ok {
			return Application
		}
	}
	return ""
}

// fromItems decodes normalised items into a Snapshot and records what the
// export could not hold: az CLI never has owners or assignments, Graph
// PowerShell and list pages only when expanded.
func fromItems(name, label string, items []item) (*Snapshot, error) {
	s := &Snapshot{SchemaVersion: SnapshotSchemaVersion, Kind: SnapshotKind, Complete: true}
	hasOwners, hasAssignments, ownersCut := false, false, false
	for _, it := range items {
		if owners, ok := it.obj["owners"].([]any); ok {
			hasOwners = true
			ownersCut = ownersCut || len(owners) >= maxExpandedOwners
		}
		if _, ok := it.obj["appRoleAssignments"].([]any); ok && it.kind == ServicePrincipal {
			hasAssignments = true
		}
		if stub, ok := depthStub(it.obj); ok {
			return nil, fmt.Errorf("%s: %s holds %q where an object belongs: ConvertTo-Json stopped at its default depth; export again with ConvertTo-Json -Depth 10",
				name, it.where, stub)
		}
		b, err := json.Marshal(it.obj)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", name, it.where, err)
		}
		switch it.kind {
		case Application:
			var a msgraph.Application
			if err := json.Unmarshal(b, &a); err != nil {
				return nil, fmt.Errorf("%s: %s (application): %s", name, it.where, describeJSONError(err))
			}
			s.Applications = append(s.Applications, a)
		case ServicePrincipal:
			var sp msgraph.ServicePrincipal
			if err := json.Unmarshal(b, &sp); err != nil {
				return nil, fmt.Errorf("%s: %s (service principal): %s", name, it.where, describeJSONError(err))
			}
			s.ServicePrincipals = append(s.ServicePrincipals, sp)
		}
	}
	var missing []string
	if !hasOwners {
		missing = append(missing, "owners")
	}
	if !hasAssignments {
		missing = append(missing, "permissions")
	}
	if len(missing) > 0 {
		s.Incomplete = append(s.Incomplete, fmt.Sprintf("%s are not in %s", strings.Join(missing, " and "), label))
	}
	if ownersCut {
		s.Incomplete = append(s.Incomplete, fmt.Sprintf("some objects list %d owners, the most Graph expands; more may exist", maxExpandedOwners))
	}
	s.Complete = len(s.Incomplete) == 0
	scrubSecrets(s)
	return s, nil
}

// decodeAll decodes each value of a JSON lines file; splitValues has
// already checked that each is valid.
func decodeAll(values []json.RawMessage) []any {
	out := make([]any, len(values))
	for i, v := range values {
		out[i], _ = decodeAny(v)
	}
	return out
}

// decodeAny decodes JSON keeping numbers exact, so byte arrays and ids
// survive the round trip.
func decodeAny(v json.RawMessage) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.UseNumber()
	var out any
	err := dec.Decode(&out)
	return out, err
}

// depthStub finds the type name PowerShell writes in place of an object
// nested deeper than ConvertTo-Json's -Depth (2 unless given), the most
// common way a Graph PowerShell export comes out unusable.
func depthStub(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		if strings.HasPrefix(x, "Microsoft.Graph.PowerShell.Models.") || x == "System.Collections.Hashtable" {
			return x, true
		}
	case map[string]any:
		for _, k := range sortedKeys(x) {
			if s, ok := depthStub(x[k]); ok {
				return s, true
			}
		}
	case []any:
		for _, e := range x {
			if s, ok := depthStub(e); ok {
				return s, true
			}
		}
	}
	return "", false
}
