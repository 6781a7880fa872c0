package server

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/credwatch/credwatch/internal/inventory"
	"github.com/credwatch/credwatch/internal/policy"
)

const (
	defaultPerPage = 50
	maxPerPage     = 500
	maxExpiring    = 36500
)

// credQuery is the credentials table's filter, sort and page, read from
// the URL so the table works without script and every view has a link.
type credQuery struct {
	Tenant   string // "" = every served tenant
	Q        string // text search over app name, app id, key id, description
	Type     string // "" or a credential type
	Severity string // "" or a severity name: the worst finding on the credential
	Expiring string // "" or whole days: ends from now to now+days
	Sort     string // end | app | type
	Order    string // asc | desc
	Page     int    // 1-based
	PerPage  int

	expiringDays int
}

// queryError is a bad query parameter: the page answers 400 with it.
type queryError struct{ param, msg string }

func (e *queryError) Error() string { return "query parameter " + e.param + ": " + e.msg }

var credTypes = []string{string(inventory.Secret), string(inventory.Certificate), string(inventory.Federated)}

func parseCredQuery(v url.Values, serves func(string) bool) (credQuery, error) {
	q := credQuery{
		Tenant:   v.Get("tenant"),
		Q:        strings.TrimSpace(v.Get("q")),
		Type:     v.Get("type"),
		Severity: strings.ToLower(v.Get("severity")),
		Expiring: strings.TrimSpace(v.Get("expiring")),
		Sort:     cmp.Or(v.Get("sort"), "end"),
		Order:    cmp.Or(v.Get("order"), "asc"),
		Page:     1,
		PerPage:  defaultPerPage,
	}
	if q.Tenant != "" && !serves(q.Tenant) {
		return q, &queryError{"tenant", fmt.Sprintf("%q is not a tenant served here", q.Tenant)}
	}
	if len(q.Q) > 200 {
		return q, &queryError{"q", "longer than 200 characters"}
	}
	if q.Type != "" && !slices.Contains(credTypes, q.Type) {
		return q, &queryError{"type", "want " + strings.Join(credTypes, ", ")}
	}
	if q.Severity != "" {
		if _, err := policy.ParseSeverity(q.Severity); err != nil {
			return q, &queryError{"severity", "want critical, high, medium, low or info"}
		}
	}
	if q.Expiring != "" {
		n, err := strconv.Atoi(q.Expiring)
		if err != nil || n < 0 || n > maxExpiring {
			return q, &queryError{"expiring", fmt.Sprintf("want a number of days from 0 to %d", maxExpiring)}
		}
		q.expiringDays = n
	}
	if !slices.Contains([]string{"end", "app", "type"}, q.Sort) {
		return q, &queryError{"sort", "want end, app or type"}
	}
	if q.Order != "asc" && q.Order != "desc" {
		return q, &queryError{"order", "want asc or desc"}
	}
	var err error
	if q.Page, err = positive(v, "page", 1, 1<<30); err != nil {
		return q, err
	}
	if q.PerPage, err = positive(v, "per", defaultPerPage, maxPerPage); err != nil {
		return q, err
	}
	return q, nil
}

// positive reads an optional whole-number parameter in [1, most].
func positive(v url.Values, name string, def, most int) (int, error) {
	s := v.Get(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > most {
		return 0, &queryError{name, fmt.Sprintf("want a whole number from 1 to %d", most)}
	}
	return n, nil
}

// match reports whether a row passes every filter.
func (q credQuery) match(r *credRow, now time.Time) bool {
	if q.Type != "" && string(r.CredentialType) != q.Type {
		return false
	}
	if q.Severity != "" && (!r.HasSeverity || r.Severity.String() != q.Severity) {
		return false
	}
	if q.Expiring != "" {
		if r.End == nil || r.End.Before(now) || !r.End.Before(now.Add(time.Duration(q.expiringDays)*24*time.Hour)) {
			return false
		}
	}
	if q.Q != "" {
		needle := strings.ToLower(q.Q)
		hit := false
		for _, f := range []string{r.AppName, r.AppID, r.KeyID, r.Description} {
			if strings.Contains(strings.ToLower(f), needle) {
				hit = true
				break
			}
		}
		if !hit {
			return false
		}
	}
	return true
}

// sortRows orders rows by the chosen column; credentials without an end
// date sort last either way. Ties fall back to app, soonest end, tenant
// and key id, so the order is total.
func (q credQuery) sortRows(rows []credRow) {
	sign := 1
	if q.Order == "desc" {
		sign = -1
	}
	slices.SortStableFunc(rows, func(a, b credRow) int {
		var c int
		switch q.Sort {
		case "end":
			if a.End == nil || b.End == nil {
				c = compareEnd(&a, &b) // missing last, whatever the order
			} else {
				c = sign * compareEnd(&a, &b)
			}
		case "app":
			c = sign * compareApp(&a, &b)
		case "type":
			c = sign * cmp.Compare(a.CredentialType, b.CredentialType)
		}
		return cmp.Or(c, compareApp(&a, &b), compareEnd(&a, &b), cmp.Compare(a.Tenant, b.Tenant),
			cmp.Compare(a.KeyID, b.KeyID))
	})
}

func compareApp(a, b *credRow) int {
	return cmp.Or(cmp.Compare(strings.ToLower(a.AppName), strings.ToLower(b.AppName)),
		cmp.Compare(a.AppName, b.AppName), cmp.Compare(a.AppID, b.AppID), cmp.Compare(a.ObjectType, b.ObjectType))
}

// compareEnd orders by end date, credentials without one last.
func compareEnd(a, b *credRow) int {
	switch {
	case a.End == nil && b.End == nil:
		return 0
	case a.End == nil:
		return 1
	case b.End == nil:
		return -1
	}
	return a.End.Compare(*b.End)
}

// values is the query as URL parameters, leaving out defaults so links stay
// short.
func (q credQuery) values() url.Values {
	v := url.Values{}
	set := func(k, val, def string) {
		if val != "" && val != def {
			v.Set(k, val)
		}
	}
	set("tenant", q.Tenant, "")
	set("q", q.Q, "")
	set("type", q.Type, "")
	set("severity", q.Severity, "")
	set("expiring", q.Expiring, "")
	set("sort", q.Sort, "end")
	set("order", q.Order, "asc")
	set("per", strconv.Itoa(q.PerPage), strconv.Itoa(defaultPerPage))
	set("page", strconv.Itoa(q.Page), "1")
	return v
}

func (q credQuery) url() string {
	if e := q.values().Encode(); e != "" {
		return "/credentials?" + e
	}
	return "/credentials"
}

// sortLink is a column heading's link: it sorts by the column, flipping
// the order when the table is already sorted by it.
type sortLink struct {
	URL  string
	Aria string // aria-sort value: ascending, descending or none
}

func (q credQuery) sortLink(col string) sortLink {
	n := q
	n.Sort, n.Page, n.Order = col, 1, "asc"
	aria := "none"
	if q.Sort == col {
		aria = map[string]string{"asc": "ascending", "desc": "descending"}[q.Order]
		if q.Order == "asc" {
			n.Order = "desc"
		}
	}
	return sortLink{URL: n.url(), Aria: aria}
}

// credTable is one page of the filtered, sorted credentials.
type credTable struct {
	Rows           []credRow
	Total          int // rows before filtering
	Matched        int // rows after filtering
	Page, Pages    int
	First, Last    int // 1-based positions of the rows shown
	PrevURL        string
	NextURL        string
	Sort           map[string]sortLink
	ExpiringPreset []int
}

func buildCredTable(q credQuery, all []credRow, now time.Time) credTable {
	t := credTable{Total: len(all), ExpiringPreset: []int{7, 30, 60, 90, 180}}
	var rows []credRow
	for i := range all {
		if q.match(&all[i], now) {
			rows = append(rows, all[i])
		}
	}
	q.sortRows(rows)
	t.Matched = len(rows)
	t.Pages = max(1, (len(rows)+q.PerPage-1)/q.PerPage)
	// A page past the end shows the last page rather than nothing.
	t.Page = min(q.Page, t.Pages)
	start := (t.Page - 1) * q.PerPage
	end := min(start+q.PerPage, len(rows))
	t.Rows = rows[start:end]
	if len(t.Rows) > 0 {
		t.First, t.Last = start+1, end
	}
	if t.Page > 1 {
		p := q
		p.Page = t.Page - 1
		t.PrevURL = p.url()
	}
	if t.Page < t.Pages {
		n := q
		n.Page = t.Page + 1
		t.NextURL = n.url()
	}
	t.Sort = map[string]sortLink{"end": q.sortLink("end"), "app": q.sortLink("app"), "type": q.sortLink("type")}
	return t
}
