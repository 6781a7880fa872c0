package notify

import (
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/credwatch/credwatch/internal/notify/notifytest"
	"github.com/credwatch/credwatch/internal/store"
)

// closedPort is a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

func TestLogsErrorsAndStateNeverHoldSecrets(t *testing.T) {
	const (
		teamsToken = "TEAMSSIGxyz123"
		slackToken = "SLACKTOKENabc789"
		hookToken  = "HOOKTOKENqrs456"
		hmacKey    = "HMACkey-0a1b2c3d"
	)
	h := newHarness(t)
	teams := notifytest.NewWebhookServer(t)
	hook := notifytest.NewWebhookServer(t)
	smtp := notifytest.NewSMTPServer(t, notifytest.SMTPOptions{StartTLS: true, Username: "credwatch", Password: "another"})

	teamsURL := teams.URL() + "/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig=" + teamsToken
	slackURL := "https://127.0.0.1:" + strconv.Itoa(closedPort(t)) + "/services/T000/B000/" + slackToken
	hookURL := hook.URL() + "/hooks/" + hookToken
	slackFile := filepath.Join(t.TempDir(), "slack-url")
	if err := os.WriteFile(slackFile, []byte(slackURL+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	h.env["TEAMS_URL"], h.env["HOOK_URL"], h.env["HOOK_KEY"] = teamsURL, hookURL, hmacKey
	h.env["SMTP_PASSWORD"] = smtpPassword
	secrets := []string{teamsToken, slackToken, hookToken, hmacKey, smtpPassword, teamsURL, slackURL, hookURL,
		"/workflows/abc", "/services/T000"}

	// A misconfigured proxy that echoes the request URL back in its error.
	teams.FailNext(10, http.StatusBadRequest, "no route for "+teamsURL)
	hook.FailNext(10, http.StatusInternalServerError, "upstream "+hookToken+" failed")

	cfg := mailConfig(h, t, smtp, TLSStartTLS)
	cfg.Channels = append(cfg.Channels,
		ChannelConfig{Name: "teams", Type: TypeTeams, URLEnv: "TEAMS_URL"},
		ChannelConfig{Name: "slack", Type: TypeSlack, URLFile: slackFile},
		ChannelConfig{Name: "hook", Type: TypeWebhook, URLEnv: "HOOK_URL", SecretEnv: "HOOK_KEY"},
	)
	cfg.Routes = []Route{{Channels: []string{"mail", "teams", "slack", "hook"}}}
	st := openStore(t, sqliteDSN(t))
	n := h.notifier(cfg, st)

	var texts []string
	rep, err := n.Notify(t.Context(), fixtureTenant(), fixtureFindings())
	if err == nil {
		t.Fatal("Notify passed with every channel failing")
	}
	texts = append(texts, err.Error())
	for _, c := range rep.Channels {
		if c.Failed == 0 {
			t.Errorf("channel %s did not fail: %+v", c.Channel, c)
		}
		texts = append(texts, c.Errors...)
	}
	for _, name := range []string{"mail", "teams", "slack", "hook"} {
		if err := n.Test(t.Context(), name); err == nil {
			t.Errorf("Test(%s) passed", name)
		} else {
			texts = append(texts, err.Error())
		}
	}
	// Check with a broken URL value: it must not be quoted either.
	h.env["TEAMS_URL"] = "http://insecure.example/" + teamsToken
	if err := n.Check(); err == nil {
		t.Error("Check passed with a non-https URL")
	} else {
		texts = append(texts, err.Error())
	}
	stored, err := st.Notifications(t.Context(), store.NotificationFilter{})
	if err != nil || len(stored) == 0 {
		t.Fatalf("stored state: %v, %v", stored, err)
	}
	for _, s := range stored {
		texts = append(texts, s.Error)
	}
	logs := h.logs.String()
	texts = append(texts, logs)

	for _, text := range texts {
		for _, s := range secrets {
			if strings.Contains(text, s) {
				t.Errorf("secret %q leaked into:\n%s", s, text)
			}
		}
	}
	// The failures are still told, with the channel named.
	for _, want := range []string{"channel=teams", "channel=slack", "channel=hook", "channel=mail",
		"connection refused", "[REDACTED]", "535"} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
}

func TestRedactorReplacesLongestFirst(t *testing.T) {
	r := &redactor{}
	r.add("abc")
	r.add("https://host/abc?x=1")
	r.add("")
	if got := r.scrub("POST https://host/abc?x=1 then abc"); got != "POST [REDACTED] then [REDACTED]" {
		t.Errorf("scrub = %q", got)
	}
	err := r.scrubErr(errors.Join(ErrSecretUnavailable, errors.New("abc")))
	if !errors.Is(err, ErrSecretUnavailable) || strings.Contains(err.Error(), "abc") {
		t.Errorf("scrubErr = %v (is secret-unavailable: %v)", err, errors.Is(err, ErrSecretUnavailable))
	}
}
