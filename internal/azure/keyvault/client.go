package keyvault

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
	"github.com/Azure/azure-sdk-for-go/sdk/azcore/to"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azcertificates"
	"github.com/Azure/azure-sdk-for-go/sdk/security/keyvault/azsecrets"
)

// Tags credwatch writes on the secrets it rotates, and the one
// Microsoft's rotation sample writes, by which a vault copy is linked to
// its application credential.
const (
	TagAppID        = "credwatchAppId"
	TagKeyID        = "credwatchKeyId"
	TagCredentialID = "CredentialId"
)

// Options configure clients. The zero value uses http.DefaultClient.
type Options struct {
	HTTPClient *http.Client
	Logger     *slog.Logger
	// DisableChallengeResourceVerification lets the SDK talk to a vault
	// whose host does not end in the resource's domain (vault.azure.net):
	// the SDK's own option for non-Azure hosts such as an emulator.
	DisableChallengeResourceVerification bool
}

func (o Options) clientOptions() azcore.ClientOptions {
	co := azcore.ClientOptions{Telemetry: policy.TelemetryOptions{ApplicationID: "credwatch"}}
	if o.HTTPClient != nil {
		co.Transport = o.HTTPClient
	}
	return co
}

// VaultClient reads and writes one vault's data plane.
type VaultClient struct {
	url     string
	secrets *azsecrets.Client
	certs   *azcertificates.Client
	log     *slog.Logger
}

// NewVaultClient returns a client of the vault at vaultURL
// (https://name.vault.azure.net/).
func NewVaultClient(vaultURL string, cred azcore.TokenCredential, o Options) (*VaultClient, error) {
	u, err := url.Parse(vaultURL)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" {
		return nil, fmt.Errorf("vault url %q: want https://host[:port]/", vaultURL)
	}
	if cred == nil {
		return nil, errors.New("vault client: no credential")
	}
	co := o.clientOptions()
	sc, err := azsecrets.NewClient(vaultURL, cred, &azsecrets.ClientOptions{ClientOptions: co,
		DisableChallengeResourceVerification: o.DisableChallengeResourceVerification})
	if err != nil {
		return nil, fmt.Errorf("vault %s: secrets client: %w", vaultURL, err)
	}
	cc, err := azcertificates.NewClient(vaultURL, cred, &azcertificates.ClientOptions{ClientOptions: co,
		DisableChallengeResourceVerification: o.DisableChallengeResourceVerification})
	if err != nil {
		return nil, fmt.Errorf("vault %s: certificates client: %w", vaultURL, err)
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &VaultClient{url: vaultURL, secrets: sc, certs: cc, log: log}, nil
}

// URL is the vault's URL.
func (c *VaultClient) URL() string { return c.url }

// SecretWrite is a new secret version. Value is the secret itself: it is
// sent to the vault and kept nowhere else.
type SecretWrite struct {
	Value       string
	ContentType string
	Tags        map[string]string
	NotBefore   time.Time // zero = none
	Expires     time.Time // zero = none
}

// SecretMeta is a secret's metadata, never its value. Version is empty in
// listings of secrets (Key Vault lists the current version's attributes
// under the unversioned id).
type SecretMeta struct {
	Name, Version, ContentType string
	Tags                       map[string]string
	Enabled                    bool
	NotBefore, Expires         time.Time
	Created, Updated           time.Time
	// Managed is set on the secrets that hold certificates' keys.
	Managed bool
}

// SetSecret writes a new version of secret name and returns its metadata.
// Neither the value nor the request body ever reaches a log or an error.
func (c *VaultClient) SetSecret(ctx context.Context, name string, w SecretWrite) (SecretMeta, error) {
	p := azsecrets.SetSecretParameters{Value: to.Ptr(w.Value), Tags: tagPtrs(w.Tags)}
	if w.ContentType != "" {
		p.ContentType = to.Ptr(w.ContentType)
	}
	attrs := &azsecrets.SecretAttributes{Enabled: to.Ptr(true)}
	if !w.NotBefore.IsZero() {
		attrs.NotBefore = to.Ptr(w.NotBefore.UTC())
	}
	if !w.Expires.IsZero() {
		attrs.Expires = to.Ptr(w.Expires.UTC())
	}
	p.SecretAttributes = attrs
	resp, err := c.secrets.SetSecret(ctx, name, p, nil)
	if err != nil {
		return SecretMeta{}, wrapErr("set secret "+name, c.url, err)
	}
	m := secretMeta(resp.ID, resp.ContentType, resp.Tags, resp.Attributes, resp.Managed)
	c.log.Info("secret version written", "vault", c.url, "secret", m.Name, "version", m.Version)
	return m, nil
}

// ListSecrets lists every secret's current metadata.
func (c *VaultClient) ListSecrets(ctx context.Context) ([]SecretMeta, error) {
	var out []SecretMeta
	pg := c.secrets.NewListSecretPropertiesPager(nil)
	for pg.More() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			return nil, wrapErr("list secrets", c.url, err)
		}
		for _, s := range page.Value {
			if s != nil {
				out = append(out, secretMeta(s.ID, s.ContentType, s.Tags, s.Attributes, s.Managed))
			}
		}
	}
	return out, nil
}

// SecretVersions lists the versions of secret name, as the vault orders
// them. A secret that does not exist is an error IsNotFound reports.
func (c *VaultClient) SecretVersions(ctx context.Context, name string) ([]SecretMeta, error) {
	var out []SecretMeta
	pg := c.secrets.NewListSecretPropertiesVersionsPager(name, nil)
	for pg.More() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			return nil, wrapErr("list versions of secret "+name, c.url, err)
		}
		for _, s := range page.Value {
			if s != nil {
				out = append(out, secretMeta(s.ID, s.ContentType, s.Tags, s.Attributes, s.Managed))
			}
		}
	}
	return out, nil
}

func secretMeta(id *azsecrets.ID, ct *string, tags map[string]*string, a *azsecrets.SecretAttributes, managed *bool) SecretMeta {
	m := SecretMeta{ContentType: deref(ct), Tags: tagValues(tags), Managed: managed != nil && *managed}
	if id != nil {
		m.Name, m.Version = id.Name(), id.Version()
	}
	if a != nil {
		m.Enabled = a.Enabled == nil || *a.Enabled
		m.NotBefore, m.Expires = utc(a.NotBefore), utc(a.Expires)
		m.Created, m.Updated = utc(a.Created), utc(a.Updated)
	}
	return m
}

// CertificateMeta is a certificate's metadata. Thumbprint is the SHA-1
// of the certificate in upper-case hex, as Entra shows it.
type CertificateMeta struct {
	Name, Version      string
	Thumbprint         string
	Tags               map[string]string
	Enabled            bool
	NotBefore, Expires time.Time
	Created, Updated   time.Time
}

// Certificate is a certificate's metadata and its public DER encoding.
type Certificate struct {
	CertificateMeta
	DER []byte
}

// ListCertificates lists every certificate's current metadata.
func (c *VaultClient) ListCertificates(ctx context.Context) ([]CertificateMeta, error) {
	var out []CertificateMeta
	pg := c.certs.NewListCertificatePropertiesPager(nil)
	for pg.More() {
		page, err := pg.NextPage(ctx)
		if err != nil {
			return nil, wrapErr("list certificates", c.url, err)
		}
		for _, p := range page.Value {
			if p != nil {
				out = append(out, certMeta(p.ID, p.X509Thumbprint, p.Tags, p.Attributes))
			}
		}
	}
	return out, nil
}

// GetCertificate reads the current version of certificate name.
func (c *VaultClient) GetCertificate(ctx context.Context, name string) (Certificate, error) {
	return c.GetCertificateVersion(ctx, name, "")
}

// GetCertificateVersion reads one version of certificate name ("" is the
// current one).
func (c *VaultClient) GetCertificateVersion(ctx context.Context, name, version string) (Certificate, error) {
	resp, err := c.certs.GetCertificate(ctx, name, version, nil)
	if err != nil {
		return Certificate{}, wrapErr("get certificate "+name, c.url, err)
	}
	return certificate(resp.Certificate), nil
}

// certificate is a bundle's metadata and DER, its thumbprint computed
// from the DER.
func certificate(b azcertificates.Certificate) Certificate {
	m := certMeta(b.ID, nil, b.Tags, b.Attributes)
	if len(b.CER) > 0 {
		sum := sha1.Sum(b.CER)
		m.Thumbprint = strings.ToUpper(hex.EncodeToString(sum[:]))
	}
	return Certificate{CertificateMeta: m, DER: b.CER}
}

func certMeta(id *azcertificates.ID, x5t []byte, tags map[string]*string, a *azcertificates.CertificateAttributes) CertificateMeta {
	m := CertificateMeta{Tags: tagValues(tags)}
	if id != nil {
		m.Name, m.Version = id.Name(), id.Version()
	}
	if len(x5t) > 0 {
		m.Thumbprint = strings.ToUpper(hex.EncodeToString(x5t))
	}
	if a != nil {
		m.Enabled = a.Enabled == nil || *a.Enabled
		m.NotBefore, m.Expires = utc(a.NotBefore), utc(a.Expires)
		m.Created, m.Updated = utc(a.Created), utc(a.Updated)
	}
	return m
}

func tagPtrs(m map[string]string) map[string]*string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]*string, len(m))
	for k, v := range m {
		out[k] = to.Ptr(v)
	}
	return out
}

func tagValues(m map[string]*string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = deref(v)
	}
	return out
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func utc(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// vaultDomains are the Key Vault DNS suffixes of the clouds.
var vaultDomains = []string{".vault.azure.net", ".vault.usgovcloudapi.net", ".vault.azure.cn", ".managedhsm.azure.net"}

// OutsideAzure reports whether a vault URL's host is not in a cloud's Key
// Vault domain (a private DNS alias, an emulator): the SDK then needs
// DisableChallengeResourceVerification, its option for such hosts.
func OutsideAzure(vaultURL string) bool {
	u, err := url.Parse(vaultURL)
	if err != nil {
		return true
	}
	host := strings.ToLower(u.Hostname())
	for _, d := range vaultDomains {
		if strings.HasSuffix(host, d) {
			return false
		}
	}
	return true
}
