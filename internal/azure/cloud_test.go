package azure

import (
	"strings"
	"testing"
)

func TestEndpointsPerCloudAndOverrides(t *testing.T) {
	tests := []struct {
		name                    string
		o                       AuthOptions
		authority, graph, scope string
	}{
		{"default is public", AuthOptions{},
			"https://login.microsoftonline.com/", "https://graph.microsoft.com/v1.0", "https://graph.microsoft.com/.default"},
		{"usgov", AuthOptions{Cloud: "usgov"},
			"https://login.microsoftonline.us/", "https://graph.microsoft.us/v1.0", "https://graph.microsoft.us/.default"},
		{"china, any case", AuthOptions{Cloud: "China"},
			"https://login.chinacloudapi.cn/", "https://microsoftgraph.chinacloudapi.cn/v1.0", "https://microsoftgraph.chinacloudapi.cn/.default"},
		{"custom endpoints keep their port", AuthOptions{AuthorityHost: "https://127.0.0.1:8443", GraphURL: "https://127.0.0.1:8443/v1.0/"},
			"https://127.0.0.1:8443/", "https://127.0.0.1:8443/v1.0", "https://graph.microsoft.com/.default"},
		{"custom graph keeps the cloud's resource", AuthOptions{Cloud: "usgov", GraphURL: "https://graph-proxy.example/v1.0"},
			"https://login.microsoftonline.us/", "https://graph-proxy.example/v1.0", "https://graph.microsoft.us/.default"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("AZURE_AUTHORITY_HOST", "")
			a, g, s, err := Endpoints(tt.o)
			if err != nil {
				t.Fatal(err)
			}
			if a != tt.authority || g != tt.graph || s != tt.scope {
				t.Errorf("got (%q, %q, %q), want (%q, %q, %q)", a, g, s, tt.authority, tt.graph, tt.scope)
			}
		})
	}
}

func TestEndpointsRejectBadURLs(t *testing.T) {
	tests := []struct {
		name    string
		o       AuthOptions
		wantErr string
	}{
		{"plain http graph", AuthOptions{GraphURL: "http://127.0.0.1/v1.0"}, "graph url"},
		{"graph with query", AuthOptions{GraphURL: "https://127.0.0.1/v1.0?x=1"}, "query"},
		{"authority with user info hides it", AuthOptions{AuthorityHost: "https://user:hunter2@127.0.0.1/"}, "user information"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("AZURE_AUTHORITY_HOST", "")
			_, _, _, err := Endpoints(tt.o)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error carries a password: %q", err)
			}
		})
	}
}

func TestAuthorityHostEnvironmentVariable(t *testing.T) {
	t.Setenv("AZURE_AUTHORITY_HOST", "https://login.partner.example")
	a, _, _, err := Endpoints(AuthOptions{})
	if err != nil || a != "https://login.partner.example/" {
		t.Errorf("Endpoints = %q, %v; want the variable's host", a, err)
	}
	a, _, _, err = Endpoints(AuthOptions{AuthorityHost: "https://127.0.0.1:9443"})
	if err != nil || a != "https://127.0.0.1:9443/" {
		t.Errorf("Endpoints = %q, %v; want the option to win over the variable", a, err)
	}
	t.Setenv("AZURE_AUTHORITY_HOST", "http://login.partner.example")
	if _, _, _, err := Endpoints(AuthOptions{}); err == nil || !strings.Contains(err.Error(), "AZURE_AUTHORITY_HOST") {
		t.Errorf("err = %v, want the variable named in a scheme error", err)
	}
}
