package notify

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/credwatch/credwatch/internal/notify/notifytest"
	"github.com/credwatch/credwatch/internal/policy"
)

const smtpPassword = "smtp-Pa55word!"

// mailConfig is an email channel to srv, which the route sends findings of
// at least minSeverity to secops@.
func mailConfig(h *harness, t *testing.T, srv *notifytest.SMTPServer, mode string) *Config {
	h.env["SMTP_PASSWORD"] = smtpPassword
	cfg := DefaultConfig()
	cfg.Channels = []ChannelConfig{{Name: "mail", Type: TypeEmail, SecretEnv: "SMTP_PASSWORD", SMTP: &SMTPConfig{
		Host: srv.Host, Port: srv.Port, TLS: mode, Username: "credwatch", CAFile: srv.CAFile(t),
		From: "credwatch <credwatch@contoso.example>", To: []string{"secops@contoso.example"},
	}}}
	cfg.Routes = []Route{{Channels: []string{"mail"}, MinSeverity: policy.Medium}}
	return cfg
}

// parsedMail is a received message's headers and its text and HTML parts.
type parsedMail struct {
	header     mail.Header
	text, html string
}

func parseMail(t *testing.T, data []byte) parsedMail {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("read message: %v\n%s", err, data)
	}
	mt, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/alternative" {
		t.Fatalf("content type %q (%v), want multipart/alternative", msg.Header.Get("Content-Type"), err)
	}
	out := parsedMail{header: msg.Header}
	r := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		var body io.Reader = p
		if p.Header.Get("Content-Transfer-Encoding") == "quoted-printable" {
			body = quotedprintable.NewReader(p)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		switch ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type")); ct {
		case "text/plain":
			out.text = string(b)
		case "text/html":
			out.html = string(b)
		}
	}
	if out.text == "" || out.html == "" {
		t.Fatalf("message lacks a text or an HTML part")
	}
	return out
}

func TestEmailDeliveryOverSTARTTLSAndImplicitTLS(t *testing.T) {
	for _, mode := range []string{TLSStartTLS, TLSImplicit} {
		t.Run(mode, func(t *testing.T) {
			h := newHarness(t)
			srv := notifytest.NewSMTPServer(t, notifytest.SMTPOptions{StartTLS: mode == TLSStartTLS,
				ImplicitTLS: mode == TLSImplicit, Username: "credwatch", Password: smtpPassword})
			n := h.notifier(mailConfig(h, t, srv, mode), nil)
			rep, err := n.Notify(t.Context(), fixtureTenant(), fixtureFindings())
			if err != nil {
				t.Fatal(err)
			}
			if c := rep.Channels[0]; c.Sent != 4 || c.Messages != 1 {
				t.Errorf("report = %+v, want 4 findings in 1 email", c)
			}
			msgs := srv.Messages()
			if len(msgs) != 1 {
				t.Fatalf("%d messages", len(msgs))
			}
			m := msgs[0]
			if !m.TLS || m.AuthUser != "credwatch" || m.From != "credwatch@contoso.example" ||
				!reflect.DeepEqual(m.To, []string{"secops@contoso.example"}) {
				t.Errorf("envelope: TLS %v, user %q, from %q, to %v", m.TLS, m.AuthUser, m.From, m.To)
			}
			pm := parseMail(t, m.Data)
			if s, _ := new(mime.WordDecoder).DecodeHeader(pm.header.Get("Subject")); s != "credwatch: 4 credential findings need attention" {
				t.Errorf("subject = %q", s)
			}
			if !strings.Contains(pm.text, "[HIGH] CW002 · Payroll Sync") || !strings.Contains(pm.html, "&lt;script&gt;") {
				t.Errorf("parts do not carry the findings:\n%s", pm.text)
			}
		})
	}
}

func TestEmailTemporaryFailureIsRetriedPermanentIsNot(t *testing.T) {
	h := newHarness(t)
	srv := notifytest.NewSMTPServer(t, notifytest.SMTPOptions{StartTLS: true, Username: "credwatch", Password: smtpPassword})
	n := h.notifier(mailConfig(h, t, srv, TLSStartTLS), nil)
	srv.FailNext(1, 451)
	if _, err := n.Notify(t.Context(), fixtureTenant(), fixtureFindings()); err != nil {
		t.Fatalf("Notify after a 451: %v", err)
	}
	if len(srv.Messages()) != 1 || len(h.waits()) != 1 {
		t.Errorf("%d messages after %d waits, want 1 after a retry", len(srv.Messages()), len(h.waits()))
	}

	srv.FailNext(1, 550)
	h.now = h.now.Add(day) // nothing new is due; a new finding is
	_, err := n.Notify(t.Context(), fixtureTenant(), []policy.Finding{
		finding("CW005", policy.Medium, "obj-payroll", "app-payroll", "Payroll Sync", "key-x", "new", nil)})
	if err == nil || !strings.Contains(err.Error(), "550") {
		t.Errorf("Notify after a 550 = %v", err)
	}
	if len(h.waits()) != 1 {
		t.Errorf("a permanent refusal was retried (waits %v)", h.waits())
	}
}

func TestWrongSMTPPasswordFailsWithoutRetryOrLeak(t *testing.T) {
	h := newHarness(t)
	srv := notifytest.NewSMTPServer(t, notifytest.SMTPOptions{StartTLS: true, Username: "credwatch", Password: "the-right-one"})
	n := h.notifier(mailConfig(h, t, srv, TLSStartTLS), nil)
	_, err := n.Notify(t.Context(), fixtureTenant(), fixtureFindings())
	if err == nil || !strings.Contains(err.Error(), "535") {
		t.Fatalf("Notify = %v, want the refused login", err)
	}
	if srv.AuthFailures() != 1 || len(srv.Messages()) != 0 {
		t.Errorf("auth failures %d, messages %d", srv.AuthFailures(), len(srv.Messages()))
	}
	if strings.Contains(err.Error(), smtpPassword) || strings.Contains(h.logs.String(), smtpPassword) {
		t.Error("the SMTP password leaked into an error or the log")
	}
}

func TestUntrustedSMTPCertificateIsRefused(t *testing.T) {
	h := newHarness(t)
	srv := notifytest.NewSMTPServer(t, notifytest.SMTPOptions{StartTLS: true, Username: "credwatch", Password: smtpPassword})
	cfg := mailConfig(h, t, srv, TLSStartTLS)
	cfg.Channels[0].SMTP.CAFile = "" // the system roots do not know the test CA
	n := h.notifier(cfg, nil)
	_, err := n.Notify(t.Context(), fixtureTenant(), fixtureFindings())
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("Notify = %v, want a certificate error", err)
	}
	if len(srv.Messages()) != 0 || len(h.waits()) != 0 {
		t.Error("sent to, or retried, an untrusted server")
	}
}

func TestOwnersGetOneEmailAboutTheirOwnApps(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		h := newHarness(t)
		srv := notifytest.NewSMTPServer(t, notifytest.SMTPOptions{StartTLS: true, Username: "credwatch", Password: smtpPassword})
		cfg := mailConfig(h, t, srv, TLSStartTLS)
		cfg.Routes = nil
		cfg.Channels[0].SMTP.To = nil
		cfg.OwnerEmail = OwnerEmailConfig{Enabled: true, Channel: "mail", MinSeverity: policy.Medium}
		st := openStore(t, dsn)
		n := h.notifier(cfg, st)
		rep, err := n.Notify(t.Context(), fixtureTenant(), fixtureFindings())
		if err != nil {
			t.Fatal(err)
		}
		// alice owns payroll (2 findings at medium or above) and the hostile
		// app (1); bob owns payroll; carol the hostile app. Owners' counts
		// are per finding and owner.
		want := []ChannelReport{{Channel: "mail", Type: "email", Owners: true, Sent: 6, Messages: 3}}
		if !reflect.DeepEqual(rep.Channels, want) {
			t.Errorf("report = %+v, want %+v", rep.Channels, want)
		}
		got := map[string]parsedMail{}
		for _, m := range srv.Messages() {
			if len(m.To) != 1 {
				t.Fatalf("one email went to %v", m.To)
			}
			got[m.To[0]] = parseMail(t, m.Data)
		}
		if keys := sortedKeys(got); !slices.Equal(keys, []string{"alice@contoso.example", "bob@contoso.example", "carol@contoso.example"}) {
			t.Fatalf("recipients %v", keys)
		}
		bob := got["bob@contoso.example"]
		if !strings.Contains(bob.text, "Payroll Sync") || strings.Contains(bob.text, "evil.example") ||
			strings.Contains(bob.text, "Legacy Portal") {
			t.Errorf("bob's email is not only about his app:\n%s", bob.text)
		}
		if !strings.Contains(bob.html, `<a href="https://wiki.contoso.example/runbooks/payroll">Open runbook</a>`) ||
			!strings.Contains(bob.text, "Runbook:     https://wiki.contoso.example/runbooks/payroll") {
			t.Errorf("bob's email lacks the runbook link from the credential description")
		}
		if s, _ := new(mime.WordDecoder).DecodeHeader(bob.header.Get("Subject")); s != "credwatch: 2 credential findings on your app Payroll Sync" {
			t.Errorf("bob's subject = %q", s)
		}
		carol := got["carol@contoso.example"]
		if !strings.Contains(carol.html, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") || strings.Contains(carol.html, "<script>") {
			t.Errorf("carol's HTML email does not escape the app name")
		}
		alice := got["alice@contoso.example"]
		if !strings.Contains(alice.text, "Payroll Sync") || !strings.Contains(alice.text, "evil.example") ||
			!strings.Contains(alice.text, "these applications") {
			t.Errorf("alice's email should list both her apps:\n%s", alice.text)
		}

		// A restart sends nobody anything again.
		n = h.notifier(cfg, openStore(t, dsn))
		rep, err = n.Notify(t.Context(), fixtureTenant(), fixtureFindings())
		if err != nil || len(srv.Messages()) != 3 || rep.Channels[0].Skipped != 6 {
			t.Errorf("second run: %v, %d messages in all, report %+v", err, len(srv.Messages()), rep.Channels)
		}
	})
}

func TestOneOwnersRefusedAddressDoesNotStopTheOthers(t *testing.T) {
	h := newHarness(t)
	srv := notifytest.NewSMTPServer(t, notifytest.SMTPOptions{StartTLS: true, Username: "credwatch", Password: smtpPassword})
	cfg := mailConfig(h, t, srv, TLSStartTLS)
	cfg.Routes = nil
	cfg.OwnerEmail = OwnerEmailConfig{Enabled: true, Channel: "mail", MinSeverity: policy.Medium}
	n := h.notifier(cfg, nil)
	srv.FailNext(1, 550) // the first recipient in order: alice
	rep, err := n.Notify(t.Context(), fixtureTenant(), fixtureFindings())
	if err == nil {
		t.Fatal("Notify passed")
	}
	if c := rep.Channels[0]; c.Sent != 3 || c.Failed != 3 || c.Messages != 2 {
		t.Errorf("report = %+v, want alice's 3 failed and the others' 3 sent", c)
	}
	// The next run retries alice only.
	if _, err := n.Notify(t.Context(), fixtureTenant(), fixtureFindings()); err != nil {
		t.Fatal(err)
	}
	msgs := srv.Messages()
	if len(msgs) != 3 || msgs[2].To[0] != "alice@contoso.example" {
		t.Errorf("messages after the retry: %d, last to %v", len(msgs), msgs[len(msgs)-1].To)
	}
}

func TestUnreachableSMTPServerIsTriedOnceForAllOwners(t *testing.T) {
	h := newHarness(t)
	srv := notifytest.NewSMTPServer(t, notifytest.SMTPOptions{StartTLS: true, Username: "credwatch", Password: smtpPassword})
	cfg := mailConfig(h, t, srv, TLSStartTLS)
	cfg.Channels[0].SMTP.Port = closedPort(t)
	cfg.Routes = nil
	cfg.OwnerEmail = OwnerEmailConfig{Enabled: true, Channel: "mail"}
	n := h.notifier(cfg, nil)
	rep, err := n.Notify(t.Context(), fixtureTenant(), fixtureFindings())
	if err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("Notify = %v", err)
	}
	// Three owners: the first is tried (4 attempts, 3 waits), the others
	// are marked failed without a try.
	if c := rep.Channels[0]; c.Sent != 0 || c.Failed != 8 || len(h.waits()) != 3 {
		t.Errorf("report %+v after waits %v", c, h.waits())
	}
}
