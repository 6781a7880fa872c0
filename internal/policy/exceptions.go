package policy

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/credwatch/credwatch/internal/inventory"
)

// exceptions are the configured exceptions split at now: active ones by
// rule, expired ones to report as CW099.
type exceptions struct {
	active  [numRules][]activeException
	expired []Exception
}

type activeException struct {
	appID  string
	app    *regexp.Regexp // nil when no glob is given
	keyID  string
	reason string
}

func compileExceptions(list []Exception, now time.Time) exceptions {
	var out exceptions
	for _, e := range list {
		ri, ok := ruleByID(e.Rule)
		if !ok || ri == iCW099 || e.Expires.IsZero() {
			continue // Validate reports these
		}
		if !now.Before(e.Expires.Until()) {
			out.expired = append(out.expired, e)
			continue
		}
		ae := activeException{appID: strings.TrimSpace(e.AppID), keyID: strings.TrimSpace(e.KeyID), reason: e.Reason}
		if e.App != "" {
			re, err := compileGlob(e.App)
			if err != nil {
				continue // a broken glob matches nothing
			}
			ae.app = re
		}
		if ae.appID == "" && ae.app == nil {
			continue
		}
		out.active[ri] = append(out.active[ri], ae)
	}
	return out
}

// suppression returns the reason of the first active exception covering a
// finding of rule ri on app (appID, appName) and key keyID.
func (x *exceptions) suppression(ri int, appID, appName, keyID string) (string, bool) {
	for i := range x.active[ri] {
		e := &x.active[ri][i]
		if e.appID != "" && !strings.EqualFold(e.appID, appID) {
			continue
		}
		if e.app != nil && !e.app.MatchString(appName) {
			continue
		}
		if e.keyID != "" && !strings.EqualFold(e.keyID, keyID) {
			continue
		}
		return e.reason, true
	}
	return "", false
}

var cw099 = rule{
	id:       expiredExceptionRule,
	title:    "Exception expired",
	severity: Low,
	kind:     configRule,
	why: "An exception records a decision to accept a finding for a while. Once its end date passes, " +
		"the finding it covered is reported again, and the decision needs a fresh look: fix the finding, " +
		"or renew the exception with a new reason and date.",
	fix: "Fix the findings the exception covered, then delete the exception from the configuration; " +
		"or, if the risk is still accepted, set a new `expires` date and update `reason`.",
	details: "Reported once per expired exception. A day-only `expires` (2026-06-30) lasts until the end of " +
		"that day in UTC; an RFC 3339 time ends at that instant. The finding names the exception's app id or " +
		"glob and key id but no object, and its deadline is the moment the exception ended. Exceptions cannot " +
		"be made for CW099 itself.",
	settings:   func(r *Rules) ruleSettings { return ruleSettings{common: &r.CW099} },
	thresholds: func(*Config) []threshold { return nil },
}

// reportExpiredExceptions emits one CW099 finding per expired exception.
func (e *evaluator) reportExpiredExceptions(t *inventory.Tenant) {
	if !e.c.rules[iCW099].enabled || len(e.c.exceptions.expired) == 0 {
		return
	}
	for _, x := range e.c.exceptions.expired {
		appID := strings.TrimSpace(x.AppID)
		name := x.App
		if appID != "" {
			for i := range t.Objects {
				if strings.EqualFold(t.Objects[i].AppID, appID) {
					name = t.Objects[i].DisplayName
					break
				}
			}
		}
		b := e.buf[:0]
		b = append(b, "exception for "...)
		b = append(b, x.Rule...)
		b = append(b, " on "...)
		switch {
		case appID != "" && name != "":
			b = append(b, "app "...)
			b = strconv.AppendQuote(b, name)
			b = append(b, " ("...)
			b = append(b, appID...)
			b = append(b, ')')
		case appID != "":
			b = append(b, "app "...)
			b = append(b, appID...)
		default:
			b = append(b, "apps matching "...)
			b = strconv.AppendQuote(b, x.App)
		}
		if x.KeyID != "" {
			b = append(b, ", key "...)
			b = append(b, x.KeyID...)
		}
		b = append(b, " expired "...)
		b = append(b, x.Expires.String()...)
		b = append(b, "; it said: "...)
		b = strconv.AppendQuote(b, oneLine(x.Reason))
		e.buf = b

		ev := map[string]string{"rule": x.Rule, "reason": x.Reason, "expires": x.Expires.String()}
		if appID != "" {
			ev["appId"] = appID
		}
		if x.App != "" {
			ev["app"] = x.App
		}
		if x.KeyID != "" {
			ev["keyId"] = x.KeyID
		}
		until := x.Expires.Until()
		e.out.addWhole(Finding{
			// Stable while the exception's subject stays the same.
			ID:       FindingID(expiredExceptionRule, appID+"|"+x.App, x.Rule+"|"+x.KeyID),
			RuleID:   expiredExceptionRule,
			Severity: e.c.rules[iCW099].severity,
			AppID:    appID,
			AppName:  name,
			KeyID:    x.KeyID,
			Message:  string(e.buf),
			Deadline: &until,
			Evidence: ev,
		})
	}
}

// oneLine folds runs of whitespace, newlines included, to single spaces so
// a multi-line reason still makes a one-line message.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
