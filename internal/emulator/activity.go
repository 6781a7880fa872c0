package emulator

import (
	"net/http"
	"slices"
	"sort"
	"time"

	"github.com/credwatch/credwatch/internal/msgraph"
)

// activityState indexes the served Directory's Activity: its audit records
// and sign-ins newest first, as Graph lists them. Audit records written by
// API changes are appended to the Activity (so Server.Directory shows
// them) and slotted into the order. Guarded by Server.mu.
type activityState struct {
	dir        *msgraph.Directory
	auditOrder []int       // indexes into Activity.DirectoryAudits, newest first
	auditAt    []time.Time // by index
	// auditOp numbers the API change that wrote each record (0 for the
	// Directory's own), so of records with equal times the later change's
	// come first, and the records of one change keep their order.
	auditOp     []int
	ops         int
	signInOrder []int
	signInAt    []time.Time
}

func newActivityState(d *msgraph.Directory) *activityState {
	a := &activityState{dir: d}
	if d.Activity == nil {
		return a
	}
	for i := range d.Activity.DirectoryAudits {
		a.auditAt = append(a.auditAt, parseTime(d.Activity.DirectoryAudits[i].ActivityDateTime))
		a.auditOp = append(a.auditOp, 0)
		a.auditOrder = append(a.auditOrder, i)
	}
	slices.SortFunc(a.auditOrder, func(i, j int) int { return a.compareAudits(i, j) })
	signInOp := make([]int, len(d.Activity.SignIns))
	for i := range d.Activity.SignIns {
		a.signInAt = append(a.signInAt, parseTime(d.Activity.SignIns[i].CreatedDateTime))
		a.signInOrder = append(a.signInOrder, i)
	}
	slices.SortFunc(a.signInOrder, func(i, j int) int { return newestFirst(a.signInAt, signInOp, i, j) })
	return a
}

// parseTime reads a Graph date; a record whose date does not parse sorts
// last and matches no date filter.
func parseTime(s string) time.Time {
	t, _ := time.Parse(time.RFC3339Nano, s)
	return t
}

// newestFirst compares records i and j for a newest-first listing: later
// time first, then later change, then the order they were written in.
func newestFirst(at []time.Time, op []int, i, j int) int {
	if c := at[j].Compare(at[i]); c != 0 {
		return c
	}
	if op[i] != op[j] {
		return op[j] - op[i]
	}
	return i - j
}

func (a *activityState) compareAudits(i, j int) int { return newestFirst(a.auditAt, a.auditOp, i, j) }

// activity is the Activity being served, nil when the Directory has none.
func (a *activityState) activity() *msgraph.Activity { return a.dir.Activity }

// appendAudits records what an API change did, creating the Activity if
// the Directory had none.
func (a *activityState) appendAudits(recs []msgraph.DirectoryAudit) {
	if a.dir.Activity == nil {
		a.dir.Activity = &msgraph.Activity{}
	}
	a.ops++
	for _, rec := range recs {
		i := len(a.dir.Activity.DirectoryAudits)
		a.dir.Activity.DirectoryAudits = append(a.dir.Activity.DirectoryAudits, rec)
		a.auditAt = append(a.auditAt, parseTime(rec.ActivityDateTime))
		a.auditOp = append(a.auditOp, a.ops)
		pos := sort.Search(len(a.auditOrder), func(k int) bool { return a.compareAudits(i, a.auditOrder[k]) < 0 })
		a.auditOrder = slices.Insert(a.auditOrder, pos, i)
	}
}

// logItems lists the records in order that existed when the first page
// of the listing was served (asOf; 0 means now), reversed for $orderby
// asc.
func logItems[T any, I any](order []int, at []time.Time, recs []T, asOf int, asc bool, item func(*T, time.Time) *I) []*I {
	out := make([]*I, 0, len(order))
	for _, i := range order {
		if asOf == 0 || i < asOf {
			out = append(out, item(&recs[i], at[i]))
		}
	}
	if asc {
		slices.Reverse(out)
	}
	return out
}

// listAudits serves GET auditLogs/directoryAudits (v1.0 and beta).
func (s *Server) listAudits(w http.ResponseWriter, r *http.Request) *graphError {
	q, gerr := s.parseQuery(r, auditSchema, optsLog)
	if gerr != nil {
		return gerr
	}
	var recs []msgraph.DirectoryAudit
	if act := s.act.activity(); act != nil {
		recs = act.DirectoryAudits
	}
	if q.asOf == 0 {
		q.asOf = len(recs)
	}
	items := logItems(s.act.auditOrder, s.act.auditAt, recs, q.asOf, q.ascending,
		func(rec *msgraph.DirectoryAudit, at time.Time) *auditItem { return &auditItem{rec, at} })
	return writeList(s, w, r, q, auditSchema, metadataURL(r)+"auditLogs/directoryAudits", items, 1,
		func(o *jsonObject, it *auditItem) error { return renderEntity(auditSchema, it, nil, nil, o) })
}

// listSignIns serves GET auditLogs/signIns. Like Graph, it lists only
// interactive user sign-ins unless the filter asks for event types; the
// service principal sign-ins credwatch reads need
// signInEventTypes/any(t: t eq 'servicePrincipal'), on beta.
func (s *Server) listSignIns(w http.ResponseWriter, r *http.Request, rt route) *graphError {
	sc := signInSchemaV1
	if rt.beta {
		sc = signInSchema
	}
	q, gerr := s.parseQuery(r, sc, optsLog)
	if gerr != nil {
		return gerr
	}
	var recs []msgraph.SignIn
	if act := s.act.activity(); act != nil {
		recs = act.SignIns
	}
	if q.asOf == 0 {
		q.asOf = len(recs)
	}
	items := logItems(s.act.signInOrder, s.act.signInAt, recs, q.asOf, q.ascending,
		func(rec *msgraph.SignIn, at time.Time) *signInItem { return &signInItem{rec, at} })
	if !q.filter.mentions("signInEventTypes") {
		items = slices.DeleteFunc(items, func(it *signInItem) bool {
			return !slices.Contains(it.rec.SignInEventTypes, "interactiveUser")
		})
	}
	return writeList(s, w, r, q, sc, metadataURL(r)+"auditLogs/signIns", items, 1,
		func(o *jsonObject, it *signInItem) error { return renderEntity(sc, it, nil, nil, o) })
}

// listCredentialUsage serves beta reports/appCredentialSignInActivities
// and one record of it by id.
func (s *Server) listCredentialUsage(w http.ResponseWriter, r *http.Request, rt route) *graphError {
	var recs []msgraph.AppCredentialSignInActivity
	if act := s.act.activity(); act != nil {
		recs = act.CredentialSignInActivities
	}
	ctx := metadataURL(r) + "reports/appCredentialSignInActivities"
	if rt.key != "" {
		if _, gerr := s.parseQuery(r, usageSchema, 0); gerr != nil {
			return gerr
		}
		for i := range recs {
			if recs[i].ID == rt.key {
				var o jsonObject
				o.str("@odata.context", ctx+"/$entity")
				if err := renderEntity(usageSchema, &recs[i], nil, nil, &o); err != nil {
					return &graphError{500, "generalException", "An internal error occurred rendering the response.", nil}
				}
				writeGraphJSON(w, o.bytes(), 1)
				return nil
			}
		}
		return resourceNotFound(rt.key)
	}
	q, gerr := s.parseQuery(r, usageSchema, optTop|optFilter|optSkipToken)
	if gerr != nil {
		return gerr
	}
	return writeList(s, w, r, q, usageSchema, ctx, pointers(recs), 1,
		func(o *jsonObject, u *msgraph.AppCredentialSignInActivity) error {
			return renderEntity(usageSchema, u, nil, nil, o)
		})
}
