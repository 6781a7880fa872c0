package notifytest

import (
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"net/smtp"
	"strconv"
	"strings"
	"testing"
)

func TestWebhookServerRecordsAndFailsOnDemand(t *testing.T) {
	s := NewWebhookServer(t)
	s.FailNext(1, http.StatusBadGateway, "bad gateway")
	s.ThrottleNext(1, "3")
	c := s.Client()
	var statuses []int
	for i := range 3 {
		resp, err := c.Post(s.URL()+"/hook?n="+strconv.Itoa(i), "application/json", strings.NewReader(`{"n":`+strconv.Itoa(i)+`}`))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		statuses = append(statuses, resp.StatusCode)
		if i == 1 && resp.Header.Get("Retry-After") != "3" {
			t.Errorf("Retry-After = %q", resp.Header.Get("Retry-After"))
		}
	}
	if statuses[0] != 502 || statuses[1] != 429 || statuses[2] != 200 {
		t.Errorf("statuses = %v", statuses)
	}
	reqs := s.Requests()
	if len(reqs) != 3 || reqs[2].Path != "/hook?n=2" || string(reqs[2].Body) != `{"n":2}` ||
		reqs[0].Header.Get("Content-Type") != "application/json" {
		t.Errorf("requests = %+v", reqs)
	}
	if d := s.Delivered(); len(d) != 1 || d[0].Status != 200 {
		t.Errorf("delivered = %+v", d)
	}
}

func TestSMTPServerPlainSession(t *testing.T) {
	s := NewSMTPServer(t, SMTPOptions{})
	addr := net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
	body := "Subject: hi\r\n\r\nline one\r\n.leading dot\r\n"
	if err := smtp.SendMail(addr, nil, "a@example.com", []string{"b@example.com", "c@example.com"}, []byte(body)); err != nil {
		t.Fatal(err)
	}
	m := s.Messages()
	if len(m) != 1 || m[0].From != "a@example.com" || len(m[0].To) != 2 || m[0].TLS {
		t.Fatalf("messages = %+v", m)
	}
	if string(m[0].Data) != body {
		t.Errorf("data = %q, want %q (dot-unstuffed)", m[0].Data, body)
	}
}

func TestSMTPServerSTARTTLSWithAuthAndFailures(t *testing.T) {
	s := NewSMTPServer(t, SMTPOptions{StartTLS: true, Username: "u", Password: "p"})
	pool, err := CertPool()
	if err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort(s.Host, strconv.Itoa(s.Port))
	send := func(pass string) error {
		c, err := smtp.Dial(addr)
		if err != nil {
			return err
		}
		defer c.Close()
		if err := c.StartTLS(&tls.Config{ServerName: s.Host, RootCAs: pool}); err != nil {
			return err
		}
		if err := c.Auth(smtp.PlainAuth("", "u", pass, s.Host)); err != nil {
			return err
		}
		if err := c.Mail("a@example.com"); err != nil {
			return err
		}
		if err := c.Rcpt("b@example.com"); err != nil {
			return err
		}
		w, err := c.Data()
		if err != nil {
			return err
		}
		io.WriteString(w, "Subject: x\r\n\r\nbody\r\n")
		if err := w.Close(); err != nil {
			return err
		}
		return c.Quit()
	}
	if err := send("wrong"); err == nil || !strings.Contains(err.Error(), "535") {
		t.Errorf("wrong password: %v", err)
	}
	s.FailNext(1, 451)
	if err := send("p"); err == nil || !strings.HasPrefix(err.Error(), "451") {
		t.Errorf("scripted failure: %v", err)
	}
	if err := send("p"); err != nil {
		t.Fatal(err)
	}
	m := s.Messages()
	if len(m) != 1 || !m[0].TLS || m[0].AuthUser != "u" || s.AuthFailures() != 1 || s.Sessions() != 3 {
		t.Errorf("messages %+v, auth failures %d, sessions %d", m, s.AuthFailures(), s.Sessions())
	}
}
