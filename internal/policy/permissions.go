package policy

import (
	"bytes"
	_ "embed"
	"fmt"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"

	"github.com/credwatch/credwatch/internal/inventory"
)

//go:embed permissions.yaml
var permissionsYAML []byte

type permKey struct{ resource, permission string }

type tierFile struct {
	Resources []struct {
		AppID    string   `yaml:"appId"`
		Name     string   `yaml:"name"`
		Critical []string `yaml:"critical"`
		High     []string `yaml:"high"`
		Medium   []string `yaml:"medium"`
	} `yaml:"resources"`
}

var builtinTiers = sync.OnceValues(func() (map[permKey]Tier, error) {
	return parseTiers(permissionsYAML)
})

// parseTiers reads the embedded tier table; a permission listed twice for
// one resource is an error so the file cannot contradict itself.
func parseTiers(data []byte) (map[permKey]Tier, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var f tierFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("permissions.yaml: %w", err)
	}
	out := make(map[permKey]Tier, 256)
	for _, r := range f.Resources {
		res := strings.ToLower(r.AppID)
		for _, l := range []struct {
			tier  Tier
			perms []string
		}{{TierCritical, r.Critical}, {TierHigh, r.High}, {TierMedium, r.Medium}} {
			for _, p := range l.perms {
				k := permKey{res, p}
				if prev, dup := out[k]; dup {
					return nil, fmt.Errorf("permissions.yaml: %s %s listed as %s and %s", r.Name, p, prev, l.tier)
				}
				out[k] = l.tier
			}
		}
	}
	return out, nil
}

// PermissionTier is the tier c gives a granted application permission:
// its permissionTiers override if any, else the built-in table; TierNone
// when neither lists it. A nil c means the defaults.
func (c *Config) PermissionTier(p inventory.Permission) Tier {
	var overrides []TierOverride
	if c != nil {
		overrides = c.PermissionTiers
	}
	t := compileTiers(overrides)
	return t.of(&p)
}

// tiers resolves permission tiers: configured overrides first, then the
// built-in table. Both are keyed by lower-case resource appId.
type tiers struct {
	builtin   map[permKey]Tier
	overrides map[permKey]Tier
}

func compileTiers(overrides []TierOverride) tiers {
	t := tiers{}
	// The embedded table is tested; an error here cannot happen in a
	// released binary, and without it only overrides apply.
	t.builtin, _ = builtinTiers()
	if len(overrides) > 0 {
		t.overrides = make(map[permKey]Tier, len(overrides))
		for _, o := range overrides {
			t.overrides[permKey{strings.ToLower(strings.TrimSpace(o.Resource)), strings.TrimSpace(o.Permission)}] = o.Tier
		}
	}
	return t
}

func (t *tiers) lookup(res, perm string) (Tier, bool) {
	k := permKey{res, perm}
	if t.overrides != nil {
		if v, ok := t.overrides[k]; ok {
			return v, true
		}
	}
	v, ok := t.builtin[k]
	return v, ok
}

// of returns a granted permission's tier, by value and then by appRoleId
// (which is what a permission the scan could not name carries).
func (t *tiers) of(p *inventory.Permission) Tier {
	res := p.ResourceAppID
	if hasUpper(res) {
		res = strings.ToLower(res)
	}
	if v, ok := t.lookup(res, p.Value); ok {
		return v
	}
	if p.AppRoleID != "" && p.AppRoleID != p.Value {
		if v, ok := t.lookup(res, p.AppRoleID); ok {
			return v
		}
	}
	return TierNone
}

func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return true
		}
	}
	return false
}
