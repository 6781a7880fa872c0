package rotate

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/credwatch/credwatch/internal/inventory"
	"github.com/credwatch/credwatch/internal/policy"
)

const day = 24 * time.Hour

// Where a step's vault target came from.
const (
	FromConfig   = "config"    // rotation.targets
	FromVaultTag = "vault tag" // the vault secret tagged with the key id
)

// Step is one credential to rotate, as planned: what is due, what will be
// created, where its secret will be stored and when the old credential
// may go. A step with Skip set cannot be applied, and says why.
type Step struct {
	TenantID string
	ObjectID string // the application's object id
	AppID    string
	AppName  string
	Kind     inventory.CredentialType // secret or certificate

	OldKeyID string
	OldName  string
	OldEnd   time.Time
	// Due is when the credential entered its renew window (OldEnd minus
	// rotation.renewDays); Expired is set when OldEnd has passed.
	Due     time.Time
	Expired bool

	NewDisplayName string
	NewEnd         time.Time

	Vault     string // keyVaults name
	VaultURL  string
	Secret    string // secret (certificate) name in the vault
	StoreFrom string // FromConfig or FromVaultTag

	// RemoveAfter is the earliest the old credential is removed: the end
	// of the grace period counted from now (apply counts from the vault
	// write). Consumers must have moved to the new secret by then.
	RemoveAfter time.Time
	Skip        string
}

// Plan lists the application credentials that are due for rotation at
// now, with the configured lifetime, description, vault target and grace
// period. It is pure: it reads only t, cfg and now, and changes nothing.
//
// A certificate step is skipped when it is a signing certificate (a
// Sign/Verify pair, whose private key Entra holds), or when the app has
// a current certificate, so the new one must go on with addKey, and the
// scanned vault shows that the target certificate has no private key at
// all to sign addKey's proof of possession with. Which of its versions
// is one of the app's current certificates the scan cannot tell (it sees
// the current version only; after a refused addKey that is a version not
// on the app): apply looks through them all, before changing anything.
//
// Due means a secret or certificate on an application object whose end
// is within rotation.renewDays of now (expired ones included). Federated
// credentials need no rotation, credentials without an end date never
// fall due (CW004 reports them), and service principals' own credentials
// are left alone. Steps are ordered by due date, then app name and key
// id. A nil cfg means policy.DefaultConfig().
func Plan(t *inventory.Tenant, cfg *policy.Config, now time.Time) []Step {
	if cfg == nil {
		cfg = policy.DefaultConfig()
	}
	if t == nil {
		return nil
	}
	r := cfg.Rotation
	renew := time.Duration(r.RenewDays) * day
	date := now.UTC().Format(time.DateOnly)
	var out []Step
	for oi := range t.Objects {
		o := &t.Objects[oi]
		if o.Type != inventory.Application {
			continue
		}
		var current []string // thumbprints of the app's current certificates
		for _, c := range o.Credentials {
			verify := c.Usage == "" || strings.Contains(c.Usage, "Verify")
			if c.Type == inventory.Certificate && verify && !c.End.IsZero() && now.Before(c.End) && !now.Before(c.Start) {
				current = append(current, c.Thumbprint)
			}
		}
		for ci := range o.Credentials {
			c := &o.Credentials[ci]
			if (c.Type != inventory.Secret && c.Type != inventory.Certificate) || c.End.IsZero() {
				continue
			}
			due := c.End.Add(-renew)
			if now.Before(due) {
				continue
			}
			s := Step{TenantID: t.ID, ObjectID: o.ID, AppID: o.AppID, AppName: o.DisplayName, Kind: c.Type,
				OldKeyID: c.KeyID, OldName: c.DisplayName, OldEnd: c.End.UTC(), Due: due.UTC(), Expired: !now.Before(c.End)}
			s.NewDisplayName = description(r.Description, c.DisplayName, o.DisplayName, date)
			s.NewEnd = now.UTC().Add(lifetime(cfg, c.Type)).Truncate(time.Second)
			s.RemoveAfter = now.UTC().Add(time.Duration(r.GraceDays) * day)
			target(&s, t, cfg)
			if c.Type == inventory.Certificate && s.Skip == "" {
				s.Skip = certificateSkip(c, &s, t, current)
			}
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b Step) int {
		return cmp.Or(a.Due.Compare(b.Due), cmp.Compare(strings.ToLower(a.AppName), strings.ToLower(b.AppName)),
			cmp.Compare(a.OldKeyID, b.OldKeyID))
	})
	return out
}

// Select keeps the steps of the app with this app id or object id.
func Select(steps []Step, app string) []Step {
	var out []Step
	for _, s := range steps {
		if strings.EqualFold(s.AppID, app) || strings.EqualFold(s.ObjectID, app) {
			out = append(out, s)
		}
	}
	return out
}

// lifetime is rotation.lifetimeDays, capped by (and defaulting to) the
// CW003 maximum of the kind, so a rotated credential never breaks policy.
func lifetime(cfg *policy.Config, kind inventory.CredentialType) time.Duration {
	limit := cfg.Rules.CW003.SecretMaxDays
	if kind == inventory.Certificate {
		limit = cfg.Rules.CW003.CertificateMaxDays
	}
	days := cfg.Rotation.LifetimeDays
	if days <= 0 || (limit > 0 && days > limit) {
		days = limit
	}
	return time.Duration(days) * day
}

// description fills the configured pattern.
func description(pattern, oldName, app, date string) string {
	name := strings.TrimSpace(oldName)
	if name == "" {
		name = app
	}
	s := strings.NewReplacer("{name}", name, "{app}", app, "{date}", date).Replace(pattern)
	return strings.Join(strings.Fields(s), " ")
}

// target fills the step's vault and secret: a configured target first,
// then a vault secret tagged with the credential's key id.
func target(s *Step, t *inventory.Tenant, cfg *policy.Config) {
	if tg, ok := cfg.RotationTargetFor(s.AppID, s.AppName, s.OldKeyID); ok {
		s.Vault, s.Secret, s.StoreFrom = tg.Vault, tg.Secret, FromConfig
	} else if s.Kind == inventory.Secret {
		key := strings.ToLower(s.OldKeyID)
		for _, v := range t.Vaults {
			for _, sec := range v.Secrets {
				if !sec.Managed && sec.LinkedKeyID() == key {
					s.Vault, s.Secret, s.StoreFrom = v.Name, sec.Name, FromVaultTag
					break
				}
			}
			if s.Vault != "" {
				break
			}
		}
	} else {
		// The vault certificate whose current version is the app's;
		// else one credwatch made to replace this very credential, whose
		// current version may not be on the app (a rotation Graph
		// refused) while an older one is. Another certificate of the app
		// is never taken: its key would sign for this one's removal.
		th := thumbprintOf(t, s)
		for _, byTag := range []bool{false, true} {
			for _, v := range t.Vaults {
				for _, c := range v.Certificates {
					madeFor := s.AppID != "" && strings.EqualFold(tagValue(c.Tags, inventory.VaultTagAppID), s.AppID) &&
						strings.EqualFold(tagValue(c.Tags, inventory.VaultTagReplaces), s.OldKeyID)
					if s.Vault == "" && ((!byTag && c.Thumbprint != "" && strings.EqualFold(c.Thumbprint, th)) || (byTag && madeFor)) {
						s.Vault, s.Secret, s.StoreFrom = v.Name, c.Name, FromVaultTag
					}
				}
			}
		}
	}
	if s.Vault == "" {
		s.Skip = "no vault target: add a rotation target for this app, or tag its vault copy with " + inventory.VaultTagKeyID
		return
	}
	kv, ok := cfg.KeyVaultByName(s.Vault)
	if !ok {
		s.Skip = "vault " + s.Vault + " is not in keyVaults"
		return
	}
	s.VaultURL = kv.VaultURL()
}

// thumbprintOf is the step's certificate's thumbprint.
func thumbprintOf(t *inventory.Tenant, s *Step) string {
	for _, o := range t.Objects {
		if o.ID != s.ObjectID {
			continue
		}
		for _, c := range o.Credentials {
			if c.KeyID == s.OldKeyID {
				return c.Thumbprint
			}
		}
	}
	return ""
}

// certificateSkip says why a certificate step cannot be applied, or "".
// current are the thumbprints of the app's current certificates.
func certificateSkip(c *inventory.Credential, s *Step, t *inventory.Tenant, current []string) string {
	if strings.Contains(c.Usage, "Sign") {
		return "a signing certificate (Sign and Verify keys, its private key held by Entra, as for SAML): " +
			"credwatch rotates the certificates apps sign in with; renew this one where it is used"
	}
	if len(current) == 0 {
		return "" // no proof needed: PATCH adds the new one
	}
	i := slices.IndexFunc(t.Vaults, func(v inventory.Vault) bool { return strings.EqualFold(v.Name, s.Vault) })
	if i < 0 || !t.Vaults[i].Read(inventory.VaultPartCertificates) || !t.Vaults[i].Read(inventory.VaultPartSecrets) {
		return "" // not scanned: apply checks before it changes anything
	}
	v := &t.Vaults[i]
	why := "the app has a current certificate, so the new one goes on with addKey, whose proof of possession is signed by a current certificate's key: "
	// Only what no version can do is certain from the scan: whether one
	// of the certificate's versions is a current certificate of the app,
	// apply checks over all of them.
	switch {
	case !slices.ContainsFunc(v.Certificates, func(vc inventory.VaultCertificate) bool { return strings.EqualFold(vc.Name, s.Secret) }):
		return why + "vault " + s.Vault + " has no certificate " + s.Secret + " to hold one"
	case !slices.ContainsFunc(v.Secrets, func(vs inventory.VaultSecret) bool { return vs.Managed && strings.EqualFold(vs.Name, s.Secret) }):
		return why + "vault " + s.Vault + " holds certificate " + s.Secret + " without its private key"
	}
	return ""
}

// tagValue is a tag's value, its name matched without letter case, as
// Azure treats tag names.
func tagValue(tags map[string]string, name string) string {
	for k, v := range tags {
		if strings.EqualFold(k, name) {
			return v
		}
	}
	return ""
}
