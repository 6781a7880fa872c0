// Package cli wires credwatch's command line: flags become configuration,
// and each command calls into the other internal packages. It holds no
// logic of its own that a test could not reach through Run.
package cli
