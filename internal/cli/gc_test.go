package cli

import (
	"os"
	"runtime/debug"
	"testing"
)

func TestTuneGCKeepsAGOGCTheUserSet(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	t.Setenv("GOGC", "100") // restored after the test
	debug.SetGCPercent(100)
	TuneGC()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("with GOGC=100 set: collector target %d", got)
	}
	os.Unsetenv("GOGC")
	TuneGC()
	if got := debug.SetGCPercent(100); got != GCPercent {
		t.Errorf("without GOGC: collector target %d, want %d", got, GCPercent)
	}
}
