package loganalytics

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"unicode/utf8"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/streaming"
)

// MaxFieldBytes is the largest field value sent. The service truncates
// fields over 64 KB silently; credwatch cuts them first, counting 64 KB as
// 64,000 bytes to be safe under either reading, and ends them with
// TruncationMarker so a reader sees the cut.
const MaxFieldBytes = 64_000

// TruncationMarker ends a field value cut to MaxFieldBytes.
const TruncationMarker = "…[truncated by credwatch]"

// encodedRow is one row serialized, with its place in the caller's slice.
type encodedRow struct {
	index int
	data  []byte
}

// encodeRows serializes rows once, cutting oversized fields. Rows that
// cannot be sent become errors and are counted as failed.
func encodeRows(rows []any, limit int, res *Result) ([]encodedRow, []error) {
	out := make([]encodedRow, 0, len(rows))
	var errs []error
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // "<" in an app name need not cost six bytes
	for i, r := range rows {
		buf.Reset()
		if err := enc.Encode(r); err != nil {
			errs = append(errs, &RowError{Index: i, Err: err})
			res.FailedRows++
			continue
		}
		b := bytes.Clone(bytes.TrimSuffix(buf.Bytes(), []byte("\n")))
		if len(b) == 0 || b[0] != '{' {
			errs = append(errs, &RowError{Index: i, Err: errors.New("not a JSON object")})
			res.FailedRows++
			continue
		}
		if len(b) > MaxFieldBytes {
			var n int
			b, n = truncateFields(b)
			res.TruncatedFields += n
		}
		if len(b)+2 > limit {
			errs = append(errs, &RowError{Index: i, ID: rowID(b), Size: len(b), Limit: limit})
			res.FailedRows++
			continue
		}
		out = append(out, encodedRow{index: i, data: b})
	}
	return out, errs
}

// truncateFields cuts every field over MaxFieldBytes of an object. A
// string keeps its head; any other value (an object for a dynamic column)
// becomes the head of its JSON text as a string, which a dynamic column
// still takes. Keys come back sorted; order means nothing in a row.
func truncateFields(b []byte) ([]byte, int) {
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return b, 0
	}
	n := 0
	for k, v := range m {
		if len(v) <= MaxFieldBytes {
			continue // a JSON string is never shorter than its value
		}
		s := string(v)
		if v[0] == '"' {
			if json.Unmarshal(v, &s) != nil || len(s) <= MaxFieldBytes {
				continue
			}
		}
		cut, err := json.Marshal(truncate(s))
		if err != nil {
			continue
		}
		m[k] = cut
		n++
	}
	if n == 0 {
		return b, 0
	}
	out, err := json.Marshal(m)
	if err != nil {
		return b, 0
	}
	return out, n
}

// truncate cuts s to MaxFieldBytes, marker included, on a rune boundary.
func truncate(s string) string {
	keep := MaxFieldBytes - len(TruncationMarker)
	for keep > 0 && !utf8.RuneStart(s[keep]) {
		keep--
	}
	return s[:keep] + TruncationMarker
}

// rowID names a row in an error by its first id-like column.
func rowID(b []byte) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return ""
	}
	for _, k := range []string{"FindingId", "KeyId", "ObjectId"} {
		var s string
		if json.Unmarshal(m[k], &s) == nil && s != "" {
			return k + " " + clip(s, 100)
		}
	}
	return ""
}

// batch is rows sent in one call.
type batch struct {
	rows []encodedRow
	size int // bytes of the JSON array
}

// splitBatches packs rows in order into batches whose JSON array is at most
// limit bytes. Every row already fits alone.
func splitBatches(rows []encodedRow, limit int) []batch {
	var out []batch
	cur := batch{size: 2}
	for _, r := range rows {
		add := len(r.data)
		if len(cur.rows) > 0 {
			add++ // comma
		}
		if len(cur.rows) > 0 && cur.size+add > limit {
			out = append(out, cur)
			cur, add = batch{size: 2}, len(r.data)
		}
		cur.rows = append(cur.rows, r)
		cur.size += add
	}
	if len(cur.rows) > 0 {
		out = append(out, cur)
	}
	return out
}

// body is the batch's request body and its Content-Encoding.
func (b batch) body(compress bool) ([]byte, string, error) {
	var buf bytes.Buffer
	buf.Grow(b.size)
	buf.WriteByte('[')
	for i, r := range b.rows {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.Write(r.data)
	}
	buf.WriteByte(']')
	if !compress {
		return buf.Bytes(), "", nil
	}
	var z bytes.Buffer
	w := gzip.NewWriter(&z)
	if _, err := w.Write(buf.Bytes()); err != nil {
		return nil, "", err
	}
	if err := w.Close(); err != nil {
		return nil, "", err
	}
	return z.Bytes(), "gzip", nil
}

func newBody(b []byte) io.ReadSeekCloser { return streaming.NopCloser(bytes.NewReader(b)) }
