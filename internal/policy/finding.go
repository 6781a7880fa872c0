package policy

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/credwatch/credwatch/internal/inventory"
)

// Severity orders findings; the zero value is Info.
type Severity int

const (
	Info Severity = iota
	Low
	Medium
	High
	Critical
)

var severityNames = [...]string{"info", "low", "medium", "high", "critical"}

func (s Severity) String() string {
	if s < 0 || int(s) >= len(severityNames) {
		return fmt.Sprintf("severity(%d)", int(s))
	}
	return severityNames[s]
}

// ParseSeverity reads a severity name, in any letter case.
func ParseSeverity(s string) (Severity, error) {
	for i, n := range severityNames {
		if strings.EqualFold(s, n) {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (want one of %s)", s, strings.Join(severityNames[:], ", "))
}

// MarshalText writes the severity's name, so JSON and YAML carry words.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a severity name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Finding is one problem a rule found on one object or credential.
type Finding struct {
	// ID is stable across scans: a hash of rule, object and key id, so
	// history, suppressions and notifications can key on it.
	ID         string               `json:"id"`
	RuleID     string               `json:"ruleId"`
	Severity   Severity             `json:"severity"`
	ObjectType inventory.ObjectType `json:"objectType"`
	ObjectID   string               `json:"objectId"`
	AppID      string               `json:"appId"`
	AppName    string               `json:"appName"`
	KeyID      string               `json:"keyId,omitempty"`
	Message    string               `json:"message"`
	// Deadline is when the finding turns worse or the credential stops
	// working (usually the credential's end), if any.
	Deadline *time.Time `json:"deadline,omitempty"`
	// Evidence holds the facts behind the finding: thresholds used,
	// permissions, owners. Findings of one evaluation may share a map, so
	// treat it as read-only (copy before changing).
	Evidence map[string]string `json:"evidence,omitempty"`
	// Suppressed is set when a configured exception covers the finding;
	// suppressed findings stay in the output, marked.
	Suppressed        bool   `json:"suppressed,omitempty"`
	SuppressionReason string `json:"suppressionReason,omitempty"`
}

// FindingID is the stable id of a finding: the first 16 bytes of
// SHA-256(rule | object id | key id), hex.
func FindingID(ruleID, objectID, keyID string) string {
	sum := sha256.Sum256([]byte(ruleID + "|" + objectID + "|" + keyID))
	return hex.EncodeToString(sum[:16])
}
