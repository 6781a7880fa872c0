package metrics

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/model"
	"go.yaml.in/yaml/v3"
)

const docsDir = "../../docs/"

var (
	fqNameRE = regexp.MustCompile(`fqName: "([^"]+)"`)
	// metricRefRE finds our metric names in PromQL and prose.
	metricRefRE = regexp.MustCompile(`\bcredwatch_[a-zA-Z0-9_]+`)
	ruleNameRE  = regexp.MustCompile(`^[a-zA-Z_:][a-zA-Z0-9_:]*$`)
)

// exportedNames lists every metric name the collector and Ops can emit,
// from their descriptors.
func exportedNames(t *testing.T) []string {
	t.Helper()
	ch := make(chan *prometheus.Desc, 64)
	NewCollector().Describe(ch)
	NewOps().Describe(ch)
	close(ch)
	var names []string
	for d := range ch {
		m := fqNameRE.FindStringSubmatch(d.String())
		if m == nil {
			t.Fatalf("no fqName in %s", d)
		}
		names = append(names, m[1])
	}
	slices.Sort(names)
	return names
}

// checkRefs reports names in text that are not exported metrics.
func checkRefs(t *testing.T, where, text string, exported []string) {
	t.Helper()
	for _, ref := range metricRefRE.FindAllString(text, -1) {
		if !slices.Contains(exported, ref) {
			t.Errorf("%s uses %s, which credwatch does not export", where, ref)
		}
	}
}

func readDoc(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(docsDir + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestMetricsDocDocumentsEveryMetric(t *testing.T) {
	doc := string(readDoc(t, "metrics.md"))
	exported := exportedNames(t)
	if len(exported) != len(collectorDescs)+3 {
		t.Fatalf("found %d metric names, want %d", len(exported), len(collectorDescs)+3)
	}
	for _, name := range exported {
		if !strings.Contains(doc, "\n### `"+name+"`\n") {
			t.Errorf("docs/metrics.md has no section \"### `%s`\"", name)
		}
	}
	checkRefs(t, "docs/metrics.md", doc, exported)
}

// ruleFile is Prometheus' rule file format, decoded strictly so a typo in
// a key fails here rather than in Prometheus.
type ruleFile struct {
	Groups []struct {
		Name     string `yaml:"name"`
		Interval string `yaml:"interval"`
		Rules    []struct {
			Alert         string            `yaml:"alert"`
			Record        string            `yaml:"record"`
			Expr          string            `yaml:"expr"`
			For           string            `yaml:"for"`
			KeepFiringFor string            `yaml:"keep_firing_for"`
			Labels        map[string]string `yaml:"labels"`
			Annotations   map[string]string `yaml:"annotations"`
		} `yaml:"rules"`
	} `yaml:"groups"`
}

func TestPrometheusAlertRulesAreValid(t *testing.T) {
	raw := readDoc(t, "prometheus-alerts.yml")
	var rf ruleFile
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&rf); err != nil {
		t.Fatalf("prometheus-alerts.yml: %v", err)
	}
	exported := exportedNames(t)
	if len(rf.Groups) == 0 {
		t.Fatal("prometheus-alerts.yml has no groups")
	}
	var alerts []string
	groups := map[string]bool{}
	for _, g := range rf.Groups {
		if g.Name == "" || groups[g.Name] {
			t.Errorf("group name %q is empty or repeated", g.Name)
		}
		groups[g.Name] = true
		if len(g.Rules) == 0 {
			t.Errorf("group %s has no rules", g.Name)
		}
		for i, r := range g.Rules {
			where := g.Name + ".rules[" + r.Alert + r.Record + "]"
			if (r.Alert == "") == (r.Record == "") {
				t.Errorf("%s (#%d): want exactly one of alert and record", where, i)
			}
			if name := r.Alert + r.Record; !ruleNameRE.MatchString(name) {
				t.Errorf("%s: %q is not a valid alert or record name", where, name)
			}
			if strings.TrimSpace(r.Expr) == "" {
				t.Errorf("%s: empty expr", where)
			}
			if !balanced(r.Expr) {
				t.Errorf("%s: unbalanced brackets or quotes in expr %q", where, r.Expr)
			}
			if !metricRefRE.MatchString(r.Expr) {
				t.Errorf("%s: expr uses no credwatch metric", where)
			}
			checkRefs(t, where, r.Expr, exported)
			for _, d := range []string{r.For, r.KeepFiringFor, g.Interval} {
				if _, err := model.ParseDuration(d); d != "" && err != nil {
					t.Errorf("%s: duration %q: %v", where, d, err)
				}
			}
			if r.Alert != "" {
				alerts = append(alerts, r.Alert)
				if s := r.Labels["severity"]; s != "critical" && s != "warning" {
					t.Errorf("%s: severity label %q, want critical or warning", where, s)
				}
				if r.Annotations["summary"] == "" || r.Annotations["description"] == "" {
					t.Errorf("%s: needs summary and description annotations", where)
				}
			}
		}
	}
	for _, want := range []string{"CredwatchCredentialExpiresWithin7Days", "CredwatchCredentialExpiresWithin30Days",
		"CredwatchScanIncomplete", "CredwatchScanStale", "CredwatchNotificationFailures"} {
		if !slices.Contains(alerts, want) {
			t.Errorf("prometheus-alerts.yml lacks alert %s", want)
		}
	}
}

// balanced checks (), {}, [] nesting and closed double quotes: the
// mistakes a hand-edited PromQL expression most often has.
func balanced(s string) bool {
	var stack []rune
	pairs := map[rune]rune{')': '(', '}': '{', ']': '['}
	inQuote := false
	for i, r := range s {
		if inQuote {
			if r == '"' && (i == 0 || s[i-1] != '\\') {
				inQuote = false
			}
			continue
		}
		switch r {
		case '"':
			inQuote = true
		case '(', '{', '[':
			stack = append(stack, r)
		case ')', '}', ']':
			if len(stack) == 0 || stack[len(stack)-1] != pairs[r] {
				return false
			}
			stack = stack[:len(stack)-1]
		}
	}
	return len(stack) == 0 && !inQuote
}

func TestGrafanaDashboardQueriesOnlyExportedMetrics(t *testing.T) {
	raw := readDoc(t, "grafana-dashboard.json")
	var dash map[string]any
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("grafana-dashboard.json is not valid JSON: %v", err)
	}
	if dash["title"] == "" || dash["panels"] == nil {
		t.Fatal("grafana-dashboard.json has no title or panels")
	}
	var queries []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if s, ok := x.(string); ok && (k == "expr" || k == "query" || k == "definition") {
					queries = append(queries, s)
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(dash)
	exported := exportedNames(t)
	used := map[string]bool{}
	for _, q := range queries {
		if !balanced(q) {
			t.Errorf("unbalanced query %q", q)
		}
		checkRefs(t, "grafana-dashboard.json", q, exported)
		for _, ref := range metricRefRE.FindAllString(q, -1) {
			used[ref] = true
		}
	}
	for _, want := range []string{"credwatch_credential_expiry_timestamp_seconds", "credwatch_findings",
		"credwatch_scan_complete", "credwatch_scan_timestamp_seconds"} {
		if !used[want] {
			t.Errorf("grafana-dashboard.json never queries %s", want)
		}
	}
}
