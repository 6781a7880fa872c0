package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/notify/notifytest"
	"github.com/credwatch/credwatch/internal/policy"
	"github.com/credwatch/credwatch/internal/store"
)

// hookConfig routes every finding to one generic webhook channel.
func hookConfig(h *harness, srv *notifytest.WebhookServer) *Config {
	h.env["HOOK_URL"] = srv.URL() + "/hooks/credwatch-token"
	cfg := DefaultConfig()
	cfg.Channels = []ChannelConfig{{Name: "hook", Type: TypeWebhook, URLEnv: "HOOK_URL"}}
	cfg.Routes = []Route{{Channels: []string{"hook"}}}
	return cfg
}

type sentItem struct {
	Rule  string
	Event string
	Days  int
}

func sentItems(t *testing.T, srv *notifytest.WebhookServer) [][]sentItem {
	t.Helper()
	var out [][]sentItem
	for _, msg := range webhookFindings(t, srv.Delivered()) {
		var items []sentItem
		for _, f := range msg {
			d := FirstSeen
			if f.ReminderDays != nil {
				d = *f.ReminderDays
			}
			items = append(items, sentItem{f.RuleID, f.Event, d})
		}
		out = append(out, items)
	}
	srv.Reset()
	return out
}

func TestRemindersFireExactlyOnceAcrossRestart(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		h := newHarness(t)
		srv := h.server
		cfg := hookConfig(h, srv)
		expiring := finding("CW002", policy.High, "obj-payroll", "app-payroll", "Payroll Sync", "key-payroll",
			"expires", tp(t0.Add(20*day)))
		findings := []policy.Finding{expiring, fLegacyPerms}
		tenant := fixtureTenant()

		st := openStore(t, dsn)
		n := h.notifier(cfg, st)
		run := func(at time.Time) Report {
			t.Helper()
			h.now = at
			rep, err := n.Notify(t.Context(), tenant, findings)
			if err != nil {
				t.Fatalf("Notify at %s: %v", at, err)
			}
			return rep
		}

		run(t0)
		if got, want := sentItems(t, srv), [][]sentItem{{{"CW010", "new", FirstSeen}, {"CW002", "reminder", 30}}}; !reflect.DeepEqual(got, want) {
			t.Fatalf("first run sent %v, want %v", got, want)
		}
		rep := run(t0.Add(time.Hour))
		if got := sentItems(t, srv); got != nil {
			t.Errorf("second run resent %v", got)
		}
		if c := rep.Channels[0]; c.Sent != 0 || c.Skipped != 2 {
			t.Errorf("second run report = %+v, want 2 skipped", c)
		}

		// Restart: a new store handle and a new Notifier over the same data.
		st.Close()
		st = openStore(t, dsn)
		n = h.notifier(cfg, st)
		run(t0.Add(day))
		if got := sentItems(t, srv); got != nil {
			t.Errorf("after restart resent %v", got)
		}

		steps := []struct {
			at   time.Duration // after t0; the deadline is at 20 days
			want [][]sentItem
		}{
			{6*day + time.Hour, [][]sentItem{{{"CW002", "reminder", 14}}}},
			{7 * day, nil},
			{13 * day, [][]sentItem{{{"CW002", "reminder", 7}}}},
			{13*day + time.Hour, nil},
			// Runs missed the 3- and 1-day marks: only the due one goes.
			{20*day + time.Minute, [][]sentItem{{{"CW002", "reminder", 0}}}},
			{40 * day, nil},
		}
		for _, s := range steps {
			run(t0.Add(s.at))
			if got := sentItems(t, srv); !reflect.DeepEqual(got, s.want) {
				t.Errorf("at t0+%s sent %v, want %v", s.at, got, s.want)
			}
		}
	})
}

func TestFailingChannelIsRetriedNextRunAndDoesNotBlockTheOther(t *testing.T) {
	h := newHarness(t)
	teams := notifytest.NewWebhookServer(t)
	slack := notifytest.NewWebhookServer(t)
	teams.SetStatus(http.StatusAccepted)
	h.env["TEAMS_URL"] = teams.URL() + "/workflows/teams-token"
	h.env["SLACK_URL"] = slack.URL() + "/services/T0/B0/slack-token"
	cfg := DefaultConfig()
	cfg.Channels = []ChannelConfig{
		{Name: "teams", Type: TypeTeams, URLEnv: "TEAMS_URL"},
		{Name: "slack", Type: TypeSlack, URLEnv: "SLACK_URL"},
	}
	cfg.Routes = []Route{{Channels: []string{"teams", "slack"}, MinSeverity: policy.Medium}}
	st := openStore(t, sqliteDSN(t))
	n := h.notifier(cfg, st)

	teams.FailNext(4, http.StatusServiceUnavailable, "down for maintenance")
	rep, err := n.Notify(t.Context(), fixtureTenant(), fixtureFindings())
	var chErr *ChannelError
	if !errors.As(err, &chErr) || chErr.Channel != "teams" {
		t.Fatalf("Notify error = %v, want a *ChannelError for teams", err)
	}
	want := []ChannelReport{
		{Channel: "teams", Type: "teams", Failed: 4,
			Errors: []string{"HTTP 503 Service Unavailable: down for maintenance (after 4 attempts)"}},
		{Channel: "slack", Type: "slack", Sent: 4, Messages: 1},
	}
	if !reflect.DeepEqual(rep.Channels, want) || rep.Findings != 6 || rep.Suppressed != 1 || !rep.Failed() {
		t.Errorf("report = %+v\nwant channels %+v", rep, want)
	}
	if got := len(teams.Requests()); got != 4 {
		t.Errorf("teams got %d tries, want 4", got)
	}
	if got, want := h.waits(), []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}; !reflect.DeepEqual(got, want) {
		t.Errorf("backoff waits = %v, want %v", got, want)
	}
	failed, err := st.Notifications(t.Context(), store.NotificationFilter{Status: store.NotificationFailed})
	if err != nil || len(failed) != 4 || failed[0].Channel != "teams" || !strings.Contains(failed[0].Error, "HTTP 503") {
		t.Errorf("stored failures = %+v, %v", failed, err)
	}

	// Next run: teams is back; only teams gets the findings.
	h.now = t0.Add(time.Hour)
	rep, err = n.Notify(t.Context(), fixtureTenant(), fixtureFindings())
	if err != nil {
		t.Fatal(err)
	}
	want = []ChannelReport{
		{Channel: "teams", Type: "teams", Sent: 4, Messages: 1},
		{Channel: "slack", Type: "slack", Skipped: 4},
	}
	if !reflect.DeepEqual(rep.Channels, want) {
		t.Errorf("retry run report = %+v\nwant %+v", rep.Channels, want)
	}
	if got := len(teams.Delivered()); got != 1 {
		t.Errorf("teams delivered %d messages, want 1", got)
	}
	if got := len(slack.Requests()); got != 1 {
		t.Errorf("slack got %d requests over two runs, want 1", got)
	}
}

func TestHangingChannelDoesNotHoldUpTheOthers(t *testing.T) {
	h := newHarness(t)
	slack := notifytest.NewWebhookServer(t)
	// Teams answers only once Slack has received its message: if channels
	// went one after the other, teams first, Teams would time out.
	slackGot := make(chan struct{})
	teams := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-slackGot:
			w.WriteHeader(http.StatusAccepted)
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(teams.Close)
	h.env["TEAMS_URL"] = teams.URL + "/workflows/teams-token"
	h.env["SLACK_URL"] = slack.URL() + "/services/slack-token"
	cfg := DefaultConfig()
	cfg.Channels = []ChannelConfig{
		{Name: "teams", Type: TypeTeams, URLEnv: "TEAMS_URL"},
		{Name: "slack", Type: TypeSlack, URLEnv: "SLACK_URL"},
	}
	cfg.Routes = []Route{{Channels: []string{"teams", "slack"}}}
	opts := h.options()
	opts.MaxAttempts = 1
	// Wrap the client so the test learns when Slack's request completed.
	base := h.server.Client()
	opts.HTTPClient = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		resp, err := base.Transport.RoundTrip(r)
		if strings.HasPrefix(r.URL.String(), slack.URL()) {
			close(slackGot)
		}
		return resp, err
	})}
	n, err := New(cfg, nil, opts)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := n.Notify(t.Context(), fixtureTenant(), fixtureFindings()[:1])
	if err != nil {
		t.Fatalf("Notify: %v (report %+v)", err, rep)
	}
	for _, c := range rep.Channels {
		if c.Sent != 1 {
			t.Errorf("%s: %+v", c.Channel, c)
		}
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func TestThrottlingHonoursRetryAfter(t *testing.T) {
	h := newHarness(t)
	srv := h.server
	cfg := hookConfig(h, srv)
	n := h.notifier(cfg, nil)
	srv.ThrottleNext(2, "7")
	if _, err := n.Notify(t.Context(), fixtureTenant(), fixtureFindings()); err != nil {
		t.Fatal(err)
	}
	if got, want := h.waits(), []time.Duration{7 * time.Second, 7 * time.Second}; !reflect.DeepEqual(got, want) {
		t.Errorf("waits = %v, want the server's Retry-After %v", got, want)
	}
	if got := len(srv.Delivered()); got != 1 {
		t.Errorf("delivered %d, want 1", got)
	}

	// A wait longer than MaxRetryWait is left to the next run.
	srv.Reset()
	srv.ThrottleNext(1, "3600")
	rep, err := n.Notify(t.Context(), fixtureTenant(), []policy.Finding{fPayrollExpiring, fHostileExpiring,
		finding("CW005", policy.Low, "obj-x", "app-x", "X", "", "new one", nil)})
	if err == nil || len(srv.Requests()) != 1 {
		t.Fatalf("Notify = %v after %d requests, want one try and a failure", err, len(srv.Requests()))
	}
	if got := rep.Channels[0].Errors; len(got) != 1 ||
		got[0] != "HTTP 429 Too Many Requests: throttled (server asked to wait 1h0m0s, more than 1m0s; left for the next run)" {
		t.Errorf("errors = %q", got)
	}
}

func TestPermanentRefusalIsNotRetriedWithinARun(t *testing.T) {
	tests := []struct {
		status int
		body   string
		want   string
	}{
		{http.StatusBadRequest, "invalid_payload", "notify channel hook: HTTP 400 Bad Request: invalid_payload"},
		{http.StatusNotFound, "", "notify channel hook: HTTP 404 Not Found"},
		{http.StatusFound, "", "notify channel hook: HTTP 302 Found (redirects are not followed)"},
	}
	for _, tt := range tests {
		h := newHarness(t)
		srv := h.server
		n := h.notifier(hookConfig(h, srv), nil)
		srv.FailNext(1, tt.status, tt.body)
		_, err := n.Notify(t.Context(), fixtureTenant(), fixtureFindings())
		if err == nil || err.Error() != tt.want {
			t.Errorf("HTTP %d: err = %v, want %q", tt.status, err, tt.want)
		}
		if len(srv.Requests()) != 1 || len(h.waits()) != 0 {
			t.Errorf("HTTP %d: %d requests, waits %v: must not be retried", tt.status, len(srv.Requests()), h.waits())
		}
	}
}

func TestDigestVersusPerFinding(t *testing.T) {
	findings := fixtureFindings() // 5 to send, 1 suppressed
	for _, digest := range []bool{true, false} {
		t.Run(fmt.Sprint("digest=", digest), func(t *testing.T) {
			h := newHarness(t)
			srv := h.server
			cfg := hookConfig(h, srv)
			cfg.Digest = digest
			n := h.notifier(cfg, nil)
			rep, err := n.Notify(t.Context(), fixtureTenant(), findings)
			if err != nil {
				t.Fatal(err)
			}
			msgs := webhookFindings(t, srv.Delivered())
			wantMsgs := 1
			if !digest {
				wantMsgs = 5
			}
			if len(msgs) != wantMsgs || rep.Channels[0].Messages != wantMsgs || rep.Channels[0].Sent != 5 {
				t.Fatalf("%d messages (report %+v), want %d carrying 5 findings", len(msgs), rep.Channels[0], wantMsgs)
			}
			total := 0
			for _, m := range msgs {
				total += len(m)
				for _, f := range m {
					if f.Suppressed {
						t.Errorf("suppressed finding %s sent", f.ID)
					}
				}
			}
			if total != 5 {
				t.Errorf("%d findings sent, want 5", total)
			}
		})
	}
}

func TestLongDigestIsSplitForChat(t *testing.T) {
	h := newHarness(t)
	srv := h.server
	h.env["SLACK_URL"] = srv.URL() + "/services/slack-token"
	cfg := DefaultConfig()
	cfg.Channels = []ChannelConfig{{Name: "slack", Type: TypeSlack, URLEnv: "SLACK_URL"}}
	cfg.Routes = []Route{{Channels: []string{"slack"}}}
	var findings []policy.Finding
	for i := range 45 {
		findings = append(findings, finding("CW005", policy.Low, fmt.Sprintf("obj-%02d", i), "app", "App", "", "no description", nil))
	}
	rep, err := h.notifier(cfg, nil).Notify(t.Context(), fixtureTenant(), findings)
	if err != nil {
		t.Fatal(err)
	}
	reqs := srv.Delivered()
	if len(reqs) != 3 || rep.Channels[0].Messages != 3 || rep.Channels[0].Sent != 45 {
		t.Fatalf("%d requests, report %+v; want 3 messages for 45 findings", len(reqs), rep.Channels[0])
	}
	for i, r := range reqs {
		if want := fmt.Sprintf("(part %d of 3)", i+1); !strings.Contains(string(r.Body), want) {
			t.Errorf("message %d lacks %q", i+1, want)
		}
	}
}

func TestTestSendsASampleWithoutState(t *testing.T) {
	h := newHarness(t)
	srv := h.server
	cfg := hookConfig(h, srv)
	st := &countingState{StateStore: newMemState()}
	n := h.notifier(cfg, st)
	if err := n.Test(t.Context(), "hook"); err != nil {
		t.Fatal(err)
	}
	reqs := srv.Delivered()
	if len(reqs) != 1 {
		t.Fatalf("%d requests", len(reqs))
	}
	var p WebhookPayload
	if err := json.Unmarshal(reqs[0].Body, &p); err != nil || !p.Test || len(p.Findings) != 1 || p.Findings[0].AppName != "credwatch sample app" {
		t.Errorf("test payload = %+v, %v", p, err)
	}
	if st.records != 0 {
		t.Errorf("Test recorded %d state writes", st.records)
	}
	err := n.Test(t.Context(), "pager")
	if err == nil || err.Error() != `unknown channel "pager" (configured: hook)` {
		t.Errorf("unknown channel: %v", err)
	}
}

type countingState struct {
	StateStore
	records int
}

func (c *countingState) RecordNotifications(ctx context.Context, a []store.NotificationAttempt) error {
	c.records++
	return c.StateStore.RecordNotifications(ctx, a)
}

// brokenState fails to read, as a store whose database went away.
type brokenState struct{ countingState }

func (brokenState) SentNotifications(context.Context, []string) ([]store.NotificationKey, error) {
	return nil, errors.New("database is locked")
}

func TestUnreadableStateSendsNothing(t *testing.T) {
	h := newHarness(t)
	srv := h.server
	n := h.notifier(hookConfig(h, srv), &brokenState{})
	_, err := n.Notify(t.Context(), fixtureTenant(), fixtureFindings())
	if err == nil || err.Error() != "read notification state: database is locked" {
		t.Errorf("err = %v", err)
	}
	if len(srv.Requests()) != 0 {
		t.Error("sent without knowing what was sent before")
	}
}

func TestMissingSecretFailsTheChannelAndCheckSaysWhere(t *testing.T) {
	h := newHarness(t)
	srv := h.server
	cfg := hookConfig(h, srv)
	cfg.Channels = append(cfg.Channels, ChannelConfig{Name: "teams", Type: TypeTeams, URLFile: t.TempDir() + "/missing"})
	cfg.Routes[0].Channels = append(cfg.Routes[0].Channels, "teams")
	h.env["HOOK_URL"] = "http://plain.example/hook?token=PLAINTOKEN" // not https
	n := h.notifier(cfg, nil)
	err := n.Check()
	if err == nil {
		t.Fatal("Check passed")
	}
	for _, want := range []string{
		"notify channel hook: secret unavailable: the value of environment variable HOOK_URL is not an https URL",
		"notify channel teams: secret unavailable: read file " + cfg.Channels[1].URLFile + ": no such file or directory",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Check = %v\nwant it to contain %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "PLAINTOKEN") {
		t.Errorf("Check repeats the URL: %v", err)
	}
	rep, err := n.Notify(t.Context(), fixtureTenant(), fixtureFindings())
	if !errors.Is(err, ErrSecretUnavailable) || rep.Channels[0].Failed != 5 || rep.Channels[1].Failed != 5 {
		t.Errorf("Notify = %v, %+v", err, rep)
	}
}
