package report

import (
	"bytes"
	"encoding/json"
)

// writeJSON renders the scan document, indented, in the schema described
// in docs/json-output.md. Suppressed findings are always included, marked.
func writeJSON(buf *bytes.Buffer, s *Scan, _ Options) error {
	return encodeJSON(buf, s)
}

// encodeJSON writes v indented. HTML escaping stays on (<, >, & as \u
// escapes) so a report pasted into a web page cannot carry markup.
func encodeJSON(buf *bytes.Buffer, v any) error {
	enc := json.NewEncoder(buf)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}
