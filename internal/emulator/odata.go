package emulator

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

const (
	defaultPageSize = 100
	maxPageSize     = 999
	maxExpanded     = 20  // directory objects per parent in $expand, no nextLink
	maxExpandedPage = 100 // objects per page of a list with $expand
)

// Query options an endpoint accepts.
type queryOpts uint

const (
	optSelect queryOpts = 1 << iota
	optTop
	optExpand
	optFilter
	optSkipToken
	optCount
	optOrderBy
	optsList   = optSelect | optTop | optExpand | optFilter | optSkipToken | optCount
	optsNav    = optSelect | optTop | optFilter | optSkipToken | optCount
	optsEntity = optSelect | optExpand
	optsLog    = optTop | optFilter | optSkipToken | optOrderBy
)

var optNames = map[string]queryOpts{
	"$select": optSelect, "$top": optTop, "$expand": optExpand, "$filter": optFilter,
	"$skiptoken": optSkipToken, "$count": optCount, "$orderby": optOrderBy, "$search": 0, "$skip": 0,
}

// query is the parsed OData query of one request.
type query struct {
	sel       []string // canonical names; nil = default properties
	top       int
	expand    []expandOpt
	filter    *filterNode
	filterRaw string
	offset    int  // from $skiptoken
	count     bool // $count=true with ConsistencyLevel: eventual
	ascending bool // $orderby ... asc; logs are newest first otherwise
	// asOf is, for a log, how many records it held when the first page
	// was served: later pages leave newer records out, so they neither
	// shift nor repeat. 0 on the first page and for other collections.
	asOf int
}

type expandOpt struct {
	name string
	sel  []string // nested $select; nil = default
}

func (q *query) selects(p string) bool { return slices.Contains(q.sel, p) }

// pageState is what a $skiptoken carries, sealed so clients can only
// follow it, never build or alter one.
type pageState struct {
	Scope  string `json:"s"` // lower-case path it was issued for
	Filter string `json:"f"`
	Offset int    `json:"o"`
	AsOf   int    `json:"n,omitempty"`
}

// parseQuery reads the OData options of r for an endpoint of schema sc
// accepting allow. scope binds $skiptoken to the collection.
func (s *Server) parseQuery(r *http.Request, sc *schema, allow queryOpts) (*query, *graphError) {
	pageDefault, pageMax := sc.pageSizes()
	q := &query{top: pageDefault}
	seen := map[string]bool{}
	var countTrue bool
	var skipToken string
	for _, part := range strings.Split(r.URL.RawQuery, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		key, err1 := url.QueryUnescape(k)
		val, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			return nil, badRequest("The query specified in the URI is not valid.")
		}
		key = strings.ToLower(key)
		if !strings.HasPrefix(key, "$") {
			continue // custom query options are ignored, as OData does
		}
		opt, known := optNames[key]
		if !known {
			return nil, badRequest("The query parameter '%s' is not supported.", key)
		}
		if opt == 0 || allow&opt == 0 {
			return nil, &graphError{400, "Request_UnsupportedQuery", "The query option '" + key + "' is not supported on this resource.", nil}
		}
		if seen[key] {
			return nil, badRequest("Query option '%s' was specified more than once, but it must be specified at most once.", key)
		}
		seen[key] = true
		var gerr *graphError
		switch opt {
		case optSelect:
			q.sel, gerr = parseSelect(val, sc)
		case optTop:
			n, err := strconv.Atoi(strings.TrimSpace(val))
			if err != nil {
				gerr = badRequest("Invalid value '%s' for query option '$top'.", val)
			} else if n < 1 || n > pageMax {
				gerr = badRequest("Invalid page size specified: '%d'. Must be between 1 and %d inclusive.", n, pageMax)
			}
			q.top = n
		case optExpand:
			q.expand, gerr = parseExpand(val, sc)
		case optFilter:
			q.filterRaw = val
			q.filter, gerr = parseFilter(val, sc)
		case optSkipToken:
			skipToken = val
		case optOrderBy:
			q.ascending, gerr = parseOrderBy(val, sc)
		case optCount:
			switch strings.ToLower(val) {
			case "true":
				countTrue = true
			case "false":
			default:
				gerr = badRequest("Invalid value '%s' for query option '$count'.", val)
			}
		}
		if gerr != nil {
			return nil, gerr
		}
	}
	eventual := strings.EqualFold(r.Header.Get("ConsistencyLevel"), "eventual")
	q.count = countTrue && eventual
	if op := q.filter.advanced(); op != "" && !q.count && sc.ops == nil {
		return nil, &graphError{400, "Request_UnsupportedQuery", "Operator '" + op + "' is not supported because the required parameters might be missing. Try adding $count=true query parameter and ConsistencyLevel:eventual header. Refer to https://aka.ms/graph-docs/advanced-queries for more information", nil}
	}
	if skipToken != "" {
		st, ok := s.openPageToken(skipToken)
		if !ok || st.Scope != strings.ToLower(r.URL.Path) || st.Filter != q.filterRaw {
			return nil, &graphError{400, "Directory_ExpiredPageToken", "The specified page token value has expired and can no longer be included in your request.", nil}
		}
		q.offset, q.asOf = st.Offset, st.AsOf
	}
	return q, nil
}

// parseOrderBy reads "prop", "prop asc" or "prop desc" for the one
// property sc orders by; it reports whether the order is ascending.
func parseOrderBy(val string, sc *schema) (bool, *graphError) {
	f := strings.Fields(val)
	if len(f) == 0 || len(f) > 2 || !strings.EqualFold(f[0], sc.orderBy) {
		return false, &graphError{400, "Request_UnsupportedQuery", fmt.Sprintf("$orderby is supported only on '%s'.", sc.orderBy), nil}
	}
	if len(f) == 1 {
		return true, nil // OData's default direction
	}
	switch strings.ToLower(f[1]) {
	case "asc":
		return true, nil
	case "desc":
		return false, nil
	}
	return false, badRequest("Invalid $orderby direction '%s': want asc or desc.", f[1])
}

func parseSelect(val string, sc *schema) ([]string, *graphError) {
	sel := []string{}
	for _, name := range strings.Split(val, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			return nil, badRequest("Syntax error: character ',' is not valid at position 0 in '%s'.", val)
		}
		if name == "*" {
			return nil, nil
		}
		canon, ok := sc.canon[strings.ToLower(name)]
		if !ok {
			return nil, badRequest("Could not find a property named '%s' on type '%s'.", name, sc.typeName)
		}
		if !slices.Contains(sel, canon) {
			sel = append(sel, canon)
		}
	}
	return sel, nil
}

// parseExpand reads "owners" or "owners($select=id,displayName)", comma
// separated.
func parseExpand(val string, sc *schema) ([]expandOpt, *graphError) {
	var out []expandOpt
	for _, item := range splitTopLevel(val) {
		item = strings.TrimSpace(item)
		name, opts, hasOpts := strings.Cut(item, "(")
		name = strings.TrimSpace(name)
		canon, ok := sc.canon[strings.ToLower(name)]
		if !ok || !sc.isNav(canon) {
			return nil, badRequest("Could not find a property named '%s' on type '%s'.", name, sc.typeName)
		}
		if !sc.expand[canon] {
			return nil, &graphError{400, "Request_UnsupportedQuery", "Expanding '" + canon + "' is not supported.", nil}
		}
		e := expandOpt{name: canon}
		if hasOpts {
			opts, ok = strings.CutSuffix(strings.TrimSpace(opts), ")")
			if !ok {
				return nil, badRequest("Syntax error in $expand: missing ')' in '%s'.", item)
			}
			for _, o := range strings.Split(opts, ";") {
				k, v, _ := strings.Cut(strings.TrimSpace(o), "=")
				if !strings.EqualFold(k, "$select") {
					return nil, &graphError{400, "Request_UnsupportedQuery", "Only $select is supported inside $expand of '" + canon + "'.", nil}
				}
				sel, gerr := parseSelect(v, navSchema(canon))
				if gerr != nil {
					return nil, gerr
				}
				e.sel = sel
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// navSchema is the schema of the objects behind navigation nav.
func navSchema(nav string) *schema {
	switch nav {
	case "federatedIdentityCredentials":
		return ficSchema
	case "appRoleAssignments":
		return appRoleAssignmentSchema
	}
	return directoryObjectSchema
}

func splitTopLevel(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, c := range s {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

func (s *Server) sealPageToken(st pageState) string {
	plain, _ := json.Marshal(st)
	nonce := make([]byte, s.pageSeal.NonceSize())
	_, _ = rand.Read(nonce) // crypto/rand.Read never fails on supported platforms
	out := s.pageSeal.Seal(nonce, nonce, plain, nil)
	return base64.RawURLEncoding.EncodeToString(out)
}

func (s *Server) openPageToken(tok string) (pageState, bool) {
	var st pageState
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	n := s.pageSeal.NonceSize()
	if err != nil || len(raw) < n {
		return st, false
	}
	plain, err := s.pageSeal.Open(nil, raw[:n], raw[n:], nil)
	if err != nil || json.Unmarshal(plain, &st) != nil {
		return st, false
	}
	return st, true
}

// nextLink is the absolute URL of the page after offset: the request's own
// URL with its $skiptoken replaced.
func (s *Server) nextLink(r *http.Request, q *query, offset int) string {
	var parts []string
	for _, part := range strings.Split(r.URL.RawQuery, "&") {
		k, _, _ := strings.Cut(part, "=")
		if key, _ := url.QueryUnescape(k); part == "" || strings.EqualFold(key, "$skiptoken") {
			continue
		}
		// A $batch request may carry a raw space; a link must not.
		parts = append(parts, strings.ReplaceAll(part, " ", "%20"))
	}
	tok := s.sealPageToken(pageState{Scope: strings.ToLower(r.URL.Path), Filter: q.filterRaw, Offset: offset, AsOf: q.asOf})
	parts = append(parts, "$skiptoken="+tok)
	return baseURL(r) + r.URL.EscapedPath() + "?" + strings.Join(parts, "&")
}

// contextSuffix is the "(a,b,owners())" part of @odata.context.
func contextSuffix(q *query) string {
	var items []string
	items = append(items, q.sel...)
	for _, e := range q.expand {
		items = append(items, e.name+"("+strings.Join(e.sel, ",")+")")
	}
	if len(items) == 0 {
		return ""
	}
	return "(" + strings.Join(items, ",") + ")"
}

// metadataURL is the @odata.context prefix of the API version r called.
func metadataURL(r *http.Request) string {
	return baseURL(r) + "/" + apiVersion(r.URL.Path) + "/$metadata#"
}

// apiVersion is "beta" for a path under /beta, else "v1.0".
func apiVersion(p string) string {
	if p == "/beta" || strings.HasPrefix(p, "/beta/") {
		return "beta"
	}
	return "v1.0"
}

// jsonObject writes an ordered JSON object.
type jsonObject struct {
	buf   bytes.Buffer
	comma bool
}

func (o *jsonObject) raw(k string, v []byte) {
	if o.comma {
		o.buf.WriteByte(',')
	} else {
		o.buf.WriteByte('{')
	}
	o.comma = true
	o.buf.WriteString(strconv.Quote(k))
	o.buf.WriteByte(':')
	o.buf.Write(v)
}

func (o *jsonObject) str(k, v string) {
	b, _ := marshalJSON(v)
	o.raw(k, b)
}

func (o *jsonObject) bytes() []byte {
	if !o.comma {
		return []byte("{}")
	}
	o.buf.WriteByte('}')
	return o.buf.Bytes()
}

// renderEntity writes v's properties in sc's order: the selected ones, or
// the default set; collections absent from the data come out as [].
func renderEntity(sc *schema, v any, sel []string, props []string, obj *jsonObject) error {
	fields, err := sc.fields(v, slices.Contains(sel, "keyCredentials"))
	if err != nil {
		return err
	}
	if props == nil {
		props = sc.props
	}
	for _, p := range props {
		if (sel != nil && !slices.Contains(sel, p)) || (sel == nil && sc.hidden[p]) {
			continue
		}
		val, ok := fields[p]
		if !ok || string(val) == "null" {
			switch {
			case sc.colls[p]:
				val = []byte("[]")
			case sc.defaults[p] != "":
				val = []byte(sc.defaults[p])
			case !ok:
				val = []byte("null")
			}
		}
		obj.raw(p, val)
	}
	return nil
}
