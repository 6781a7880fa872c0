package activity

import "testing"

func TestNormalizeActivityName(t *testing.T) {
	cases := map[string]string{
		"Update application \u2013 Certificates and secrets management ": ActivityAppCredentials,
		"Update application - Certificates and secrets management":       ActivityAppCredentials,
		"Update application \u2014 Certificates and secrets management.": ActivityAppCredentials,
		"Create application \u2013 Certificates and secrets management ": ActivityCreateAppCredentials,
		"Add service principal credentials.":                             ActivityAddSPCredentials,
		"  Add owner to\u00a0 application \t":                            ActivityAddAppOwner,
		"Update application.":                                            "Update application",
		"Update application .":                                           "Update application",
		"":                                                               "",
		".":                                                              "",
		"a..":                                                            "a.",
	}
	for in, want := range cases {
		if got := NormalizeActivityName(in); got != want {
			t.Errorf("NormalizeActivityName(%q) = %q, want %q", in, got, want)
		}
	}
	if !activityIs("add SERVICE principal credentials.", ActivityAddSPCredentials) {
		t.Error("activity names should compare without letter case")
	}
}
