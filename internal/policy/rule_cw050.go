package policy

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/credwatch/credwatch/internal/inventory"
)

// vaultIndex links app credentials with their vault copies, built once per
// evaluation from the tenant's vaults.
type vaultIndex struct {
	names []string // vault names, for messages
	// secretsRead and certsRead: every vault's part was read, so a
	// credential without a copy really has none in them.
	secretsRead, certsRead bool
	byKey                  map[string][]vaultCopy // lower-case key id -> secret copies
	byThumb                map[string][]vaultCopy // upper-case thumbprint -> certificates
}

// vaultCopy is one secret or certificate in a vault.
type vaultCopy struct {
	vault, name string
	expires     time.Time
	created     time.Time
	keyID       string // the linked key id (secrets)
	appID       string // the linked app id (secrets)
}

func (c *vaultCopy) label() string { return c.vault + "/" + c.name }

func indexVaults(vs []inventory.Vault) *vaultIndex {
	if len(vs) == 0 {
		return nil
	}
	ix := &vaultIndex{secretsRead: true, certsRead: true, byKey: map[string][]vaultCopy{}, byThumb: map[string][]vaultCopy{}}
	for i := range vs {
		v := &vs[i]
		ix.names = append(ix.names, v.Name)
		ix.secretsRead = ix.secretsRead && v.Read(inventory.VaultPartSecrets)
		ix.certsRead = ix.certsRead && v.Read(inventory.VaultPartCertificates)
		for j := range v.Secrets {
			s := &v.Secrets[j]
			if s.Managed {
				continue // holds a certificate's key
			}
			if k := s.LinkedKeyID(); k != "" {
				app := s.LinkedAppID()
				if app == "" {
					// Microsoft's rotation sample names the app here.
					app = strings.ToLower(strings.TrimSpace(s.Tags["ProviderAddress"]))
				}
				ix.byKey[k] = append(ix.byKey[k], vaultCopy{vault: v.Name, name: s.Name, expires: s.Expires, created: cmp.Or(s.Updated, s.Created), keyID: k, appID: app})
			}
		}
		for j := range v.Certificates {
			c := &v.Certificates[j]
			if c.Thumbprint != "" {
				t := strings.ToUpper(c.Thumbprint)
				ix.byThumb[t] = append(ix.byThumb[t], vaultCopy{vault: v.Name, name: c.Name, expires: c.Expires, created: c.Created})
			}
		}
	}
	return ix
}

// copiesOf returns a credential's vault copies and whether the vaults
// could show them.
func (ix *vaultIndex) copiesOf(c *inventory.Credential) ([]vaultCopy, bool) {
	switch c.Type {
	case inventory.Secret:
		return ix.byKey[strings.ToLower(c.KeyID)], ix.secretsRead
	case inventory.Certificate:
		if c.Thumbprint == "" {
			return nil, false
		}
		return ix.byThumb[strings.ToUpper(c.Thumbprint)], ix.certsRead
	}
	return nil, false
}

var cw050 = rule{
	id:       "CW050",
	title:    "Credential has no copy in the configured key vaults",
	severity: Low,
	kind:     credentialRule,
	why: "A secret or certificate that is not in a key vault lives somewhere else: a configuration file, a " +
		"pipeline variable, a developer's notes, or nowhere at all (and the app's consumers fail on the next " +
		"restart). Key Vault keeps it encrypted, access-controlled and audited, and lets credwatch rotate it.",
	fix: "Store the credential in one of the configured vaults and tag it with the key id, so credwatch links " +
		"the two: `az keyvault secret set --vault-name <vault> --name <name> --file <secret> --tags " +
		"credwatchKeyId=<keyId> credwatchAppId=<appId> --expires <end>`; or let `credwatch rotate apply` " +
		"replace the secret and store the new one. Remove credentials nobody uses.",
	details: "Runs when `keyVaults` are configured and read. A client secret is linked to its vault copy by the " +
		"copy's `credwatchKeyId` tag (or `CredentialId`, the tag Microsoft's rotation sample writes), matched " +
		"without letter case; a certificate by thumbprint. Fires for each unexpired secret and certificate " +
		"(on applications and service principals) with no copy in any configured vault. Silent when a vault's " +
		"secrets (or certificates) could not be read, since the copy may be there. Secrets that hold " +
		"certificates' keys are not copies.",
	settings:   func(r *Rules) ruleSettings { return scoped(&r.CW050) },
	thresholds: func(*Config) []threshold { return nil },
	needs:      func(e *evaluator) bool { return e.vaults != nil && (e.vaults.secretsRead || e.vaults.certsRead) },
	cred:       checkNoVaultCopy,
}

func checkNoVaultCopy(e *evaluator, o *inventory.Object, c *inventory.Credential, ci *credInfo) {
	if !ci.live {
		return
	}
	copies, readable := e.vaults.copiesOf(c)
	if !readable || len(copies) > 0 {
		return
	}
	e.msgCred(c)
	e.msg(" has no copy in the configured key vaults (")
	e.msg(strings.Join(e.vaults.names, ", "))
	e.msg(")")
	e.emit(iCW050, o, c.KeyID, Low, time.Time{}, map[string]string{"vaults": strings.Join(e.vaults.names, ",")})
}

var cw051 = rule{
	id:       "CW051",
	title:    "Vault copy's expiry differs from the credential's end",
	severity: Medium,
	kind:     credentialRule,
	why: "Key Vault warns before a secret expires (the SecretNearExpiry event, 30 days ahead) and credwatch " +
		"and other tools read the vault's expiry. A copy without one, or with a different one, hides the real " +
		"deadline: consumers find out when sign-ins start failing.",
	fix: "Set the copy's expiry to the credential's end: `az keyvault secret set-attributes --vault-name <vault> " +
		"--name <name> --expires <end>` (certificates carry their own). If the copy holds an older or newer " +
		"secret than the credential, store the right one.",
	details: "For each unexpired secret or certificate with a vault copy (linked as in CW050), fires when a " +
		"copy has no expiry (`exp`), or an expiry more than one second from the credential's end (Key Vault " +
		"keeps whole seconds, Entra fractions). One finding per credential, naming every copy that differs.",
	settings:   func(r *Rules) ruleSettings { return scoped(&r.CW051) },
	thresholds: func(*Config) []threshold { return nil },
	needs:      func(e *evaluator) bool { return e.vaults != nil },
	cred:       checkVaultExpiry,
}

func checkVaultExpiry(e *evaluator, o *inventory.Object, c *inventory.Credential, ci *credInfo) {
	if !ci.live || !ci.hasEnd {
		return
	}
	copies, _ := e.vaults.copiesOf(c)
	var bad []string
	missing := false
	for i := range copies {
		cp := &copies[i]
		switch d := cp.expires.Sub(c.End); {
		case cp.expires.IsZero():
			bad, missing = append(bad, cp.label()+" (no expiry)"), true
		case d > time.Second || d < -time.Second:
			bad = append(bad, cp.label()+" (expires "+timeString(cp.expires)+")")
		}
	}
	if len(bad) == 0 {
		return
	}
	e.msgCred(c)
	e.msg(" ends ")
	e.msgDate(c.End)
	e.msg(", but its vault ")
	e.msg(plural(len(bad), "copy ", "copies "))
	e.msg(strings.Join(bad, ", "))
	if missing && len(bad) == 1 {
		e.msg(" will not warn before it expires")
	} else {
		e.msg(" disagree")
	}
	e.emit(iCW051, o, c.KeyID, Medium, c.End, map[string]string{"copies": strings.Join(bad, "; "), "end": timeString(c.End)})
}

var cw052 = rule{
	id:       "CW052",
	title:    "Vault copy is newer than any credential on the app",
	severity: High,
	kind:     tenantRule,
	subject:  "app and the key id its vault copy names",
	why: "A vault secret written after every credential the app has, for a key the app does not hold, is a " +
		"rotation that stopped half-way: the new secret reached the vault but its credential was removed, or " +
		"never added. Every consumer that reads the vault now gets a secret that does not work.",
	fix: "Finish or undo the rotation: add the credential the vault expects, or write the app's current " +
		"secret back as the vault's current version (and disable the broken one: " +
		"`az keyvault secret set-attributes --vault-name <vault> --name <name> --version <version> --enabled false`). " +
		"`credwatch rotate apply` finishes rotations it started.",
	details: "Looks at each vault secret whose tags name both an app (`credwatchAppId`, or `ProviderAddress` as " +
		"Microsoft's rotation sample writes) and a key (`credwatchKeyId` or `CredentialId`). Fires when the " +
		"app is in the tenant, holds no credential with that key id (on its application object or service " +
		"principal), and the copy's current version was written after the start of the app's newest " +
		"credential. Reported on the application object (else the service principal) with the copy's key id.",
	settings:   func(r *Rules) ruleSettings { return scoped(&r.CW052) },
	thresholds: func(*Config) []threshold { return nil },
	needs:      func(e *evaluator) bool { return e.vaults != nil && len(e.vaults.byKey) > 0 },
	tenant:     checkHalfRotated,
}

func checkHalfRotated(e *evaluator, t *inventory.Tenant) {
	type appState struct {
		report *inventory.Object
		keys   map[string]bool
		newest time.Time
	}
	apps := map[string]*appState{}
	for i := range t.Objects {
		o := &t.Objects[i]
		id := strings.ToLower(o.AppID)
		if id == "" {
			continue
		}
		a := apps[id]
		if a == nil {
			a = &appState{keys: map[string]bool{}}
			apps[id] = a
		}
		if a.report == nil || (o.Type == inventory.Application && a.report.Type != inventory.Application) {
			a.report = o
		}
		for j := range o.Credentials {
			c := &o.Credentials[j]
			a.keys[strings.ToLower(c.KeyID)] = true
			if c.PairedKeyID != "" {
				a.keys[strings.ToLower(c.PairedKeyID)] = true
			}
			if c.Start.After(a.newest) {
				a.newest = c.Start
			}
		}
	}
	keys := make([]string, 0, len(e.vaults.byKey))
	for k := range e.vaults.byKey {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, cp := range e.vaults.byKey[k] {
			a := apps[cp.appID]
			if cp.appID == "" || a == nil || a.keys[k] || cp.created.IsZero() || !cp.created.After(a.newest) {
				continue
			}
			o := a.report
			if !e.c.global.contains(o) || !e.c.rules[iCW052].scope.contains(o) {
				continue
			}
			e.buf = e.buf[:0]
			e.msg("vault copy ")
			e.msg(cp.label())
			e.msg(", written ")
			e.msgDate(cp.created)
			e.msg(", names key ")
			e.msg(shortKey(k))
			e.msg(", which the app does not hold, and is newer than every credential on it: a rotation stopped half-way")
			newest := "none"
			if !a.newest.IsZero() {
				newest = timeString(a.newest)
			}
			e.emit(iCW052, o, k, High, time.Time{}, map[string]string{"vault": cp.vault, "secret": cp.name,
				"written": timeString(cp.created), "newestCredentialStart": newest})
		}
	}
}
