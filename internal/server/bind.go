package server

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"
)

// ErrInsecureBind is wrapped by CheckBind's refusal to listen beyond
// loopback without authentication.
var ErrInsecureBind = errors.New("refusing to serve without authentication")

// CheckBind decides whether the dashboard may listen on addr (host:port).
// Loopback addresses (127.0.0.0/8, ::1, "localhost") are always allowed;
// anything else, including an empty host or 0.0.0.0 (all interfaces) and
// host names, which could resolve anywhere, needs auth. tls only shapes
// the advice: credentials sent without TLS cross the network in clear, so
// a non-loopback bind should have TLS here or in a proxy in front.
func CheckBind(addr string, auth AuthConfig, tls bool) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("listen address %q: want host:port (e.g. 127.0.0.1:8080): %w", addr, err)
	}
	if err := auth.validate(); err != nil {
		return err
	}
	if isLoopback(host) || auth.Enabled() {
		return nil
	}
	where := host
	if where == "" {
		where = "all interfaces"
	}
	advice := "configure a bearer token or basic user and password"
	if !tls {
		advice += " (and serve over TLS)"
	}
	return fmt.Errorf("listen on %s: %w: %s is not a loopback address; %s, or listen on 127.0.0.1",
		addr, ErrInsecureBind, where, advice)
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	// A zone (fe80::1%eth0) is never loopback; ParseAddr keeps it.
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}
