package policy

import (
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// KeyVault names an Azure Key Vault credwatch reads (metadata only) to
// link app credentials with their vault copies and to judge the vault's
// settings, and where rotation may store new secrets.
type KeyVault struct {
	// Name labels the vault in findings and rotation targets; it is also
	// the vault's Azure name unless URL says otherwise.
	Name string `yaml:"name"`
	// URL is the data-plane URL; default https://{name}.vault.azure.net/.
	URL string `yaml:"url,omitempty"`
	// ResourceID is the vault's Azure resource id
	// (/subscriptions/…/resourceGroups/…/providers/Microsoft.KeyVault/vaults/NAME);
	// without it the vault's settings (CW060–CW063) are not read.
	ResourceID string `yaml:"resourceId,omitempty"`
}

// VaultURL is the vault's data-plane URL.
func (k KeyVault) VaultURL() string {
	if k.URL != "" {
		return k.URL
	}
	return "https://" + strings.ToLower(k.Name) + ".vault.azure.net/"
}

// RotationSettings configure credwatch rotate.
type RotationSettings struct {
	// RenewDays: a credential is due this many days before it expires.
	RenewDays int `yaml:"renewDays"`
	// LifetimeDays of new credentials; 0 means the CW003 maximum for the
	// kind (secretMaxDays, certificateMaxDays), which also caps it.
	LifetimeDays int `yaml:"lifetimeDays,omitempty"`
	// Description is the new credential's display name: {name} is the old
	// credential's, {app} the app's, {date} the day of the rotation.
	Description string `yaml:"description"`
	// GraceDays is how long consumers have to switch to the new secret
	// before the old one is removed.
	GraceDays int `yaml:"graceDays"`
	// ContentType of the secrets written to Key Vault.
	ContentType string `yaml:"contentType"`
	// Targets say where each app's new secret goes. A credential no target
	// matches goes to the vault secret tagged with its key id, if any.
	Targets []RotationTarget `yaml:"targets,omitempty"`
}

// RotationTarget stores the new secrets of matching apps in one vault
// secret.
type RotationTarget struct {
	// AppID matches the app id exactly; App is a glob on the app name; at
	// least one is required, and with both, both must match.
	AppID string `yaml:"appId,omitempty"`
	App   string `yaml:"app,omitempty"`
	// KeyID, when set, limits the target to one credential.
	KeyID string `yaml:"keyId,omitempty"`
	// Vault is the name of an entry of keyVaults.
	Vault string `yaml:"vault"`
	// Secret is the secret's name in the vault (certificates: the
	// certificate's).
	Secret string `yaml:"secret"`
}

// Rotation defaults.
const (
	DefaultRenewDays           = 30
	DefaultGraceDays           = 7
	DefaultRotationDescription = "{name} rotated by credwatch {date}"
	DefaultRotationContentType = "text/plain"
)

func defaultRotation() RotationSettings {
	return RotationSettings{RenewDays: DefaultRenewDays, GraceDays: DefaultGraceDays,
		Description: DefaultRotationDescription, ContentType: DefaultRotationContentType}
}

// RotationTargetFor returns the first target matching the app and
// credential, if any.
func (c *Config) RotationTargetFor(appID, appName, keyID string) (RotationTarget, bool) {
	for _, t := range c.Rotation.Targets {
		if t.AppID != "" && !strings.EqualFold(strings.TrimSpace(t.AppID), appID) {
			continue
		}
		if t.App != "" {
			re, err := compileGlob(t.App)
			if err != nil || !re.MatchString(appName) {
				continue
			}
		}
		if t.KeyID != "" && !strings.EqualFold(strings.TrimSpace(t.KeyID), keyID) {
			continue
		}
		if t.AppID == "" && t.App == "" {
			continue
		}
		return t, true
	}
	return RotationTarget{}, false
}

// KeyVaultByName returns the keyVaults entry named name.
func (c *Config) KeyVaultByName(name string) (KeyVault, bool) {
	for _, k := range c.KeyVaults {
		if strings.EqualFold(k.Name, name) {
			return k, true
		}
	}
	return KeyVault{}, false
}

var (
	vaultNameRE  = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$`)
	vaultIDRE    = regexp.MustCompile(`(?i)^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.KeyVault/vaults/[^/]+$`)
	kvObjectName = regexp.MustCompile(`^[0-9a-zA-Z-]{1,127}$`)
)

func validateVaults(v *validator, c *Config) {
	seen := map[string]bool{}
	for i, k := range c.KeyVaults {
		p := "keyVaults[" + strconv.Itoa(i) + "]"
		switch {
		case strings.TrimSpace(k.Name) == "":
			v.add(p+".name", "required")
		case k.URL == "" && !vaultNameRE.MatchString(k.Name):
			v.add(p+".name", "%q is not a vault name (3-24 letters, digits and hyphens); give url for another label", k.Name)
		case seen[strings.ToLower(k.Name)]:
			v.add(p+".name", "%q is named twice", k.Name)
		}
		seen[strings.ToLower(k.Name)] = true
		if k.URL != "" {
			u, err := url.Parse(k.URL)
			if err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.User != nil {
				v.add(p+".url", "want an https URL such as https://myvault.vault.azure.net/ (got %q)", k.URL)
			}
		}
		if k.ResourceID != "" && !vaultIDRE.MatchString(k.ResourceID) {
			v.add(p+".resourceId", "want /subscriptions/{id}/resourceGroups/{group}/providers/Microsoft.KeyVault/vaults/{name}")
		}
	}
	r := &c.Rotation
	v.days("rotation.renewDays", r.RenewDays, true)
	v.days("rotation.lifetimeDays", r.LifetimeDays, true)
	v.days("rotation.graceDays", r.GraceDays, true)
	if strings.TrimSpace(r.Description) == "" {
		v.add("rotation.description", "required: the new credential's display name, e.g. %q", DefaultRotationDescription)
	}
	for i, t := range r.Targets {
		p := "rotation.targets[" + strconv.Itoa(i) + "]"
		if strings.TrimSpace(t.AppID) == "" && strings.TrimSpace(t.App) == "" {
			v.add(p, "needs appId or app")
		}
		if t.App != "" {
			if _, err := compileGlob(t.App); err != nil {
				v.add(p+".app", "%v", err)
			}
		}
		switch _, ok := c.KeyVaultByName(t.Vault); {
		case strings.TrimSpace(t.Vault) == "":
			v.add(p+".vault", "required: the name of a keyVaults entry")
		case !ok:
			v.add(p+".vault", "%q is not in keyVaults", t.Vault)
		}
		if !kvObjectName.MatchString(t.Secret) {
			v.add(p+".secret", "want 1-127 letters, digits and hyphens (got %q)", t.Secret)
		}
	}
}
