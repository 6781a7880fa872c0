package activity

import (
	"strings"

	"github.com/credwatch/credwatch/internal/inventory"
)

// Provenance is the recorded addition of each credential t holds (or of
// its paired key), by lower-case key id: what a store keeps so that who
// added a credential is still known once the audit log has let the
// record go.
func (e *Evidence) Provenance(t *inventory.Tenant) map[string]Change {
	out := map[string]Change{}
	if e == nil || t == nil {
		return out
	}
	eachKey(t, func(k string) {
		if ch, ok := e.CredentialAdded[k]; ok {
			out[k] = ch
		}
	})
	return out
}

// Recall adds to CredentialAdded the additions known from earlier scans
// of the credentials t still holds that the audit window no longer shows.
// A record the window holds wins: it is as new or newer.
func (e *Evidence) Recall(known map[string]Change, t *inventory.Tenant) {
	if e == nil || t == nil || len(known) == 0 {
		return
	}
	if e.CredentialAdded == nil {
		e.CredentialAdded = map[string]Change{}
	}
	eachKey(t, func(k string) {
		if _, ok := e.CredentialAdded[k]; ok {
			return
		}
		if ch, ok := known[k]; ok {
			e.CredentialAdded[k] = ch
		}
	})
}

// HeldKeys is the set of lower-case key ids, paired key ids included, of
// the secrets and certificates t holds.
func HeldKeys(t *inventory.Tenant) map[string]struct{} {
	out := map[string]struct{}{}
	if t != nil {
		eachKey(t, func(k string) { out[k] = struct{}{} })
	}
	return out
}

// eachKey calls fn with the lower-case key id and paired key id of every
// secret and certificate in t.
func eachKey(t *inventory.Tenant, fn func(string)) {
	for i := range t.Objects {
		for j := range t.Objects[i].Credentials {
			c := &t.Objects[i].Credentials[j]
			if c.Type == inventory.Federated {
				continue
			}
			for _, k := range [2]string{c.KeyID, c.PairedKeyID} {
				if k != "" {
					fn(strings.ToLower(k))
				}
			}
		}
	}
}
