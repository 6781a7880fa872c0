package policy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParseConfig feeds arbitrary bytes to the configuration parser: it
// must never panic, every error line must name the file, and whatever it
// accepts must validate and evaluate.
func FuzzParseConfig(f *testing.F) {
	files, _ := filepath.Glob("testdata/*.yaml")
	for _, name := range files {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("rules: &r\n  CW001: *r\n"))
	f.Add([]byte("exceptions: [{rule: CW001, app: '[', reason: x, expires: 2026-01-01}]"))
	obj := app("a", "prod-x", secret("k1", "", now.Add(-day), now.Add(day)))
	f.Fuzz(func(t *testing.T, data []byte) {
		cfg, err := ParseConfig(data, "fuzz.yaml")
		if err != nil {
			if cfg != nil {
				t.Fatal("config returned with an error")
			}
			for _, line := range strings.Split(err.Error(), "\n") {
				if !strings.HasPrefix(line, "fuzz.yaml:") {
					t.Fatalf("error line without the file name: %q", line)
				}
			}
			return
		}
		if err := cfg.Validate(); err != nil {
			t.Fatalf("accepted config fails Validate: %v", err)
		}
		_ = Evaluate(tenant(obj), cfg, now)
		_ = Catalog(cfg)
	})
}
