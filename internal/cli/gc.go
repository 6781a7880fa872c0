package cli

import (
	"os"
	"runtime/debug"
)

// GCPercent is the garbage collector's target (GOGC) credwatch runs with
// unless the environment sets GOGC. Go's default of 100 lets the heap grow
// to twice what is live before collecting; a scan holds a large tenant
// twice over at its peak (Graph's shapes and the model being built from
// them) and spends most of its time waiting on Graph's budget, so
// collecting sooner costs little time and takes a third off the peak
// memory of a 100,000-application scan.
const GCPercent = 25

// TuneGC sets GCPercent unless GOGC is set. The command calls it once at
// start; so does the scale benchmark, to measure what the command runs.
func TuneGC() {
	if _, ok := os.LookupEnv("GOGC"); !ok {
		debug.SetGCPercent(GCPercent)
	}
}
