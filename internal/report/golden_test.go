package report

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestScanFormatsMatchGoldenFiles(t *testing.T) {
	ext := map[string]string{"table": "txt", "json": "json", "csv": "csv", "sarif": "sarif", "markdown": "md", "html": "html"}
	for _, format := range Formats() {
		t.Run(format, func(t *testing.T) {
			golden(t, "scan."+ext[format], []byte(render(t, format, fixtureScan(), fixtureOptions())))
		})
	}
}

func TestInventoryFormatsMatchGoldenFiles(t *testing.T) {
	ext := map[string]string{"table": "txt", "json": "json", "csv": "csv"}
	for _, format := range InventoryFormats() {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteInventory(&buf, format, fixtureTenant(), fixedNow); err != nil {
				t.Fatal(err)
			}
			golden(t, "inventory."+ext[format], buf.Bytes())
		})
	}
}

func TestFormatsListsEveryFormat(t *testing.T) {
	want := []string{"table", "json", "csv", "sarif", "markdown", "html"}
	if got := Formats(); !slices.Equal(got, want) {
		t.Errorf("Formats() = %v, want %v", got, want)
	}
}

func TestUnknownFormatIsAClearError(t *testing.T) {
	var buf bytes.Buffer
	err := Write(&buf, "xml", fixtureScan(), fixtureOptions())
	if !errors.Is(err, ErrUnknownFormat) {
		t.Fatalf("Write(xml) error = %v, want ErrUnknownFormat", err)
	}
	for _, want := range []string{`"xml"`, "table, json, csv, sarif, markdown, html"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
	if buf.Len() != 0 {
		t.Errorf("Write(xml) wrote %d bytes", buf.Len())
	}

	err = WriteInventory(&buf, "sarif", fixtureTenant(), fixedNow)
	if !errors.Is(err, ErrUnknownFormat) || !strings.Contains(err.Error(), "table, json, csv") {
		t.Errorf("WriteInventory(sarif) error = %v, want an unknown-format error listing table, json, csv", err)
	}
}

// failingWriter fails every write, like a closed pipe.
type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestWriteErrorsAreReturned(t *testing.T) {
	for _, format := range Formats() {
		if err := Write(failingWriter{}, format, fixtureScan(), fixtureOptions()); err == nil || !strings.Contains(err.Error(), "broken pipe") {
			t.Errorf("Write(%s) to a failing writer: error = %v", format, err)
		}
	}
}

func TestNilScanIsAnError(t *testing.T) {
	if err := Write(&bytes.Buffer{}, "json", nil, Options{}); err == nil {
		t.Error("Write accepted a nil scan")
	}
}

func TestEmptyTenantRendersEveryFormat(t *testing.T) {
	s := NewScan(nil, nil, fixedNow)
	for _, format := range Formats() {
		if out := render(t, format, s, Options{}); out == "" {
			t.Errorf("%s: empty output", format)
		}
	}
	var buf bytes.Buffer
	for _, format := range InventoryFormats() {
		if err := WriteInventory(&buf, format, nil, fixedNow); err != nil {
			t.Errorf("WriteInventory(%s, nil tenant): %v", format, err)
		}
	}
}
