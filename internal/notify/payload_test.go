package notify

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// goldenMessage is a digest of every fixture finding that is not
// suppressed, as Notify would build it at t0.
func goldenMessage() *Message {
	ix := newTenantIndex(fixtureTenant())
	sched := newSchedule(DefaultReminders)
	var items []Item
	for _, f := range fixtureFindings() {
		if !f.Suppressed {
			items = append(items, ix.item(f, sched.due(&f, t0), t0))
		}
	}
	sortItems(items)
	return &Message{Tenant: tenantID, GeneratedAt: t0, Items: items, Part: 1, Parts: 1}
}

func indentJSON(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	if err := json.Indent(&out, b, "", "  "); err != nil {
		t.Fatalf("payload is not JSON: %v\n%s", err, b)
	}
	out.WriteByte('\n')
	return out.Bytes()
}

func TestTeamsPayloadGolden(t *testing.T) {
	b, err := teamsPayload(goldenMessage())
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "teams.golden.json", indentJSON(t, b))

	var p struct {
		Type        string `json:"type"`
		Attachments []struct {
			ContentType string `json:"contentType"`
			Content     struct {
				Type    string `json:"type"`
				Version string `json:"version"`
				Body    []any  `json:"body"`
			} `json:"content"`
		} `json:"attachments"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	if p.Type != "message" || len(p.Attachments) != 1 ||
		p.Attachments[0].ContentType != "application/vnd.microsoft.card.adaptive" ||
		p.Attachments[0].Content.Type != "AdaptiveCard" || p.Attachments[0].Content.Version != "1.4" {
		t.Errorf("not a Workflows message with one Adaptive Card 1.4: %+v", p)
	}
	if got, want := len(p.Attachments[0].Content.Body), 2+5; got != want {
		t.Errorf("card body has %d elements, want title, subtitle and one container per finding (%d)", got, want)
	}
	// The hostile name's link syntax is broken up; nothing of it renders.
	if s := string(b); strings.Contains(s, "[click](") || strings.Contains(s, "*bold*") {
		t.Errorf("hostile markdown reached the card unescaped")
	}
}

func TestSlackPayloadGolden(t *testing.T) {
	b, err := slackPayload(goldenMessage())
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "slack.golden.json", indentJSON(t, b))

	var p struct {
		Text   string           `json:"text"`
		Blocks []map[string]any `json:"blocks"`
	}
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(p.Text, "credwatch: 5 credential findings need attention") {
		t.Errorf("fallback text = %q", p.Text)
	}
	if len(p.Blocks) > 50 || p.Blocks[0]["type"] != "header" {
		t.Errorf("blocks: %d, first %v", len(p.Blocks), p.Blocks[0]["type"])
	}
	// Slack's control sequences in names are escaped, in blocks and text.
	for _, bad := range []string{"<!channel>", "<script>", `"<b>`} {
		if strings.Contains(p.Text, bad) || strings.Contains(string(mustJSON(t, p.Blocks)), bad) {
			t.Errorf("payload contains %q unescaped", bad)
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	// Undo json's HTML escaping so the check sees the text Slack sees.
	b = bytes.ReplaceAll(b, []byte(`\u003c`), []byte("<"))
	b = bytes.ReplaceAll(b, []byte(`\u003e`), []byte(">"))
	return bytes.ReplaceAll(b, []byte(`\u0026`), []byte("&"))
}

func TestWebhookPayloadGolden(t *testing.T) {
	b, err := webhookPayload(goldenMessage())
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "webhook.golden.json", indentJSON(t, b))

	var p WebhookPayload
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	if p.SchemaVersion != 1 || p.Kind != "credwatch.notification" || p.Tenant != tenantID || len(p.Findings) != 5 {
		t.Fatalf("payload header = %+v", p)
	}
	byID := map[string]WebhookFinding{}
	for _, f := range p.Findings {
		byID[f.ID] = f
	}
	if f := byID[fPayrollExpiring.ID]; f.Event != "reminder" || f.ReminderDays == nil || *f.ReminderDays != 7 ||
		f.RunbookURL != "https://wiki.contoso.example/runbooks/payroll" || *f.DaysLeft != 7 {
		t.Errorf("CW002 (7 days left) = %+v", f)
	}
	if f := byID[fLegacyPerms.ID]; f.Event != "new" || f.ReminderDays != nil || f.DaysLeft != nil {
		t.Errorf("CW010 (no deadline) = %+v", f)
	}
	if f := byID[fPayrollExpired.ID]; f.Event != "reminder" || *f.ReminderDays != 0 || *f.DaysLeft != -3 {
		t.Errorf("CW001 (expired) = %+v", f)
	}
}

func TestEmailGolden(t *testing.T) {
	subject, text, html, err := renderEmail(goldenMessage())
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "email.golden.txt", []byte("Subject: "+subject+"\n\n"+text))
	golden(t, "email.golden.html", []byte(html))

	if strings.Contains(html, "<script>") || strings.Contains(html, "<b>cert</b>") || strings.Contains(html, "Carol <Ops>") {
		t.Error("HTML email carries markup from the directory unescaped")
	}
	if !strings.Contains(html, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; [click](https://evil.example)") {
		t.Error("hostile app name not shown escaped in the HTML email")
	}
	if !strings.Contains(html, `<a href="https://wiki.contoso.example/runbooks/payroll">Open runbook</a>`) {
		t.Error("runbook link missing from the HTML email")
	}
	if strings.Contains(html, "javascript:") && strings.Contains(html, `href="javascript:`) {
		t.Error("a javascript: URL became a link")
	}
	if !strings.Contains(text, hostileName) {
		t.Error("the plain-text part should show the name as it is")
	}
}

func TestOwnerEmailSubjectNamesTheApp(t *testing.T) {
	m := goldenMessage()
	m.Owner = true
	m.Items = m.Items[:1] // CW010 on Legacy Portal
	subject, text, _, err := renderEmail(m)
	if err != nil {
		t.Fatal(err)
	}
	if want := "credwatch: 1 credential finding on your app Legacy Portal"; subject != want {
		t.Errorf("subject = %q, want %q", subject, want)
	}
	if !strings.Contains(text, "listed as an owner of this application") {
		t.Errorf("owner email does not say why it was sent:\n%s", text)
	}
	m.Items = []Item{m.Items[0]}
	m.Items[0].AppName = "evil\r\nBcc: all@contoso.example"
	subject, _, _, _ = renderEmail(m)
	if strings.ContainsAny(subject, "\r\n") {
		t.Errorf("subject carries a line break: %q", subject)
	}
}

func TestWebhookSignatureVerifies(t *testing.T) {
	key := []byte("hmac-key-for-tests")
	body := []byte(`{"schemaVersion":1}`)
	ts := "1748764800"
	sig := Sign(key, ts, body)

	// Computed independently of Sign, as a receiver in any language would.
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(ts + "." + string(body)))
	if want := "sha256=" + hex.EncodeToString(mac.Sum(nil)); sig != want {
		t.Fatalf("Sign = %s, want %s", sig, want)
	}
	now := time.Unix(1748764800, 0).Add(time.Minute)
	tests := []struct {
		name      string
		key       []byte
		ts        string
		body      []byte
		sig       string
		maxAge    time.Duration
		wantValid bool
	}{
		{"genuine", key, ts, body, sig, 5 * time.Minute, true},
		{"genuine, no age check", key, ts, body, sig, 0, true},
		{"body changed", key, ts, []byte(`{"schemaVersion":2}`), sig, 5 * time.Minute, false},
		{"timestamp changed", key, "1748764801", body, sig, 5 * time.Minute, false},
		{"other key", []byte("other"), ts, body, sig, 5 * time.Minute, false},
		{"too old", key, ts, body, sig, 30 * time.Second, false},
		{"no prefix", key, ts, body, strings.TrimPrefix(sig, "sha256="), 0, false},
		{"bad timestamp", key, "yesterday", body, Sign(key, "yesterday", body), time.Minute, false},
	}
	for _, tt := range tests {
		if got := VerifySignature(tt.key, tt.ts, tt.body, tt.sig, now, tt.maxAge); got != tt.wantValid {
			t.Errorf("%s: VerifySignature = %v, want %v", tt.name, got, tt.wantValid)
		}
	}
}

func TestWebhookRequestsAreSignedOverTheSentBody(t *testing.T) {
	h := newHarness(t)
	srv := h.server
	h.env["HOOK_URL"] = srv.URL() + "/hooks/credwatch"
	h.env["HOOK_KEY"] = "s3cr3t-hmac-key"
	cfg := DefaultConfig()
	cfg.Channels = []ChannelConfig{{Name: "hook", Type: TypeWebhook, URLEnv: "HOOK_URL", SecretEnv: "HOOK_KEY"}}
	cfg.Routes = []Route{{Channels: []string{"hook"}}}
	srv.FailNext(1, http.StatusBadGateway, "")
	n := h.notifier(cfg, nil)
	if _, err := n.Notify(t.Context(), fixtureTenant(), fixtureFindings()); err != nil {
		t.Fatal(err)
	}
	reqs := srv.Requests()
	if len(reqs) != 2 {
		t.Fatalf("got %d requests, want a failed one and its retry", len(reqs))
	}
	for i, r := range reqs {
		ts := r.Header.Get(TimestampHeader)
		if ts != strconv.FormatInt(t0.Unix(), 10) {
			t.Errorf("request %d timestamp = %q", i, ts)
		}
		mac := hmac.New(sha256.New, []byte("s3cr3t-hmac-key"))
		mac.Write([]byte(ts + "." + string(r.Body)))
		if got, want := r.Header.Get(SignatureHeader), "sha256="+hex.EncodeToString(mac.Sum(nil)); got != want {
			t.Errorf("request %d signature = %q, want %q", i, got, want)
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("request %d content type %q", i, ct)
		}
	}
}
