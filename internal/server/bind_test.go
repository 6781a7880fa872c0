package server

import (
	"errors"
	"strings"
	"testing"
)

func TestCheckBind(t *testing.T) {
	token := AuthConfig{BearerToken: "t"}
	basic := AuthConfig{BasicUser: "ops", BasicPassword: "pw"}
	tests := []struct {
		addr string
		auth AuthConfig
		tls  bool
		want string // "" = allowed; else a part of the error
	}{
		{"127.0.0.1:8080", AuthConfig{}, false, ""},
		{"127.10.0.1:8080", AuthConfig{}, false, ""},
		{"[::1]:8080", AuthConfig{}, false, ""},
		{"[::ffff:127.0.0.1]:8080", AuthConfig{}, false, ""},
		{"localhost:8080", AuthConfig{}, false, ""},
		{"LOCALHOST:8080", AuthConfig{}, false, ""},
		{":8080", AuthConfig{}, false, "all interfaces is not a loopback address"},
		{"0.0.0.0:8080", AuthConfig{}, true, "0.0.0.0 is not a loopback address"},
		{"[::]:8080", AuthConfig{}, false, ":: is not a loopback address"},
		{"10.1.2.3:443", AuthConfig{}, true, "10.1.2.3 is not a loopback address"},
		{"dashboard.internal:8080", AuthConfig{}, false, "(and serve over TLS)"},
		{"[fe80::1%eth0]:8080", AuthConfig{}, false, "not a loopback address"},
		{"0.0.0.0:8080", token, false, ""},
		{"0.0.0.0:8080", basic, true, ""},
		{"0.0.0.0:8080", AuthConfig{BasicUser: "ops"}, true, "needs both a user and a password"},
		{"8080", AuthConfig{}, false, `listen address "8080": want host:port`},
	}
	for _, tt := range tests {
		err := CheckBind(tt.addr, tt.auth, tt.tls)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s (%s): refused: %v", tt.addr, tt.auth, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s (%s): error %v, want %q", tt.addr, tt.auth, err, tt.want)
		case strings.Contains(tt.want, "loopback") && !errors.Is(err, ErrInsecureBind):
			t.Errorf("%s: error does not wrap ErrInsecureBind", tt.addr)
		}
	}
}
