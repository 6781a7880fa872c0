package inventory

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// FuzzLoad feeds Load arbitrary files. Load and Build may refuse them but
// must never panic, and whatever loads must survive a write and read with
// the same meaning. Seeds: every fixture plus testdata/fuzz/FuzzLoad.
func FuzzLoad(f *testing.F) {
	for _, pattern := range []string{"testdata/*.json", "testdata/*.jsonl", "testdata/invalid/*.json"} {
		files, err := filepath.Glob(pattern)
		if err != nil {
			f.Fatal(err)
		}
		for _, name := range files {
			data, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Load(bytes.NewReader(data), "fuzz.json")
		if err != nil {
			return
		}
		tenant, buildErr := Build(s, "fuzz")
		var buf bytes.Buffer
		if err := WriteSnapshot(&buf, s); err != nil {
			t.Fatalf("a loaded snapshot could not be written: %v", err)
		}
		again, err := Load(&buf, "rewritten.json")
		if err != nil {
			t.Fatalf("a written snapshot could not be read back: %v\n%s", err, buf.String())
		}
		tenant2, buildErr2 := Build(again, "fuzz")
		if (buildErr == nil) != (buildErr2 == nil) {
			t.Fatalf("build before and after a write disagree: %v / %v", buildErr, buildErr2)
		}
		if buildErr == nil && !reflect.DeepEqual(tenant, tenant2) {
			t.Fatalf("model changed in a write and read")
		}
	})
}

// FuzzParseTime checks that any accepted date is UTC, in the range JSON can
// carry, and reads back the same from its RFC 3339 form. Seeds are in
// testdata/fuzz/FuzzParseTime and below.
func FuzzParseTime(f *testing.F) {
	for _, s := range []string{
		"2021-02-02T04:22:45.4980259Z", "2026-04-05T12:00:00+0200", "2025-02-13T10:17:06",
		"/Date(1700000000000+0100)/", "11/14/2023 10:13:20 PM", "2024-02-29", "0000-01-01T00:00:00+01:00",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseTime(s)
		if err != nil {
			return
		}
		if got.Location() != time.UTC {
			t.Fatalf("ParseTime(%q) = %v, not in UTC", s, got)
		}
		if y := got.Year(); y < 0 || y > 9999 {
			t.Fatalf("ParseTime(%q) = %v, a year JSON cannot carry", s, got)
		}
		back, err := ParseTime(got.Format(time.RFC3339Nano))
		if err != nil || !back.Equal(got) {
			t.Fatalf("ParseTime(%q) = %v, which reads back as %v, %v", s, got, back, err)
		}
	})
}
