package notify

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/credwatch/credwatch/internal/policy"
)

// Webhook headers and payload identity.
const (
	SignatureHeader = "X-Credwatch-Signature"
	TimestampHeader = "X-Credwatch-Timestamp"
	// WebhookSchemaVersion versions the generic webhook's JSON body.
	WebhookSchemaVersion = 1
	webhookKind          = "credwatch.notification"
	// webhookMaxItems bounds one request body; more become several.
	webhookMaxItems = 500
)

// WebhookPayload is the generic webhook's JSON body.
type WebhookPayload struct {
	SchemaVersion int              `json:"schemaVersion"`
	Kind          string           `json:"kind"`
	Test          bool             `json:"test,omitempty"`
	Tenant        string           `json:"tenant"`
	GeneratedAt   time.Time        `json:"generatedAt"`
	Part          int              `json:"part"`
	Parts         int              `json:"parts"`
	Findings      []WebhookFinding `json:"findings"`
}

// WebhookFinding is a finding as the scan's JSON has it, plus why it is
// sent now.
type WebhookFinding struct {
	policy.Finding
	// Event is "new" for a finding's one announcement, "reminder" for a
	// deadline reminder.
	Event string `json:"event"`
	// ReminderDays is the reminder's threshold in days before the
	// deadline (0 = on expiry); absent for "new".
	ReminderDays *int     `json:"reminderDays,omitempty"`
	DaysLeft     *int     `json:"daysLeft,omitempty"`
	Description  string   `json:"description,omitempty"`
	RunbookURL   string   `json:"runbookUrl,omitempty"`
	Owners       []string `json:"owners,omitempty"`
}

// webhookSend posts the JSON body, signed when the channel has a key.
func (n *Notifier) webhookSend(ch *ChannelConfig) func(context.Context, *Message) error {
	return func(ctx context.Context, m *Message) error {
		target, err := n.resolveURL(secretRef{"url", ch.URLEnv, ch.URLFile})
		if err != nil {
			return err
		}
		var key []byte
		if ref := (secretRef{"secret", ch.SecretEnv, ch.SecretFile}); ref.set() {
			k, err := n.resolve(ref)
			if err != nil {
				return err
			}
			key = []byte(k)
		}
		body, err := webhookPayload(m)
		if err != nil {
			return err
		}
		return n.post(ctx, ch.Name, target, body, func(h http.Header) {
			if key == nil {
				return
			}
			// A fresh timestamp per try, so a receiver may reject old ones.
			ts := strconv.FormatInt(n.opts.Now().Unix(), 10)
			h.Set(TimestampHeader, ts)
			h.Set(SignatureHeader, Sign(key, ts, body))
		})
	}
}

func webhookPayload(m *Message) ([]byte, error) {
	p := WebhookPayload{SchemaVersion: WebhookSchemaVersion, Kind: webhookKind, Test: m.Test, Tenant: m.Tenant,
		GeneratedAt: m.GeneratedAt.UTC(), Part: m.Part, Parts: m.Parts, Findings: make([]WebhookFinding, len(m.Items))}
	for i := range m.Items {
		it := &m.Items[i]
		wf := WebhookFinding{Finding: it.Finding, Event: "new", DaysLeft: it.DaysLeft,
			Description: it.Description, RunbookURL: it.RunbookURL, Owners: it.Owners}
		if it.Reminder != FirstSeen {
			d := it.Reminder
			wf.Event, wf.ReminderDays = "reminder", &d
		}
		p.Findings[i] = wf
	}
	return json.Marshal(p)
}

// Sign is the X-Credwatch-Signature value of a body sent at timestamp
// (Unix seconds, as in X-Credwatch-Timestamp): "sha256=" and the hex
// HMAC-SHA256, under key, of timestamp + "." + body.
func Sign(key []byte, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(timestamp))
	mac.Write([]byte("."))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// VerifySignature checks a received webhook in constant time: the
// signature must match and the timestamp be within maxAge of now (0 skips
// the age check). Receivers written in Go can use it as it is.
func VerifySignature(key []byte, timestamp string, body []byte, signature string, now time.Time, maxAge time.Duration) bool {
	if !strings.HasPrefix(signature, "sha256=") {
		return false
	}
	if maxAge > 0 {
		sec, err := strconv.ParseInt(timestamp, 10, 64)
		if err != nil {
			return false
		}
		age := now.Sub(time.Unix(sec, 0))
		if age > maxAge || age < -maxAge {
			return false
		}
	}
	return hmac.Equal([]byte(Sign(key, timestamp, body)), []byte(signature))
}
