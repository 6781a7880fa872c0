package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/credwatch/credwatch/internal/inventory"
	"github.com/credwatch/credwatch/internal/policy"
	"github.com/credwatch/credwatch/internal/report"
	"github.com/credwatch/credwatch/internal/store"
)

// historyScans caps the app history at the newest complete scans, so an
// app page costs at most this many diffs (each cached once computed).
const historyScans = 30

// auditEvent is one change to an app between two consecutive complete
// scans.
type auditEvent struct {
	At     time.Time // when the later scan ran
	FromID int64
	ToID   int64
	Class  string // add, remove or change: for styling
	Kind   string // e.g. "credential added"
	Detail string
}

type appBody struct {
	Tenant   string
	View     *tenantView
	Object   *inventory.Object
	Other    *inventory.Object // the registration or service principal of the same app
	Rows     []credRow
	Findings []policy.Finding
	History  []auditEvent
	// Covered are the complete scans the history spans, newest first.
	Covered []store.ScanInfo
	Since   time.Time // the oldest covered scan's time
}

func (s *Server) appDetail(w http.ResponseWriter, r *http.Request) {
	typ := inventory.ObjectType(r.PathValue("objectType"))
	id := r.PathValue("objectId")
	if typ != inventory.Application && typ != inventory.ServicePrincipal {
		s.errorPage(w, r, http.StatusNotFound, "Object type must be application or servicePrincipal.")
		return
	}
	tenants := s.tenants
	if t := r.URL.Query().Get("tenant"); t != "" {
		if !s.serves(t) {
			s.errorPage(w, r, http.StatusNotFound, "That tenant is not served here.")
			return
		}
		tenants = []string{t}
	}
	now := s.now().UTC()
	body := appBody{}
	for _, t := range tenants {
		v, err := s.tenantView(r.Context(), t, now)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		if v.Record == nil {
			continue
		}
		if o := findObject(v.Record.Tenant, typ, id); o != nil {
			body.Tenant, body.View, body.Object = t, v, o
			body.Other = sameApp(v.Record.Tenant, o)
			break
		}
	}
	if body.Object == nil {
		s.errorPage(w, r, http.StatusNotFound, "No such app in the latest scan of a tenant served here.")
		return
	}
	for _, row := range credRows(body.View) {
		if row.ObjectID == id && row.ObjectType == typ {
			body.Rows = append(body.Rows, row)
		}
	}
	credQuery{Sort: "end", Order: "asc"}.sortRows(body.Rows)
	for _, f := range body.View.Scan.Findings {
		if f.ObjectID == id && f.ObjectType == typ {
			body.Findings = append(body.Findings, f)
		}
	}
	var err error
	body.History, body.Covered, err = s.appHistory(r.Context(), body.Tenant, id)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if n := len(body.Covered); n > 0 {
		body.Since = body.Covered[n-1].ScannedAt
	}
	s.render(w, http.StatusOK, "app", report.Visible(body.Object.DisplayName), "credentials", body)
}

// appHistory diffs consecutive complete scans of the tenant (partial ones
// are skipped: their gaps are not removals) and keeps the changes to one
// object, newest first.
func (s *Server) appHistory(ctx context.Context, tenant, objectID string) ([]auditEvent, []store.ScanInfo, error) {
	infos, err := s.store.Scans(ctx, store.Filter{TenantID: tenant, Limit: 4 * historyScans})
	if err != nil {
		return nil, nil, err
	}
	var complete []store.ScanInfo
	for _, si := range infos {
		if si.Complete {
			complete = append(complete, si)
			if len(complete) == historyScans+1 {
				break
			}
		}
	}
	var events []auditEvent
	for i := 0; i+1 < len(complete); i++ {
		d, err := s.diff(ctx, complete[i+1].ID, complete[i].ID)
		if err != nil {
			return nil, nil, fmt.Errorf("app history: %w", err)
		}
		events = append(events, objectEvents(d, objectID)...)
	}
	return events, complete, nil
}

// objectEvents picks one object's changes out of a diff.
func objectEvents(d *store.Diff, objectID string) []auditEvent {
	var out []auditEvent
	add := func(class, kind, detail string) {
		out = append(out, auditEvent{At: d.To.ScannedAt, FromID: d.From.ID, ToID: d.To.ID,
			Class: class, Kind: kind, Detail: detail})
	}
	for _, o := range d.ObjectsAdded {
		if o.ID == objectID {
			add("add", "first seen", o.DisplayName)
		}
	}
	for _, c := range d.CredentialsAdded {
		if c.Object.ID == objectID {
			add("add", "credential added", credText(c))
		}
	}
	for _, c := range d.CredentialsRemoved {
		if c.Object.ID == objectID {
			add("remove", "credential removed", credText(c))
		}
	}
	for _, c := range d.CredentialsChanged {
		if c.After.Object.ID == objectID {
			add("change", "credential changed", credText(c.After)+"; changed: "+strings.Join(c.Fields, ", "))
		}
	}
	for _, o := range d.OwnersAdded {
		if o.Object.ID == objectID {
			add("add", "owner added", ownerText(o))
		}
	}
	for _, o := range d.OwnersRemoved {
		if o.Object.ID == objectID {
			add("remove", "owner removed", ownerText(o))
		}
	}
	for _, p := range d.PermissionsAdded {
		if p.Object.ID == objectID {
			add("add", "permission granted", p.Resource+"/"+p.Value)
		}
	}
	for _, p := range d.PermissionsRemoved {
		if p.Object.ID == objectID {
			add("remove", "permission revoked", p.Resource+"/"+p.Value)
		}
	}
	return out
}

// credText describes a credential in a line: type, description, key id
// and end date.
func credText(c store.CredentialRef) string {
	var b strings.Builder
	b.WriteString(string(c.Type))
	if c.DisplayName != "" {
		fmt.Fprintf(&b, " %q", c.DisplayName)
	}
	fmt.Fprintf(&b, " (key %s", c.KeyID)
	if !c.End.IsZero() {
		fmt.Fprintf(&b, ", ends %s", c.End.UTC().Format(time.DateOnly))
	}
	b.WriteString(")")
	return b.String()
}

func ownerText(o store.OwnerChange) string {
	name := o.DisplayName
	if o.UserPrincipalName != "" {
		name += " <" + o.UserPrincipalName + ">"
	}
	if name == "" {
		name = o.ID
	}
	return string(o.Type) + " " + name
}
