package logsingestion

// DemoRuleID is the immutable id of the demo's data collection rule.
const DemoRuleID = "dcr-c7ed0a7c0000400080000000c0dec0de"

// DemoRule is the demo's data collection rule: credwatch's two input
// streams, declared with the columns docs/sentinel/credwatch-dcr.json gives
// them, so a row credwatch sends that the template would not take is
// refused here too; and the Monitoring Metrics Publisher role for
// publisher, the object id of the demo client's service principal (the
// oid of its tokens), as an Azure role assignment names it.
func DemoRule(publisher string) Rule {
	return Rule{ImmutableID: DemoRuleID, Name: "dcr-credwatch", ResourceGroup: "rg-monitoring",
		Streams:         credwatchStreams(),
		RoleAssignments: []RoleAssignment{{Principal: publisher, Role: PublisherRole}}}
}

// credwatchStreams are the stream declarations of
// docs/sentinel/credwatch-dcr.json, findings first. A Go package cannot
// embed a file outside its directory, so they are written out here and a
// test holds them equal to the template's, read with StreamsFromDCR.
func credwatchStreams() []Stream {
	return []Stream{
		{Name: "Custom-CredwatchFindings", Columns: []Column{
			{"TimeGenerated", "datetime"}, {"EntraTenantId", "string"}, {"FindingId", "string"}, {"RuleId", "string"},
			{"RuleTitle", "string"}, {"Severity", "string"}, {"ObjectType", "string"}, {"ObjectId", "string"},
			{"AppId", "string"}, {"AppName", "string"}, {"KeyId", "string"}, {"Message", "string"},
			{"Deadline", "datetime"}, {"Evidence", "dynamic"}, {"Suppressed", "boolean"},
			{"SuppressionReason", "string"},
		}},
		{Name: "Custom-CredwatchCredentials", Columns: []Column{
			{"TimeGenerated", "datetime"}, {"EntraTenantId", "string"}, {"ScanComplete", "boolean"},
			{"Source", "string"}, {"ObjectType", "string"}, {"ObjectId", "string"}, {"AppId", "string"},
			{"AppName", "string"}, {"ServicePrincipalType", "string"}, {"SignInAudience", "string"},
			{"FirstParty", "boolean"}, {"CredentialType", "string"}, {"KeyId", "string"}, {"CredentialName", "string"},
			{"Hint", "string"}, {"StartDateTime", "datetime"}, {"EndDateTime", "datetime"}, {"Thumbprint", "string"},
			{"KeyType", "string"}, {"KeyUsage", "string"}, {"Issuer", "string"}, {"Subject", "string"},
			{"Audiences", "dynamic"}, {"Owners", "dynamic"},
		}},
	}
}
