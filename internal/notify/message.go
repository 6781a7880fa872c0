package notify

import (
	"cmp"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/credwatch/credwatch/internal/inventory"
	"github.com/credwatch/credwatch/internal/policy"
)

// Message is one notification: a digest of due findings, or one finding
// when digest mode is off. Every channel renders the same Message.
type Message struct {
	Tenant      string
	GeneratedAt time.Time
	// Items are the due findings, most severe and soonest first.
	Items []Item
	// Part and Parts number the messages of a digest split to fit a chat
	// channel's size limits; 1 and 1 otherwise.
	Part, Parts int
	// Test marks the sample `credwatch notify test` sends.
	Test bool
	// Owner is set on an email to an app owner: it says why they get it.
	Owner bool
}

// Item is one due finding with what a reader needs to act on it.
type Item struct {
	policy.Finding
	// Reminder is the threshold (days before the deadline) this message is
	// the reminder for, or FirstSeen.
	Reminder int
	// DaysLeft counts whole days to the deadline (negative once passed);
	// nil without a deadline.
	DaysLeft *int
	// Description is the credential's description, when the finding is
	// about one; RunbookURL the first http(s) URL in it.
	Description string
	RunbookURL  string
	// Owners name the object's owners (display name and address).
	Owners []string
}

// tenantIndex finds a finding's object and credential in the scan.
type tenantIndex struct {
	objects map[string]*inventory.Object
}

func newTenantIndex(t *inventory.Tenant) *tenantIndex {
	ix := &tenantIndex{objects: make(map[string]*inventory.Object, len(t.Objects))}
	for i := range t.Objects {
		o := &t.Objects[i]
		if _, dup := ix.objects[o.ID]; !dup {
			ix.objects[o.ID] = o
		}
	}
	return ix
}

func (ix *tenantIndex) object(f *policy.Finding) *inventory.Object {
	if f.ObjectID == "" {
		return nil
	}
	return ix.objects[f.ObjectID]
}

// tags are the finding's object's tags, lower-cased for matching.
func (ix *tenantIndex) tags(f *policy.Finding) []string {
	o := ix.object(f)
	if o == nil {
		return nil
	}
	out := make([]string, len(o.Tags))
	for i, t := range o.Tags {
		out[i] = strings.ToLower(t)
	}
	return out
}

// item describes a finding due for the given reminder.
func (ix *tenantIndex) item(f policy.Finding, reminder int, now time.Time) Item {
	it := Item{Finding: f, Reminder: reminder}
	if f.Deadline != nil {
		d := daysLeft(*f.Deadline, now)
		it.DaysLeft = &d
	}
	o := ix.object(&f)
	if o == nil {
		return it
	}
	if f.KeyID != "" {
		for i := range o.Credentials {
			c := &o.Credentials[i]
			if c.KeyID == f.KeyID || (c.PairedKeyID != "" && c.PairedKeyID == f.KeyID) {
				it.Description = c.DisplayName
				it.RunbookURL = runbookURL(c.DisplayName)
				break
			}
		}
	}
	for _, ow := range o.Owners {
		it.Owners = append(it.Owners, ownerLabel(ow))
	}
	return it
}

func ownerLabel(o *inventory.Owner) string {
	addr := ownerAddress(o)
	switch {
	case o.DisplayName != "" && addr != "":
		return o.DisplayName + " <" + addr + ">"
	case o.DisplayName != "":
		return o.DisplayName
	case addr != "":
		return addr
	}
	return o.ID
}

// ownerAddress is where a user owner's email goes: Mail, else a
// userPrincipalName that is an address. Only users have one.
func ownerAddress(o *inventory.Owner) string {
	if o.Type != inventory.OwnerUser {
		return ""
	}
	for _, a := range []string{o.Mail, o.UserPrincipalName} {
		a = strings.TrimSpace(a)
		if i := strings.IndexByte(a, '@'); i > 0 && i < len(a)-1 && !strings.ContainsAny(a, " <>\r\n,;\"") {
			return a
		}
	}
	return ""
}

var urlRE = regexp.MustCompile(`(?i)\bhttps?://[^\s<>"'` + "`" + `]+`)

// runbookURL is the first http(s) URL in a credential description, with
// trailing punctuation of the sentence around it dropped.
func runbookURL(desc string) string {
	m := urlRE.FindString(desc)
	m = strings.TrimRight(m, ".,;:!?)]}")
	if m == "" {
		return ""
	}
	u, err := url.Parse(m)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return ""
	}
	return u.String()
}

// sortItems orders items as the reports do: most severe first, then the
// soonest deadline (none last), then id.
func sortItems(items []Item) {
	slices.SortFunc(items, func(a, b Item) int {
		if c := cmp.Compare(b.Severity, a.Severity); c != 0 {
			return c
		}
		switch {
		case a.Deadline != nil && b.Deadline != nil:
			if c := a.Deadline.Compare(*b.Deadline); c != 0 {
				return c
			}
		case a.Deadline != nil:
			return -1
		case b.Deadline != nil:
			return 1
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// Text every channel shares.

func (m *Message) title() string {
	if m.Test {
		return "credwatch test notification"
	}
	s := fmt.Sprintf("credwatch: %s need%s attention", plural(len(m.Items), "credential finding"), verbS(len(m.Items)))
	if m.Parts > 1 {
		s += fmt.Sprintf(" (part %d of %d)", m.Part, m.Parts)
	}
	return s
}

func (m *Message) subtitle() string {
	s := "Tenant " + m.Tenant + " · " + m.GeneratedAt.UTC().Format("2006-01-02 15:04 UTC")
	if m.Test {
		s += " · a sample finding: nothing needs doing"
	}
	return s
}

// when says how urgent an item is at now: "7 days left", "less than a
// day left", "deadline passed 3 days ago", or "new finding" without a
// deadline. Past deadlines count whole elapsed days, as the reports do.
func (it *Item) when(now time.Time) string {
	if it.Deadline == nil {
		return "new finding"
	}
	if !it.Deadline.After(now) {
		switch n := int(now.Sub(*it.Deadline) / day); n {
		case 0:
			return "deadline passed"
		case 1:
			return "deadline passed 1 day ago"
		default:
			return fmt.Sprintf("deadline passed %d days ago", n)
		}
	}
	switch d := daysLeft(*it.Deadline, now); d {
	case 0:
		return "less than a day left"
	case 1:
		return "1 day left"
	default:
		return fmt.Sprintf("%d days left", d)
	}
}

// deadlineText is the deadline and how far off it is, or "".
func (it *Item) deadlineText(now time.Time) string {
	if it.Deadline == nil {
		return ""
	}
	return it.Deadline.UTC().Format("2006-01-02 15:04 UTC") + " (" + it.when(now) + ")"
}

func (it *Item) label() string {
	return strings.ToUpper(it.Severity.String()) + " · " + it.RuleID + " · " + it.appLabel()
}

func (it *Item) appLabel() string {
	if it.AppName != "" {
		return oneLine(it.AppName)
	}
	if it.AppID != "" {
		return it.AppID
	}
	return "(tenant)"
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func verbS(n int) string {
	if n == 1 {
		return "s"
	}
	return ""
}

// oneLine folds whitespace runs, newlines included, into single spaces
// and drops other control characters, so outside text cannot forge lines
// or headers.
func oneLine(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// truncate cuts s to at most n runes, marking the cut.
func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
