package rotate

import (
	"cmp"
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/credwatch/credwatch/internal/azure/keyvault"
	"github.com/credwatch/credwatch/internal/inventory"
	"github.com/credwatch/credwatch/internal/msgraph"
	"github.com/credwatch/credwatch/internal/store"
)

// States only certificate rotations pass through: the vault makes the
// new certificate before Graph hears of it.
const (
	// RotationIssuing: Key Vault was asked to issue the new certificate;
	// its answer is not recorded yet.
	RotationIssuing store.RotationState = "issuing"
	// RotationImporting: a given certificate is being imported; not
	// recorded yet.
	RotationImporting store.RotationState = "importing"
)

// CertificateStore is the vault side of a certificate rotation:
// *keyvault.VaultClient.
type CertificateStore interface {
	CreateCertificate(ctx context.Context, name string, req keyvault.CertificateRequest) (keyvault.Certificate, error)
	ImportCertificate(ctx context.Context, name string, in keyvault.CertificateImport) (keyvault.Certificate, error)
	CertificateVersions(ctx context.Context, name string) ([]keyvault.CertificateMeta, error)
	GetCertificateVersion(ctx context.Context, name, version string) (keyvault.Certificate, error)
	// SignWithCertificate signs a SHA-256 digest, RS256, with the key of
	// one version.
	SignWithCertificate(ctx context.Context, name, version string, digest []byte) ([]byte, error)
}

// errNeedCertificateFile stops a rotation that imports a certificate
// file when the run was not given one: it waits, like a rotation whose
// consumers have not moved, and the run goes on with the others.
var errNeedCertificateFile = errors.New("waiting: this rotation imports a certificate file, which this run was not given; " +
	"give --certificate-file again (with --app) to finish it")

// ErrNoProofKey means an application has a current certificate, so a new
// one can only go on with addKey, and no version of the rotation's vault
// certificate holds the key of any current one to sign the proof with.
var ErrNoProofKey = errors.New("no key to sign the proof of possession with")

func isCertificate(r *store.Rotation) bool { return r.Kind == string(inventory.Certificate) }

func (a *applier) certStore(name string) (CertificateStore, error) {
	if a.o.Certificates != nil {
		return a.o.Certificates(name)
	}
	v, err := a.o.Vault(name)
	if err != nil {
		return nil, err
	}
	cs, ok := v.(CertificateStore)
	if !ok {
		return nil, errors.New("its client does not handle certificates")
	}
	return cs, nil
}

// fail records r as failed for why and returns err (nil: the run goes
// on to the next rotation).
func (a *applier) fail(ctx context.Context, r *store.Rotation, why string, err error) error {
	r.State, r.Error, r.FinishedAt = store.RotationFailed, why, a.o.Now()
	if serr := a.save(ctx, r); serr != nil {
		return errors.Join(err, serr)
	}
	a.log.Error("rotation failed", "rotation", r.ID, "app", r.AppName, "why", why)
	return err
}

// appCert is one of the application's certificates.
type appCert struct {
	keyID, thumbprint string
	end               time.Time
}

// currentCerts are the app's public certificates valid at now (Verify
// keys, as Graph counts them for a proof), latest end first.
func currentCerts(creds []msgraph.KeyCredential, now time.Time) []appCert {
	var out []appCert
	for _, k := range creds {
		if !strings.EqualFold(k.Usage, "Verify") {
			continue
		}
		start, err1 := time.Parse(time.RFC3339Nano, k.StartDateTime)
		end, err2 := time.Parse(time.RFC3339Nano, k.EndDateTime)
		if err1 != nil || err2 != nil || now.Before(start) || !now.Before(end) {
			continue
		}
		out = append(out, appCert{keyID: strings.ToLower(k.KeyID), thumbprint: inventory.Thumbprint(k.CustomKeyIdentifier, k.Key), end: end})
	}
	slices.SortFunc(out, func(a, b appCert) int { return b.end.Compare(a.end) })
	return out
}

// findProofKey looks for a key to sign a proof of possession with: the
// version of the rotation's vault certificate that is one of the app's
// current certificates, the one ending last. current reports whether the
// app has a current certificate at all (if not, no proof can be made and
// none is needed: PATCH adds the new one).
func (a *applier) findProofKey(ctx context.Context, cs CertificateStore, r *store.Rotation, creds []msgraph.KeyCredential, now time.Time) (pk *proofKey, current bool, err error) {
	cur := currentCerts(creds, now)
	if len(cur) == 0 {
		return nil, false, nil
	}
	versions, err := cs.CertificateVersions(ctx, r.SecretName)
	if err != nil && !keyvault.IsNotFound(err) {
		return nil, true, fmt.Errorf("rotate %s: %w", r.AppName, err)
	}
	for _, c := range cur {
		for i := len(versions) - 1; i >= 0; i-- {
			v := versions[i]
			if v.Enabled && c.thumbprint != "" && strings.EqualFold(v.Thumbprint, c.thumbprint) {
				return &proofKey{certificate: r.SecretName, version: v.Version, thumbprint: v.Thumbprint}, true, nil
			}
		}
	}
	return nil, true, nil
}

// noProofKey is why a rotation cannot add its certificate.
func noProofKey(r *store.Rotation, creds []msgraph.KeyCredential, now time.Time) string {
	var thumbs []string
	for _, c := range currentCerts(creds, now) {
		thumbs = append(thumbs, cmp.Or(c.thumbprint, "key "+c.keyID))
	}
	return fmt.Sprintf("the application has a current certificate (%s), so the new one must be added with addKey, whose proof of possession "+
		"is signed by a current certificate's key; no version of certificate %s in vault %s holds one. Import the current certificate with its key "+
		"there, or rotate this one by hand", strings.Join(thumbs, ", "), r.SecretName, r.Vault)
}

// failNoProofKey fails r for want of a key to sign its proof with.
func (a *applier) failNoProofKey(ctx context.Context, r *store.Rotation, detail string) error {
	return a.fail(ctx, r, ErrNoProofKey.Error()+": "+detail, fmt.Errorf("rotate %s: %w: %s", r.AppName, ErrNoProofKey, detail))
}

// issueCert is the first step of a certificate rotation: the vault issues
// the new certificate (or imports the one given), tagged with the
// rotation's id. Before the vault changes, it makes sure the certificate
// can then go on the app: a proof is signed when the app has a current
// certificate. A rotation that stopped after asking the vault looks for
// its tagged version first, so it never makes a second one.
func (a *applier) issueCert(ctx context.Context, r *store.Rotation) error {
	cs, err := a.certStore(r.Vault)
	if err != nil {
		return fmt.Errorf("rotation %s: vault %s: %w", r.ID, r.Vault, err)
	}
	creds, err := a.o.Directory.KeyCredentials(ctx, r.ObjectID)
	if err != nil {
		return err
	}
	if r.State != store.RotationPending {
		c, found, err := a.findIssued(ctx, cs, r)
		if err != nil {
			return fmt.Errorf("rotate %s: cannot tell whether the vault made the new certificate: %w", r.AppName, err)
		}
		if found {
			return a.issued(ctx, r, cs, c)
		}
	}
	if !slices.ContainsFunc(creds, func(k msgraph.KeyCredential) bool { return strings.EqualFold(k.KeyID, r.OldKeyID) }) {
		return a.fail(ctx, r, "the old certificate is no longer on the application", nil)
	}
	importing := r.State == RotationImporting
	if importing && a.o.Import == nil {
		return errNeedCertificateFile
	}
	now := a.o.Now()
	pk, current, err := a.findProofKey(ctx, cs, r, creds, now)
	switch {
	case err != nil:
		return err
	case current && pk == nil:
		return a.failNoProofKey(ctx, r, noProofKey(r, creds, now))
	case current:
		// Sign once now: a key the vault will not give (permission,
		// PKCS#12) must stop the rotation before anything changes.
		if _, err := proofToken(ctx, cs, *pk, r.ObjectID, now); err != nil {
			if keyvault.IsNotFound(err) {
				return a.failNoProofKey(ctx, r, fmt.Sprintf("vault %s holds the app's current certificate as %s/%s, but not its private key",
					r.Vault, pk.certificate, pk.version))
			}
			msg := "the proof of possession cannot be signed: " + err.Error()
			return a.fail(ctx, r, msg, fmt.Errorf("rotate %s: %s", r.AppName, msg))
		}
	}
	if r.State == store.RotationPending {
		r.State = RotationIssuing
		if err := a.save(ctx, r); err != nil {
			return err
		}
	}
	a.o.hook(string(r.State))
	tags := map[string]string{keyvault.TagAppID: r.AppID, keyvault.TagRotationID: r.ID, keyvault.TagReplaces: r.OldKeyID}
	var c keyvault.Certificate
	if importing {
		in := *a.o.Import
		in.Tags = tags
		c, err = cs.ImportCertificate(ctx, r.SecretName, in)
	} else {
		c, err = cs.CreateCertificate(ctx, r.SecretName, keyvault.CertificateRequest{Subject: subjectFor(r, creds),
			ValidityMonths: validityMonths(now, r.EndAt), Tags: tags, Poll: a.o.CertificatePoll})
	}
	a.o.hook("issued-unrecorded")
	if err != nil {
		if rejected(err) {
			verr := &VaultWriteError{AppName: r.AppName, Vault: r.Vault, Secret: r.SecretName, Certificate: true, Err: err}
			return a.fail(ctx, r, err.Error(), verr)
		}
		// The vault may have made it: the next run looks for the tag.
		return fmt.Errorf("rotate %s: the vault's answer about the new certificate is unknown (%w); rerun to resume", r.AppName, err)
	}
	if c.Tags[keyvault.TagRotationID] != r.ID {
		// Another version became current in between: read ours.
		found := false
		if c, found, err = a.findIssued(ctx, cs, r); err != nil || !found {
			return fmt.Errorf("rotate %s: the new certificate is not among the versions of %s (%v); rerun to resume", r.AppName, r.SecretName, err)
		}
	}
	return a.issued(ctx, r, cs, c)
}

// findIssued looks for the version of the rotation's certificate tagged
// with its id.
func (a *applier) findIssued(ctx context.Context, cs CertificateStore, r *store.Rotation) (keyvault.Certificate, bool, error) {
	versions, err := cs.CertificateVersions(ctx, r.SecretName)
	if keyvault.IsNotFound(err) {
		return keyvault.Certificate{}, false, nil
	}
	if err != nil {
		return keyvault.Certificate{}, false, err
	}
	for i := len(versions) - 1; i >= 0; i-- {
		if versions[i].Tags[keyvault.TagRotationID] == r.ID {
			c, err := cs.GetCertificateVersion(ctx, r.SecretName, versions[i].Version)
			return c, err == nil, err
		}
	}
	return keyvault.Certificate{}, false, nil
}

// issued records the new certificate's version, and the app's keys
// before it is added, then adds it.
func (a *applier) issued(ctx context.Context, r *store.Rotation, cs CertificateStore, c keyvault.Certificate) error {
	creds, err := a.o.Directory.KeyCredentials(ctx, r.ObjectID)
	if err != nil {
		return err
	}
	r.State, r.SecretVersion, r.NewKeyID, r.KeysBefore = store.RotationAdding, c.Version, "", nil
	for _, k := range creds {
		r.KeysBefore = append(r.KeysBefore, strings.ToLower(k.KeyID))
	}
	if err := a.save(ctx, r); err != nil {
		return err
	}
	a.log.Info("new certificate in the vault", "rotation", r.ID, "vault", r.Vault, "certificate", r.SecretName,
		"version", c.Version, "thumbprint", c.Thumbprint)
	a.o.hook("adding")
	return a.addCert(ctx, r, cs, c, creds)
}

// addCert puts the new certificate's public key on the app: addKey with a
// proof signed by a current certificate, or, when the app has none,
// PATCH of keyCredentials with a key id recorded beforehand. A refusal
// fails the rotation; a lost answer leaves it adding, for recoverCertAdding.
func (a *applier) addCert(ctx context.Context, r *store.Rotation, cs CertificateStore, c keyvault.Certificate, creds []msgraph.KeyCredential) error {
	now := a.o.Now()
	start, end := certValidity(c)
	// The credential starts now (a rotated credential's lifetime is
	// counted from its start) and ends when planned, within the
	// certificate's validity.
	start = later(start, now.Truncate(time.Second))
	if !r.EndAt.IsZero() && r.EndAt.Before(end) {
		end = r.EndAt
	}
	if !end.After(start) {
		msg := fmt.Sprintf("the new certificate %s/%s is not valid after %s", r.SecretName, c.Version, end.Format(time.RFC3339))
		return a.fail(ctx, r, msg, fmt.Errorf("rotate %s: %s", r.AppName, msg))
	}
	nk := NewKey{DER: c.DER, DisplayName: r.DisplayName, Start: start, End: end}
	pk, current, err := a.findProofKey(ctx, cs, r, creds, now)
	if err != nil {
		return err
	}
	var keyID string
	switch {
	case current && pk == nil:
		return a.failNoProofKey(ctx, r, noProofKey(r, creds, now)+versionNote(r))
	case current:
		proof, perr := proofToken(ctx, cs, *pk, r.ObjectID, now)
		if perr != nil {
			return fmt.Errorf("rotate %s: %w", r.AppName, perr)
		}
		keyID, err = a.o.Directory.AddKey(ctx, r.ObjectID, nk, proof)
	default:
		if r.NewKeyID == "" {
			r.NewKeyID = uuid.NewString()
			if err := a.save(ctx, r); err != nil {
				return err
			}
		}
		nk.KeyID = r.NewKeyID
		err = a.o.Directory.PatchKeyCredentials(ctx, r.ObjectID, creds, &nk)
		keyID = r.NewKeyID
	}
	if err != nil {
		var ge *GraphError
		if errors.As(err, &ge) && ge.StatusCode >= 400 && ge.StatusCode < 500 && ge.StatusCode != 429 {
			// Refused: nothing was added.
			return a.fail(ctx, r, err.Error()+versionNote(r), fmt.Errorf("rotate %s: %w%s", r.AppName, err, versionNote(r)))
		}
		return fmt.Errorf("rotate %s: %w", r.AppName, err)
	}
	a.o.hook("added-unrecorded")
	return a.certAdded(ctx, r, keyID)
}

// versionNote says what a certificate rotation leaves in the vault when
// it stops after the vault made the certificate.
func versionNote(r *store.Rotation) string {
	return fmt.Sprintf("; vault %s certificate %s keeps the new version %s, which is not on the application", r.Vault, r.SecretName, r.SecretVersion)
}

func (a *applier) certAdded(ctx context.Context, r *store.Rotation, keyID string) error {
	r.State, r.NewKeyID, r.StoredAt = store.RotationStored, strings.ToLower(keyID), a.o.Now()
	if err := a.save(ctx, r); err != nil {
		return err
	}
	a.log.Info("new certificate added", "rotation", r.ID, "app", r.AppName, "newKeyId", r.NewKeyID)
	a.o.hook("stored")
	return nil
}

// recoverCertAdding resumes a rotation that stopped while adding its
// certificate to the app: a credential with the certificate's thumbprint
// (or the key id chosen for a PATCH) that was not there before is the
// one the lost call added, and the rotation goes on with it; otherwise
// the certificate is added now. The certificate's key is safe in the
// vault either way, so nothing is removed.
func (a *applier) recoverCertAdding(ctx context.Context, r *store.Rotation) error {
	cs, err := a.certStore(r.Vault)
	if err != nil {
		return fmt.Errorf("rotation %s: vault %s: %w", r.ID, r.Vault, err)
	}
	c, err := cs.GetCertificateVersion(ctx, r.SecretName, r.SecretVersion)
	if err != nil {
		return fmt.Errorf("rotate %s: read the new certificate: %w", r.AppName, err)
	}
	creds, err := a.o.Directory.KeyCredentials(ctx, r.ObjectID)
	if err != nil {
		return err
	}
	for _, k := range creds {
		id := strings.ToLower(k.KeyID)
		if (r.NewKeyID != "" && id == r.NewKeyID) ||
			(!slices.Contains(r.KeysBefore, id) && strings.EqualFold(inventory.Thumbprint(k.CustomKeyIdentifier, k.Key), c.Thumbprint)) {
			a.log.Warn("found the certificate an interrupted run added", "rotation", r.ID, "keyId", id)
			return a.certAdded(ctx, r, id)
		}
	}
	return a.addCert(ctx, r, cs, c, creds)
}

// removeOldCert is step 4 for certificates: removeKey with a proof
// signed by a current certificate (normally the new one), or PATCH
// without the old one when none of the app's current certificates has
// its key in the vault.
func (a *applier) removeOldCert(ctx context.Context, r *store.Rotation) error {
	cs, err := a.certStore(r.Vault)
	if err != nil {
		return fmt.Errorf("rotation %s: vault %s: %w", r.ID, r.Vault, err)
	}
	creds, err := a.o.Directory.KeyCredentials(ctx, r.ObjectID)
	if err != nil {
		return err
	}
	if slices.ContainsFunc(creds, func(k msgraph.KeyCredential) bool { return strings.EqualFold(k.KeyID, r.OldKeyID) }) {
		now := a.o.Now()
		pk, _, err := a.findProofKey(ctx, cs, r, creds, now)
		if err != nil {
			return err
		}
		if pk != nil {
			proof, perr := proofToken(ctx, cs, *pk, r.ObjectID, now)
			if perr != nil {
				return fmt.Errorf("rotate %s: %w", r.AppName, perr)
			}
			err = a.o.Directory.RemoveKey(ctx, r.ObjectID, r.OldKeyID, proof)
		} else {
			keep := slices.DeleteFunc(slices.Clone(creds), func(k msgraph.KeyCredential) bool { return strings.EqualFold(k.KeyID, r.OldKeyID) })
			err = a.o.Directory.PatchKeyCredentials(ctx, r.ObjectID, keep, nil)
		}
		if err != nil {
			return fmt.Errorf("rotate %s: %w", r.AppName, err)
		}
	}
	a.o.hook("removed-unrecorded")
	r.State, r.FinishedAt = store.RotationDone, a.o.Now()
	return a.save(ctx, r)
}

// certValidity is a certificate's validity, from the vault's attributes
// or else the certificate itself.
func certValidity(c keyvault.Certificate) (time.Time, time.Time) {
	start, end := c.NotBefore, c.Expires
	if start.IsZero() || end.IsZero() {
		if x, err := x509.ParseCertificate(c.DER); err == nil {
			start, end = x.NotBefore, x.NotAfter
		}
	}
	return start.UTC(), end.UTC()
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// validityMonths is the shortest whole number of months from now that
// reaches end, so the certificate outlives the planned credential.
func validityMonths(now, end time.Time) int {
	m := max(1, int(math.Ceil(end.Sub(now).Hours()/24/30)))
	for now.AddDate(0, m, 0).Before(end) {
		m++
	}
	return m
}

// subjectFor is the new certificate's subject: the old certificate's
// common name, else the app's name, in characters any issuer takes.
func subjectFor(r *store.Rotation, creds []msgraph.KeyCredential) string {
	cn := ""
	for _, k := range creds {
		if !strings.EqualFold(k.KeyID, r.OldKeyID) || k.Key == nil {
			continue
		}
		if der, err := base64.StdEncoding.DecodeString(*k.Key); err == nil {
			if x, err := x509.ParseCertificate(der); err == nil {
				cn = x.Subject.CommonName
			}
		}
	}
	return "CN=" + cmp.Or(plainName(cn), plainName(r.AppName), "credwatch-rotated")
}

// plainName keeps letters, digits, spaces, dots, hyphens and underscores
// (others become hyphens), at most 64 characters.
func plainName(s string) string {
	var b strings.Builder
	for _, c := range strings.TrimSpace(s) {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == ' ', c == '.', c == '-', c == '_':
			b.WriteRune(c)
		default:
			b.WriteRune('-')
		}
		if b.Len() >= 64 {
			break
		}
	}
	return strings.Trim(b.String(), " -")
}
