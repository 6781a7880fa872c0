package azure

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
)

// Cloud names a Microsoft cloud.
type Cloud string

// The clouds credwatch knows the endpoints of.
const (
	CloudPublic Cloud = "public"
	CloudUSGov  Cloud = "usgov"
	CloudChina  Cloud = "china"
)

// cloudEndpoints are a cloud's authority host and Graph v1.0 base URL.
type cloudEndpoints struct {
	authority string
	graph     string
}

var clouds = map[Cloud]cloudEndpoints{
	CloudPublic: {"https://login.microsoftonline.com/", "https://graph.microsoft.com/v1.0"},
	CloudUSGov:  {"https://login.microsoftonline.us/", "https://graph.microsoft.us/v1.0"},
	CloudChina:  {"https://login.chinacloudapi.cn/", "https://microsoftgraph.chinacloudapi.cn/v1.0"},
}

// AuthOptions say where to authenticate and which Graph to call. The zero
// value means the public cloud with azidentity's defaults.
type AuthOptions struct {
	// Cloud is "public" (default), "usgov" or "china".
	Cloud string
	// TenantID overrides AZURE_TENANT_ID.
	TenantID string
	// AuthorityHost is a custom https authority (e.g. an emulator). Setting
	// it disables instance discovery, which would otherwise ask the public
	// cloud whether this host is a real authority. Without it,
	// AZURE_AUTHORITY_HOST is honoured as azidentity does (discovery on).
	AuthorityHost string
	// GraphURL is a custom Graph base such as https://host:port/v1.0; the
	// default is the cloud's.
	GraphURL string
	// CAFile is a PEM file of extra CA certificates to trust for both the
	// token and the Graph endpoints.
	CAFile string
	// HTTPClient, when set, is used as is (tests); otherwise one is built
	// from CAFile.
	HTTPClient *http.Client
}

// cloud returns the selected cloud's endpoints.
func (o AuthOptions) cloud() (Cloud, cloudEndpoints, error) {
	name := Cloud(strings.ToLower(strings.TrimSpace(o.Cloud)))
	if name == "" {
		name = CloudPublic
	}
	ep, ok := clouds[name]
	if !ok {
		return "", cloudEndpoints{}, fmt.Errorf("cloud %q: unknown (want public, usgov or china)", o.Cloud)
	}
	return name, ep, nil
}

// Endpoints resolves the authority host (with a trailing slash, as
// azidentity expects), the Graph base URL (without one) and the token scope
// of the cloud's Graph resource (e.g. https://graph.microsoft.com/.default).
func Endpoints(o AuthOptions) (authorityHost, graphURL, graphScope string, err error) {
	_, ep, err := o.cloud()
	if err != nil {
		return "", "", "", err
	}
	authorityHost, graphURL = ep.authority, ep.graph
	// As in azidentity: the option, then AZURE_AUTHORITY_HOST, then the
	// cloud's own.
	custom, what := o.AuthorityHost, "authority host"
	if custom == "" {
		custom, what = os.Getenv(envAuthorityHost), envAuthorityHost
	}
	if custom != "" {
		u, err := parseHTTPS(what, custom)
		if err != nil {
			return "", "", "", err
		}
		if u.RawQuery != "" || u.Fragment != "" {
			return "", "", "", fmt.Errorf("%s %q: must not carry a query or fragment", what, custom)
		}
		authorityHost = strings.TrimRight(u.String(), "/") + "/"
	}
	if o.GraphURL != "" {
		u, err := parseHTTPS("graph url", o.GraphURL)
		if err != nil {
			return "", "", "", err
		}
		if u.RawQuery != "" || u.Fragment != "" {
			return "", "", "", fmt.Errorf("graph url %q: must not carry a query or fragment", o.GraphURL)
		}
		graphURL = strings.TrimRight(u.String(), "/")
	}
	// The scope names the Graph resource of the cloud, not the URL it is
	// reached at: a custom GraphURL (a proxy, the emulator) still serves
	// that resource, and the token's audience must say so.
	g, _ := url.Parse(ep.graph)
	graphScope = g.Scheme + "://" + g.Host + "/.default"
	return authorityHost, graphURL, graphScope, nil
}

// parseHTTPS parses an absolute https URL with a host.
func parseHTTPS(what, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("%s %q: %w", what, raw, err)
	}
	if u.Scheme != "https" {
		return nil, fmt.Errorf("%s %q: scheme must be https", what, raw)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("%s %q: missing host", what, raw)
	}
	if u.User != nil {
		return nil, fmt.Errorf("%s: must not carry user information", what)
	}
	return u, nil
}
