package policy

import (
	"strconv"
	"strings"
	"testing"

	"github.com/credwatch/credwatch/internal/inventory"
)

const (
	exchangeAppID   = "00000002-0000-0ff1-ce00-000000000000"
	sharePointAppID = "00000003-0000-0ff1-ce00-000000000000"
)

func TestBuiltinTiers(t *testing.T) {
	if _, err := builtinTiers(); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		resource, perm string
		want           Tier
	}{
		{graphAppID, "Application.ReadWrite.All", TierCritical},
		{graphAppID, "AppRoleAssignment.ReadWrite.All", TierCritical},
		{graphAppID, "RoleManagement.ReadWrite.Directory", TierCritical},
		{graphAppID, "Mail.ReadWrite", TierCritical},
		{graphAppID, "Mail.Send", TierCritical},
		{graphAppID, "Sites.FullControl.All", TierCritical},
		{graphAppID, "Files.ReadWrite.All", TierCritical},
		{graphAppID, "Directory.ReadWrite.All", TierCritical},
		{exchangeAppID, "full_access_as_app", TierCritical},
		{sharePointAppID, "Sites.FullControl.All", TierCritical},
		{graphAppID, "Mail.Read", TierHigh},
		{graphAppID, "Sites.ReadWrite.All", TierHigh},
		{graphAppID, "User.ReadWrite.All", TierHigh},
		{graphAppID, "Group.ReadWrite.All", TierHigh},
		{graphAppID, "Application.ReadWrite.OwnedBy", TierHigh},
		{exchangeAppID, "Mail.Read", TierHigh},
		{sharePointAppID, "Sites.ReadWrite.All", TierHigh},
		{graphAppID, "Directory.Read.All", TierMedium},
		{graphAppID, "User.Read.All", TierMedium},
		{strings.ToUpper(graphAppID), "User.Read.All", TierMedium},
		{graphAppID, "user.read.all", TierNone}, // values match as Graph spells them
		{graphAppID, "Unknown.Permission", TierNone},
		{"11111111-0000-0000-0000-000000000000", "Mail.Send", TierNone},
	}
	for _, tc := range cases {
		p := inventory.Permission{ResourceAppID: tc.resource, Value: tc.perm}
		if got := (*Config)(nil).PermissionTier(p); got != tc.want {
			t.Errorf("%s %s: tier %s, want %s", tc.resource, tc.perm, got, tc.want)
		}
	}
}

func TestPermissionTierOverridesAndAppRoleIDs(t *testing.T) {
	cfg := DefaultConfig()
	cfg.PermissionTiers = []TierOverride{
		{Resource: graphAppID, Permission: "Mail.Send", Tier: TierNone},
		{Resource: graphAppID, Permission: "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9", Tier: TierCritical},
	}
	if got := cfg.PermissionTier(graphPerm("Mail.Send")); got != TierNone {
		t.Errorf("override to none: %s", got)
	}
	unresolved := inventory.Permission{ResourceAppID: graphAppID, AppRoleID: "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9", Value: "1bfefb4e-e0b5-418b-a88f-73c46d2cc8e9"}
	if got := cfg.PermissionTier(unresolved); got != TierCritical {
		t.Errorf("by appRoleId: %s", got)
	}
	if got := DefaultConfig().PermissionTier(graphPerm("Mail.Send")); got != TierCritical {
		t.Errorf("default: %s", got)
	}
}

func TestTierTableRejectsContradictions(t *testing.T) {
	_, err := parseTiers([]byte("resources:\n  - appId: x\n    name: X\n    critical: [A]\n    medium: [A]\n"))
	if err == nil || !strings.Contains(err.Error(), "X A listed as critical and medium") {
		t.Errorf("err = %v", err)
	}
	if _, err := parseTiers([]byte("resources:\n  - appId: x\n    tiers: [A]\n")); err == nil {
		t.Error("unknown key accepted")
	}
}

func TestAppendQuotedMatchesStrconv(t *testing.T) {
	for _, s := range []string{"ci-deploy", "with \"quotes\"", `back\slash`, "tab\there", "new\nline", "naïve", "日本", "\x7f", "~ok~"} {
		want := strconvQuote(s)
		if got := string(appendQuoted(nil, s)); got != want {
			t.Errorf("appendQuoted(%q) = %s, want %s", s, got, want)
		}
	}
}

func strconvQuote(s string) string { return strconv.Quote(s) }
