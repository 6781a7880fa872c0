package notify

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"embed"
	"errors"
	"fmt"
	htmltemplate "html/template"
	"net"
	"net/textproto"
	"os"
	"slices"
	"strings"
	texttemplate "text/template"

	mail "github.com/wneessen/go-mail"

	"github.com/credwatch/credwatch/internal/policy"
)

//go:embed templates/email.txt.tmpl templates/email.html.tmpl
var templateFS embed.FS

var (
	textTmpl = texttemplate.Must(texttemplate.ParseFS(templateFS, "templates/email.txt.tmpl"))
	htmlTmpl = htmltemplate.Must(htmltemplate.ParseFS(templateFS, "templates/email.html.tmpl"))
)

// emailSend mails the message to the channel's smtp.to recipients.
func (n *Notifier) emailSend(ch *ChannelConfig) func(context.Context, *Message) error {
	return func(ctx context.Context, m *Message) error {
		if len(ch.SMTP.To) == 0 {
			return errors.New("no recipients: the channel has no smtp.to")
		}
		return n.sendEmail(ctx, ch, m, ch.SMTP.To)
	}
}

// sendEmail renders m as plain text with an HTML alternative and delivers
// it over SMTP, retrying temporary failures.
func (n *Notifier) sendEmail(ctx context.Context, ch *ChannelConfig, m *Message, to []string) error {
	s := ch.SMTP
	var password string
	if ref := (secretRef{"secret", ch.SecretEnv, ch.SecretFile}); ref.set() {
		p, err := n.resolve(ref)
		if err != nil {
			return err
		}
		password = p
	}
	subject, text, html, err := renderEmail(m)
	if err != nil {
		return err
	}
	msg := mail.NewMsg(mail.WithNoDefaultUserAgent())
	if err := msg.From(s.From); err != nil {
		return fmt.Errorf("from address: %w", err)
	}
	if err := msg.To(to...); err != nil {
		return fmt.Errorf("recipient address: %w", err)
	}
	msg.Subject(subject)
	msg.SetDateWithValue(n.opts.Now())
	msg.SetMessageID()
	msg.SetGenHeader(mail.HeaderXMailer, "credwatch")
	msg.SetBodyString(mail.TypeTextPlain, text)
	msg.AddAlternativeString(mail.TypeTextHTML, html)

	client, err := n.smtpClient(s, password)
	if err != nil {
		return err
	}
	return n.withRetry(ctx, ch.Name, func(ctx context.Context) error {
		return classifySMTP(client.DialAndSendWithContext(ctx, msg))
	})
}

func (n *Notifier) smtpClient(s *SMTPConfig, password string) (*mail.Client, error) {
	tlsCfg := &tls.Config{ServerName: s.Host, MinVersion: tls.VersionTLS12}
	if s.CAFile != "" {
		pem, err := os.ReadFile(s.CAFile)
		if err != nil {
			return nil, fmt.Errorf("read smtp.caFile: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("smtp.caFile %s holds no PEM certificate", s.CAFile)
		}
		tlsCfg.RootCAs = pool
	}
	port := s.Port
	opts := []mail.Option{mail.WithTimeout(n.opts.RequestTimeout), mail.WithTLSConfig(tlsCfg)}
	switch s.TLS {
	case TLSImplicit:
		opts = append(opts, mail.WithSSL())
		port = cmpOr(port, 465)
	case TLSNone:
		opts = append(opts, mail.WithTLSPolicy(mail.NoTLS))
		port = cmpOr(port, 25)
	default:
		opts = append(opts, mail.WithTLSPolicy(mail.TLSMandatory))
		port = cmpOr(port, 587)
	}
	// After the TLS options, which may pick a port of their own.
	opts = append(opts, mail.WithPort(port))
	if s.Username != "" {
		// Auto-discovery takes the strongest mechanism the server offers
		// and never PLAIN or LOGIN without TLS.
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover),
			mail.WithUsername(s.Username), mail.WithPassword(password))
	}
	c, err := mail.NewClient(s.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("smtp client: %w", err)
	}
	return c, nil
}

func cmpOr(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// classifySMTP marks the failures another try may cure: 4xx replies
// (greylisting, a busy server), network errors and timeouts. Certificate
// problems, 5xx replies and refused logins are for good.
func classifySMTP(err error) error {
	if err == nil {
		return nil
	}
	var certErr *tls.CertificateVerificationError
	if errors.As(err, &certErr) {
		return err
	}
	var sendErr *mail.SendError
	if errors.As(err, &sendErr) {
		if sendErr.IsTemp() {
			return &transientError{err}
		}
		return err
	}
	var tpErr *textproto.Error
	if errors.As(err, &tpErr) {
		if tpErr.Code >= 400 && tpErr.Code < 500 {
			return &transientError{err}
		}
		return err
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return &transientError{err}
	}
	return err
}

// emailView is what the templates see: every value already a string, so
// html/template escapes each one.
type emailView struct {
	Title, Subtitle string
	Owner           bool
	Apps            []string
	Items           []emailItem
}

type emailItem struct {
	Severity, Color, RuleID, App, Message  string
	Deadline, When                         string
	AppID, ObjectType, ObjectID, KeyID, ID string
	Description, RunbookURL, Owners        string
}

// renderEmail is the subject, plain text and HTML of a message.
func renderEmail(m *Message) (subject, text, html string, err error) {
	v := emailView{Title: m.title(), Subtitle: m.subtitle(), Owner: m.Owner}
	for i := range m.Items {
		it := &m.Items[i]
		app := it.appLabel()
		if !slices.Contains(v.Apps, app) {
			v.Apps = append(v.Apps, app)
		}
		v.Items = append(v.Items, emailItem{
			Severity: strings.ToUpper(it.Severity.String()), Color: severityColor(it.Severity), RuleID: it.RuleID,
			App: app, Message: oneLine(it.Message), Deadline: it.deadlineText(m.GeneratedAt),
			When: it.when(m.GeneratedAt), AppID: it.AppID, ObjectType: string(it.ObjectType), ObjectID: it.ObjectID,
			KeyID: it.KeyID, ID: it.ID, Description: oneLine(it.Description), RunbookURL: it.RunbookURL,
			Owners: oneLine(strings.Join(it.Owners, ", ")),
		})
	}
	subject = v.Title
	if m.Owner && len(v.Apps) == 1 && !m.Test {
		subject = fmt.Sprintf("credwatch: %s on your app %s", plural(len(m.Items), "credential finding"), v.Apps[0])
	}
	subject = truncate(oneLine(subject), 200)
	var tb, hb strings.Builder
	if err := textTmpl.Execute(&tb, v); err != nil {
		return "", "", "", fmt.Errorf("render email text: %w", err)
	}
	if err := htmlTmpl.Execute(&hb, v); err != nil {
		return "", "", "", fmt.Errorf("render email html: %w", err)
	}
	return subject, tb.String(), hb.String(), nil
}

func severityColor(s policy.Severity) string {
	switch {
	case s >= policy.High:
		return "#c50f1f"
	case s == policy.Medium:
		return "#b35c00"
	}
	return "#424242"
}
