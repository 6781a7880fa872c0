package report

import (
	"html"
	"regexp"
	"strings"
	"testing"
)

func TestHTMLEscapesTenantStrings(t *testing.T) {
	o := fixtureOptions()
	o.ShowSuppressed = true
	out := render(t, "html", fixtureScan(), o)
	for _, bad := range []string{"<img", "<b>ACME"} {
		if strings.Contains(out, bad) {
			t.Errorf("HTML contains raw %q", bad)
		}
	}
	if !strings.Contains(out, "&lt;img src=x onerror=alert(1)&gt;") {
		t.Error("the hostile name is not present as escaped text")
	}
}

func TestHTMLPolicyAllowsOnlyItsOwnStyleAndScript(t *testing.T) {
	out := render(t, "html", fixtureScan(), fixtureOptions())
	csp := regexp.MustCompile(`<meta http-equiv="Content-Security-Policy" content="([^"]+)">`).FindStringSubmatch(out)
	if csp == nil {
		t.Fatal("no CSP meta tag")
	}
	policy := html.UnescapeString(csp[1])
	style := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindStringSubmatch(out)
	script := regexp.MustCompile(`(?s)<script>(.*?)</script>`).FindStringSubmatch(out)
	if style == nil || script == nil {
		t.Fatal("inline style or script missing")
	}
	for _, want := range []string{
		"default-src 'none'",
		"style-src '" + cspHash(style[1]) + "'",
		"script-src '" + cspHash(script[1]) + "'",
	} {
		if !strings.Contains(policy, want) {
			t.Errorf("CSP %q lacks %q", policy, want)
		}
	}
	if strings.Contains(policy, "unsafe-inline") || strings.Contains(out, " style=") || strings.Contains(out, " onclick=") {
		t.Error("the page relies on inline styles or handlers the policy should forbid")
	}
	if !strings.Contains(out, `<meta name="viewport" content="width=device-width, initial-scale=1">`) {
		t.Error("no viewport meta tag")
	}
}

func TestHTMLHidesSuppressedUnlessAsked(t *testing.T) {
	hidden := render(t, "html", fixtureScan(), fixtureOptions())
	if strings.Contains(hidden, "rotation owned by vendor") {
		t.Error("suppressed finding shown without ShowSuppressed")
	}
	o := fixtureOptions()
	o.ShowSuppressed = true
	if shown := render(t, "html", fixtureScan(), o); !strings.Contains(shown, `class="suppressed"`) {
		t.Error("suppressed findings not shown, marked, with ShowSuppressed")
	}
}

func TestHTMLIncompleteScanWarns(t *testing.T) {
	tn := fixtureTenant()
	tn.Complete, tn.Incomplete = false, []string{"list owners: <forbidden>"}
	out := render(t, "html", NewScan(tn, nil, fixedNow), Options{})
	if !strings.Contains(out, `role="alert"`) || !strings.Contains(out, "list owners: &lt;forbidden&gt;") {
		t.Error("incomplete scan warning missing")
	}
}
