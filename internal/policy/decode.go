package policy

import (
	"bytes"
	"encoding"
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// ConfigError is one problem in a configuration, located by its key path
// (rules.CW002.criticalDays, exceptions[1].reason) and, when it came from
// a file, the file name and line.
type ConfigError struct {
	File string
	Line int
	Path string
	Msg  string
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteByte(':')
		if e.Line > 0 {
			b.WriteString(strconv.Itoa(e.Line))
			b.WriteByte(':')
		}
		b.WriteByte(' ')
	}
	if e.Path != "" {
		b.WriteString(e.Path)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

func joinConfigErrors(errs []*ConfigError) error {
	sort.SliceStable(errs, func(i, j int) bool { return errs[i].Line < errs[j].Line })
	out := make([]error, len(errs))
	for i, e := range errs {
		out[i] = e
	}
	return errors.Join(out...)
}

// lineIndex maps key paths to the line they were written on, so Validate's
// path-only errors can point into the file.
type lineIndex map[string]int

// lookup finds the line of path or of its nearest written ancestor: a
// required key that is missing is reported where its parent is.
func (l lineIndex) lookup(path string) int {
	for path != "" {
		if n, ok := l[path]; ok {
			return n
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 0
}

// decodeStrict decodes YAML into v (a pointer to a struct), over the values
// it already holds. Unlike yaml's own KnownFields mode it reports every
// problem, each with the key path and line.
func decodeStrict(data []byte, file string, v any) (lineIndex, []*ConfigError) {
	d := &decoder{file: file, lines: lineIndex{}}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		if rest, ok := strings.CutPrefix(msg, "line "); ok {
			if i := strings.IndexByte(rest, ':'); i > 0 {
				msg = strings.TrimSpace(rest[i+1:])
			}
		}
		return nil, []*ConfigError{{File: file, Line: syntaxErrorLine(data), Msg: "invalid YAML: " + msg}}
	}
	if doc.Kind == 0 { // empty file: all defaults
		return d.lines, nil
	}
	root := &doc
	if len(doc.Content) > 0 {
		root = doc.Content[0]
	}
	if root.Kind != yaml.MappingNode && !(root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null") {
		t := reflect.TypeOf(v).Elem()
		names := make([]string, 0, t.NumField())
		for n := range yamlFields(t) {
			names = append(names, n)
		}
		sort.Strings(names)
		return nil, []*ConfigError{{File: file, Line: root.Line,
			Msg: "the configuration must be a mapping with keys " + strings.Join(names, ", ")}}
	}
	d.decode(&doc, reflect.ValueOf(v).Elem(), "")
	return d.lines, d.errs
}

// syntaxErrorLine locates a YAML syntax error. The parser reports the line
// where the enclosing block began, not where parsing failed, so this finds
// the longest run of leading lines that still parses: the next line is
// where it broke. Short files are scanned line by line; long ones by
// bisection, which a multi-line flow collection cut in half can mislead,
// but which stays fast.
func syntaxErrorLine(data []byte) int {
	lines := bytes.SplitAfter(data, []byte("\n"))
	parses := func(k int) bool {
		var n yaml.Node
		return yaml.Unmarshal(bytes.Join(lines[:k], nil), &n) == nil
	}
	lastOK := 0
	if len(lines) <= 300 {
		for k := 1; k <= len(lines); k++ {
			if parses(k) {
				lastOK = k
			}
		}
	} else {
		lo, hi := 0, len(lines) // prefix lo parses, hi does not
		for hi-lo > 1 {
			mid := (lo + hi) / 2
			if parses(mid) {
				lo = mid
			} else {
				hi = mid
			}
		}
		lastOK = lo
	}
	if lastOK >= len(lines) {
		return 0
	}
	return lastOK + 1
}

type decoder struct {
	file  string
	lines lineIndex
	errs  []*ConfigError
	// merge decodes an Override: lists append to what v holds unless
	// tagged !replace. alias maps the path of each item so appended, as
	// validation sees it, to the path written in the override.
	merge bool
	alias map[string]string
	// appended are the lists an override added to, with how many items
	// came from the top level, so Merge can put the override's first.
	appended []appendedList
}

type appendedList struct {
	v    reflect.Value
	base int
}

func (d *decoder) fail(n *yaml.Node, path, format string, args ...any) {
	d.errs = append(d.errs, &ConfigError{File: d.file, Line: n.Line, Path: path, Msg: fmt.Sprintf(format, args...)})
}

var textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()

func (d *decoder) decode(n *yaml.Node, v reflect.Value, path string) {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return
		}
		d.decode(n.Content[0], v, path)
		return
	case yaml.AliasNode:
		d.decode(n.Alias, v, path)
		return
	}
	if path != "" {
		d.lines[path] = n.Line
	}
	null := n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
	if n.Tag == replaceTag && (!d.merge || n.Kind != yaml.SequenceNode) {
		d.fail(n, path, "%s applies only to a list in a policy override", replaceTag)
		return
	}
	if v.Type() == overrideType {
		d.keepOverride(n, v, path, null)
		return
	}

	if v.Kind() == reflect.Pointer {
		if null {
			v.Set(reflect.Zero(v.Type()))
			return
		}
		// Decode into a fresh copy, never through the pointer: an override
		// is decoded over a shallow copy of its base, which shares it.
		p := reflect.New(v.Type().Elem())
		if !v.IsNil() {
			p.Elem().Set(v.Elem())
		}
		v.Set(p)
		d.decode(n, p.Elem(), path)
		return
	}
	if reflect.PointerTo(v.Type()).Implements(textUnmarshalerType) {
		if null {
			v.Set(reflect.Zero(v.Type()))
			return
		}
		if n.Kind != yaml.ScalarNode {
			d.mismatch(n, path, v.Type())
			return
		}
		if err := v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(n.Value)); err != nil {
			d.fail(n, path, "%v", err)
		}
		return
	}

	switch v.Kind() {
	case reflect.Struct:
		if null {
			return // an empty block keeps its defaults
		}
		if n.Kind != yaml.MappingNode {
			d.mismatch(n, path, v.Type())
			return
		}
		d.decodeStruct(n, v, path)
	case reflect.Slice:
		if null {
			v.Set(reflect.Zero(v.Type()))
			return
		}
		if n.Kind != yaml.SequenceNode {
			d.mismatch(n, path, v.Type())
			return
		}
		// Always a new slice, so a base an override shares is not written.
		base := 0
		if d.merge && n.Tag != replaceTag {
			base = v.Len()
		}
		s := reflect.MakeSlice(v.Type(), base+len(n.Content), base+len(n.Content))
		reflect.Copy(s, v.Slice(0, base))
		for i, item := range n.Content {
			ip := path + "[" + strconv.Itoa(i) + "]"
			if base > 0 {
				d.alias[path+"["+strconv.Itoa(base+i)+"]"] = ip
			}
			d.decode(item, s.Index(base+i), ip)
		}
		v.Set(s)
		if base > 0 && len(n.Content) > 0 {
			d.appended = append(d.appended, appendedList{v, base})
		}
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.mismatch(n, path, v.Type())
			return
		}
		if null {
			v.SetString("")
			return
		}
		v.SetString(n.Value)
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!bool" {
			d.mismatch(n, path, v.Type())
			return
		}
		var b bool
		if err := n.Decode(&b); err != nil {
			d.fail(n, path, "%v", err)
			return
		}
		v.SetBool(b)
	case reflect.Int:
		if n.Kind != yaml.ScalarNode || n.ShortTag() != "!!int" {
			d.mismatch(n, path, v.Type())
			return
		}
		var i int64
		if err := n.Decode(&i); err != nil || i < math.MinInt32 || i > math.MaxInt32 {
			d.fail(n, path, "integer %s out of range", n.Value)
			return
		}
		v.SetInt(i)
	default:
		// Only reachable if Config grows a field of a kind not handled here.
		d.fail(n, path, "cannot decode into %s", v.Type())
	}
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, path string) {
	fields := yamlFields(v.Type())
	seen := make(map[string]int, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			d.fail(k, path, "keys must be plain names")
			continue
		}
		kp := joinPath(path, k.Value)
		if k.Value == "<<" {
			d.fail(k, path, "merge keys (<<) are not supported")
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.fail(k, kp, "duplicate key (first at line %d)", first)
			continue
		}
		seen[k.Value] = k.Line
		idx, ok := fields[k.Value]
		if !ok {
			d.fail(k, kp, "%s", unknownKeyMessage(v.Type(), k.Value, fields))
			continue
		}
		d.decode(val, v.FieldByIndex(idx), kp)
	}
}

func (d *decoder) mismatch(n *yaml.Node, path string, t reflect.Type) {
	var what string
	switch n.Kind {
	case yaml.MappingNode:
		what = "mapping"
	case yaml.SequenceNode:
		what = "list"
	default:
		kind := strings.TrimPrefix(n.ShortTag(), "!!")
		switch kind {
		case "str":
			kind = "string"
		case "null":
			d.fail(n, path, "missing value (want %s)", goTypeName(t))
			return
		}
		what = fmt.Sprintf("%s %q", kind, n.Value)
	}
	d.fail(n, path, "cannot unmarshal %s into %s", what, goTypeName(t))
}

func goTypeName(t reflect.Type) string {
	switch t {
	case reflect.TypeFor[Severity]():
		return "severity"
	case reflect.TypeFor[Tier]():
		return "tier"
	case reflect.TypeFor[Date]():
		return "date"
	}
	switch t.Kind() {
	case reflect.Struct:
		return "mapping"
	case reflect.Slice:
		return "list"
	}
	return t.Kind().String()
}

func joinPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// yamlFields maps the YAML keys of a struct, inline structs flattened, to
// their field indexes.
func yamlFields(t reflect.Type) map[string][]int {
	out := map[string][]int{}
	var walk func(t reflect.Type, prefix []int)
	walk = func(t reflect.Type, prefix []int) {
		for i := range t.NumField() {
			f := t.Field(i)
			tag := f.Tag.Get("yaml")
			if tag == "" || tag == "-" {
				continue
			}
			name, opts, _ := strings.Cut(tag, ",")
			idx := append(append([]int(nil), prefix...), i)
			if strings.Contains(opts, "inline") {
				walk(f.Type, idx)
				continue
			}
			out[name] = idx
		}
	}
	walk(t, nil)
	return out
}

func unknownKeyMessage(t reflect.Type, key string, fields map[string][]int) string {
	what := "key"
	if t == reflect.TypeFor[Rules]() {
		what = "rule"
	}
	msg := fmt.Sprintf("unknown %s %q", what, key)
	if s := suggest(key, fields); s != "" {
		return msg + fmt.Sprintf(" (did you mean %s?)", s)
	}
	names := make([]string, 0, len(fields))
	for n := range fields {
		names = append(names, n)
	}
	sort.Strings(names)
	return msg + " (known: " + strings.Join(names, ", ") + ")"
}

// suggest names the known key closest to a misspelt one, if any is close.
func suggest(key string, fields map[string][]int) string {
	best, bestDist := "", 3
	for name := range fields {
		if d := editDistance(strings.ToLower(key), strings.ToLower(name)); d < bestDist || (d == bestDist && d < 3 && name < best) {
			best, bestDist = name, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
