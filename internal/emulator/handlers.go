package emulator

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"

	"github.com/credwatch/credwatch/internal/msgraph"
)

// capExpandedPage applies Graph's cap on a directory list with $expand:
// at most 100 objects a page, whatever $top asks for (Graph's query
// parameter documentation and known issues; the rest follows by nextLink).
func capExpandedPage(q *query) {
	if len(q.expand) > 0 {
		q.top = min(q.top, maxExpandedPage)
	}
}

// spSchema is the servicePrincipal of the version rt called: beta adds
// createdDateTime.
func spSchema(rt route) *schema {
	if rt.beta {
		return servicePrincipalBetaSchema
	}
	return servicePrincipalSchema
}

func (s *Server) listApplications(w http.ResponseWriter, r *http.Request, _ route) *graphError {
	q, gerr := s.parseQuery(r, applicationSchema, optsList)
	if gerr != nil {
		return gerr
	}
	capExpandedPage(q)
	ctx := metadataURL(r) + "applications" + contextSuffix(q)
	return writeList(s, w, r, q, applicationSchema, ctx, s.dir.apps, 1,
		func(o *jsonObject, a *msgraph.Application) error { return s.renderApp(o, a, q) })
}

func (s *Server) listServicePrincipals(w http.ResponseWriter, r *http.Request, rt route) *graphError {
	sc := spSchema(rt)
	q, gerr := s.parseQuery(r, sc, optsList)
	if gerr != nil {
		return gerr
	}
	capExpandedPage(q)
	ctx := metadataURL(r) + "servicePrincipals" + contextSuffix(q)
	return writeList(s, w, r, q, sc, ctx, s.dir.sps, 1,
		func(o *jsonObject, p *msgraph.ServicePrincipal) error { return s.renderSP(o, p, q, sc) })
}

// countCollection answers /applications/$count and
// /servicePrincipals/$count: a text/plain number, an advanced query that
// needs ConsistencyLevel: eventual.
func (s *Server) countCollection(w http.ResponseWriter, r *http.Request, rt route) *graphError {
	if !strings.EqualFold(r.Header.Get("ConsistencyLevel"), "eventual") {
		return &graphError{400, "Request_BadRequest", "Count is not currently supported without the ConsistencyLevel:eventual header. Refer to https://aka.ms/graph-docs/advanced-queries for more information", nil}
	}
	sc := applicationSchema
	if rt.set == "servicePrincipals" {
		sc = spSchema(rt)
	}
	q, gerr := s.parseQuery(r, sc, optFilter)
	if gerr != nil {
		return gerr
	}
	var n int
	if rt.set == "servicePrincipals" {
		n = countMatches(q.filter, sc, s.dir.sps)
	} else {
		n = countMatches(q.filter, sc, s.dir.apps)
	}
	w.Header().Set("Content-Type", "text/plain;charset=utf-8")
	w.Header().Set("x-ms-resource-unit", "1")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(strconv.Itoa(n)))
	return nil
}

func countMatches[T any](f *filterNode, sc *schema, items []T) int {
	if f == nil {
		return len(items)
	}
	n := 0
	for _, it := range items {
		if f.eval(sc, any(it)) {
			n++
		}
	}
	return n
}

// writeList filters items, cuts the page the query asks for and writes the
// collection with @odata.nextLink when more remain.
func writeList[T any](s *Server, w http.ResponseWriter, r *http.Request, q *query, sc *schema, ctx string, items []T, ru int, render func(*jsonObject, T) error) *graphError {
	matched := items
	if q.filter != nil {
		matched = make([]T, 0, len(items))
		for _, it := range items {
			if q.filter.eval(sc, any(it)) {
				matched = append(matched, it)
			}
		}
	}
	start := min(q.offset, len(matched))
	end := min(start+q.top, len(matched))
	var out jsonObject
	out.str("@odata.context", ctx)
	if q.count {
		out.raw("@odata.count", []byte(strconv.Itoa(len(matched))))
	}
	if end < len(matched) {
		out.str("@odata.nextLink", s.nextLink(r, q, end))
	}
	var arr bytes.Buffer
	arr.WriteByte('[')
	for i, it := range matched[start:end] {
		if i > 0 {
			arr.WriteByte(',')
		}
		var o jsonObject
		if err := render(&o, it); err != nil {
			return &graphError{500, "generalException", "An internal error occurred rendering the response.", nil}
		}
		arr.Write(o.bytes())
	}
	arr.WriteByte(']')
	out.raw("value", arr.Bytes())
	writeGraphJSON(w, out.bytes(), ru)
	return nil
}

func (s *Server) renderApp(o *jsonObject, a *msgraph.Application, q *query) error {
	if err := renderEntity(applicationSchema, a, q.sel, nil, o); err != nil {
		return err
	}
	for _, e := range q.expand {
		var arr []byte
		var err error
		switch e.name {
		case "owners":
			arr, err = renderOwners(a.Owners, e.sel)
		case "federatedIdentityCredentials":
			arr, err = renderArray(ficSchema, a.FederatedIdentityCredentials, e.sel)
		}
		if err != nil {
			return err
		}
		o.raw(e.name, arr)
	}
	return nil
}

func (s *Server) renderSP(o *jsonObject, p *msgraph.ServicePrincipal, q *query, sc *schema) error {
	if err := renderEntity(sc, p, q.sel, nil, o); err != nil {
		return err
	}
	for _, e := range q.expand {
		var arr []byte
		var err error
		switch e.name {
		case "owners":
			arr, err = renderOwners(p.Owners, e.sel)
		case "appRoleAssignments":
			arr, err = renderArray(appRoleAssignmentSchema, p.AppRoleAssignments, e.sel)
		}
		if err != nil {
			return err
		}
		o.raw(e.name, arr)
	}
	return nil
}

// renderOwners renders an expanded owners list: at most 20, no nextLink,
// as Graph does for directory objects.
func renderOwners(owners []msgraph.DirectoryObject, sel []string) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('[')
	for i := range owners[:min(len(owners), maxExpanded)] {
		if i > 0 {
			b.WriteByte(',')
		}
		var o jsonObject
		if err := renderOwner(&o, &owners[i], sel); err != nil {
			return nil, err
		}
		b.Write(o.bytes())
	}
	b.WriteByte(']')
	return b.Bytes(), nil
}

func renderOwner(o *jsonObject, d *msgraph.DirectoryObject, sel []string) error {
	t := ownerType(d)
	o.str("@odata.type", t)
	props, ok := ownerProps[t]
	if !ok {
		props = ownerProps["#microsoft.graph.group"]
	}
	return renderEntity(directoryObjectSchema, d, sel, props, o)
}

func renderArray[T any](sc *schema, items []T, sel []string) ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('[')
	for i := range items {
		if i > 0 {
			b.WriteByte(',')
		}
		var o jsonObject
		if err := renderEntity(sc, &items[i], sel, nil, &o); err != nil {
			return nil, err
		}
		b.Write(o.bytes())
	}
	b.WriteByte(']')
	return b.Bytes(), nil
}

// lookup finds the application or service principal rt names; exactly one
// of the results is non-nil unless there is an error.
func (s *Server) lookup(rt route) (*msgraph.Application, *msgraph.ServicePrincipal, *graphError) {
	key := strings.ToLower(rt.key)
	var a *msgraph.Application
	var p *msgraph.ServicePrincipal
	switch {
	case rt.set == "applications" && rt.byAppID:
		a = s.dir.appByAppID[key]
	case rt.set == "applications":
		a = s.dir.appByID[key]
	case rt.byAppID:
		p = s.dir.spByAppID[key]
	default:
		p = s.dir.spByID[key]
	}
	if a != nil || p != nil {
		return a, p, nil
	}
	if !rt.byAppID && !isGUID(rt.key) {
		return nil, nil, badRequest("Invalid object identifier '%s'.", rt.key)
	}
	return nil, nil, resourceNotFound(rt.key)
}

func (s *Server) getEntity(w http.ResponseWriter, r *http.Request, rt route) *graphError {
	a, p, gerr := s.lookup(rt)
	if gerr != nil {
		return gerr
	}
	sc := applicationSchema
	if p != nil {
		sc = spSchema(rt)
	}
	q, gerr := s.parseQuery(r, sc, optsEntity)
	if gerr != nil {
		return gerr
	}
	var o jsonObject
	o.str("@odata.context", metadataURL(r)+rt.set+contextSuffix(q)+"/$entity")
	var err error
	if a != nil {
		err = s.renderApp(&o, a, q)
	} else {
		err = s.renderSP(&o, p, q, sc)
	}
	if err != nil {
		return &graphError{500, "generalException", "An internal error occurred rendering the response.", nil}
	}
	writeGraphJSON(w, o.bytes(), 1)
	return nil
}

// listNavigation serves owners, appRoleAssignments and
// federatedIdentityCredentials (list, or one credential by id).
func (s *Server) listNavigation(w http.ResponseWriter, r *http.Request, rt route) *graphError {
	a, p, gerr := s.lookup(rt)
	if gerr != nil {
		return gerr
	}
	parentID := ""
	if a != nil {
		parentID = a.ID
	} else {
		parentID = p.ID
	}
	sc := navSchema(rt.nav)
	if rt.navKey != "" {
		return s.getFIC(w, r, a, rt)
	}
	q, gerr := s.parseQuery(r, sc, optsNav)
	if gerr != nil {
		return gerr
	}
	const ru = 1 // charge has set the real price
	suffix := contextSuffix(q)
	parentCtx := metadataURL(r) + rt.set + "('" + parentID + "')/" + rt.nav + suffix
	switch rt.kind {
	case kindOwners:
		var owners []msgraph.DirectoryObject
		if a != nil {
			owners = a.Owners
		} else {
			owners = p.Owners
		}
		return writeList(s, w, r, q, sc, metadataURL(r)+"directoryObjects"+suffix, pointers(owners), ru,
			func(o *jsonObject, d *msgraph.DirectoryObject) error { return renderOwner(o, d, q.sel) })
	case kindAssignments:
		return writeList(s, w, r, q, sc, parentCtx, pointers(p.AppRoleAssignments), ru,
			func(o *jsonObject, x *msgraph.AppRoleAssignment) error { return renderEntity(sc, x, q.sel, nil, o) })
	default:
		return writeList(s, w, r, q, sc, parentCtx, pointers(a.FederatedIdentityCredentials), ru,
			func(o *jsonObject, x *msgraph.FederatedIdentityCredential) error {
				return renderEntity(sc, x, q.sel, nil, o)
			})
	}
}

func (s *Server) getFIC(w http.ResponseWriter, r *http.Request, a *msgraph.Application, rt route) *graphError {
	q, gerr := s.parseQuery(r, ficSchema, optSelect)
	if gerr != nil {
		return gerr
	}
	for i := range a.FederatedIdentityCredentials {
		f := &a.FederatedIdentityCredentials[i]
		if strings.EqualFold(f.ID, rt.navKey) || strings.EqualFold(f.Name, rt.navKey) {
			var o jsonObject
			o.str("@odata.context", metadataURL(r)+"applications('"+a.ID+"')/federatedIdentityCredentials"+contextSuffix(q)+"/$entity")
			if err := renderEntity(ficSchema, f, q.sel, nil, &o); err != nil {
				return &graphError{500, "generalException", "An internal error occurred rendering the response.", nil}
			}
			writeGraphJSON(w, o.bytes(), 1)
			return nil
		}
	}
	return resourceNotFound(rt.navKey)
}

func pointers[T any](items []T) []*T {
	out := make([]*T, len(items))
	for i := range items {
		out[i] = &items[i]
	}
	return out
}
