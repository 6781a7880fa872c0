package loganalytics

import (
	"time"

	"github.com/credwatch/credwatch/internal/inventory"
	"github.com/credwatch/credwatch/internal/policy"
)

// The DCR input streams declared in docs/sentinel, and the tables they
// land in.
const (
	FindingsStream    = "Custom-CredwatchFindings"
	CredentialsStream = "Custom-CredwatchCredentials"
	FindingsTable     = "CredwatchFindings_CL"
	CredentialsTable  = "CredwatchCredentials_CL"
)

// FindingRow is one row of CredwatchFindings_CL. Column names follow the
// API's rules: they start with a letter, are at most 45 letters, digits and
// underscores long, and avoid the reserved names (TenantId, Type, Title,
// id, ...), hence EntraTenantId. Every column is always sent, null when
// unknown, so the stream declaration and the rows stay in step.
type FindingRow struct {
	TimeGenerated     time.Time         `json:"TimeGenerated"` // the scan time, shared by a scan's rows
	EntraTenantID     string            `json:"EntraTenantId"`
	FindingID         string            `json:"FindingId"`
	RuleID            string            `json:"RuleId"`
	RuleTitle         string            `json:"RuleTitle"`
	Severity          string            `json:"Severity"` // info, low, medium, high, critical
	ObjectType        string            `json:"ObjectType"`
	ObjectID          string            `json:"ObjectId"`
	AppID             string            `json:"AppId"`
	AppName           string            `json:"AppName"`
	KeyID             string            `json:"KeyId"`
	Message           string            `json:"Message"`
	Deadline          *time.Time        `json:"Deadline"`
	Evidence          map[string]string `json:"Evidence"`
	Suppressed        bool              `json:"Suppressed"`
	SuppressionReason string            `json:"SuppressionReason"`
}

// CredentialRow is one row of CredwatchCredentials_CL: one credential of an
// application or service principal as the scan saw it. It holds no secret:
// only the hint Graph reports and ids.
type CredentialRow struct {
	TimeGenerated time.Time `json:"TimeGenerated"`
	EntraTenantID string    `json:"EntraTenantId"`
	// ScanComplete is false when the scan missed something: a credential
	// absent from an incomplete scan may still exist.
	ScanComplete         bool       `json:"ScanComplete"`
	Source               string     `json:"Source"`
	ObjectType           string     `json:"ObjectType"`
	ObjectID             string     `json:"ObjectId"`
	AppID                string     `json:"AppId"`
	AppName              string     `json:"AppName"`
	ServicePrincipalType string     `json:"ServicePrincipalType"`
	SignInAudience       string     `json:"SignInAudience"`
	FirstParty           bool       `json:"FirstParty"`
	CredentialType       string     `json:"CredentialType"` // secret, certificate, federated
	KeyID                string     `json:"KeyId"`
	CredentialName       string     `json:"CredentialName"`
	Hint                 string     `json:"Hint"`
	StartDateTime        *time.Time `json:"StartDateTime"`
	EndDateTime          *time.Time `json:"EndDateTime"`
	Thumbprint           string     `json:"Thumbprint"`
	KeyType              string     `json:"KeyType"`
	KeyUsage             string     `json:"KeyUsage"`
	Issuer               string     `json:"Issuer"`
	Subject              string     `json:"Subject"`
	Audiences            []string   `json:"Audiences"`
	// Owners are user principal names, or display names and ids for
	// owners without one.
	Owners []string `json:"Owners"`
}

// FindingRows turns a scan's findings into CredwatchFindings_CL rows, in
// order, suppressed ones included and marked.
func FindingRows(tenant string, scannedAt time.Time, f []policy.Finding) []any {
	at := scannedAt.UTC()
	titles := map[string]string{}
	out := make([]any, 0, len(f))
	for i := range f {
		x := &f[i]
		title, ok := titles[x.RuleID]
		if !ok {
			if info, found := policy.Lookup(x.RuleID); found {
				title = info.Title
			}
			titles[x.RuleID] = title
		}
		out = append(out, FindingRow{
			TimeGenerated:     at,
			EntraTenantID:     tenant,
			FindingID:         x.ID,
			RuleID:            x.RuleID,
			RuleTitle:         title,
			Severity:          x.Severity.String(),
			ObjectType:        string(x.ObjectType),
			ObjectID:          x.ObjectID,
			AppID:             x.AppID,
			AppName:           x.AppName,
			KeyID:             x.KeyID,
			Message:           x.Message,
			Deadline:          utcPtr(x.Deadline),
			Evidence:          x.Evidence,
			Suppressed:        x.Suppressed,
			SuppressionReason: x.SuppressionReason,
		})
	}
	return out
}

// CredentialRows turns a scan's inventory into CredwatchCredentials_CL
// rows, one per credential, in inventory order. A nil tenant has none.
func CredentialRows(tenant string, scannedAt time.Time, t *inventory.Tenant) []any {
	if t == nil {
		return nil
	}
	at := scannedAt.UTC()
	var out []any
	for i := range t.Objects {
		o := &t.Objects[i]
		owners := ownerNames(o.Owners)
		for j := range o.Credentials {
			c := &o.Credentials[j]
			out = append(out, CredentialRow{
				TimeGenerated:        at,
				EntraTenantID:        tenant,
				ScanComplete:         t.Complete,
				Source:               t.Source,
				ObjectType:           string(o.Type),
				ObjectID:             o.ID,
				AppID:                o.AppID,
				AppName:              o.DisplayName,
				ServicePrincipalType: o.ServicePrincipalType,
				SignInAudience:       o.SignInAudience,
				FirstParty:           o.FirstParty,
				CredentialType:       string(c.Type),
				KeyID:                c.KeyID,
				CredentialName:       c.DisplayName,
				Hint:                 c.Hint,
				StartDateTime:        timePtr(c.Start),
				EndDateTime:          timePtr(c.End),
				Thumbprint:           c.Thumbprint,
				KeyType:              c.KeyType,
				KeyUsage:             c.Usage,
				Issuer:               c.Issuer,
				Subject:              c.Subject,
				Audiences:            c.Audiences,
				Owners:               owners,
			})
		}
	}
	return out
}

func ownerNames(os []*inventory.Owner) []string {
	if len(os) == 0 {
		return nil
	}
	out := make([]string, 0, len(os))
	for _, o := range os {
		switch {
		case o.UserPrincipalName != "":
			out = append(out, o.UserPrincipalName)
		case o.DisplayName != "":
			out = append(out, o.DisplayName+" ("+o.ID+")")
		default:
			out = append(out, o.ID)
		}
	}
	return out
}

// timePtr is nil for a missing date, so the column is null, not year 1.
func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	return timePtr(*t)
}
