package notify

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// Receiver is a local endpoint for credwatch's generic webhook: it checks
// each delivery's signature (when it has the key) and writes one line per
// finding received, so a team can watch notifications arrive without a
// chat workspace. `credwatch notify receive` serves it.
type Receiver struct {
	Key []byte    // HMAC key; nil accepts unsigned deliveries
	Out io.Writer // one line per finding
	Now func() time.Time

	mu       sync.Mutex
	received int
}

// maxDelivery bounds a delivery body: digests are split well below it.
const maxDelivery = 4 << 20

func (rc *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST a credwatch webhook delivery", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxDelivery))
	if err != nil {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return
	}
	now := time.Now
	if rc.Now != nil {
		now = rc.Now
	}
	if rc.Key != nil && !VerifySignature(rc.Key, r.Header.Get(TimestampHeader), body, r.Header.Get(SignatureHeader), now(), 5*time.Minute) {
		rc.printf("rejected a delivery to %s: bad or missing %s\n", r.URL.Path, SignatureHeader)
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var p WebhookPayload
	if err := json.Unmarshal(body, &p); err != nil || p.Kind != webhookKind {
		rc.printf("rejected a delivery to %s: not a credwatch webhook payload\n", r.URL.Path)
		http.Error(w, "not a credwatch webhook payload", http.StatusBadRequest)
		return
	}
	for _, f := range p.Findings {
		left := ""
		switch {
		case f.DaysLeft == nil:
		case *f.DaysLeft < 0:
			left = " (expired)"
		default:
			left = fmt.Sprintf(" (%d days left)", *f.DaysLeft)
		}
		// Names are attacker-chosen: %q keeps control characters visible.
		rc.printf("%s %s %-8s %s %q: %s%s\n", p.Tenant, f.RuleID, f.Severity, f.Event, f.AppName, f.Message, left)
	}
	if len(p.Findings) == 0 {
		rc.printf("%s: delivery with no findings (test %v)\n", p.Tenant, p.Test)
	}
	rc.mu.Lock()
	rc.received += len(p.Findings)
	rc.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// Received counts the findings delivered so far.
func (rc *Receiver) Received() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.received
}

func (rc *Receiver) printf(format string, args ...any) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	fmt.Fprintf(rc.Out, format, args...)
}
