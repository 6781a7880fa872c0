package activity

import (
	"cmp"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/credwatch/credwatch/internal/msgraph"
)

// signIns reads the sign-ins; successful ones also count as use of their
// key and app.
func (p *parser) signIns(list []msgraph.SignIn) error {
	ev := p.ev
	ev.SignIns = make([]SignIn, 0, len(list))
	for i := range list {
		r := &list[i]
		ip, err := netip.ParseAddr(strings.TrimSpace(r.IPAddress))
		if err != nil {
			ev.SkippedSignIns++
			continue
		}
		when, err := requiredTime("sign-in", r.ID, "createdDateTime", r.CreatedDateTime)
		if err != nil {
			return err
		}
		s := SignIn{ID: r.ID, AppID: strings.ToLower(r.AppID), AppName: r.AppDisplayName,
			ServicePrincipalID: r.ServicePrincipalID, KeyID: strings.ToLower(strings.TrimSpace(r.ServicePrincipalCredentialKeyID)),
			Thumbprint: strings.ToUpper(r.ServicePrincipalCredentialThumbprint), CredentialType: r.ClientCredentialType,
			IP: ip.Unmap(), When: when, Success: r.Status == nil || r.Status.ErrorCode == 0}
		if l := r.Location; l != nil {
			var parts []string
			for _, v := range []string{l.City, l.State, l.CountryOrRegion} {
				if v = strings.TrimSpace(v); v != "" {
					parts = append(parts, v)
				}
			}
			s.Location = strings.Join(parts, ", ")
		}
		ev.SignIns = append(ev.SignIns, s)
		if s.Success {
			later(ev.Usage.KeyLastSignIn, s.KeyID, when)
			later(ev.Usage.AppLastSignIn, s.AppID, when)
		}
	}
	slices.SortFunc(ev.SignIns, func(a, b SignIn) int {
		return cmp.Or(a.When.Compare(b.When), cmp.Compare(a.ID, b.ID))
	})
	return nil
}

// later records t under key when it is later than what m holds; an empty
// key is not recorded.
func later(m map[string]time.Time, key string, t time.Time) {
	if key == "" || t.IsZero() {
		return
	}
	if prev, ok := m[key]; !ok || t.After(prev) {
		m[key] = t
	}
}

// usage reads the credential usage report, tolerating the spellings of
// Microsoft's examples: expirationDate, keyType "secret" and one-digit
// offsets such as -8:00.
func (p *parser) usage(list []msgraph.AppCredentialSignInActivity) error {
	u := &p.ev.Usage
	for i := range list {
		r := &list[i]
		id := r.ID
		if id == "" {
			id = r.KeyID
		}
		keyID := strings.ToLower(strings.TrimSpace(r.KeyID))
		if keyID == "" {
			return fmt.Errorf("credential usage record %s: keyId: missing", quoteShort(id))
		}
		k := KeyUsage{KeyID: keyID, AppID: strings.ToLower(r.AppID), KeyType: usageKeyType(r.KeyType), Origin: r.CredentialOrigin}
		var err error
		if k.Created, err = optionalTime(r.CreatedDateTime); err != nil {
			return fmt.Errorf("credential usage record %s: createdDateTime: %w", quoteShort(id), err)
		}
		exp, field := r.ExpirationDateTime, "expirationDateTime"
		if strings.TrimSpace(exp) == "" {
			exp, field = r.ExpirationDate, "expirationDate"
		}
		if k.Expires, err = optionalTime(exp); err != nil {
			return fmt.Errorf("credential usage record %s: %s: %w", quoteShort(id), field, err)
		}
		if sa := r.SignInActivity; sa != nil {
			for _, f := range []struct{ name, v string }{
				{"lastSignInDateTime", sa.LastSignInDateTime},
				{"lastNonInteractiveSignInDateTime", sa.LastNonInteractiveSignInDateTime},
				{"lastSuccessfulSignInDateTime", sa.LastSuccessfulSignInDateTime},
			} {
				t, err := optionalTime(f.v)
				if err != nil {
					return fmt.Errorf("credential usage record %s: signInActivity.%s: %w", quoteShort(id), f.name, err)
				}
				if t.After(k.LastSignIn) {
					k.LastSignIn = t
				}
			}
		}
		if prev, ok := u.Keys[keyID]; ok && prev.LastSignIn.After(k.LastSignIn) {
			k.LastSignIn = prev.LastSignIn
		}
		u.Keys[keyID] = k
		later(u.KeyLastSignIn, keyID, k.LastSignIn)
		later(u.AppLastSignIn, k.AppID, k.LastSignIn)
	}
	return nil
}

func usageKeyType(s string) string {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "clientsecret", "secret", "password":
		return "clientSecret"
	case "certificate":
		return "certificate"
	}
	return s
}

// policies reads the default and custom app management policies.
func (p *parser) policies(a *msgraph.Activity) error {
	ev := p.ev
	if d := a.DefaultAppManagementPolicy; d != nil {
		tp := &TenantPolicy{ID: d.ID, Enabled: d.IsEnabled}
		var err error
		if tp.Application, err = restrictions(d.ApplicationRestrictions, "defaultAppManagementPolicy.applicationRestrictions"); err != nil {
			return err
		}
		if tp.ServicePrincipal, err = restrictions(d.ServicePrincipalRestrictions, "defaultAppManagementPolicy.servicePrincipalRestrictions"); err != nil {
			return err
		}
		ev.Policy = tp
	} else if ev.Available(PartDefaultPolicy) {
		ev.Unavailable[PartDefaultPolicy] = "the activity data holds no default app management policy"
	}
	for i := range a.AppManagementPolicies {
		mp := &a.AppManagementPolicies[i]
		cp := CustomPolicy{ID: mp.ID, Name: mp.DisplayName, Enabled: mp.IsEnabled}
		var err error
		if cp.Restrictions, err = restrictions(mp.Restrictions, fmt.Sprintf("appManagementPolicies %s: restrictions", quoteShort(mp.ID))); err != nil {
			return err
		}
		for _, o := range mp.AppliesTo {
			if o.ID != "" {
				cp.AppliesTo = append(cp.AppliesTo, o.ID)
			}
		}
		slices.Sort(cp.AppliesTo)
		ev.Policies = append(ev.Policies, cp)
	}
	slices.SortFunc(ev.Policies, func(a, b CustomPolicy) int { return cmp.Compare(a.ID, b.ID) })
	return nil
}

func restrictions(r *msgraph.AppRestrictions, where string) (Restrictions, error) {
	var out Restrictions
	if r == nil {
		return out, nil
	}
	var err error
	if out.Password, err = restrictionList(r.PasswordCredentials, where+".passwordCredentials"); err != nil {
		return out, err
	}
	out.Key, err = restrictionList(r.KeyCredentials, where+".keyCredentials")
	return out, err
}

func restrictionList(list []msgraph.CredentialRestriction, where string) ([]Restriction, error) {
	var out []Restriction
	for i, c := range list {
		at := fmt.Sprintf("%s[%d]", where, i)
		x := Restriction{Type: c.RestrictionType}
		switch strings.ToLower(strings.TrimSpace(c.State)) {
		case "", "enabled":
			x.Enabled = true
		}
		if v := strings.TrimSpace(deref(c.MaxLifetime)); v != "" {
			d, err := ParseISODuration(v)
			if err != nil {
				return nil, fmt.Errorf("%s.maxLifetime: %w", at, err)
			}
			x.MaxLifetime = d
		}
		t, err := optionalTime(deref(c.RestrictForAppsCreatedAfterDateTime))
		if err != nil {
			return nil, fmt.Errorf("%s.restrictForAppsCreatedAfterDateTime: %w", at, err)
		}
		x.CreatedAfter = t
		out = append(out, x)
	}
	return out, nil
}
