package notifytest

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// SMTPOptions choose how an SMTPServer talks.
type SMTPOptions struct {
	// ImplicitTLS speaks TLS from the first byte (port 465 style);
	// StartTLS offers STARTTLS on a plain connection.
	ImplicitTLS bool
	StartTLS    bool
	// Username and Password, when set, require AUTH (PLAIN or LOGIN, only
	// offered on an encrypted session) before MAIL.
	Username, Password string
}

// Mail is one message the server accepted.
type Mail struct {
	From string
	To   []string
	// Data is the message as received (headers and body), dot-unstuffed,
	// with CRLF line ends.
	Data []byte
	// TLS is whether the session was encrypted; AuthUser who logged in.
	TLS      bool
	AuthUser string
}

// SMTPServer is a minimal SMTP server on 127.0.0.1 for tests: enough of
// RFC 5321 (EHLO, STARTTLS, AUTH PLAIN/LOGIN, MAIL, RCPT, DATA, RSET,
// NOOP, QUIT) for go-mail and net/smtp to deliver to it.
type SMTPServer struct {
	Host string
	Port int

	opts SMTPOptions
	ln   net.Listener
	tls  *tls.Config
	wg   sync.WaitGroup

	mu           sync.Mutex
	mails        []Mail
	failMail     []int
	authFailures int
	sessions     int
	conns        map[net.Conn]bool
	closed       bool
}

// NewSMTPServer starts a server, closed when the test ends.
func NewSMTPServer(t testing.TB, opts SMTPOptions) *SMTPServer {
	t.Helper()
	cert, err := testCert()
	if err != nil {
		t.Fatalf("notifytest: certificate: %v", err)
	}
	s := &SMTPServer{opts: opts, conns: map[net.Conn]bool{}, tls: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}
	s.ln, err = net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("notifytest: listen: %v", err)
	}
	addr := s.ln.Addr().(*net.TCPAddr)
	s.Host, s.Port = "127.0.0.1", addr.Port
	s.wg.Go(s.accept)
	t.Cleanup(func() {
		s.ln.Close()
		// A client that stopped mid-session must not hold up the test.
		s.mu.Lock()
		s.closed = true
		for c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

// CAFile writes the server's certificate to a PEM file in the test's
// temporary directory and returns its path, for smtp.caFile.
func (s *SMTPServer) CAFile(t testing.TB) string {
	t.Helper()
	pem, err := CertPEM()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "notifytest-ca.pem")
	if err := os.WriteFile(p, pem, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// FailNext makes the next n MAIL commands answer code: 4xx (451) is a
// temporary failure a client should retry, 5xx (550) a permanent one.
func (s *SMTPServer) FailNext(n, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range n {
		s.failMail = append(s.failMail, code)
	}
}

// Messages returns a copy of every accepted message, in order.
func (s *SMTPServer) Messages() []Mail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Mail(nil), s.mails...)
}

// AuthFailures counts refused logins; Sessions counts connections.
func (s *SMTPServer) AuthFailures() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.authFailures
}

func (s *SMTPServer) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions
}

func (s *SMTPServer) accept() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.sessions++
		s.conns[c] = true
		s.mu.Unlock()
		s.wg.Go(func() {
			s.serve(c)
			s.mu.Lock()
			delete(s.conns, c)
			s.mu.Unlock()
		})
	}
}

// session is one connection's state.
type session struct {
	s        *SMTPServer
	conn     net.Conn
	r        *bufio.Reader
	tls      bool
	authUser string
	from     string
	to       []string
	inMail   bool
}

const maxLine = 4096

func (s *SMTPServer) serve(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(30 * time.Second))
	ss := &session{s: s, conn: c}
	if s.opts.ImplicitTLS {
		tc := tls.Server(c, s.tls)
		if err := tc.Handshake(); err != nil {
			return
		}
		ss.conn, ss.tls = tc, true
	}
	ss.r = bufio.NewReaderSize(ss.conn, maxLine)
	ss.reply("220 notifytest ESMTP ready")
	for {
		line, err := ss.readLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			ss.reset()
			ss.ehlo()
		case "HELO":
			ss.reset()
			ss.reply("250 notifytest")
		case "STARTTLS":
			if !s.opts.StartTLS || ss.tls {
				ss.reply("503 5.5.1 STARTTLS not available")
				continue
			}
			ss.reply("220 2.0.0 ready to start TLS")
			tc := tls.Server(ss.conn, s.tls)
			if err := tc.Handshake(); err != nil {
				return
			}
			ss.conn, ss.tls, ss.r = tc, true, bufio.NewReaderSize(tc, maxLine)
			ss.reset()
		case "AUTH":
			if !ss.auth(arg) {
				return
			}
		case "MAIL":
			ss.mail(arg)
		case "RCPT":
			addr, ok := pathArg(arg, "TO:")
			switch {
			case !ss.inMail:
				ss.reply("503 5.5.1 MAIL first")
			case !ok:
				ss.reply("501 5.1.3 bad recipient")
			default:
				ss.to = append(ss.to, addr)
				ss.reply("250 2.1.5 ok")
			}
		case "DATA":
			if len(ss.to) == 0 {
				ss.reply("503 5.5.1 RCPT first")
				continue
			}
			if !ss.data() {
				return
			}
		case "RSET":
			ss.reset()
			ss.reply("250 2.0.0 ok")
		case "NOOP":
			ss.reply("250 2.0.0 ok")
		case "QUIT":
			ss.reply("221 2.0.0 bye")
			return
		default:
			ss.reply("502 5.5.2 command not implemented")
		}
	}
}

func (ss *session) reply(line string) {
	_, _ = io.WriteString(ss.conn, line+"\r\n")
}

func (ss *session) readLine() (string, error) {
	line, err := ss.r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		return "", errors.New("line too long")
	}
	if err != nil {
		return "", err
	}
	return strings.TrimRight(string(line), "\r\n"), nil
}

func (ss *session) reset() {
	ss.from, ss.to, ss.inMail = "", nil, false
}

func (ss *session) ehlo() {
	lines := []string{"notifytest"}
	if ss.s.opts.StartTLS && !ss.tls {
		lines = append(lines, "STARTTLS")
	}
	if ss.s.opts.Username != "" && ss.tls {
		lines = append(lines, "AUTH PLAIN LOGIN")
	}
	lines = append(lines, "8BITMIME", "ENHANCEDSTATUSCODES", "SIZE 10485760")
	for i, l := range lines {
		sep := "-"
		if i == len(lines)-1 {
			sep = " "
		}
		ss.reply("250" + sep + l)
	}
}

// auth handles AUTH PLAIN and LOGIN; false ends the session.
func (ss *session) auth(arg string) bool {
	s := ss.s
	if s.opts.Username == "" {
		ss.reply("503 5.5.1 AUTH not available")
		return true
	}
	if !ss.tls {
		ss.reply("538 5.7.11 encryption required")
		return true
	}
	mech, initial, _ := strings.Cut(arg, " ")
	var user, pass string
	switch strings.ToUpper(mech) {
	case "PLAIN":
		if initial == "" {
			ss.reply("334 ")
			l, err := ss.readLine()
			if err != nil {
				return false
			}
			initial = l
		}
		b, err := base64.StdEncoding.DecodeString(initial)
		parts := strings.Split(string(b), "\x00")
		if err != nil || len(parts) != 3 {
			ss.reply("501 5.5.2 bad AUTH PLAIN data")
			return true
		}
		user, pass = parts[1], parts[2]
	case "LOGIN":
		var vals [2]string
		for i, prompt := range []string{"VXNlcm5hbWU6", "UGFzc3dvcmQ6"} {
			ss.reply("334 " + prompt)
			l, err := ss.readLine()
			if err != nil {
				return false
			}
			b, err := base64.StdEncoding.DecodeString(l)
			if err != nil {
				ss.reply("501 5.5.2 bad base64")
				return true
			}
			vals[i] = string(b)
		}
		user, pass = vals[0], vals[1]
	default:
		ss.reply("504 5.5.4 mechanism not supported")
		return true
	}
	if user != s.opts.Username || pass != s.opts.Password {
		s.mu.Lock()
		s.authFailures++
		s.mu.Unlock()
		ss.reply("535 5.7.8 authentication credentials invalid")
		return true
	}
	ss.authUser = user
	ss.reply("235 2.7.0 authentication succeeded")
	return true
}

func (ss *session) mail(arg string) {
	s := ss.s
	if s.opts.Username != "" && ss.authUser == "" {
		ss.reply("530 5.7.0 authentication required")
		return
	}
	s.mu.Lock()
	code := 0
	if len(s.failMail) > 0 {
		code, s.failMail = s.failMail[0], s.failMail[1:]
	}
	s.mu.Unlock()
	if code != 0 {
		if code >= 500 {
			ss.reply(strconv.Itoa(code) + " 5.7.1 sender rejected")
		} else {
			ss.reply(strconv.Itoa(code) + " 4.3.0 try again later")
		}
		return
	}
	addr, ok := pathArg(arg, "FROM:")
	if !ok {
		ss.reply("501 5.1.7 bad sender")
		return
	}
	ss.reset()
	ss.from, ss.inMail = addr, true
	ss.reply("250 2.1.0 ok")
}

// data reads the message up to the lone dot; false ends the session.
func (ss *session) data() bool {
	ss.reply("354 end data with <CR><LF>.<CR><LF>")
	var buf bytes.Buffer
	for {
		line, err := ss.readLine()
		if err != nil {
			return false
		}
		if line == "." {
			break
		}
		line = strings.TrimPrefix(line, ".") // dot-unstuffing
		buf.WriteString(line)
		buf.WriteString("\r\n")
		if buf.Len() > 10<<20 {
			ss.reply("552 5.3.4 message too big")
			return false
		}
	}
	s := ss.s
	s.mu.Lock()
	s.mails = append(s.mails, Mail{From: ss.from, To: append([]string(nil), ss.to...), Data: buf.Bytes(),
		TLS: ss.tls, AuthUser: ss.authUser})
	n := len(s.mails)
	s.mu.Unlock()
	ss.reset()
	ss.reply(fmt.Sprintf("250 2.0.0 ok: queued as %d", n))
	return true
}

// pathArg reads "FROM:<addr> PARAMS" style arguments.
func pathArg(arg, prefix string) (string, bool) {
	if len(arg) < len(prefix) || !strings.EqualFold(arg[:len(prefix)], prefix) {
		return "", false
	}
	rest := strings.TrimSpace(arg[len(prefix):])
	if !strings.HasPrefix(rest, "<") {
		return "", false
	}
	end := strings.IndexByte(rest, '>')
	if end < 0 {
		return "", false
	}
	return rest[1:end], true
}
