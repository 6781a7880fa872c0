package emulator

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

const (
	// deltaPageSize is how many objects a delta page carries. Graph's
	// delta pages vary in size and ignore $top; a fixed size is one of
	// the sizes it may choose.
	deltaPageSize = 200
	// deltaTokenLifetime is how long Graph keeps a directory object's
	// delta state (contract section 3).
	deltaTokenLifetime = 7 * 24 * time.Hour
)

// deltaToken is what a delta $skiptoken or $deltatoken carries, sealed
// like page tokens: the query of the first call, and where the round is.
type deltaToken struct {
	Set     string   `json:"t"`
	Select  []string `json:"s,omitempty"`
	HasSel  bool     `json:"h,omitempty"`
	Initial bool     `json:"i,omitempty"` // round 1: every current object
	From    uint64   `json:"f"`           // changes after this sequence number...
	To      uint64   `json:"u"`           // ...up to this one, the round's end
	Offset  int      `json:"o,omitempty"`
	Page    bool     `json:"p,omitempty"` // a $skiptoken, not a $deltatoken
	Issued  int64    `json:"at"`          // emulator clock, Unix seconds
}

// isDeltaSegment reports the names Graph answers the delta function by.
func isDeltaSegment(seg string) bool {
	switch strings.ToLower(seg) {
	case "delta", "delta()", "microsoft.graph.delta", "microsoft.graph.delta()":
		return true
	}
	return false
}

func syncStateNotFound(msg string) *graphError {
	return &graphError{http.StatusGone, "syncStateNotFound", msg, nil}
}

// delta serves /applications/delta and /servicePrincipals/delta: round 1
// lists every object, later rounds the objects changed since the token
// (with the changed properties among those selected, or @removed), each
// round's last page carrying the @odata.deltaLink for the next. Tokens
// older than deltaTokenLifetime get 410 syncStateNotFound with Location
// set to a fresh round 1 of the same query.
func (s *Server) delta(w http.ResponseWriter, r *http.Request, rt route) *graphError {
	sc := applicationSchema
	if rt.set == "servicePrincipals" {
		sc = spSchema(rt)
	}
	var selRaw, deltaTok, skipTok string
	var hasSel bool
	for _, part := range strings.Split(r.URL.RawQuery, "&") {
		if part == "" {
			continue
		}
		k, v, _ := strings.Cut(part, "=")
		key, err1 := url.QueryUnescape(k)
		val, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			return badRequest("The query specified in the URI is not valid.")
		}
		switch strings.ToLower(key) {
		case "$select":
			selRaw, hasSel = val, true
		case "$deltatoken":
			deltaTok = val
		case "$skiptoken":
			skipTok = val
		case "$top": // accepted and ignored, as Graph does on delta
		default:
			if strings.HasPrefix(key, "$") {
				return &graphError{400, "Request_UnsupportedQuery", "The query option '" + key + "' is not supported with delta.", nil}
			}
		}
	}
	now := s.now()
	var tok deltaToken
	switch {
	case deltaTok != "" && skipTok != "":
		return badRequest("A delta request takes $deltatoken or $skiptoken, not both.")
	case (deltaTok != "" && deltaTok != "latest" || skipTok != "") && hasSel:
		return badRequest("Query options of a delta query go on its first request only; they travel in its tokens.")
	case deltaTok == "latest":
		sel, gerr := deltaSelect(selRaw, hasSel, sc)
		if gerr != nil {
			return gerr
		}
		seq := s.changes.seq()
		tok = deltaToken{Set: rt.set, Select: sel, HasSel: hasSel, From: seq, To: seq}
	case deltaTok != "" || skipTok != "":
		raw, page := deltaTok, false
		if skipTok != "" {
			raw, page = skipTok, true
		}
		if !s.openSealed(raw, &tok) || tok.Page != page || tok.Set != rt.set {
			return badRequest("The delta token is not valid for this request.")
		}
		if now.Sub(time.Unix(tok.Issued, 0)) > deltaTokenLifetime {
			w.Header().Set("Location", s.freshDeltaURL(r, rt.set, tok))
			return syncStateNotFound("The sync state for this delta token has expired; restart the sync without a token.")
		}
		if !page { // a new round: everything logged since the last one
			tok.From, tok.To, tok.Offset = tok.To, s.changes.seq(), 0
		}
	default:
		sel, gerr := deltaSelect(selRaw, hasSel, sc)
		if gerr != nil {
			return gerr
		}
		tok = deltaToken{Set: rt.set, Select: sel, HasSel: hasSel, Initial: true, To: s.changes.seq()}
	}
	return s.writeDeltaPage(w, r, rt, sc, tok, now, deltaTok == "latest")
}

func deltaSelect(raw string, has bool, sc *schema) ([]string, *graphError) {
	if !has {
		return nil, nil
	}
	sel, gerr := parseSelect(raw, sc)
	if gerr != nil {
		return nil, gerr
	}
	if sel != nil && !slices.Contains(sel, "id") {
		sel = append([]string{"id"}, sel...) // id always comes back
	}
	return sel, nil
}

// writeDeltaPage writes the page of tok's round at tok.Offset; latest
// answers with no objects, only the link to the changes from now on.
func (s *Server) writeDeltaPage(w http.ResponseWriter, r *http.Request, rt route, sc *schema, tok deltaToken, now time.Time, latest bool) *graphError {
	var (
		ids  []changed
		more bool
	)
	switch {
	case latest:
	case tok.Initial:
		var all []string
		if rt.set == "servicePrincipals" {
			for _, p := range s.dir.sps[min(tok.Offset, len(s.dir.sps)):min(tok.Offset+deltaPageSize, len(s.dir.sps))] {
				all = append(all, p.ID)
			}
			more = tok.Offset+deltaPageSize < len(s.dir.sps)
		} else {
			for _, a := range s.dir.apps[min(tok.Offset, len(s.dir.apps)):min(tok.Offset+deltaPageSize, len(s.dir.apps))] {
				all = append(all, a.ID)
			}
			more = tok.Offset+deltaPageSize < len(s.dir.apps)
		}
		for _, id := range all {
			ids = append(ids, changed{id: id})
		}
	default:
		all := s.changes.between(rt.set, tok.From, tok.To)
		ids = all[min(tok.Offset, len(all)):min(tok.Offset+deltaPageSize, len(all))]
		more = tok.Offset+deltaPageSize < len(all)
	}
	var out jsonObject
	out.str("@odata.context", metadataURL(r)+rt.set+contextSuffix(&query{sel: tok.Select}))
	link := tok
	link.Issued = now.Unix()
	if more {
		link.Offset, link.Page = tok.Offset+deltaPageSize, true
		out.str("@odata.nextLink", baseURL(r)+r.URL.EscapedPath()+"?$skiptoken="+s.seal(link))
	} else {
		link = deltaToken{Set: tok.Set, Select: tok.Select, HasSel: tok.HasSel, From: tok.To, To: tok.To, Issued: now.Unix()}
		out.str("@odata.deltaLink", baseURL(r)+r.URL.EscapedPath()+"?$deltatoken="+s.seal(link))
	}
	var arr bytes.Buffer
	arr.WriteByte('[')
	for i, c := range ids {
		if i > 0 {
			arr.WriteByte(',')
		}
		var o jsonObject
		if err := s.renderDeltaItem(&o, rt, sc, c, tok); err != nil {
			return &graphError{500, "generalException", "An internal error occurred rendering the response.", nil}
		}
		arr.Write(o.bytes())
	}
	arr.WriteByte(']')
	out.raw("value", arr.Bytes())
	writeGraphJSON(w, out.bytes(), 1)
	return nil
}

// renderDeltaItem writes one object of a round: all selected properties in
// round 1 or for an object changed where no one logged what (Mutate); the
// changed ones among those selected otherwise, id always; @removed for an
// object no longer there.
func (s *Server) renderDeltaItem(o *jsonObject, rt route, sc *schema, c changed, tok deltaToken) error {
	key := strings.ToLower(c.id)
	var obj any
	if rt.set == "servicePrincipals" {
		if p := s.dir.spByID[key]; p != nil && s.dir.listedSP[key] {
			obj = p
		}
	} else if a := s.dir.appByID[key]; a != nil {
		obj = a
	}
	if obj == nil {
		o.str("id", c.id)
		o.raw("@removed", []byte(`{"reason":"changed"}`))
		return nil
	}
	sel := tok.Select
	if c.props != nil {
		base := sel
		if base == nil {
			for _, p := range sc.props {
				if !sc.hidden[p] {
					base = append(base, p)
				}
			}
		}
		sel = []string{"id"}
		for _, p := range base {
			if p != "id" && containsFold(c.props, p) {
				sel = append(sel, p)
			}
		}
	}
	return renderEntity(sc, obj, sel, nil, o)
}

// freshDeltaURL is round 1 of the query tok carries, for the Location of
// a 410.
func (s *Server) freshDeltaURL(r *http.Request, set string, tok deltaToken) string {
	u := baseURL(r) + r.URL.EscapedPath()
	if tok.HasSel {
		sel := tok.Select
		if sel == nil {
			sel = []string{"*"}
		}
		u += "?$select=" + strings.Join(sel, ",")
	}
	return u
}

// seal encrypts v into an opaque URL-safe token.
func (s *Server) seal(v any) string {
	plain, _ := json.Marshal(v)
	nonce := make([]byte, s.pageSeal.NonceSize())
	_, _ = rand.Read(nonce) // crypto/rand.Read never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(s.pageSeal.Seal(nonce, nonce, plain, nil))
}

// openSealed reverses seal; false for anything this server did not seal.
func (s *Server) openSealed(tok string, v any) bool {
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	n := s.pageSeal.NonceSize()
	if err != nil || len(raw) < n {
		return false
	}
	plain, err := s.pageSeal.Open(nil, raw[:n], raw[n:], nil)
	return err == nil && json.Unmarshal(plain, v) == nil
}
