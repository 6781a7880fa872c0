package inventory

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// expectedFormats is what Load tells users it can read.
const expectedFormats = "credwatch snapshot, az ad app/sp list output, " +
	"Get-MgApplication/Get-MgServicePrincipal ConvertTo-Json output, or Graph list pages"

// FormatError says a file is none of the formats Load reads, or is one of
// them in a shape it cannot use. Callers treat it as a usage error.
type FormatError struct {
	File    string
	Problem string
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("%s: %s; expected %s", e.File, e.Problem, expectedFormats)
}

// LoadFile reads one offline file of any supported kind.
func LoadFile(path string) (*Snapshot, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load snapshot: %w", err)
	}
	defer f.Close()
	return Load(f, path)
}

// Load reads one offline file of any supported kind, detecting which:
// credwatch's own snapshot, az ad app/sp list output, Graph PowerShell
// ConvertTo-Json output, or raw Graph list pages (one, an array of them, or
// one per line). name is only used in errors. Secret values that a file may
// carry are dropped.
func Load(r io.Reader, name string) (*Snapshot, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("%s: read: %w", name, err)
	}
	text, err := utf8Text(data)
	if err != nil {
		return nil, &FormatError{File: name, Problem: err.Error()}
	}
	values, err := splitValues(text)
	if errors.Is(err, errNotJSON) {
		return nil, &FormatError{File: name, Problem: "not JSON"}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	switch {
	case len(values) == 0:
		return nil, &FormatError{File: name, Problem: "empty file"}
	case len(values) > 1:
		// JSON lines: one Graph page per line.
		return loadPages(name, decodeAll(values))
	}
	v := values[0]
	switch firstByte(v) {
	case '{':
		var keys map[string]json.RawMessage
		if err := json.Unmarshal(v, &keys); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if _, ok := keys["kind"]; ok {
			return loadOwn(name, v)
		}
		if _, ok := keys["schemaVersion"]; ok {
			return loadOwn(name, v)
		}
		if _, ok := keys["error"]; ok && len(keys) == 1 {
			return nil, &FormatError{File: name, Problem: "a Graph error response, not data"}
		}
		decoded, err := decodeAny(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if _, ok := keys["value"]; ok {
			return loadPages(name, []any{decoded})
		}
		return loadObjects(name, []any{decoded}, true)
	case '[':
		decoded, err := decodeAny(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		elems, _ := decoded.([]any)
		if len(elems) > 0 && isPage(elems[0]) {
			return loadPages(name, elems)
		}
		return loadObjects(name, elems, false)
	}
	return nil, &FormatError{File: name, Problem: "a JSON " + jsonKind(v) + " at the top level"}
}

// loadOwn reads credwatch's own snapshot format.
func loadOwn(name string, v json.RawMessage) (*Snapshot, error) {
	var head struct {
		Kind          *string `json:"kind"`
		SchemaVersion *int    `json:"schemaVersion"`
	}
	if err := json.Unmarshal(v, &head); err != nil {
		return nil, fmt.Errorf("%s: %s", name, describeJSONError(err))
	}
	switch {
	case head.Kind == nil || *head.Kind != SnapshotKind:
		got := "no kind"
		if head.Kind != nil {
			got = fmt.Sprintf("kind %q", *head.Kind)
		}
		return nil, &FormatError{File: name, Problem: fmt.Sprintf("%s where %q was expected", got, SnapshotKind)}
	case head.SchemaVersion == nil || *head.SchemaVersion < 1:
		return nil, fmt.Errorf("%s: credwatch snapshot without a valid schemaVersion", name)
	case *head.SchemaVersion > SnapshotSchemaVersion:
		return nil, fmt.Errorf("%s: credwatch snapshot schemaVersion %d is newer than this credwatch reads (%d); upgrade credwatch",
			name, *head.SchemaVersion, SnapshotSchemaVersion)
	}
	var s Snapshot
	if err := json.Unmarshal(v, &s); err != nil {
		return nil, fmt.Errorf("%s: %s", name, describeJSONError(err))
	}
	s.CollectedAt = s.CollectedAt.UTC()
	if y := s.CollectedAt.Year(); y < 0 || y > 9999 {
		return nil, fmt.Errorf("%s: collectedAt: year out of range", name)
	}
	scrubSecrets(&s)
	return &s, nil
}

// utf8Text returns the file as UTF-8 without a byte order mark. Windows
// PowerShell's Out-File and > write UTF-16 with a BOM.
func utf8Text(data []byte) ([]byte, error) {
	switch {
	case bytes.HasPrefix(data, []byte{0xEF, 0xBB, 0xBF}):
		return data[3:], nil
	case bytes.HasPrefix(data, []byte{0xFF, 0xFE}):
		return utf16Text(data[2:], false)
	case bytes.HasPrefix(data, []byte{0xFE, 0xFF}):
		return utf16Text(data[2:], true)
	}
	return data, nil
}

func utf16Text(data []byte, bigEndian bool) ([]byte, error) {
	if len(data)%2 != 0 {
		return nil, errors.New("UTF-16 text with an odd number of bytes")
	}
	units := make([]uint16, len(data)/2)
	for i := range units {
		hi, lo := data[2*i+1], data[2*i]
		if bigEndian {
			hi, lo = lo, hi
		}
		units[i] = uint16(hi)<<8 | uint16(lo)
	}
	out := make([]byte, 0, len(units))
	for _, r := range utf16.Decode(units) {
		out = utf8.AppendRune(out, r)
	}
	return out, nil
}

var errNotJSON = errors.New("not JSON")

// splitValues reads every top-level JSON value in text: one for most
// files, one per line for JSON lines.
func splitValues(text []byte) ([]json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(text))
	var out []json.RawMessage
	for {
		// Errors name the line where the bad value starts.
		start := int(dec.InputOffset())
		start += len(text[start:]) - len(bytes.TrimLeft(text[start:], " \t\r\n"))
		var v json.RawMessage
		err := dec.Decode(&v)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			line := 1 + bytes.Count(text[:start], []byte("\n"))
			if len(out) == 0 && !looksLikeJSON(text) {
				return nil, errNotJSON
			}
			return nil, fmt.Errorf("line %d: invalid JSON: %s", line, describeJSONError(err))
		}
		out = append(out, v)
	}
}

func looksLikeJSON(text []byte) bool {
	b := firstByte(text)
	return b == '{' || b == '['
}

func firstByte(v []byte) byte {
	t := bytes.TrimLeft(v, " \t\r\n")
	if len(t) == 0 {
		return 0
	}
	return t[0]
}

func jsonKind(v json.RawMessage) string {
	switch firstByte(v) {
	case '"':
		return "string"
	case 'n':
		return "null"
	case 't', 'f':
		return "boolean"
	}
	return "number"
}

// describeJSONError turns encoding/json's errors, which name Go types,
// into ones that name the JSON field.
func describeJSONError(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		what := "value"
		if f := strings.Fields(te.Value); len(f) > 0 {
			what = f[0] // never the value itself, which could be a secret
		}
		return fmt.Sprintf("%s: unexpected JSON %s", te.Field, what)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}
