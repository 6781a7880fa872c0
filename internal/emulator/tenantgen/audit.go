package tenantgen

import (
	"crypto/sha1"
	"encoding/base32"
	"encoding/binary"
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/credwatch/credwatch/internal/msgraph"
)

// Activity names of the directory audit records credwatch reads, byte for
// byte as Entra emits them. The application credential event carries an
// EN DASH (U+2013) and a trailing space; Microsoft's reference page prints
// a hyphen and no space, which is not what the log holds.
const (
	ActivityAppCredentials      = "Update application – Certificates and secrets management "
	ActivityUpdateApplication   = "Update application"
	ActivityAddSPCredentials    = "Add service principal credentials"
	ActivityRemoveSPCredentials = "Remove service principal credentials"
	ActivityAddAppOwner         = "Add owner to application"
	ActivityRemoveAppOwner      = "Remove owner from application"
	ActivityAddSPOwner          = "Add owner to service principal"
	ActivityRemoveSPOwner       = "Remove owner from service principal"
)

// Category and service of every record above.
const (
	CategoryApplicationManagement = "ApplicationManagement"
	LoggedByCoreDirectory         = "Core Directory"
)

// KeyEntries lists an object's credentials as the KeyDescription property
// of an audit record names them: secrets first, then keys, each
// "[KeyIdentifier=<keyId>,KeyType=<type>,KeyUsage=<usage>,DisplayName=<name>]".
func KeyEntries(pw []msgraph.PasswordCredential, keys []msgraph.KeyCredential) []string {
	out := make([]string, 0, len(pw)+len(keys))
	for _, p := range pw {
		out = append(out, PasswordKeyEntry(p))
	}
	for _, k := range keys {
		out = append(out, KeyKeyEntry(k))
	}
	return out
}

// PasswordKeyEntry is the KeyDescription entry of one client secret.
func PasswordKeyEntry(p msgraph.PasswordCredential) string {
	return keyEntry(p.KeyID, "Password", "Verify", p.DisplayName)
}

// KeyKeyEntry is the KeyDescription entry of one certificate.
func KeyKeyEntry(k msgraph.KeyCredential) string {
	typ, usage := k.Type, k.Usage
	if typ == "" {
		typ = "AsymmetricX509Cert"
	}
	if usage == "" {
		usage = "Verify"
	}
	return keyEntry(k.KeyID, typ, usage, k.DisplayName)
}

func keyEntry(keyID, typ, usage string, name *string) string {
	n := ""
	if name != nil {
		n = *name
	}
	return "[KeyIdentifier=" + keyID + ",KeyType=" + typ + ",KeyUsage=" + usage + ",DisplayName=" + n + "]"
}

// CredentialChange is one credential added to or removed from an
// application or service principal, from which Records builds the audit
// records Entra writes for it.
type CredentialChange struct {
	// CorrelationID ties the records of one operation together; the
	// record ids derive from it.
	CorrelationID string
	At            time.Time
	By            msgraph.AuditActor
	UserAgent     string // additionalDetails User-Agent; "" leaves it out

	TargetID, TargetName string // object id and display name
	ServicePrincipal     bool   // the target is a service principal, not an application
	Removed              bool
	// Before and After are the target's KeyEntries around the change.
	Before, After []string
}

// Records returns the audit records of the change: for an application the
// credential record and the plain "Update application" record Entra writes
// beside it; for a service principal the one credential record.
func (c CredentialChange) Records() []msgraph.DirectoryAudit {
	keyDesc := msgraph.ModifiedProperty{DisplayName: "KeyDescription",
		OldValue: strp(jsonList(c.Before)), NewValue: strp(jsonList(c.After))}
	included := msgraph.ModifiedProperty{DisplayName: "Included Updated Properties", NewValue: strp(`"KeyDescription"`)}
	if !c.ServicePrincipal {
		rec := c.record(0, ActivityAppCredentials, "Update")
		rec.TargetResources = []msgraph.TargetResource{{ID: c.TargetID, DisplayName: c.TargetName, Type: "Application",
			ModifiedProperties: []msgraph.ModifiedProperty{keyDesc, included}}}
		companion := c.record(1, ActivityUpdateApplication, "Update")
		companion.TargetResources = []msgraph.TargetResource{{ID: c.TargetID, DisplayName: c.TargetName, Type: "Application",
			ModifiedProperties: []msgraph.ModifiedProperty{}}}
		return []msgraph.DirectoryAudit{rec, companion}
	}
	name, op := ActivityAddSPCredentials, "Add"
	if c.Removed {
		name, op = ActivityRemoveSPCredentials, "Remove"
	}
	rec := c.record(0, name, op)
	rec.TargetResources = []msgraph.TargetResource{{ID: c.TargetID, DisplayName: c.TargetName, Type: "ServicePrincipal",
		ModifiedProperties: []msgraph.ModifiedProperty{keyDesc, included}}}
	return []msgraph.DirectoryAudit{rec}
}

func (c CredentialChange) record(n int, name, op string) msgraph.DirectoryAudit {
	return newAuditRecord(c.CorrelationID, n, name, op, c.At, c.By, c.UserAgent)
}

// OwnerChange is an owner added to or removed from an application or
// service principal.
type OwnerChange struct {
	CorrelationID string
	At            time.Time
	By            msgraph.AuditActor
	UserAgent     string

	Owner                msgraph.DirectoryObject
	TargetID, TargetName string
	TargetAppID          string
	ServicePrincipal     bool
	Removed              bool
}

// Records returns the one audit record of the change. Its target resources
// are the owner, carrying the target's ids as modified properties, then
// the target itself.
func (c OwnerChange) Records() []msgraph.DirectoryAudit {
	name, op, kind, typ := ActivityAddAppOwner, "Assign", "Application", "Application"
	if c.ServicePrincipal {
		name, kind, typ = ActivityAddSPOwner, "ServicePrincipal", "ServicePrincipal"
	}
	if c.Removed {
		op = "Unassign"
		name = ActivityRemoveAppOwner
		if c.ServicePrincipal {
			name = ActivityRemoveSPOwner
		}
	}
	rec := newAuditRecord(c.CorrelationID, 0, name, op, c.At, c.By, c.UserAgent)
	prop := func(n, v string) msgraph.ModifiedProperty {
		q, _ := json.Marshal(v)
		if c.Removed {
			return msgraph.ModifiedProperty{DisplayName: n, OldValue: strp(string(q))}
		}
		return msgraph.ModifiedProperty{DisplayName: n, NewValue: strp(string(q))}
	}
	rec.TargetResources = []msgraph.TargetResource{
		{ID: c.Owner.ID, DisplayName: c.Owner.DisplayName, Type: ownerAuditType(c.Owner), UserPrincipalName: c.Owner.UserPrincipalName,
			ModifiedProperties: []msgraph.ModifiedProperty{
				prop(kind+".ObjectID", c.TargetID), prop(kind+".AppId", c.TargetAppID), prop(kind+".DisplayName", c.TargetName),
			}},
		{ID: c.TargetID, DisplayName: c.TargetName, Type: typ, ModifiedProperties: []msgraph.ModifiedProperty{}},
	}
	return []msgraph.DirectoryAudit{rec}
}

func ownerAuditType(o msgraph.DirectoryObject) string {
	switch {
	case o.ODataType == odataSP || (o.ODataType == "" && o.AppID != ""):
		return "ServicePrincipal"
	case o.ODataType == odataGrp:
		return "Group"
	}
	return "User"
}

// newAuditRecord fills what every ApplicationManagement record shares. Its
// id has Entra's shape, Directory_<correlation id>_<5 letters>_<number>,
// derived from the correlation id and n so reruns give the same ids.
func newAuditRecord(corr string, n int, name, op string, at time.Time, by msgraph.AuditActor, ua string) msgraph.DirectoryAudit {
	sum := sha1.Sum([]byte(corr + "/" + strconv.Itoa(n)))
	tag := base32.StdEncoding.EncodeToString(sum[:5])[:5]
	num := binary.BigEndian.Uint32(sum[8:12]) % 100_000_000
	rec := msgraph.DirectoryAudit{
		ID:                  "Directory_" + corr + "_" + tag + "_" + strconv.FormatUint(uint64(num), 10),
		Category:            CategoryApplicationManagement,
		CorrelationID:       corr,
		Result:              "success",
		ActivityDisplayName: name,
		ActivityDateTime:    graphTime(at, frac7),
		LoggedByService:     LoggedByCoreDirectory,
		OperationType:       op,
		InitiatedBy:         cloneActor(by),
	}
	if ua != "" {
		rec.AdditionalDetails = []msgraph.KeyValue{{Key: "User-Agent", Value: ua}}
	}
	return rec
}

func cloneActor(a msgraph.AuditActor) msgraph.AuditActor {
	if a.User != nil {
		u := *a.User
		a.User = &u
	}
	if a.App != nil {
		p := *a.App
		a.App = &p
	}
	return a
}

// jsonList renders entries as the JSON array string Entra puts in
// oldValue and newValue, without HTML escaping.
func jsonList(entries []string) string {
	if len(entries) == 0 {
		return "[]"
	}
	var sb strings.Builder
	enc := json.NewEncoder(&sb)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(entries) // a []string always encodes
	return strings.TrimSuffix(sb.String(), "\n")
}

// ParseKeyEntries reads a KeyDescription oldValue or newValue back into
// key ids, for tests and consumers that diff two lists. It returns nil for
// anything that is not a JSON array of entries.
func ParseKeyEntries(v *string) []string {
	if v == nil {
		return nil
	}
	var entries []string
	if json.Unmarshal([]byte(*v), &entries) != nil {
		return nil
	}
	var ids []string
	for _, e := range entries {
		_, rest, ok := strings.Cut(e, "KeyIdentifier=")
		if !ok {
			continue
		}
		id, _, _ := strings.Cut(rest, ",")
		ids = append(ids, id)
	}
	return ids
}
