package activity

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// KeyDescription is one credential as an audit record's KeyDescription
// property lists it: "[KeyIdentifier=<keyId>,KeyType=<type>,KeyUsage=<usage>,DisplayName=<name>]".
type KeyDescription struct {
	KeyID       string
	KeyType     string // Password, AsymmetricX509Cert, Symmetric...
	KeyUsage    string // Verify, Sign
	DisplayName string
}

// keyFields are the fields of an entry, as they are written.
var keyFields = [...]string{"KeyIdentifier", "KeyType", "KeyUsage", "DisplayName"}

// ParseKeyDescription reads a KeyDescription oldValue or newValue: a
// string holding a JSON array of entries. "", "null" and "[]" are no
// entries. The display name is free text that may hold commas, '=' and
// brackets, so fields are located by their known names rather than split
// on commas: each runs to the next known ",Name=" or the entry's closing
// bracket. An entry without a KeyIdentifier is an error.
func ParseKeyDescription(s string) ([]KeyDescription, error) {
	v := strings.TrimSpace(s)
	if v == "" || v == "null" {
		return nil, nil
	}
	var entries []string
	if err := json.Unmarshal([]byte(v), &entries); err != nil {
		return nil, fmt.Errorf("KeyDescription is not a JSON array of strings: %w", err)
	}
	out := make([]KeyDescription, 0, len(entries))
	for i, e := range entries {
		kd, err := parseKeyEntry(e)
		if err != nil {
			return nil, fmt.Errorf("KeyDescription entry %d: %w", i, err)
		}
		out = append(out, kd)
	}
	return out, nil
}

// parseKeyEntry reads one "[KeyIdentifier=...,...]" entry.
func parseKeyEntry(e string) (KeyDescription, error) {
	body := strings.TrimSpace(e)
	body = strings.TrimPrefix(body, "[")
	body = strings.TrimSuffix(body, "]")
	type mark struct {
		field      int
		start, end int // of the "Name=" marker
	}
	var marks []mark
	for fi, name := range keyFields {
		m := name + "="
		at := -1
		if strings.HasPrefix(body, m) {
			at = 0
		} else if j := strings.Index(body, ","+m); j >= 0 {
			at = j + 1
		}
		if at >= 0 {
			marks = append(marks, mark{fi, at, at + len(m)})
		}
	}
	sort.Slice(marks, func(a, b int) bool { return marks[a].start < marks[b].start })
	// Each field's first marker is taken: a display name holding
	// ",KeyType=" does not matter, since the real marker comes before it.
	var kd KeyDescription
	for i, m := range marks {
		end := len(body)
		if i+1 < len(marks) {
			end = marks[i+1].start - 1 // the comma before the next marker
		}
		if end < m.end {
			end = m.end
		}
		val := body[m.end:end]
		switch m.field {
		case 0:
			kd.KeyID = strings.TrimSpace(val)
		case 1:
			kd.KeyType = strings.TrimSpace(val)
		case 2:
			kd.KeyUsage = strings.TrimSpace(val)
		case 3:
			kd.DisplayName = val
		}
	}
	if kd.KeyID == "" {
		return KeyDescription{}, errors.New("no KeyIdentifier in " + quoteShort(e))
	}
	return kd, nil
}
