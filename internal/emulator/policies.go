package emulator

import (
	"net/http"
	"slices"
	"strings"

	"github.com/credwatch/credwatch/internal/msgraph"
)

// defaultTenantPolicy is what a tenant that never set its default app
// management policy returns: disabled, no restrictions.
func defaultTenantPolicy() *msgraph.TenantAppManagementPolicy {
	empty := func() *msgraph.AppRestrictions {
		return &msgraph.AppRestrictions{PasswordCredentials: []msgraph.CredentialRestriction{}, KeyCredentials: []msgraph.CredentialRestriction{}}
	}
	return &msgraph.TenantAppManagementPolicy{
		ID:                           "00000000-0000-0000-0000-000000000000",
		DisplayName:                  "Default app management tenant policy",
		Description:                  "Default tenant policy that enforces app management restrictions on applications and service principals. To apply policy to targeted resources, create a new policy under appManagementPolicies collection.",
		ApplicationRestrictions:      empty(),
		ServicePrincipalRestrictions: empty(),
	}
}

// getTenantPolicy serves GET policies/defaultAppManagementPolicy.
func (s *Server) getTenantPolicy(w http.ResponseWriter, r *http.Request) *graphError {
	q, gerr := s.parseQuery(r, tenantPolicySchema, optSelect)
	if gerr != nil {
		return gerr
	}
	p := defaultTenantPolicy()
	if act := s.act.activity(); act != nil && act.DefaultAppManagementPolicy != nil {
		p = act.DefaultAppManagementPolicy
	}
	var o jsonObject
	o.str("@odata.context", metadataURL(r)+"policies/defaultAppManagementPolicy"+contextSuffix(q)+"/$entity")
	if err := renderEntity(tenantPolicySchema, p, q.sel, nil, &o); err != nil {
		return &graphError{500, "generalException", "An internal error occurred rendering the response.", nil}
	}
	writeGraphJSON(w, o.bytes(), 1)
	return nil
}

func (s *Server) appManagementPolicies() []*msgraph.AppManagementPolicy {
	if act := s.act.activity(); act != nil {
		return pointers(act.AppManagementPolicies)
	}
	return nil
}

// appPolicies serves policies/appManagementPolicies: the list, one policy,
// or the objects one applies to.
func (s *Server) appPolicies(w http.ResponseWriter, r *http.Request, rt route) *graphError {
	all := s.appManagementPolicies()
	if rt.key == "" {
		q, gerr := s.parseQuery(r, appPolicySchema, optsList&^optCount)
		if gerr != nil {
			return gerr
		}
		return writeList(s, w, r, q, appPolicySchema, metadataURL(r)+"policies/appManagementPolicies"+contextSuffix(q), all, 1,
			func(o *jsonObject, p *msgraph.AppManagementPolicy) error { return renderPolicy(o, p, q) })
	}
	i := slices.IndexFunc(all, func(p *msgraph.AppManagementPolicy) bool { return strings.EqualFold(p.ID, rt.key) })
	if i < 0 {
		return resourceNotFound(rt.key)
	}
	p := all[i]
	if rt.nav == "appliesTo" {
		q, gerr := s.parseQuery(r, directoryObjectSchema, optsNav&^optCount)
		if gerr != nil {
			return gerr
		}
		return writeList(s, w, r, q, directoryObjectSchema, metadataURL(r)+"directoryObjects"+contextSuffix(q), pointers(p.AppliesTo), 1,
			func(o *jsonObject, d *msgraph.DirectoryObject) error { return renderOwner(o, d, q.sel) })
	}
	q, gerr := s.parseQuery(r, appPolicySchema, optsEntity)
	if gerr != nil {
		return gerr
	}
	var o jsonObject
	o.str("@odata.context", metadataURL(r)+"policies/appManagementPolicies"+contextSuffix(q)+"/$entity")
	if err := renderPolicy(&o, p, q); err != nil {
		return &graphError{500, "generalException", "An internal error occurred rendering the response.", nil}
	}
	writeGraphJSON(w, o.bytes(), 1)
	return nil
}

// objectPolicies serves applications/{id}/appManagementPolicies and the
// service principal equivalent: the custom policies applied to the object.
func (s *Server) objectPolicies(w http.ResponseWriter, r *http.Request, rt route) *graphError {
	a, p, gerr := s.lookup(rt)
	if gerr != nil {
		return gerr
	}
	id := ""
	if a != nil {
		id = a.ID
	} else {
		id = p.ID
	}
	var applied []*msgraph.AppManagementPolicy
	for _, pol := range s.appManagementPolicies() {
		if slices.ContainsFunc(pol.AppliesTo, func(o msgraph.DirectoryObject) bool { return strings.EqualFold(o.ID, id) }) {
			applied = append(applied, pol)
		}
	}
	q, gerr := s.parseQuery(r, appPolicySchema, optsNav&^optCount)
	if gerr != nil {
		return gerr
	}
	return writeList(s, w, r, q, appPolicySchema, metadataURL(r)+"appManagementPolicies"+contextSuffix(q), applied, 1,
		func(o *jsonObject, pol *msgraph.AppManagementPolicy) error { return renderPolicy(o, pol, q) })
}

func renderPolicy(o *jsonObject, p *msgraph.AppManagementPolicy, q *query) error {
	if err := renderEntity(appPolicySchema, p, q.sel, nil, o); err != nil {
		return err
	}
	for _, e := range q.expand {
		arr, err := renderOwners(p.AppliesTo, e.sel)
		if err != nil {
			return err
		}
		o.raw(e.name, arr)
	}
	return nil
}
