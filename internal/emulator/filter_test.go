package emulator

import (
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/msgraph"
)

func TestLogFilterExpressions(t *testing.T) {
	at := time.Date(2026, 2, 20, 8, 0, 0, 0, time.UTC)
	si := &signInItem{at: at, rec: &msgraph.SignIn{AppID: "app-1", SignInEventTypes: []string{"nonInteractiveUser", "servicePrincipal"},
		Status: &msgraph.SignInStatus{ErrorCode: 0}}}
	audit := &auditItem{at: at, rec: &msgraph.DirectoryAudit{ActivityDisplayName: "Add owner to application",
		TargetResources: []msgraph.TargetResource{{ID: "u1", Type: "User"}, {ID: "a1", DisplayName: "payroll-export", Type: "Application"}}}}
	tests := []struct {
		sc     *schema
		item   any
		filter string
		want   bool
	}{
		{signInSchema, si, "signInEventTypes/any(t: t eq 'servicePrincipal')", true},
		{signInSchema, si, "signInEventTypes/any(t:t eq 'SERVICEPRINCIPAL')", true},
		{signInSchema, si, "signInEventTypes/any(t : t eq 'servicePrincipal')", true},
		{signInSchema, si, "signInEventTypes/ANY(x: x eq 'managedIdentity' or x eq 'nonInteractiveUser')", true},
		{signInSchema, si, "signInEventTypes/any(t: t eq 'managedIdentity')", false},
		{signInSchema, si, "signInEventTypes/any(t: t ne 'servicePrincipal')", true},
		{signInSchema, si, "createdDateTime ge 2026-02-20T08:00:00Z and createdDateTime lt 2026-02-20T08:00:00.001Z", true},
		{signInSchema, si, "createdDateTime gt 2026-02-20T08:00:00Z", false},
		{signInSchema, si, "createdDateTime le 2026-02-20T09:00:00+01:00", true},
		{signInSchema, si, "status/errorCode eq 0 and appId eq 'APP-1'", true},
		{signInSchema, si, "not (appId eq 'app-1')", false},
		{auditSchema, audit, "targetResources/any(r: r/type eq 'Application' and startswith(r/displayName, 'payroll'))", true},
		{auditSchema, audit, "targetResources/any(r: r/id eq 'a2')", false},
		{auditSchema, audit, "activityDateTime eq 2026-02-20T08:00:00.0000000Z", true},
	}
	for _, tt := range tests {
		f, gerr := parseFilter(tt.filter, tt.sc)
		if gerr != nil {
			t.Errorf("%s: %s", tt.filter, gerr.msg)
			continue
		}
		if got := f.eval(tt.sc, tt.item); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.filter, got, tt.want)
		}
	}
	for _, bad := range []string{
		"signInEventTypes/any(: t eq 'x')",
		"signInEventTypes/any(t t eq 'x')",
		"signInEventTypes/any(t: t eq 'x'",
		"signInEventTypes/any(t: u eq 'x')",
		"appId/any(t: t eq 'x')",
		"createdDateTime ge '2026-02-20T08:00:00Z'",
		"appId ge 'a'",
		"status/errorCode eq 'zero'",
	} {
		if _, gerr := parseFilter(bad, signInSchema); gerr == nil || gerr.status != 400 {
			t.Errorf("%s: accepted", bad)
		}
	}
	if _, gerr := parseFilter("activityDisplayName ne 'x'", auditSchema); gerr == nil || gerr.code != "Request_UnsupportedQuery" {
		t.Errorf("ne on directory audits: %v", gerr)
	}
}
