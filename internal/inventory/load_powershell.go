package inventory

import (
	"encoding/base64"
	"encoding/json"
	"slices"
	"strings"
	"unicode"
)

// Graph PowerShell's ConvertTo-Json output differs from Graph's JSON in ways
// normalize undoes: PascalCase keys, properties the SDK models lack tucked
// into AdditionalProperties (an owner's @odata.type, displayName and
// userPrincipalName live there), byte arrays written as lists of numbers,
// and Windows PowerShell's wrappers around arrays ({"value":[...],"Count":n})
// and dates ({"value":"/Date(...)/","DateTime":"..."}).

// binaryFields hold Graph Binary values: base64 in Graph's JSON, byte
// arrays in PowerShell's.
var binaryFields = map[string]bool{"customKeyIdentifier": true, "key": true}

// isPascalCase reports whether an object has Graph PowerShell's keys.
func isPascalCase(m map[string]any) bool {
	for k := range m {
		if r := []rune(k); len(r) > 0 && unicode.IsUpper(r[0]) {
			return true
		}
	}
	return false
}

// normalize returns v with object keys in Graph's camelCase, additional
// properties lifted into their object, byte arrays as base64 and secret text
// removed. It never fails: what it does not recognise is left for the typed
// decode to reject.
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		if inner, ok := unwrapPowerShell(x); ok {
			return normalize(inner)
		}
		out := make(map[string]any, len(x))
		var extra map[string]any
		// Sorted, so that two keys colliding after lower-casing (AppId and
		// appId) resolve the same way every run.
		for _, k := range sortedKeys(x) {
			nk := lowerFirst(k)
			if nk == "additionalProperties" {
				extra, _ = x[k].(map[string]any)
				continue
			}
			if strings.EqualFold(nk, "secretText") {
				continue
			}
			nv := normalize(x[k])
			if binaryFields[nk] {
				nv = bytesToBase64(nv)
			}
			out[nk] = nv
		}
		for _, k := range sortedKeys(extra) {
			nk := lowerFirst(k)
			if cur, ok := out[nk]; (!ok || cur == nil) && !strings.EqualFold(nk, "secretText") {
				out[nk] = normalize(extra[k])
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e)
		}
		return out
	}
	return v
}

// unwrapPowerShell returns what Windows PowerShell wrapped: an array in
// {"value":[...],"Count":n}, a date in {"value":..., "DisplayHint":n,
// "DateTime":"..."}.
func unwrapPowerShell(m map[string]any) (any, bool) {
	val, ok := m["value"]
	if !ok {
		return nil, false
	}
	_, hasCount := m["Count"]
	if _, isArr := val.([]any); isArr && hasCount && len(m) == 2 {
		return val, true
	}
	_, hasDateTime := m["DateTime"]
	_, hasHint := m["DisplayHint"]
	if hasDateTime && len(m) == 2+btoi(hasHint) {
		return val, true
	}
	return nil, false
}

// bytesToBase64 turns a list of byte values into base64; anything else is
// returned unchanged.
func bytesToBase64(v any) any {
	arr, ok := v.([]any)
	if !ok || len(arr) == 0 {
		return v
	}
	b := make([]byte, len(arr))
	for i, e := range arr {
		n, ok := e.(json.Number)
		if !ok {
			return v
		}
		i64, err := n.Int64()
		if err != nil || i64 < 0 || i64 > 255 {
			return v
		}
		b[i] = byte(i64)
	}
	return base64.StdEncoding.EncodeToString(b)
}

func lowerFirst(s string) string {
	r := []rune(s)
	if len(r) == 0 || !unicode.IsUpper(r[0]) {
		return s
	}
	r[0] = unicode.ToLower(r[0])
	return string(r)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}
