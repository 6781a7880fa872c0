// Package msgraph holds the Microsoft Graph v1.0 resource types that
// credwatch reads (applications, service principals, their credentials,
// owners and app role assignments) exactly as they appear on the wire, and
// the Graph error envelope.
//
// It is a leaf package: the live client, the snapshot loaders and the
// emulator all speak these types, so a snapshot file and a live scan decode
// into the same values.
package msgraph
