package notify

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/credwatch/credwatch/internal/policy"
)

// compileGlob turns an app-name glob into an anchored, case-insensitive
// regular expression: * any run, ? one character, [abc] / [a-z] a class
// ([!abc] or [^abc] its complement); everything else is literal. The same
// syntax as the policy's name globs.
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
		return nil, fmt.Errorf("invalid glob %q", g)
	}
	return re, nil
}

// route is a compiled Route.
type route struct {
	channels    []string
	minSeverity policy.Severity
	rules       []string
	globs       []*regexp.Regexp
	tags        []string
}

func compileRoutes(rs []Route) ([]route, error) {
	out := make([]route, len(rs))
	for i, r := range rs {
		cr := route{channels: r.Channels, minSeverity: r.MinSeverity}
		for _, id := range r.Rules {
			cr.rules = append(cr.rules, strings.ToUpper(id))
		}
		for _, g := range r.AppGlobs {
			re, err := compileGlob(g)
			if err != nil {
				return nil, fmt.Errorf("routes[%d]: %w", i, err)
			}
			cr.globs = append(cr.globs, re)
		}
		for _, t := range r.Tags {
			cr.tags = append(cr.tags, strings.ToLower(t))
		}
		out[i] = cr
	}
	return out, nil
}

// matches reports whether the route takes the finding; tags are the
// finding's object's tags, lower-cased.
func (r *route) matches(f *policy.Finding, tags []string) bool {
	if f.Severity < r.minSeverity {
		return false
	}
	if len(r.rules) > 0 && !slices.Contains(r.rules, strings.ToUpper(f.RuleID)) {
		return false
	}
	if len(r.globs) > 0 && !slices.ContainsFunc(r.globs, func(re *regexp.Regexp) bool { return re.MatchString(f.AppName) }) {
		return false
	}
	if len(r.tags) > 0 && !slices.ContainsFunc(r.tags, func(t string) bool { return slices.Contains(tags, t) }) {
		return false
	}
	return true
}

// channelsFor is the set of channels the finding goes to, in configuration
// order of the routes and their channels, without repeats. Suppressed
// findings go nowhere.
func channelsFor(routes []route, f *policy.Finding, tags []string) []string {
	if f.Suppressed {
		return nil
	}
	var out []string
	for i := range routes {
		if !routes[i].matches(f, tags) {
			continue
		}
		for _, ch := range routes[i].channels {
			if !slices.Contains(out, ch) {
				out = append(out, ch)
			}
		}
	}
	return out
}
