// Package scan runs credwatch's pipeline once for one tenant: read the
// tenant from a source (a live tenant, the demo emulator or snapshot
// files), build the inventory, judge it with the previous scan and the
// activity evidence in view, and record the result in the history store.
// The scan command and serve mode share it.
package scan
