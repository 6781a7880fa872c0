package logsingestion

import (
	"reflect"
	"strings"
	"testing"
)

func TestStreamsFromDCR(t *testing.T) {
	b := Stream{Name: "Custom-B", Columns: []Column{{"TimeGenerated", "datetime"}, {"Seq", "int"}}}
	a := Stream{Name: "Custom-A", Columns: []Column{{"Payload", "dynamic"}}}
	cases := []struct {
		name string
		doc  string
		want []Stream
		err  string
	}{
		{"deployment template", `{"resources":[
			{"type":"Microsoft.OperationalInsights/workspaces/tables","properties":{"schema":{"name":"B_CL"}}},
			{"type":"Microsoft.Insights/dataCollectionRules","kind":"Direct","properties":{"streamDeclarations":{
				"Custom-B":{"columns":[{"name":"TimeGenerated","type":"datetime"},{"name":"Seq","type":"int"}]},
				"Custom-A":{"columns":[{"name":"Payload","type":"dynamic","description":"x"}]}}}}]}`, []Stream{a, b}, ""},
		{"two rules in a template", `{"resources":[
			{"type":"microsoft.insights/datacollectionrules","properties":{"streamDeclarations":{"Custom-B":{"columns":[{"name":"TimeGenerated","type":"datetime"},{"name":"Seq","type":"int"}]}}}},
			{"type":"Microsoft.Insights/dataCollectionRules","properties":{"streamDeclarations":{"Custom-A":{"columns":[{"name":"Payload","type":"dynamic"}]}}}}]}`,
			[]Stream{a, b}, ""},
		{"one rule as Resource Manager returns it", `{"id":"/subscriptions/s/resourceGroups/g/providers/Microsoft.Insights/dataCollectionRules/r",
			"type":"Microsoft.Insights/dataCollectionRules","properties":{"immutableId":"dcr-x","streamDeclarations":{"Custom-A":{"columns":[{"name":"Payload","type":"dynamic"}]}}}}`,
			[]Stream{a}, ""},
		{"not JSON", `{"resources":`, nil, "data collection rule: unexpected end of JSON input"},
		{"no rule", `{"resources":[{"type":"Microsoft.OperationalInsights/workspaces/tables","properties":{}}]}`, nil, "no Microsoft.Insights/dataCollectionRules resource declares a stream"},
		{"another resource", `{"type":"Microsoft.Insights/dataCollectionEndpoints","properties":{"streamDeclarations":{"Custom-A":{"columns":[]}}}}`, nil, "no Microsoft.Insights/dataCollectionRules"},
		{"column without a type", `{"properties":{"streamDeclarations":{"Custom-A":{"columns":[{"name":"Payload"}]}}}}`, nil,
			"streamDeclarations.Custom-A.columns[0]: name and type are required"},
		{"stream in two rules", `{"resources":[
			{"type":"Microsoft.Insights/dataCollectionRules","properties":{"streamDeclarations":{"Custom-A":{"columns":[]}}}},
			{"type":"Microsoft.Insights/dataCollectionRules","properties":{"streamDeclarations":{"custom-a":{"columns":[]}}}}]}`, nil, "declared twice"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := StreamsFromDCR([]byte(tc.doc))
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("StreamsFromDCR = %v, %v; want %v", got, err, tc.want)
			}
		})
	}
}
