package inventory

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current output")

// goldenCases are the fixtures whose model is kept in testdata/golden: one
// per format, and the merge of the two az CLI lists.
var goldenCases = []struct {
	golden string
	files  []string
}{
	{"credwatch-snapshot", []string{"credwatch-snapshot.json"}},
	{"az-app-list", []string{"az-app-list.json"}},
	{"az-sp-list", []string{"az-sp-list.json"}},
	{"az-merged", []string{"az-app-list.json", "az-sp-list.json"}},
	{"pwsh-applications", []string{"pwsh-applications.json"}},
	{"pwsh-serviceprincipal-single", []string{"pwsh-serviceprincipal-single.json"}},
	{"graph-page-applications", []string{"graph-page-applications.json"}},
	{"graph-pages", []string{"graph-pages.json"}},
	{"graph-pages-jsonl", []string{"graph-pages.jsonl"}},
}

func TestModelMatchesGolden(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.golden, func(t *testing.T) {
			tenant, err := Build(loadCase(t, tc.files), "snapshot:"+strings.Join(tc.files, ","))
			if err != nil {
				t.Fatal(err)
			}
			got, err := json.MarshalIndent(tenant, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", "golden", tc.golden+".json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("model differs from %s (run go test -update after a deliberate change); got:\n%s", path, got)
			}
		})
	}
}

// TestConsumeBuildsTheSameModel checks that the consuming build a scan
// uses gives the model Build gives, and releases the Graph objects.
func TestConsumeBuildsTheSameModel(t *testing.T) {
	for _, tc := range goldenCases {
		t.Run(tc.golden, func(t *testing.T) {
			want, err := Build(loadCase(t, tc.files), "x")
			if err != nil {
				t.Fatal(err)
			}
			s := loadCase(t, tc.files)
			got, err := Consume(s, "x")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Consume = %+v\nBuild = %+v", got, want)
			}
			if s.Applications != nil || s.ServicePrincipals != nil || s.Resources != nil {
				t.Errorf("Consume left %d applications, %d service principals, %d resources",
					len(s.Applications), len(s.ServicePrincipals), len(s.Resources))
			}
		})
	}
}

// loadCase loads a golden case's files and merges them.
func loadCase(t *testing.T, files []string) *Snapshot {
	t.Helper()
	var snaps []*Snapshot
	for _, f := range files {
		s, err := LoadFile(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		snaps = append(snaps, s)
	}
	s, err := Merge(snaps...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}
