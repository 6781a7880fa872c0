package inventory

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"

	"github.com/credwatch/credwatch/internal/msgraph"
)

// Merge combines several loaded files into one snapshot, such as the output
// of az ad app list and az ad sp list. An object found in two files must be
// identical in both; the result is complete only if every input is. The
// earliest collection time is kept, since the data is at least that old.
func Merge(snaps ...*Snapshot) (*Snapshot, error) {
	if len(snaps) == 0 {
		return nil, errors.New("merge snapshots: none given")
	}
	out := &Snapshot{SchemaVersion: SnapshotSchemaVersion, Kind: SnapshotKind, Complete: true}
	apps := make(map[string]int)
	sps := make(map[string]int)
	resources := make(map[string]int)
	for i, s := range snaps {
		if s == nil {
			return nil, fmt.Errorf("merge snapshots: snapshot %d is missing", i+1)
		}
		switch {
		case s.TenantID == "":
		case out.TenantID == "":
			out.TenantID = s.TenantID
		case !strings.EqualFold(out.TenantID, s.TenantID):
			return nil, fmt.Errorf("merge snapshots: snapshot %d is of tenant %s, an earlier one of tenant %s", i+1, s.TenantID, out.TenantID)
		}
		if !s.CollectedAt.IsZero() && (out.CollectedAt.IsZero() || s.CollectedAt.Before(out.CollectedAt)) {
			out.CollectedAt = s.CollectedAt.UTC()
		}
		out.Complete = out.Complete && s.Complete
		for _, r := range s.Incomplete {
			if !slices.Contains(out.Incomplete, r) {
				out.Incomplete = append(out.Incomplete, r)
			}
		}
		for _, a := range s.Applications {
			j, ok := apps[a.ID]
			if !ok || a.ID == "" {
				apps[a.ID] = len(out.Applications)
				out.Applications = append(out.Applications, a)
				continue
			}
			if !reflect.DeepEqual(out.Applications[j], a) {
				return nil, fmt.Errorf("merge snapshots: %s differs between snapshots (found again in snapshot %d)",
					objectName(Application, a.ID, a.DisplayName), i+1)
			}
		}
		for _, sp := range s.ServicePrincipals {
			j, ok := sps[sp.ID]
			if !ok || sp.ID == "" {
				sps[sp.ID] = len(out.ServicePrincipals)
				out.ServicePrincipals = append(out.ServicePrincipals, sp)
				continue
			}
			if !reflect.DeepEqual(out.ServicePrincipals[j], sp) {
				return nil, fmt.Errorf("merge snapshots: %s differs between snapshots (found again in snapshot %d)",
					objectName(ServicePrincipal, sp.ID, sp.DisplayName), i+1)
			}
		}
		// Vaults are keyed by name; the first file naming one supplies it.
		for _, v := range s.Vaults {
			if !slices.ContainsFunc(out.Vaults, func(o Vault) bool { return strings.EqualFold(o.Name, v.Name) }) {
				out.Vaults = append(out.Vaults, v)
			}
		}
		// Resources are reference data: keep the copy that names roles.
		for _, r := range s.Resources {
			j, ok := resources[r.ID]
			switch {
			case !ok:
				resources[r.ID] = len(out.Resources)
				out.Resources = append(out.Resources, r)
			case len(out.Resources[j].AppRoles) == 0 && len(r.AppRoles) > 0:
				out.Resources[j] = r
			}
		}
	}
	return out, nil
}

// WriteSnapshot writes s in credwatch's own format as indented JSON. Secret
// values are never written, even if s holds them.
func WriteSnapshot(w io.Writer, s *Snapshot) error {
	if s == nil {
		return errors.New("write snapshot: no snapshot")
	}
	c := scrubbedCopy(s)
	c.Kind = SnapshotKind
	c.SchemaVersion = SnapshotSchemaVersion
	c.CollectedAt = c.CollectedAt.UTC()
	if c.Applications == nil {
		c.Applications = []msgraph.Application{}
	}
	if c.ServicePrincipals == nil {
		c.ServicePrincipals = []msgraph.ServicePrincipal{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(c); err != nil {
		return fmt.Errorf("write snapshot: %w", err)
	}
	return nil
}

// scrubbedCopy copies s deeply enough to clear secrets without touching the
// caller's values.
func scrubbedCopy(s *Snapshot) *Snapshot {
	c := *s
	c.Incomplete = slices.Clone(s.Incomplete)
	c.Applications = slices.Clone(s.Applications)
	for i := range c.Applications {
		a := &c.Applications[i]
		a.PasswordCredentials = slices.Clone(a.PasswordCredentials)
		a.KeyCredentials = slices.Clone(a.KeyCredentials)
	}
	c.ServicePrincipals = cloneSPs(s.ServicePrincipals)
	c.Resources = cloneSPs(s.Resources)
	scrubSecrets(&c)
	return &c
}

func cloneSPs(in []msgraph.ServicePrincipal) []msgraph.ServicePrincipal {
	out := slices.Clone(in)
	for i := range out {
		out[i].PasswordCredentials = slices.Clone(out[i].PasswordCredentials)
		out[i].KeyCredentials = slices.Clone(out[i].KeyCredentials)
	}
	return out
}

// scrubSecrets clears, in place, every secret value a file may carry:
// secret text, and the key material of keys that are not public
// certificates (a Symmetric key's key is the secret itself).
func scrubSecrets(s *Snapshot) {
	scrub := func(pw []msgraph.PasswordCredential, keys []msgraph.KeyCredential) {
		for i := range pw {
			pw[i].SecretText = nil
		}
		for i := range keys {
			if !hasPublicKeyOnly(keys[i].Type) {
				keys[i].Key = nil
			}
		}
	}
	for i := range s.Applications {
		scrub(s.Applications[i].PasswordCredentials, s.Applications[i].KeyCredentials)
	}
	for i := range s.ServicePrincipals {
		scrub(s.ServicePrincipals[i].PasswordCredentials, s.ServicePrincipals[i].KeyCredentials)
	}
	for i := range s.Resources {
		scrub(s.Resources[i].PasswordCredentials, s.Resources[i].KeyCredentials)
	}
}
