package cli

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/credwatch/credwatch/internal/syncbuf"
)

// waitFor polls a command's output for a pattern.
func waitFor(t *testing.T, b *syncbuf.Buffer, pattern string, within time.Duration) []string {
	t.Helper()
	re := regexp.MustCompile(pattern)
	deadline := time.Now().Add(within)
	for {
		if m := re.FindStringSubmatch(b.String()); m != nil {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q in output:\n%s", pattern, b.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// start runs a long-lived command (serve, notify receive) until the test
// ends, then interrupts it: it must stop within ten seconds, with exit 0.
func start(t *testing.T, args ...string) (*syncbuf.Buffer, *syncbuf.Buffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb syncbuf.Buffer
	done := make(chan int)
	go func() {
		done <- run(ctx, args, &env{stdout: &out, stderr: &errb, now: func() time.Time { return demoNow }})
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Errorf("%s exited %d: %s", args[0], code, errb.String())
			}
		case <-time.After(10 * time.Second):
			t.Errorf("%s did not stop after interrupt", args[0])
		}
	})
	return &out, &errb
}

// httpGet fetches url: its status and body.
func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestServeDemoNotifiesALocalReceiver is serve mode's notification path as
// a user tries it: a local receiver, a webhook channel pointed at it, and
// serve --demo delivering the demo tenant's urgent findings, signed.
func TestServeDemoNotifiesALocalReceiver(t *testing.T) {
	dir := t.TempDir()
	ca := filepath.Join(dir, "receiver-ca.pem")
	t.Setenv("CW_TEST_HOOK_KEY", "an-hmac-key-for-the-test")
	recv, _ := start(t, "notify", "receive", "--listen", "127.0.0.1:0", "--ca-out", ca, "--key-env", "CW_TEST_HOOK_KEY")
	url := waitFor(t, recv, `receiving credwatch webhooks on (https://\S+)`, 10*time.Second)[1]
	t.Setenv("CW_TEST_HOOK_URL", url+"hooks/demo")

	cfg := filepath.Join(dir, "serve.yaml")
	if err := os.WriteFile(cfg, []byte(fmt.Sprintf(`notifications:
  caFile: %s
  channels:
    - name: demo-hook
      type: webhook
      urlEnv: CW_TEST_HOOK_URL
      secretEnv: CW_TEST_HOOK_KEY
  routes:
    - channels: [demo-hook]
      minSeverity: high
`, ca)), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := runCLI(t, "notify", "test", "--config", cfg, "--channel", "demo-hook"); r.code != 0 {
		t.Fatalf("notify test: exit %d: %s", r.code, r.stderr)
	}
	waitFor(t, recv, `delivery with no findings|CW\d+`, 10*time.Second)

	start(t, "serve", "--demo", "--config", cfg, "--listen", "127.0.0.1:0", "--interval", "1h",
		"--store", "sqlite://"+filepath.Join(dir, "s.db"))
	waitFor(t, recv, `CW008 critical new "Office 365 Exchange Online"`, 20*time.Second)
	waitFor(t, recv, `CW002 high\s+reminder "payroll-export".*\(2 days left\)`, 5*time.Second)
	if strings.Contains(recv.String(), "rejected") {
		t.Errorf("the receiver rejected a delivery:\n%s", recv.String())
	}
	if strings.Contains(recv.String(), " medium ") || strings.Contains(recv.String(), " low ") {
		t.Errorf("findings below the route's minimum severity were sent:\n%s", recv.String())
	}
}
