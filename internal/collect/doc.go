// Package collect reads one tenant's applications, service principals and
// everything credwatch evaluates about them from Microsoft Graph into an
// inventory.Snapshot, with as few requests as Graph allows: two paged lists
// with owners expanded (Graph returns at most 100 objects a page then),
// and $batch calls of 20 for what a list cannot carry (federated
// credentials, app role assignments, owners beyond the 20 an expansion
// returns, and the resource service principals that name the granted
// permissions, each read once). The lookups start as the first list pages
// arrive, so the Graph budget is spent from the first second, and they are
// made as objects arrive rather than listed up front. Repeated strings
// (owners, ids shared by an app and its service principal, certificates)
// are kept once.
//
// Full also starts delta queries, and Delta later brings a saved snapshot
// up to date from them: it reads only what changed, applies it, and reads
// the relationships of the changed objects again. The result is what a full
// collection would read.
//
// A scan never returns a silently short inventory: a failed list fails the
// scan, and any other gap (one object's owners, one page of assignments)
// leaves Complete false with a reason naming the object.
package collect
