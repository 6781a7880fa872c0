package policy

import (
	"reflect"

	"go.yaml.in/yaml/v3"
)

// Override is a policy written to be merged over another one: a tenant's
// `policy:` in the serve configuration. DecodeFile keeps it as written
// (its keys are checked when it is merged, against the base it is merged
// over); Merge applies it.
//
// Merging follows the YAML: a scalar written replaces the base's value; a
// mapping merges key by key, so only the keys written change; a list is
// appended to the base's list, unless tagged !replace, which replaces it.
type Override struct {
	node *yaml.Node
	file string
}

// replaceTag marks a list in an Override that replaces the base's list
// instead of extending it.
const replaceTag = "!replace"

var overrideType = reflect.TypeFor[Override]()

// IsZero reports whether no override was written.
func (o Override) IsZero() bool { return o.node == nil }

// keepOverride stores an Override's mapping for Merge.
func (d *decoder) keepOverride(n *yaml.Node, v reflect.Value, path string, null bool) {
	switch {
	case null:
		v.Set(reflect.Zero(v.Type()))
	case n.Kind != yaml.MappingNode:
		d.mismatch(n, path, v.Type())
	default:
		v.Set(reflect.ValueOf(Override{node: n, file: d.file}))
	}
}

// Merge returns c with o merged over it, and every problem of the result:
// the override's keys decoded strictly, then the merged policy validated.
// Each problem is located in the override's file, its path prefixed with
// path (where the override is written, "tenants[1].policy"); problems the
// merged policy shares with c are c's to report and left out. c is not
// changed. With problems, the returned policy must not be used.
func (c *Config) Merge(o Override, path string) (*Config, []*ConfigError) {
	merged := *c
	if o.IsZero() {
		return &merged, nil
	}
	// The decoder writes no slice or pointer it did not make, so decoding
	// over this shallow copy leaves c as it was.
	d := &decoder{file: o.file, lines: lineIndex{}, merge: true, alias: map[string]string{}}
	d.decode(o.node, reflect.ValueOf(&merged).Elem(), "")
	errs := d.errs

	inBase := map[ConfigError]bool{}
	for _, e := range c.validate() {
		inBase[*e] = true
	}
	for _, e := range merged.validate() {
		if inBase[*e] {
			continue
		}
		e.Path = d.written(e.Path)
		if coveredBy(e.Path, errs) {
			continue
		}
		e.File, e.Line = o.file, d.lines.lookup(e.Path)
		if e.Line == 0 { // nothing on the path was written: the override itself
			e.Line = o.node.Line
		}
		errs = append(errs, e)
	}
	for _, e := range errs {
		if e.Path == "" {
			e.Path = path
		} else {
			e.Path = joinPath(path, e.Path)
		}
	}
	// Validated in the order written, so a problem names the override's
	// item; used with the override's items first, so where the first
	// match wins (exceptions, rotation targets, tiers, networks) the
	// tenant's own entry does.
	for _, l := range d.appended {
		n := l.v.Len()
		s := reflect.MakeSlice(l.v.Type(), n, n)
		reflect.Copy(s, l.v.Slice(l.base, n))
		reflect.Copy(s.Slice(n-l.base, n), l.v.Slice(0, l.base))
		l.v.Set(s)
	}
	return &merged, errs
}

// written turns a path of the merged policy into the path written in the
// override: an appended item's index counts from the override's list.
func (d *decoder) written(path string) string {
	for merged, w := range d.alias {
		if within(path, merged) {
			return w + path[len(merged):]
		}
	}
	return path
}
