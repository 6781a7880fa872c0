package logsingestion

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
)

// dcrType is the Azure resource type of a data collection rule.
const dcrType = "Microsoft.Insights/dataCollectionRules"

// dcrResource is the part of a data collection rule resource read here.
type dcrResource struct {
	Type       string `json:"type"`
	Properties struct {
		StreamDeclarations map[string]struct {
			Columns []Column `json:"columns"`
		} `json:"streamDeclarations"`
	} `json:"properties"`
}

// StreamsFromDCR returns the input streams, with their columns, that a
// data collection rule declares, for a Rule's Streams. doc is either an
// ARM deployment template whose resources hold one or more rules (as
// docs/sentinel/credwatch-dcr.json does) or one rule's resource JSON, as
// Azure Resource Manager returns it. Streams come sorted by name, columns
// in the order declared; names and types are checked when a Server
// starts.
func StreamsFromDCR(doc []byte) ([]Stream, error) {
	var d struct {
		Resources []dcrResource `json:"resources"`
		dcrResource
	}
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, fmt.Errorf("data collection rule: %w", err)
	}
	var rules []dcrResource
	for _, r := range d.Resources {
		if strings.EqualFold(r.Type, dcrType) {
			rules = append(rules, r)
		}
	}
	if d.Resources == nil && (d.Type == "" || strings.EqualFold(d.Type, dcrType)) {
		rules = append(rules, d.dcrResource)
	}
	var out []Stream
	for _, r := range rules {
		for name, decl := range r.Properties.StreamDeclarations {
			if slices.ContainsFunc(out, func(s Stream) bool { return strings.EqualFold(s.Name, name) }) {
				return nil, fmt.Errorf("data collection rule: stream %s declared twice", name)
			}
			for i, c := range decl.Columns {
				if c.Name == "" || c.Type == "" {
					return nil, fmt.Errorf("data collection rule: streamDeclarations.%s.columns[%d]: name and type are required", name, i)
				}
			}
			out = append(out, Stream{Name: name, Columns: slices.Clone(decl.Columns)})
		}
	}
	if len(out) == 0 {
		return nil, errors.New("data collection rule: no " + dcrType + " resource declares a stream (properties.streamDeclarations)")
	}
	slices.SortFunc(out, func(a, b Stream) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}
