package notify

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestReceiverChecksSignaturesAndPrintsFindings(t *testing.T) {
	now := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	key := []byte("k")
	body := []byte(`{"schemaVersion":1,"kind":"credwatch.notification","tenant":"t1","findings":[` +
		`{"id":"x","ruleId":"CW002","severity":"high","appName":"app\u001b[31m","message":"m","event":"reminder","daysLeft":2}]}`)
	ts := strconv.FormatInt(now.Unix(), 10)
	tests := []struct {
		name      string
		sig, body string
		want      int
		line      string
	}{
		{"signed", Sign(key, ts, body), string(body), http.StatusNoContent, `t1 CW002 high     reminder "app\x1b[31m": m (2 days left)`},
		{"forged", "sha256=00", string(body), http.StatusUnauthorized, "rejected"},
		{"not ours", Sign(key, ts, []byte(`{"x":1}`)), `{"x":1}`, http.StatusBadRequest, "not a credwatch webhook payload"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			rc := &Receiver{Key: key, Out: &out, Now: func() time.Time { return now }}
			req := httptest.NewRequest(http.MethodPost, "/hooks/demo", strings.NewReader(tt.body))
			req.Header.Set(SignatureHeader, tt.sig)
			req.Header.Set(TimestampHeader, ts)
			w := httptest.NewRecorder()
			rc.ServeHTTP(w, req)
			if w.Code != tt.want || !strings.Contains(out.String(), tt.line) {
				t.Errorf("status %d, output %q; want %d and %q", w.Code, out.String(), tt.want, tt.line)
			}
			if strings.Contains(out.String(), "\x1b") {
				t.Error("a control character from an app name reached the terminal")
			}
		})
	}
}
