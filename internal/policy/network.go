package policy

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	"github.com/credwatch/credwatch/internal/inventory"
)

// network is a compiled CW030 declaration.
type network struct {
	appID    string
	app      *regexp.Regexp // nil when no glob is given
	prefixes []netip.Prefix
	cidrs    string // as configured, for evidence
}

// parseCIDR reads an address range, or a bare address as a one-host range.
func parseCIDR(s string) (netip.Prefix, error) {
	v := strings.TrimSpace(s)
	if strings.Contains(v, "/") {
		p, err := netip.ParsePrefix(v)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("invalid CIDR %q (want an address range such as 198.51.100.0/24)", s)
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(v)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("invalid CIDR %q (want an address range such as 198.51.100.0/24)", s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// compileNetworks prepares the declarations; entries Validate rejects are
// dropped rather than trusted.
func compileNetworks(list []Network) []network {
	var out []network
	for _, n := range list {
		cn := network{appID: strings.TrimSpace(n.AppID)}
		if n.App != "" {
			re, err := compileGlob(n.App)
			if err != nil {
				continue
			}
			cn.app = re
		}
		if cn.appID == "" && cn.app == nil {
			continue
		}
		var cidrs []string
		for _, c := range n.CIDRs {
			if p, err := parseCIDR(c); err == nil {
				cn.prefixes = append(cn.prefixes, p)
				cidrs = append(cidrs, strings.TrimSpace(c))
			}
		}
		if len(cn.prefixes) == 0 {
			continue
		}
		cn.cidrs = strings.Join(cidrs, ", ")
		out = append(out, cn)
	}
	return out
}

func (n *network) matches(appID, name string) bool {
	if n.appID != "" && strings.EqualFold(n.appID, appID) {
		return true
	}
	return n.app != nil && name != "" && n.app.MatchString(name)
}

// declared returns the networks declared for an app: the ranges and
// their text; nil when no declaration matches it.
func (c *compiled) declared(appID string, o *inventory.Object) ([]netip.Prefix, string) {
	name := ""
	if o != nil {
		name = o.DisplayName
	}
	var prefixes []netip.Prefix
	var texts []string
	for i := range c.networks {
		n := &c.networks[i]
		if n.matches(appID, name) {
			prefixes = append(prefixes, n.prefixes...)
			texts = append(texts, n.cidrs)
		}
	}
	return prefixes, strings.Join(texts, ", ")
}
