package cli

import (
	"os"
	"runtime/debug"
)

// GCPercent is the garbage collector's target (GOGC) credwatch runs with
// unless the environment sets GOGC. Go's default of 100 lets the heap grow
// to twice what is live before collecting. A scan of a large tenant holds
// a lot (the Graph-shaped snapshot, then the inventory and findings) and
// spends its time waiting on Graph's budget, not on the CPU: collecting
// after every tenth more costs a 100,000-application scan some seconds of
// CPU over minutes of reading and keeps its peak near what it holds.
const GCPercent = 10

// TuneGC sets GCPercent unless GOGC is set. The command calls it once at
// start; so does the scale benchmark, to measure what the command runs.
func TuneGC() {
	if _, ok := os.LookupEnv("GOGC"); !ok {
		debug.SetGCPercent(GCPercent)
	}
}
