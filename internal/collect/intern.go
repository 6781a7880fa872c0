package collect

import "github.com/credwatch/credwatch/internal/msgraph"

// intern shares the strings of what one lookup stored with the rest of
// the collection (msgraph.Interner).
func intern(in *msgraph.Interner, l lookup) {
	switch l.kind {
	case appOwners:
		l.app.Owners = in.Owners(l.app.Owners)
	case spOwners:
		l.sp.Owners = in.Owners(l.sp.Owners)
	case appFICs:
		l.app.FederatedIdentityCredentials = in.FederatedIdentityCredentials(l.app.FederatedIdentityCredentials)
	default:
		l.sp.AppRoleAssignments = in.AppRoleAssignments(l.sp.AppRoleAssignments)
	}
}
