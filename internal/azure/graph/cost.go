package graph

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// ResourceUnits estimates what Graph's identity and access budget charges
// for one request (contract section 5): GET applications (list or delta)
// and GET servicePrincipals/{id}/appRoleAssignments cost 2, any other
// directory read 1, a write 1; $select takes 1 off, $expand adds 1, $top
// under 20 takes 1 off, and nothing costs less than 1. pathOrURL is
// relative to the version root ("/applications?$top=999") or absolute.
// Audit logs and reports have a limit of their own and cost 0 here, as
// does a $batch call itself (price its requests one by one).
func ResourceUnits(method, pathOrURL string) int {
	path, rawQuery, _ := strings.Cut(pathOrURL, "?")
	if u, err := url.Parse(pathOrURL); err == nil && u.IsAbs() {
		path, rawQuery = u.EscapedPath(), u.RawQuery
	}
	segs := strings.Split(strings.Trim(path, "/"), "/")
	if len(segs) > 0 && (segs[0] == "v1.0" || segs[0] == "beta") {
		segs = segs[1:]
	}
	if len(segs) == 0 || segs[0] == "" {
		return 1
	}
	switch first := strings.ToLower(segs[0]); {
	case first == "$batch", first == "auditlogs", first == "reports":
		return 0
	}
	if method != "" && method != http.MethodGet && method != http.MethodHead {
		return 1
	}
	ru := 1
	set := strings.ToLower(segs[0])
	switch {
	case set == "applications" && len(segs) == 1,
		set == "applications" && len(segs) == 2 && isDelta(segs[1]),
		set == "serviceprincipals" && len(segs) == 3 && strings.EqualFold(segs[2], "appRoleAssignments"):
		ru = 2
	}
	for _, part := range strings.Split(rawQuery, "&") {
		k, v, _ := strings.Cut(part, "=")
		key, err := url.QueryUnescape(k)
		if err != nil {
			continue
		}
		switch strings.ToLower(key) {
		case "$select":
			ru--
		case "$expand":
			ru++
		case "$top":
			if val, err := url.QueryUnescape(v); err == nil {
				if n, err := strconv.Atoi(strings.TrimSpace(val)); err == nil && n < 20 {
					ru--
				}
			}
		}
	}
	return max(ru, 1)
}

func isDelta(seg string) bool {
	switch strings.ToLower(seg) {
	case "delta", "delta()", "microsoft.graph.delta", "microsoft.graph.delta()":
		return true
	}
	return false
}
