package emulator

import (
	"bytes"
	"encoding/json"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/credwatch/credwatch/internal/emulator/tenantgen"
	"github.com/credwatch/credwatch/internal/msgraph"
)

// credTime is how Graph writes credential dates it sets itself.
const credTime = "2006-01-02T15:04:05.0000000Z"

// target is the application or service principal a write changes.
type target struct {
	app *msgraph.Application
	sp  *msgraph.ServicePrincipal
}

func (t target) id() string {
	if t.app != nil {
		return t.app.ID
	}
	return t.sp.ID
}

func (t target) name() string {
	if t.app != nil {
		return t.app.DisplayName
	}
	return t.sp.DisplayName
}

func (t target) appID() string {
	if t.app != nil {
		return t.app.AppID
	}
	return t.sp.AppID
}

func (t target) owners() *[]msgraph.DirectoryObject {
	if t.app != nil {
		return &t.app.Owners
	}
	return &t.sp.Owners
}

func (t target) passwords() *[]msgraph.PasswordCredential {
	if t.app != nil {
		return &t.app.PasswordCredentials
	}
	return &t.sp.PasswordCredentials
}

func (t target) keys() *[]msgraph.KeyCredential {
	if t.app != nil {
		return &t.app.KeyCredentials
	}
	return &t.sp.KeyCredentials
}

// isCaller reports whether the caller is the target itself: the
// application whose client it is, or its service principal.
func (t target) isCaller(c *caller) bool {
	if t.app != nil {
		return c.appID != "" && strings.EqualFold(t.app.AppID, c.appID)
	}
	return c.oid != "" && strings.EqualFold(t.sp.ID, c.oid)
}

func (t target) keyEntries() []string {
	if t.app != nil {
		return tenantgen.KeyEntries(t.app.PasswordCredentials, t.app.KeyCredentials)
	}
	return tenantgen.KeyEntries(t.sp.PasswordCredentials, t.sp.KeyCredentials)
}

// mutate carries out a write under Server.mu: the caller may change the
// object with Application.ReadWrite.All, or with
// Application.ReadWrite.OwnedBy when its service principal owns it. Each
// write appends the audit records Entra writes for it, initiated by the
// caller's app. Slices are replaced, never appended to in place, so no
// earlier copy sees a change.
func (s *Server) mutate(w http.ResponseWriter, r *http.Request, rt route, c *caller, body []byte) *graphError {
	a, p, gerr := s.lookup(rt)
	if gerr != nil {
		return gerr
	}
	t := target{app: a, sp: p}
	// addKey and removeKey also let an application roll its own keys
	// without any permission: the proof of possession vouches for it.
	self := (rt.kind == kindAddKey || rt.kind == kindRemoveKey) && t.isCaller(c)
	if !self && !c.has(roleWriteAll) && !(c.has(roleWriteOwned) && slices.ContainsFunc(*t.owners(), func(o msgraph.DirectoryObject) bool {
		return strings.EqualFold(o.ID, c.oid)
	})) {
		return forbidden()
	}
	by := msgraph.AuditActor{App: &msgraph.AuditApp{AppID: c.appID, DisplayName: c.name, ServicePrincipalID: c.oid, ServicePrincipalName: c.name}}
	ua := r.Header.Get("User-Agent")
	prop := "passwordCredentials"
	switch rt.kind {
	case kindAddPassword:
		gerr = s.addPassword(w, r, t, body, by, ua)
	case kindRemovePassword:
		gerr = s.removePassword(w, t, body, by, ua)
	case kindAddKey:
		gerr, prop = s.addKey(w, r, t, body, by, ua), "keyCredentials"
	case kindRemoveKey:
		gerr, prop = s.removeKey(w, t, body, by, ua), "keyCredentials"
	case kindUpdateApp, kindUpdateSP:
		gerr, prop = s.update(w, t, body, by, ua), "keyCredentials"
	case kindAddOwner:
		gerr, prop = s.addOwner(w, t, body, by, ua), "owners"
	default:
		gerr, prop = s.removeOwner(w, t, rt.navKey, by, ua), "owners"
	}
	if gerr == nil {
		s.changes.add(rt.set, t.id(), []string{prop})
	}
	return gerr
}

func decodeBody(body []byte, v any) *graphError {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	if json.Unmarshal(body, v) != nil {
		return badRequest("The request body is not valid JSON for this action.")
	}
	return nil
}

// addPassword adds a client secret Graph generates, answering with it in
// secretText: the only time the secret leaves the emulator. It is not
// stored (only its hint) and never logged.
func (s *Server) addPassword(w http.ResponseWriter, r *http.Request, t target, body []byte, by msgraph.AuditActor, ua string) *graphError {
	var in struct {
		PasswordCredential *struct {
			DisplayName   *string `json:"displayName"`
			StartDateTime *string `json:"startDateTime"`
			EndDateTime   *string `json:"endDateTime"`
		} `json:"passwordCredential"`
	}
	if gerr := decodeBody(body, &in); gerr != nil {
		return gerr
	}
	now := s.now().UTC()
	start := now
	var end time.Time
	var name *string
	if pc := in.PasswordCredential; pc != nil {
		name = pc.DisplayName
		for _, f := range []struct {
			prop string
			v    *string
			dst  *time.Time
		}{{"startDateTime", pc.StartDateTime, &start}, {"endDateTime", pc.EndDateTime, &end}} {
			if f.v == nil {
				continue
			}
			tm, err := time.Parse(time.RFC3339Nano, *f.v)
			if err != nil {
				return badRequest("Invalid value '%s' for property '%s' of resource 'PasswordCredential'.", *f.v, f.prop)
			}
			*f.dst = tm.UTC()
		}
	}
	if end.IsZero() {
		end = start.AddDate(2, 0, 0)
	}
	if !end.After(start) {
		return badRequest("Invalid value specified for property 'endDateTime' of resource 'PasswordCredential': it must be after startDateTime.")
	}
	secret, err := NewClientSecret()
	if err != nil {
		return &graphError{500, "generalException", "An internal error occurred.", nil}
	}
	cred := msgraph.PasswordCredential{
		DisplayName:   name,
		EndDateTime:   end.Format(credTime),
		Hint:          strPtr(secret[:3]),
		KeyID:         newUUID(),
		StartDateTime: start.Format(credTime),
	}
	before := t.keyEntries()
	pw := t.passwords()
	*pw = append(slices.Clip(*pw), cred)
	s.audit(tenantgen.CredentialChange{CorrelationID: newUUID(), At: now, By: by, UserAgent: ua,
		TargetID: t.id(), TargetName: t.name(), ServicePrincipal: t.sp != nil,
		Before: before, After: t.keyEntries()}.Records())

	var o jsonObject
	o.str("@odata.context", metadataURL(r)+"microsoft.graph.passwordCredential")
	o.raw("customKeyIdentifier", []byte("null"))
	if name != nil {
		o.str("displayName", *name)
	} else {
		o.raw("displayName", []byte("null"))
	}
	o.str("endDateTime", cred.EndDateTime)
	o.str("hint", *cred.Hint)
	o.str("keyId", cred.KeyID)
	o.str("secretText", secret)
	o.str("startDateTime", cred.StartDateTime)
	writeGraphJSON(w, o.bytes(), 1)
	return nil
}

func (s *Server) removePassword(w http.ResponseWriter, t target, body []byte, by msgraph.AuditActor, ua string) *graphError {
	var in struct {
		KeyID string `json:"keyId"`
	}
	if gerr := decodeBody(body, &in); gerr != nil {
		return gerr
	}
	if !isGUID(in.KeyID) {
		return badRequest("Invalid value '%s' for parameter 'keyId': want a GUID.", in.KeyID)
	}
	pw := t.passwords()
	i := slices.IndexFunc(*pw, func(p msgraph.PasswordCredential) bool { return strings.EqualFold(p.KeyID, in.KeyID) })
	if i < 0 {
		return &graphError{http.StatusNotFound, "Request_ResourceNotFound", "No password credential with keyId '" + in.KeyID + "' exists on this object.", nil}
	}
	before := t.keyEntries()
	*pw = slices.Delete(slices.Clone(*pw), i, i+1)
	s.audit(tenantgen.CredentialChange{CorrelationID: newUUID(), At: s.now().UTC(), By: by, UserAgent: ua,
		TargetID: t.id(), TargetName: t.name(), ServicePrincipal: t.sp != nil, Removed: true,
		Before: before, After: t.keyEntries()}.Records())
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) addOwner(w http.ResponseWriter, t target, body []byte, by msgraph.AuditActor, ua string) *graphError {
	var in struct {
		Ref string `json:"@odata.id"`
	}
	if gerr := decodeBody(body, &in); gerr != nil {
		return gerr
	}
	if in.Ref == "" {
		return badRequest("The request body needs '@odata.id', like https://graph.microsoft.com/v1.0/directoryObjects/{id}.")
	}
	id := path.Base(strings.TrimRight(in.Ref, "/"))
	if !isGUID(id) {
		return badRequest("Invalid object identifier '%s'.", id)
	}
	o, ok := s.dir.objects[strings.ToLower(id)]
	if !ok {
		return resourceNotFound(id)
	}
	owners := t.owners()
	if slices.ContainsFunc(*owners, func(x msgraph.DirectoryObject) bool { return strings.EqualFold(x.ID, id) }) {
		return badRequest("One or more added object references already exist for the following modified properties: 'owners'.")
	}
	*owners = append(slices.Clip(*owners), o)
	s.audit(tenantgen.OwnerChange{CorrelationID: newUUID(), At: s.now().UTC(), By: by, UserAgent: ua, Owner: o,
		TargetID: t.id(), TargetName: t.name(), TargetAppID: t.appID(), ServicePrincipal: t.sp != nil}.Records())
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) removeOwner(w http.ResponseWriter, t target, ownerID string, by msgraph.AuditActor, ua string) *graphError {
	owners := t.owners()
	i := slices.IndexFunc(*owners, func(x msgraph.DirectoryObject) bool { return strings.EqualFold(x.ID, ownerID) })
	if i < 0 {
		return resourceNotFound(ownerID)
	}
	o := (*owners)[i]
	*owners = slices.Delete(slices.Clone(*owners), i, i+1)
	s.audit(tenantgen.OwnerChange{CorrelationID: newUUID(), At: s.now().UTC(), By: by, UserAgent: ua, Owner: o,
		TargetID: t.id(), TargetName: t.name(), TargetAppID: t.appID(), ServicePrincipal: t.sp != nil, Removed: true}.Records())
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// audit appends records an API change wrote; callers hold Server.mu.
func (s *Server) audit(recs []msgraph.DirectoryAudit) {
	s.act.appendAudits(recs)
}

func strPtr(s string) *string { return &s }
