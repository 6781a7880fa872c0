package loganalytics

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/credwatch/credwatch/internal/emulator/logsingestion"
)

const sentinelDir = "../../../docs/sentinel/"

// armTemplate is the part of docs/sentinel/credwatch-dcr.json the tests
// read. Its rule's stream declarations are read as the Logs Ingestion
// emulator reads them.
type armTemplate struct {
	streams   []logsingestion.Stream
	Resources []struct {
		Type       string `json:"type"`
		Kind       string `json:"kind"`
		Properties struct {
			Schema struct {
				Name    string                 `json:"name"`
				Columns []logsingestion.Column `json:"columns"`
			} `json:"schema"`
			DataFlows []struct {
				Streams      []string `json:"streams"`
				OutputStream string   `json:"outputStream"`
				TransformKql string   `json:"transformKql"`
			} `json:"dataFlows"`
		} `json:"properties"`
	} `json:"resources"`
}

func readTemplate(t *testing.T) armTemplate {
	t.Helper()
	raw, err := os.ReadFile(sentinelDir + "credwatch-dcr.json")
	if err != nil {
		t.Fatal(err)
	}
	var tpl armTemplate
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&tpl); err != nil {
		t.Fatalf("credwatch-dcr.json: %v", err)
	}
	if tpl.streams, err = logsingestion.StreamsFromDCR(raw); err != nil {
		t.Fatalf("credwatch-dcr.json: %v", err)
	}
	return tpl
}

// declared returns a table's columns and its input stream's columns.
func declared(t *testing.T, tpl armTemplate, table, stream string) (tableCols, streamCols []column) {
	t.Helper()
	conv := func(cs []logsingestion.Column) []column {
		var out []column
		for _, c := range cs {
			out = append(out, column{c.Name, c.Type})
		}
		return out
	}
	for _, s := range tpl.streams {
		if s.Name == stream {
			streamCols = conv(s.Columns)
		}
	}
	flows := 0
	for _, r := range tpl.Resources {
		switch r.Type {
		case "Microsoft.OperationalInsights/workspaces/tables":
			if r.Properties.Schema.Name == table {
				tableCols = conv(r.Properties.Schema.Columns)
			}
		case "Microsoft.Insights/dataCollectionRules":
			for _, f := range r.Properties.DataFlows {
				if slices.Equal(f.Streams, []string{stream}) && f.OutputStream == "Custom-"+table {
					flows++
				}
			}
		}
	}
	if tableCols == nil || streamCols == nil || flows != 1 {
		t.Fatalf("credwatch-dcr.json: table %s (%d columns), stream %s (%d columns), %d data flows between them; want both and one flow",
			table, len(tableCols), stream, len(streamCols), flows)
	}
	return tableCols, streamCols
}

func TestRowsMatchTheDeclaredTablesAndStreams(t *testing.T) {
	tpl := readTemplate(t)
	cases := []struct {
		row           reflect.Type
		table, stream string
	}{
		{reflect.TypeFor[FindingRow](), FindingsTable, FindingsStream},
		{reflect.TypeFor[CredentialRow](), CredentialsTable, CredentialsStream},
	}
	for _, tc := range cases {
		t.Run(tc.table, func(t *testing.T) {
			emitted := rowColumns(t, tc.row)
			tableCols, streamCols := declared(t, tpl, tc.table, tc.stream)
			for _, d := range []struct {
				what string
				cols []column
			}{{"table " + tc.table, tableCols}, {"stream " + tc.stream, streamCols}} {
				for _, e := range emitted {
					if !slices.Contains(d.cols, e) {
						t.Errorf("Go column %s (%s) is not declared in %s", e.name, e.kqlType, d.what)
					}
				}
				for _, c := range d.cols {
					if !slices.Contains(emitted, c) {
						t.Errorf("%s declares %s (%s), which the Go rows do not emit", d.what, c.name, c.kqlType)
					}
				}
			}
		})
	}
}

// analyticRule is the Azure-Sentinel repository's scheduled rule format,
// decoded strictly so a misspelt key fails here.
type analyticRule struct {
	ID                     string   `yaml:"id"`
	Name                   string   `yaml:"name"`
	Description            string   `yaml:"description"`
	Severity               string   `yaml:"severity"`
	Status                 string   `yaml:"status"`
	RequiredDataConnectors []any    `yaml:"requiredDataConnectors"`
	QueryFrequency         string   `yaml:"queryFrequency"`
	QueryPeriod            string   `yaml:"queryPeriod"`
	TriggerOperator        string   `yaml:"triggerOperator"`
	TriggerThreshold       *int     `yaml:"triggerThreshold"`
	Tactics                []string `yaml:"tactics"`
	RelevantTechniques     []string `yaml:"relevantTechniques"`
	Query                  string   `yaml:"query"`
	EntityMappings         []struct {
		EntityType    string `yaml:"entityType"`
		FieldMappings []struct {
			Identifier string `yaml:"identifier"`
			ColumnName string `yaml:"columnName"`
		} `yaml:"fieldMappings"`
	} `yaml:"entityMappings"`
	CustomDetails        map[string]string `yaml:"customDetails"`
	AlertDetailsOverride struct {
		AlertDisplayNameFormat  string `yaml:"alertDisplayNameFormat"`
		AlertDescriptionFormat  string `yaml:"alertDescriptionFormat"`
		AlertSeverityColumnName string `yaml:"alertSeverityColumnName"`
	} `yaml:"alertDetailsOverride"`
	EventGroupingSettings struct {
		AggregationKind string `yaml:"aggregationKind"`
	} `yaml:"eventGroupingSettings"`
	Version string `yaml:"version"`
	Kind    string `yaml:"kind"`
}

var (
	guidRE      = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	periodRE    = regexp.MustCompile(`^([1-9][0-9]*)([mhd])$`)
	projectRE   = regexp.MustCompile(`(?m)^\s*\| project (.+)$`)
	definedRE   = regexp.MustCompile(`\b([A-Z][A-Za-z0-9_]*) =`)
	placeholder = regexp.MustCompile(`\{\{([A-Za-z0-9_]+)\}\}`)
	tactics     = []string{"Reconnaissance", "ResourceDevelopment", "InitialAccess", "Execution", "Persistence",
		"PrivilegeEscalation", "DefenseEvasion", "CredentialAccess", "Discovery", "LateralMovement",
		"Collection", "CommandAndControl", "Exfiltration", "Impact"}
)

// minutes converts a rule period (5m, 1h, 14d).
func minutes(p string) int {
	m := periodRE.FindStringSubmatch(p)
	if m == nil {
		return -1
	}
	n := 0
	for _, c := range m[1] {
		n = n*10 + int(c-'0')
	}
	return n * map[string]int{"m": 1, "h": 60, "d": 1440}[m[2]]
}

func TestAnalyticRulesAreWellFormedAndUseDeclaredColumns(t *testing.T) {
	tpl := readTemplate(t)
	columns := map[string][]string{}
	for _, tc := range []struct{ table, stream string }{{FindingsTable, FindingsStream}, {CredentialsTable, CredentialsStream}} {
		cols, _ := declared(t, tpl, tc.table, tc.stream)
		for _, c := range cols {
			columns[tc.table] = append(columns[tc.table], c.name)
		}
	}
	files, err := filepath.Glob(sentinelDir + "analytic-rules/*.yaml")
	if err != nil || len(files) < 4 {
		t.Fatalf("analytic rules: %d files (%v), want at least 4", len(files), err)
	}
	ids := map[string]string{}
	var queries string
	for _, file := range files {
		name := filepath.Base(file)
		raw, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var r analyticRule
		dec := yaml.NewDecoder(bytes.NewReader(raw))
		dec.KnownFields(true)
		if err := dec.Decode(&r); err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		queries += r.Query
		if !guidRE.MatchString(r.ID) || ids[r.ID] != "" {
			t.Errorf("%s: id %q is not a fresh lower-case GUID (also in %s)", name, r.ID, ids[r.ID])
		}
		ids[r.ID] = name
		if r.Name == "" || r.Description == "" || r.Query == "" || r.Version == "" || r.Kind != "Scheduled" || r.Status == "" {
			t.Errorf("%s: name, description, query, version and status are required, kind Scheduled", name)
		}
		if !slices.Contains([]string{"Informational", "Low", "Medium", "High"}, r.Severity) {
			t.Errorf("%s: severity %q", name, r.Severity)
		}
		if r.TriggerThreshold == nil || !slices.Contains([]string{"gt", "lt", "eq", "ne"}, r.TriggerOperator) {
			t.Errorf("%s: triggerOperator %q / triggerThreshold missing", name, r.TriggerOperator)
		}
		f, p := minutes(r.QueryFrequency), minutes(r.QueryPeriod)
		if f < 5 || p < f || p > 14*1440 {
			t.Errorf("%s: queryFrequency %q, queryPeriod %q: want 5m ≤ frequency ≤ period ≤ 14d", name, r.QueryFrequency, r.QueryPeriod)
		}
		for _, tac := range r.Tactics {
			if !slices.Contains(tactics, tac) {
				t.Errorf("%s: unknown tactic %q", name, tac)
			}
		}
		// Columns the rule may use: those of the tables it reads, and
		// those its query defines.
		var known []string
		for table, cols := range columns {
			if strings.Contains(r.Query, table) {
				known = append(known, cols...)
			}
		}
		if len(known) == 0 {
			t.Errorf("%s: the query reads neither %s nor %s", name, FindingsTable, CredentialsTable)
		}
		for _, m := range definedRE.FindAllStringSubmatch(r.Query, -1) {
			known = append(known, m[1])
		}
		use := func(what, col string) {
			if !slices.Contains(known, col) {
				t.Errorf("%s: %s uses %q, which is neither a declared column nor defined by the query", name, what, col)
			}
		}
		for _, m := range projectRE.FindAllStringSubmatch(r.Query, -1) {
			for _, c := range strings.Split(m[1], ",") {
				use("project", strings.TrimSpace(c))
			}
		}
		for _, e := range r.EntityMappings {
			for _, fm := range e.FieldMappings {
				use("entity mapping "+e.EntityType, fm.ColumnName)
			}
		}
		for k, c := range r.CustomDetails {
			use("custom detail "+k, c)
		}
		if c := r.AlertDetailsOverride.AlertSeverityColumnName; c != "" {
			use("alertSeverityColumnName", c)
		}
		for _, s := range []string{r.AlertDetailsOverride.AlertDisplayNameFormat, r.AlertDetailsOverride.AlertDescriptionFormat} {
			for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
				use("alert details", m[1])
			}
		}
	}
	for _, rule := range []string{`RuleId == "CW020"`, `RuleId == "CW030"`} {
		if !strings.Contains(queries, rule) {
			t.Errorf("no analytic rule filters on %s", rule)
		}
	}
}
