package logsingestion

// DemoRuleID is the immutable id of the demo's data collection rule.
const DemoRuleID = "dcr-c7ed0a7c0000400080000000c0dec0de"

// DemoRule is the demo's data collection rule: the streams given, declared
// without columns (credwatch's own tests check its rows against the
// declarations in docs/sentinel), and the Monitoring Metrics Publisher
// role for publisher, the demo's client.
func DemoRule(publisher string, streams ...string) Rule {
	r := Rule{ImmutableID: DemoRuleID, Name: "dcr-credwatch", ResourceGroup: "rg-monitoring",
		RoleAssignments: []RoleAssignment{{Principal: publisher, Role: PublisherRole}}}
	for _, s := range streams {
		r.Streams = append(r.Streams, Stream{Name: s})
	}
	return r
}
