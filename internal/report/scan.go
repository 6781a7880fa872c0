package report

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/credwatch/credwatch/internal/inventory"
	"github.com/credwatch/credwatch/internal/policy"
)

// SchemaVersion is the version of the JSON scan and inventory documents.
// It changes only when a field is removed or changes meaning; new fields
// may appear without a bump.
const SchemaVersion = 1

// Kinds name the JSON documents, so a reader can tell them apart.
const (
	ScanKind      = "credwatch.scan"
	InventoryKind = "credwatch.inventory"
)

// Scan is the document every scan format renders; its JSON form is the
// versioned public schema described in docs/json-output.md.
type Scan struct {
	SchemaVersion int    `json:"schemaVersion"`
	Kind          string `json:"kind"`
	Tenant        string `json:"tenant"`
	Source        string `json:"source"`
	// ScannedAt is when the findings were evaluated (the clock that days
	// left count from); CollectedAt is when the data was read, which is
	// earlier for a snapshot.
	ScannedAt   time.Time        `json:"scannedAt"`
	CollectedAt time.Time        `json:"collectedAt,omitzero"`
	Complete    bool             `json:"complete"`
	Incomplete  []string         `json:"incomplete,omitempty"`
	Summary     Summary          `json:"summary"`
	Credentials []CredentialRow  `json:"credentials"`
	Findings    []policy.Finding `json:"findings"`
}

// Summary holds the counts a reader wants first.
type Summary struct {
	Objects           int              `json:"objects"`
	Applications      int              `json:"applications"`
	ServicePrincipals int              `json:"servicePrincipals"`
	Credentials       CredentialCounts `json:"credentials"`
	// Findings counts the findings not covered by an exception; Suppressed
	// counts those that are.
	Findings   FindingCounts `json:"findings"`
	Suppressed int           `json:"suppressed"`
}

// CredentialCounts counts credentials by type. Expired counts those whose
// end date has passed.
type CredentialCounts struct {
	Total       int `json:"total"`
	Secret      int `json:"secret"`
	Certificate int `json:"certificate"`
	Federated   int `json:"federated"`
	Expired     int `json:"expired"`
}

// FindingCounts counts unsuppressed findings by severity.
type FindingCounts struct {
	Total    int `json:"total"`
	Critical int `json:"critical"`
	High     int `json:"high"`
	Medium   int `json:"medium"`
	Low      int `json:"low"`
	Info     int `json:"info"`
}

// CredentialRow is one credential with the context of the object it sits
// on: one row of the inventory.
type CredentialRow struct {
	ObjectType     inventory.ObjectType     `json:"objectType"`
	ObjectID       string                   `json:"objectId"`
	AppID          string                   `json:"appId"`
	AppName        string                   `json:"appName"`
	CredentialType inventory.CredentialType `json:"credentialType"`
	KeyID          string                   `json:"keyId"`
	Description    string                   `json:"description,omitempty"`
	Hint           string                   `json:"hint,omitempty"`
	Start          *time.Time               `json:"start,omitempty"`
	End            *time.Time               `json:"end,omitempty"`
	// DaysLeft is whole days from the scan to End, rounded down: 0 means
	// it ends within a day, negative that it has expired.
	DaysLeft   *int   `json:"daysLeft,omitempty"`
	Thumbprint string `json:"thumbprint,omitempty"`
	KeyType    string `json:"keyType,omitempty"`
	Usage      string `json:"usage,omitempty"`
	// Federated credentials.
	Issuer    string   `json:"issuer,omitempty"`
	Subject   string   `json:"subject,omitempty"`
	Audiences []string `json:"audiences,omitempty"`
	Owners    int      `json:"owners"`
	// Permissions are the application permissions granted, as
	// "Resource/Value" (e.g. "Microsoft Graph/Mail.ReadWrite"), sorted.
	Permissions []string `json:"permissions"`
}

// RuleInfo describes a rule for formats that carry a rule catalog
// (SARIF); the caller fills it from the policy catalog.
type RuleInfo struct {
	ID       string
	Title    string
	Help     string
	Severity policy.Severity
}

// Options tune rendering.
type Options struct {
	// ShowSuppressed includes findings covered by an exception in the
	// human formats (table, CSV, Markdown, HTML). JSON and SARIF always
	// carry them, marked.
	ShowSuppressed bool
	Rules          []RuleInfo
	// Now is the rendering clock; the scan's own time is used when zero.
	Now time.Time
	// ToolVersion is credwatch's version for SARIF's tool.driver.version;
	// the binary's build version is used when empty.
	ToolVersion string
}

// ErrUnknownFormat is wrapped by Write and WriteInventory when asked for a
// format they do not know.
var ErrUnknownFormat = errors.New("unknown format")

type scanFormat struct {
	name  string
	write func(*bytes.Buffer, *Scan, Options) error
}

// scanFormats lists the formats in the order Formats reports them.
var scanFormats = []scanFormat{
	{"table", writeTable},
	{"json", writeJSON},
	{"csv", writeCSV},
	{"sarif", writeSARIF},
	{"markdown", writeMarkdown},
	{"html", writeHTML},
}

// Formats lists the scan output formats Write accepts.
func Formats() []string {
	out := make([]string, len(scanFormats))
	for i, f := range scanFormats {
		out[i] = f.name
	}
	return out
}

// Write renders s in format to w. The whole report is rendered before the
// first byte is written, so a failure leaves w untouched.
func Write(w io.Writer, format string, s *Scan, o Options) error {
	if s == nil {
		return errors.New("render scan: no scan")
	}
	i := slices.IndexFunc(scanFormats, func(f scanFormat) bool { return f.name == format })
	if i < 0 {
		return fmt.Errorf("%w %q: want one of %s", ErrUnknownFormat, format, strings.Join(Formats(), ", "))
	}
	if o.Now.IsZero() {
		o.Now = s.ScannedAt
	}
	var buf bytes.Buffer
	if err := scanFormats[i].write(&buf, s, o); err != nil {
		return fmt.Errorf("render %s: %w", format, err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write %s report: %w", format, err)
	}
	return nil
}

// NewScan builds the scan document from a tenant and its findings,
// evaluated at now. Findings are copied and ordered: most severe first,
// then soonest deadline.
func NewScan(t *inventory.Tenant, findings []policy.Finding, now time.Time) *Scan {
	if t == nil {
		t = &inventory.Tenant{}
	}
	now = now.UTC()
	s := &Scan{
		SchemaVersion: SchemaVersion,
		Kind:          ScanKind,
		Tenant:        t.ID,
		Source:        t.Source,
		ScannedAt:     now,
		CollectedAt:   t.CollectedAt.UTC(),
		Complete:      t.Complete,
		Incomplete:    slices.Clone(t.Incomplete),
		Credentials:   credentialRows(t, now),
		Findings:      make([]policy.Finding, 0, len(findings)),
	}
	for _, f := range findings {
		if f.Deadline != nil {
			d := f.Deadline.UTC()
			f.Deadline = &d
		}
		s.Findings = append(s.Findings, f)
	}
	sortFindings(s.Findings)
	s.Summary = summarize(t, s.Credentials, s.Findings)
	return s
}

func summarize(t *inventory.Tenant, rows []CredentialRow, findings []policy.Finding) Summary {
	var sum Summary
	for _, o := range t.Objects {
		sum.Objects++
		switch o.Type {
		case inventory.Application:
			sum.Applications++
		case inventory.ServicePrincipal:
			sum.ServicePrincipals++
		}
	}
	for _, r := range rows {
		c := &sum.Credentials
		c.Total++
		switch r.CredentialType {
		case inventory.Secret:
			c.Secret++
		case inventory.Certificate:
			c.Certificate++
		case inventory.Federated:
			c.Federated++
		}
		if r.DaysLeft != nil && *r.DaysLeft < 0 {
			c.Expired++
		}
	}
	for _, f := range findings {
		if f.Suppressed {
			sum.Suppressed++
			continue
		}
		c := &sum.Findings
		c.Total++
		switch f.Severity {
		case policy.Critical:
			c.Critical++
		case policy.High:
			c.High++
		case policy.Medium:
			c.Medium++
		case policy.Low:
			c.Low++
		default:
			c.Info++
		}
	}
	return sum
}

// sortFindings orders by severity (worst first), then deadline (soonest
// first, none last), then app name and rule, and finally id so the order
// is total and outputs are stable.
func sortFindings(fs []policy.Finding) {
	slices.SortStableFunc(fs, func(a, b policy.Finding) int {
		if c := cmp.Compare(b.Severity, a.Severity); c != 0 {
			return c
		}
		if c := compareTimes(a.Deadline, b.Deadline); c != 0 {
			return c
		}
		if c := cmp.Compare(strings.ToLower(a.AppName), strings.ToLower(b.AppName)); c != 0 {
			return c
		}
		if c := cmp.Compare(a.RuleID, b.RuleID); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
}

// compareTimes orders set times before nil ones.
func compareTimes(a, b *time.Time) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	return a.Compare(*b)
}

// visibleFindings is what the human formats show: everything when asked,
// else only the unsuppressed findings.
func visibleFindings(s *Scan, o Options) []policy.Finding {
	if o.ShowSuppressed {
		return s.Findings
	}
	out := make([]policy.Finding, 0, len(s.Findings))
	for _, f := range s.Findings {
		if !f.Suppressed {
			out = append(out, f)
		}
	}
	return out
}

// severities lists the severities from worst to mildest.
var severities = []policy.Severity{policy.Critical, policy.High, policy.Medium, policy.Low, policy.Info}

// groupBySeverity splits ordered findings into runs of one severity, worst
// first, skipping empty groups.
func groupBySeverity(fs []policy.Finding) [][]policy.Finding {
	var groups [][]policy.Finding
	for _, sev := range severities {
		var g []policy.Finding
		for _, f := range fs {
			if f.Severity == sev || (sev == policy.Info && (f.Severity < policy.Info || f.Severity > policy.Critical)) {
				g = append(g, f)
			}
		}
		if len(g) > 0 {
			groups = append(groups, g)
		}
	}
	return groups
}

// countsLine is the severity breakdown shared by the table and Markdown.
func countsLine(c FindingCounts) string {
	return fmt.Sprintf("%d critical, %d high, %d medium, %d low, %d info", c.Critical, c.High, c.Medium, c.Low, c.Info)
}

// nouns is "1 secret" or "3 secrets".
func nouns(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// objectsLine and credentialsLine describe the inventory's size, shared
// by the table and Markdown.
func objectsLine(s Summary) string {
	return fmt.Sprintf("%s (%s, %s)", nouns(s.Objects, "object"), nouns(s.Applications, "application"), nouns(s.ServicePrincipals, "service principal"))
}

func credentialsLine(c CredentialCounts) string {
	return fmt.Sprintf("%s (%s, %s, %d federated; %d expired)", nouns(c.Total, "credential"), nouns(c.Secret, "secret"), nouns(c.Certificate, "certificate"), c.Federated, c.Expired)
}

// daysLeft is whole days from now to end, rounded down.
func daysLeft(end, now time.Time) int {
	d := end.Sub(now)
	days := int(d / (24 * time.Hour))
	if d < 0 && d%(24*time.Hour) != 0 {
		days--
	}
	return days
}

// leftText says how long is left in a few characters: "12d", "today",
// "3d ago".
func leftText(deadline *time.Time, now time.Time) string {
	if deadline == nil {
		return ""
	}
	return daysText(*deadline, now)
}

// daysText counts whole days in the direction of end, rounded down both
// ways, so it agrees with the findings' "expired N days ago".
func daysText(end, now time.Time) string {
	if end.Before(now) {
		return fmt.Sprintf("%dd ago", int(now.Sub(end)/(24*time.Hour)))
	}
	if d := daysLeft(end, now); d > 0 {
		return fmt.Sprintf("%dd", d)
	}
	return "today"
}

func dateText(t *time.Time) string {
	if t == nil {
		return ""
	}
	return t.UTC().Format(time.DateOnly)
}

// objectKind is the short object type the human formats show.
func objectKind(t inventory.ObjectType) string {
	switch t {
	case inventory.Application:
		return "app"
	case inventory.ServicePrincipal:
		return "sp"
	}
	return string(t)
}
