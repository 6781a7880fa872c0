package notify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/credwatch/credwatch/internal/policy"
)

// ownerWork is one owner's due findings.
type ownerWork struct {
	addr  string
	items []Item
}

// ownerKey is the state channel of one owner's email: each owner gets each
// reminder once, whatever happens to the other owners' mail.
func ownerKey(addr string) string { return "owner:" + addr }

// ownerAddresses are the email addresses of the finding's object's user
// owners, when owners' email is on and the finding is severe enough.
// Addresses are lower-cased: directories spell one mailbox several ways,
// and its owner should get one email.
func (n *Notifier) ownerAddresses(ix *tenantIndex, f *policy.Finding) []string {
	oe := &n.cfg.OwnerEmail
	if !oe.Enabled || f.Severity < oe.MinSeverity {
		return nil
	}
	o := ix.object(f)
	if o == nil {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for _, ow := range o.Owners {
		a := strings.ToLower(ownerAddress(ow))
		if a == "" || seen[a] {
			continue
		}
		seen[a] = true
		out = append(out, a)
	}
	return out
}

// runOwners sends each owner one email listing their apps' due findings,
// each within ChannelTimeout. One owner's refused address does not stop
// the others; a server that cannot be reached (or a missing password)
// does: the rest are recorded as failed without trying.
func (n *Notifier) runOwners(ctx context.Context, tenant string, ch *channel, work []ownerWork, now time.Time, j *job) {
	var broken error
	for _, w := range work {
		items := append([]Item(nil), w.items...)
		sortItems(items)
		m := &Message{Tenant: tenant, GeneratedAt: now, Items: items, Part: 1, Parts: 1, Owner: true}
		err := broken
		if err == nil {
			if err = ctx.Err(); err != nil {
				err = fmt.Errorf("not tried: %w", err)
			}
		}
		if err == nil {
			sctx, cancel := context.WithTimeout(ctx, n.opts.ChannelTimeout)
			raw := n.sendEmail(sctx, ch.cfg, m, []string{w.addr})
			cancel()
			err = n.red.scrubErr(raw)
			var te *transientError
			if errors.As(raw, &te) || errors.Is(raw, ErrSecretUnavailable) {
				broken = fmt.Errorf("not tried after an earlier failure: %w", err)
			}
		}
		n.account(ctx, tenant, ownerKey(w.addr), items, err, j)
	}
	n.logResult(&j.rep)
}
