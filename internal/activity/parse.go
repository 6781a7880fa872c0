package activity

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/credwatch/credwatch/internal/inventory"
	"github.com/credwatch/credwatch/internal/msgraph"
)

// Parse turns fetched (or snapshot) activity data into Evidence. t, when
// given, lets changes carry the app id of the object they concern. A nil a
// gives Evidence with every part unavailable. A record that cannot be read
// (a bad date, a KeyDescription that is not a list) fails the whole parse
// with an error naming the record and the field; sign-ins whose IP address
// cannot be read are only skipped and counted.
func Parse(a *msgraph.Activity, t *inventory.Tenant) (*Evidence, error) {
	ev := &Evidence{
		CredentialAdded:   map[string]Change{},
		CredentialRemoved: map[string]Change{},
		Unavailable:       map[string]string{},
		Usage: Usage{
			Keys:          map[string]KeyUsage{},
			KeyLastSignIn: map[string]time.Time{},
			AppLastSignIn: map[string]time.Time{},
		},
	}
	if a == nil {
		for _, p := range Parts {
			ev.Unavailable[p] = "no activity data was collected"
		}
		return ev, nil
	}
	maps.Copy(ev.Unavailable, a.Unavailable)
	var err error
	if ev.AuditSince, err = optionalTime(a.AuditSince); err != nil {
		return nil, fmt.Errorf("activity auditSince: %w", err)
	}
	if ev.SignInsSince, err = optionalTime(a.SignInsSince); err != nil {
		return nil, fmt.Errorf("activity signInsSince: %w", err)
	}
	p := &parser{ev: ev, appIDs: map[string]string{}}
	if t != nil {
		for i := range t.Objects {
			p.appIDs[t.Objects[i].ID] = t.Objects[i].AppID
		}
	}
	if err := p.audits(a.DirectoryAudits); err != nil {
		return nil, err
	}
	if err := p.signIns(a.SignIns); err != nil {
		return nil, err
	}
	if err := p.usage(a.CredentialSignInActivities); err != nil {
		return nil, err
	}
	if err := p.policies(a); err != nil {
		return nil, err
	}
	return ev, nil
}

type parser struct {
	ev     *Evidence
	appIDs map[string]string // object id -> app id, from the tenant
}

func optionalTime(s string) (time.Time, error) {
	if strings.TrimSpace(s) == "" {
		return time.Time{}, nil
	}
	return parseTime(s)
}

// requiredTime parses a record's date, naming the record and field when
// it is missing or unreadable.
func requiredTime(what, id, field, s string) (time.Time, error) {
	if strings.TrimSpace(s) == "" {
		return time.Time{}, fmt.Errorf("%s %s: %s: missing", what, quoteShort(id), field)
	}
	t, err := parseTime(s)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %s: %s: %w", what, quoteShort(id), field, err)
	}
	return t, nil
}

// audits reads the credential and owner records; other activities, and
// failed ones, are passed over without reading their dates.
func (p *parser) audits(recs []msgraph.DirectoryAudit) error {
	for i := range recs {
		r := &recs[i]
		if r.Result != "" && !strings.EqualFold(r.Result, "success") {
			continue
		}
		name := NormalizeActivityName(r.ActivityDisplayName)
		var cred, owner bool
		var defType inventory.ObjectType
		switch {
		case strings.EqualFold(name, ActivityAppCredentials), strings.EqualFold(name, ActivityCreateAppCredentials):
			cred, defType = true, inventory.Application
		case strings.EqualFold(name, ActivityAddSPCredentials), strings.EqualFold(name, ActivityRemoveSPCredentials):
			cred, defType = true, inventory.ServicePrincipal
		case strings.EqualFold(name, ActivityAddAppOwner):
			owner, defType = true, inventory.Application
		case strings.EqualFold(name, ActivityAddSPOwner):
			owner, defType = true, inventory.ServicePrincipal
		default:
			continue
		}
		when, err := requiredTime("directory audit", r.ID, "activityDateTime", r.ActivityDateTime)
		if err != nil {
			return err
		}
		actor, ua := actorOf(r)
		if cred {
			if err := p.credentialRecord(r, defType, when, actor, ua); err != nil {
				return err
			}
		}
		if owner {
			p.ownerRecord(r, defType, when, actor, ua)
		}
	}
	slices.SortFunc(p.ev.OwnerAdded, func(a, b OwnerChange) int {
		return cmp.Or(a.When.Compare(b.When), cmp.Compare(a.RecordID, b.RecordID), cmp.Compare(a.OwnerID, b.OwnerID))
	})
	return nil
}

func actorOf(r *msgraph.DirectoryAudit) (Actor, string) {
	var a Actor
	switch {
	case r.InitiatedBy.User != nil:
		u := r.InitiatedBy.User
		a = Actor{Type: ActorUser, ID: u.ID, Name: u.UserPrincipalName, IP: strings.TrimSpace(u.IPAddress)}
		if a.Name == "" {
			a.Name = u.DisplayName
		}
	case r.InitiatedBy.App != nil:
		ap := r.InitiatedBy.App
		a = Actor{Type: ActorApp, ID: ap.ServicePrincipalID, Name: ap.DisplayName, AppID: ap.AppID}
		if a.Name == "" {
			a.Name = ap.ServicePrincipalName
		}
	}
	ua := ""
	for _, d := range r.AdditionalDetails {
		if strings.EqualFold(d.Key, "User-Agent") {
			ua = d.Value
			break
		}
	}
	return a, ua
}

func objectType(typ string, def inventory.ObjectType) inventory.ObjectType {
	switch strings.ToLower(typ) {
	case "application":
		return inventory.Application
	case "serviceprincipal":
		return inventory.ServicePrincipal
	}
	return def
}

// credentialRecord diffs the KeyDescription lists of each target.
func (p *parser) credentialRecord(r *msgraph.DirectoryAudit, def inventory.ObjectType, when time.Time, actor Actor, ua string) error {
	for ti := range r.TargetResources {
		tr := &r.TargetResources[ti]
		for _, mp := range tr.ModifiedProperties {
			if !strings.EqualFold(strings.TrimSpace(mp.DisplayName), "KeyDescription") {
				continue
			}
			field := fmt.Sprintf("targetResources[%d].KeyDescription", ti)
			before, err := ParseKeyDescription(deref(mp.OldValue))
			if err != nil {
				return fmt.Errorf("directory audit %s: %s oldValue: %w", quoteShort(r.ID), field, err)
			}
			after, err := ParseKeyDescription(deref(mp.NewValue))
			if err != nil {
				return fmt.Errorf("directory audit %s: %s newValue: %w", quoteShort(r.ID), field, err)
			}
			base := Change{RecordID: r.ID, ObjectID: tr.ID, ObjectType: objectType(tr.Type, def),
				AppID: p.appIDs[tr.ID], When: when, Actor: actor, UserAgent: ua}
			for _, k := range missingFrom(after, before) {
				p.record(p.ev.CredentialAdded, base, k)
			}
			for _, k := range missingFrom(before, after) {
				p.record(p.ev.CredentialRemoved, base, k)
			}
		}
	}
	return nil
}

// missingFrom lists the entries of a whose key id b lacks.
func missingFrom(a, b []KeyDescription) []KeyDescription {
	var out []KeyDescription
	for _, k := range a {
		if !slices.ContainsFunc(b, func(o KeyDescription) bool { return strings.EqualFold(o.KeyID, k.KeyID) }) {
			out = append(out, k)
		}
	}
	return out
}

// record keeps the latest change of each key: the one that explains the
// credential as it is now. Ties go to the larger record id, so the result
// does not depend on record order.
func (p *parser) record(m map[string]Change, base Change, k KeyDescription) {
	c := base
	c.KeyID = strings.ToLower(k.KeyID)
	c.KeyType, c.KeyUsage, c.DisplayName = k.KeyType, k.KeyUsage, k.DisplayName
	c.CredentialType = credentialType(k.KeyType)
	if prev, ok := m[c.KeyID]; ok {
		if prev.When.After(c.When) || (prev.When.Equal(c.When) && prev.RecordID >= c.RecordID) {
			return
		}
	}
	m[c.KeyID] = c
}

func credentialType(keyType string) inventory.CredentialType {
	switch strings.ToLower(keyType) {
	case "password":
		return inventory.Secret
	case "asymmetricx509cert":
		return inventory.Certificate
	}
	return ""
}

// ownerRecord reads an owner addition. Entra lists the new owner first,
// carrying the object's ids as "<Kind>.ObjectID" properties, then the
// object; without those properties, the object is the last target of the
// expected type and the owner the first other one.
func (p *parser) ownerRecord(r *msgraph.DirectoryAudit, def inventory.ObjectType, when time.Time, actor Actor, ua string) {
	objIdx, ownerIdx := -1, -1
	objectID, appID := "", ""
	for ti := range r.TargetResources {
		for _, mp := range r.TargetResources[ti].ModifiedProperties {
			_, prop, ok := strings.Cut(mp.DisplayName, ".")
			if !ok {
				continue
			}
			switch strings.ToLower(prop) {
			case "objectid":
				ownerIdx, objectID = ti, unquote(mp.NewValue)
			case "appid":
				appID = unquote(mp.NewValue)
			}
		}
	}
	for ti := range r.TargetResources {
		if ti != ownerIdx && objectType(r.TargetResources[ti].Type, "") == def {
			objIdx = ti
		}
	}
	if objectID == "" && objIdx >= 0 {
		objectID = r.TargetResources[objIdx].ID
	}
	if ownerIdx < 0 {
		for ti := range r.TargetResources {
			if ti != objIdx {
				ownerIdx = ti
				break
			}
		}
	}
	if objectID == "" || ownerIdx < 0 {
		return // nothing to attribute
	}
	ow := &r.TargetResources[ownerIdx]
	oc := OwnerChange{RecordID: r.ID, ObjectID: objectID, ObjectType: def, AppID: appID, OwnerID: ow.ID,
		OwnerType: ownerType(ow.Type), OwnerName: ow.UserPrincipalName, When: when, Actor: actor, UserAgent: ua}
	if id := p.appIDs[objectID]; id != "" {
		oc.AppID = id
	}
	if oc.OwnerName == "" {
		oc.OwnerName = ow.DisplayName
	}
	p.ev.OwnerAdded = append(p.ev.OwnerAdded, oc)
}

func ownerType(typ string) inventory.OwnerType {
	switch strings.ToLower(typ) {
	case "user":
		return inventory.OwnerUser
	case "serviceprincipal":
		return inventory.OwnerServicePrincipal
	case "group":
		return inventory.OwnerGroup
	}
	return inventory.OwnerOther
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// unquote reads a modified property value, a JSON string ("\"abc\"") or a
// bare one.
func unquote(s *string) string {
	v := strings.TrimSpace(deref(s))
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
	}
	return v
}
