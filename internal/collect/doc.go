// Package collect reads one tenant's applications, service principals and
// everything credwatch evaluates about them from Microsoft Graph into an
// inventory.Snapshot, with as few requests as Graph allows: two paged lists
// with owners expanded, then $batch calls for what a list cannot carry
// (federated credentials, app role assignments, owners beyond the 20 an
// expansion returns, and the resource service principals that name the
// granted permissions).
//
// A scan never returns a silently short inventory: a failed list fails the
// scan, and any other gap (one object's owners, one page of assignments)
// leaves Complete false with a reason naming the object.
package collect
