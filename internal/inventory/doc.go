// Package inventory is credwatch's domain model of a tenant's application
// credentials: applications and service principals with their secrets,
// certificates, federated credentials, owners and granted application
// permissions. It builds that model from Graph data (a live scan or a
// snapshot file) and loads the offline formats users bring.
package inventory
