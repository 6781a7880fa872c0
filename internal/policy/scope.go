package policy

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/credwatch/credwatch/internal/inventory"
)

// compileGlob turns a name glob into an anchored, case-insensitive regular
// expression: * matches any run of characters, ? one character, [abc] and
// [a-z] a class ([!abc] or [^abc] its complement). Everything else is
// literal.
func compileGlob(g string) (*regexp.Regexp, error) {
	if strings.TrimSpace(g) == "" {
		return nil, fmt.Errorf("empty glob")
	}
	var b strings.Builder
	b.WriteString("(?is)^")
	for i := 0; i < len(g); i++ {
		switch c := g[i]; c {
		case '*':
			b.WriteString(".*")
		case '?':
			b.WriteByte('.')
		case '[':
			j := i + 1
			if j < len(g) && (g[j] == '!' || g[j] == '^') {
				j++
			}
			if j < len(g) && g[j] == ']' { // a leading ] is literal
				j++
			}
			k := strings.IndexByte(g[j:], ']')
			if k < 0 {
				return nil, fmt.Errorf("invalid glob %q: unclosed [", g)
			}
			end := j + k
			class := g[i+1 : end]
			b.WriteByte('[')
			if class[0] == '!' || class[0] == '^' {
				b.WriteByte('^')
				class = class[1:]
			}
			b.WriteString(strings.ReplaceAll(class, `\`, `\\`))
			b.WriteByte(']')
			i = end
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteByte('$')
	re, err := regexp.Compile(b.String())
	if err != nil {
		return nil, fmt.Errorf("invalid glob %q: %s", g, regexpReason(err))
	}
	return re, nil
}

// selector is a compiled Selector.
type selector struct {
	appIDs []string
	names  []*regexp.Regexp
	tags   []string
}

func compileSelector(s Selector) selector {
	out := selector{appIDs: s.AppIDs, tags: s.Tags}
	for _, g := range s.Names {
		// Validate reports bad globs; here one simply never matches.
		if re, err := compileGlob(g); err == nil {
			out.names = append(out.names, re)
		}
	}
	return out
}

func (s *selector) empty() bool {
	return len(s.appIDs) == 0 && len(s.names) == 0 && len(s.tags) == 0
}

func (s *selector) match(o *inventory.Object) bool {
	for _, id := range s.appIDs {
		if strings.EqualFold(strings.TrimSpace(id), o.AppID) {
			return true
		}
	}
	for _, re := range s.names {
		if re.MatchString(o.DisplayName) {
			return true
		}
	}
	for _, want := range s.tags {
		for _, tag := range o.Tags {
			if strings.EqualFold(want, tag) {
				return true
			}
		}
	}
	return false
}

// scope is a compiled Scope; the zero value selects everything.
type scope struct {
	set              bool
	include, exclude selector
}

func compileScope(s Scope) scope {
	if s.IsZero() {
		return scope{}
	}
	return scope{set: true, include: compileSelector(s.Include), exclude: compileSelector(s.Exclude)}
}

func (s *scope) contains(o *inventory.Object) bool {
	if !s.set {
		return true
	}
	if !s.include.empty() && !s.include.match(o) {
		return false
	}
	return !s.exclude.match(o)
}
