package policy

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/credwatch/credwatch/internal/activity"
	"github.com/credwatch/credwatch/internal/inventory"
)

var cw022 = rule{
	id:       "CW022",
	title:    "Owner added to a privileged app",
	severity: Medium,
	kind:     appRule,
	why: "An owner can add credentials to an app and sign in as it. Making someone owner of an app with " +
		"powerful application permissions quietly hands them those permissions, which is why attackers " +
		"add owners as a stepping stone, and why a new owner on such an app should be a deliberate, known " +
		"change.",
	fix: "Confirm the change with the actor who made it. If it was not intended, remove the owner " +
		"(`az ad app owner remove --id <appId> --owner-object-id <ownerId>`, Graph " +
		"`DELETE /applications/{id}/owners/{ownerId}/$ref`) and check whether credentials were added since " +
		"(CW020, CW021). Prefer admin roles to ownership for privileged apps (see CW010).",
	details: "Reads the directory audit log (\"Add owner to application\", \"Add owner to service " +
		"principal\") within its window. Fires once per app whose granted application permissions include " +
		"one of tier high or critical and that had owners added to its application object or service " +
		"principal in the window, whether or not they are still owners. The evidence names each owner, " +
		"who added them and when, and the privileged permissions. Silent when the audit log could not be " +
		"read.",
	settings:   func(r *Rules) ruleSettings { return scoped(&r.CW022) },
	thresholds: func(*Config) []threshold { return nil },
	needs:      func(e *evaluator) bool { return e.act != nil && len(e.act.ownerAdds) > 0 },
	app:        checkOwnerAdded,
}

func checkOwnerAdded(e *evaluator, a *appView) {
	st := e.act
	var idx []int
	for _, o := range [2]*inventory.Object{a.app, a.sp} {
		if o != nil {
			idx = append(idx, st.ownerAdds[evKey(o.ID)]...)
		}
	}
	if len(idx) == 0 {
		return
	}
	perms, top := e.privileged(a)
	if top < TierHigh {
		return
	}
	adds := make([]*activity.OwnerChange, len(idx))
	for i, j := range idx {
		adds[i] = &st.ev.OwnerAdded[j]
	}
	// Newest last, as the evidence lists them.
	sortOwnerChanges(adds)
	owners := make([]string, len(adds))
	ids := make([]string, len(adds))
	actors := make([]string, len(adds))
	for i, oc := range adds {
		owners[i] = ownerChangeLabel(oc)
		ids[i] = oc.OwnerID
		actors[i] = oc.Actor.Name
		if actors[i] == "" {
			actors[i] = oc.Actor.ID
		}
	}
	latest := adds[len(adds)-1]
	e.buf = e.buf[:0]
	e.msgInt(len(adds))
	e.msg(plural(len(adds), " owner", " owners"))
	e.msg(" added to app with ")
	e.msg(top.String())
	e.msg(" application permissions (")
	e.msgList(permissionNames(perms))
	e.msg("): ")
	e.msgList(owners)
	e.msg("; latest ")
	e.msgDate(latest.When)
	e.msg(" by ")
	e.msgActor(&latest.Actor)
	e.emit(iCW022, a.report, "", Medium, time.Time{}, map[string]string{
		"owners":      strings.Join(owners, "; "),
		"ownerIds":    strings.Join(ids, ","),
		"actors":      strings.Join(actors, "; "),
		"when":        timeString(latest.When),
		"permissions": permissionEvidence(perms),
	})
}

func ownerChangeLabel(oc *activity.OwnerChange) string {
	return ownerLabel(&inventory.Owner{Type: oc.OwnerType, ID: oc.OwnerID, UserPrincipalName: oc.OwnerName})
}

func sortOwnerChanges(adds []*activity.OwnerChange) {
	slices.SortFunc(adds, func(a, b *activity.OwnerChange) int {
		return cmp.Or(a.When.Compare(b.When), cmp.Compare(a.RecordID, b.RecordID), cmp.Compare(a.OwnerID, b.OwnerID))
	})
}
