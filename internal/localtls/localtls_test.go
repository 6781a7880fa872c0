package localtls

import (
	"crypto/tls"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// A client trusting only the CA reaches a server using the leaf over
// 127.0.0.1; a client without the CA does not.
func TestLeafIsTrustedThroughTheCAOnly(t *testing.T) {
	p, err := New("127.0.0.1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok")) }))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{p.Leaf}}
	srv.StartTLS()
	defer srv.Close()
	trusting := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: p.Roots}}}
	resp, err := trusting.Get(srv.URL)
	if err != nil {
		t.Fatalf("client trusting the CA: %v", err)
	}
	resp.Body.Close()
	if _, err := (&http.Client{}).Get(srv.URL); err == nil {
		t.Error("a client without the CA trusted the server")
	}
}
