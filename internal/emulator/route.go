package emulator

import (
	"net/http"
	"regexp"
	"strings"
)

// route is a parsed Graph path.
type route struct {
	kind    string
	beta    bool   // under /beta rather than /v1.0
	set     string // "applications" or "servicePrincipals"
	key     string // object id, or appId when byAppID; a policy or report record id
	byAppID bool
	nav     string // "owners", "appRoleAssignments", "federatedIdentityCredentials", "appManagementPolicies"
	navKey  string // a federated credential, or the owner of a $ref removal
	err     *graphError
}

var altKeyPattern = regexp.MustCompile(`(?i)^(applications|servicePrincipals)\(appId='([^']*)'\)$`)

func canonicalSet(seg string) string {
	switch strings.ToLower(seg) {
	case "applications":
		return "applications"
	case "serviceprincipals":
		return "servicePrincipals"
	}
	return ""
}

// methodOf is the HTTP method each kind answers.
func methodOf(kind string) string {
	switch kind {
	case kindBatch, kindAddPassword, kindRemovePassword, kindAddKey, kindRemoveKey, kindAddOwner:
		return http.MethodPost
	case kindRemoveOwner:
		return http.MethodDelete
	case kindUpdateApp, kindUpdateSP:
		return http.MethodPatch
	}
	return http.MethodGet
}

// isWrite reports kinds that change the directory.
func isWrite(kind string) bool {
	switch kind {
	case kindAddPassword, kindRemovePassword, kindAddKey, kindRemoveKey, kindAddOwner, kindRemoveOwner, kindUpdateApp, kindUpdateSP:
		return true
	}
	return false
}

func parseRoute(r *http.Request) route {
	version := apiVersion(r.URL.Path)
	rest := strings.Trim(strings.TrimPrefix(r.URL.Path, "/"+version), "/")
	segs := strings.Split(rest, "/")
	rt := route{kind: kindUnknown, beta: version == "beta"}
	switch m := altKeyPattern.FindStringSubmatch(segs[0]); {
	case segs[0] == "$batch" && len(segs) == 1:
		rt.kind = kindBatch
		return rt
	case strings.EqualFold(segs[0], "auditLogs"):
		return parseAuditLogs(rt, segs[1:])
	case strings.EqualFold(segs[0], "reports") && rt.beta:
		return parseReports(rt, segs[1:])
	case strings.EqualFold(segs[0], "policies"):
		return parsePolicies(rt, segs[1:])
	case canonicalSet(segs[0]) != "":
		rt.set = canonicalSet(segs[0])
		if len(segs) == 1 {
			rt.kind = map[string]string{"applications": kindListApps, "servicePrincipals": kindListSPs}[rt.set]
			return rt
		}
		if len(segs) == 2 && segs[1] == "$count" {
			rt.kind = kindCount
			return rt
		}
		if len(segs) == 2 && isDeltaSegment(segs[1]) {
			rt.kind = map[string]string{"applications": kindDeltaApps, "servicePrincipals": kindDeltaSPs}[rt.set]
			return rt
		}
		rt.key, segs = segs[1], segs[2:]
	case m != nil:
		rt.set, rt.key, rt.byAppID, segs = canonicalSet(m[1]), m[2], true, segs[1:]
	default:
		rt.err = segmentNotFound(segs[0])
		return rt
	}
	if len(segs) == 0 {
		rt.kind = map[string]string{"applications": kindGetApp, "servicePrincipals": kindGetSP}[rt.set]
		if r.Method == http.MethodPatch {
			rt.kind = map[string]string{"applications": kindUpdateApp, "servicePrincipals": kindUpdateSP}[rt.set]
		}
		return rt
	}
	return parseObjectPath(rt, segs)
}

// parseObjectPath reads what follows an application or service principal:
// a navigation property, an owner reference or an action.
func parseObjectPath(rt route, segs []string) route {
	navs := map[string]map[string]string{
		"applications": {"owners": kindOwners, "federatedidentitycredentials": kindFICs,
			"appmanagementpolicies": kindObjectPolicies, "addpassword": kindAddPassword, "removepassword": kindRemovePassword,
			"addkey": kindAddKey, "removekey": kindRemoveKey},
		"servicePrincipals": {"owners": kindOwners, "approleassignments": kindAssignments,
			"appmanagementpolicies": kindObjectPolicies, "addpassword": kindAddPassword, "removepassword": kindRemovePassword,
			"addkey": kindAddKey, "removekey": kindRemoveKey},
	}[rt.set]
	kind, ok := navs[strings.ToLower(segs[0])]
	if !ok {
		rt.err = segmentNotFound(segs[0])
		return rt
	}
	rt.kind = kind
	rt.nav = map[string]string{kindOwners: "owners", kindFICs: "federatedIdentityCredentials",
		kindAssignments: "appRoleAssignments", kindObjectPolicies: "appManagementPolicies"}[kind]
	switch {
	case len(segs) == 1:
	case kind == kindOwners && len(segs) == 2 && segs[1] == "$ref":
		rt.kind = kindAddOwner
	case kind == kindOwners && len(segs) == 3 && segs[1] != "" && segs[2] == "$ref":
		rt.kind, rt.navKey = kindRemoveOwner, segs[1]
	case kind == kindFICs && len(segs) == 2 && segs[1] != "":
		rt.navKey = segs[1]
	default:
		rt.kind, rt.err = kindUnknown, segmentNotFound(segs[1])
	}
	return rt
}

// parseAuditLogs reads auditLogs/directoryAudits and auditLogs/signIns.
func parseAuditLogs(rt route, segs []string) route {
	switch {
	case len(segs) == 1 && strings.EqualFold(segs[0], "directoryAudits"):
		rt.kind = kindAudits
	case len(segs) == 1 && strings.EqualFold(segs[0], "signIns"):
		rt.kind = kindSignIns
	case len(segs) == 0:
		rt.err = segmentNotFound("auditLogs")
	default:
		rt.err = segmentNotFound(segs[len(segs)-1])
	}
	return rt
}

// parseReports reads beta reports/appCredentialSignInActivities[/{id}].
func parseReports(rt route, segs []string) route {
	switch {
	case len(segs) >= 1 && len(segs) <= 2 && strings.EqualFold(segs[0], "appCredentialSignInActivities"):
		rt.kind = kindCredUsage
		if len(segs) == 2 {
			rt.key = segs[1]
		}
	case len(segs) == 0:
		rt.err = segmentNotFound("reports")
	default:
		rt.err = segmentNotFound(segs[0])
	}
	return rt
}

// parsePolicies reads policies/defaultAppManagementPolicy and
// policies/appManagementPolicies[/{id}[/appliesTo]].
func parsePolicies(rt route, segs []string) route {
	switch {
	case len(segs) == 1 && strings.EqualFold(segs[0], "defaultAppManagementPolicy"):
		rt.kind = kindTenantPolicy
	case len(segs) >= 1 && strings.EqualFold(segs[0], "appManagementPolicies"):
		rt.kind = kindAppPolicies
		switch {
		case len(segs) == 1:
		case len(segs) == 2 && segs[1] != "":
			rt.key = segs[1]
		case len(segs) == 3 && segs[1] != "" && strings.EqualFold(segs[2], "appliesTo"):
			rt.key, rt.nav = segs[1], "appliesTo"
		default:
			rt.kind, rt.err = kindUnknown, segmentNotFound(segs[len(segs)-1])
		}
	case len(segs) == 0:
		rt.err = segmentNotFound("policies")
	default:
		rt.err = segmentNotFound(segs[0])
	}
	return rt
}
