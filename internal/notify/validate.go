package notify

import (
	"errors"
	"fmt"
	"net/mail"
	"regexp"
	"strings"

	"github.com/credwatch/credwatch/internal/policy"
)

// pathPrefix is where this section sits in credwatch's configuration.
const pathPrefix = "notifications."

// maxReminderDays keeps reminder arithmetic far from overflow (100 years).
const maxReminderDays = 36500

var (
	channelNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
	envNameRE     = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// Validate checks the configuration and returns every problem, each a
// *policy.ConfigError with its key path (notifications.channels[1].urlEnv:
// required), joined with errors.Join; nil when usable. Messages never
// repeat a value that might be a secret.
func (c *Config) Validate() error {
	v := &validator{}
	names := map[string]int{}
	for i := range c.Channels {
		validateChannel(v, fmt.Sprintf("channels[%d]", i), &c.Channels[i])
		name := c.Channels[i].Name
		if j, dup := names[name]; dup && name != "" {
			v.add(fmt.Sprintf("channels[%d].name", i), "duplicate channel name %q (also channels[%d])", name, j)
		} else if name != "" {
			names[name] = i
		}
	}
	for i := range c.Routes {
		c.validateRoute(v, fmt.Sprintf("routes[%d]", i), &c.Routes[i])
	}
	c.validateReminders(v)
	c.validateOwnerEmail(v)
	if len(v.errs) == 0 {
		return nil
	}
	return errors.Join(v.errs...)
}

type validator struct{ errs []error }

func (v *validator) add(path, format string, args ...any) {
	v.errs = append(v.errs, &policy.ConfigError{Path: pathPrefix + path, Msg: fmt.Sprintf(format, args...)})
}

func validateChannel(v *validator, p string, ch *ChannelConfig) {
	switch {
	case ch.Name == "":
		v.add(p+".name", "required")
	case !channelNameRE.MatchString(ch.Name):
		v.add(p+".name", "%q is not a valid channel name (letters, digits, '.', '_', '-'; at most 64)", ch.Name)
	}
	// Inline secrets are refused by key, never echoed.
	if ch.URL != "" {
		v.add(p+".url", "inline webhook URLs are not allowed (the URL is a credential): name an environment variable with urlEnv or a file with urlFile")
	}
	if ch.Secret != "" {
		v.add(p+".secret", "inline secrets are not allowed: name an environment variable with secretEnv or a file with secretFile")
	}
	if ch.SMTP != nil && ch.SMTP.Password != "" {
		v.add(p+".smtp.password", "inline passwords are not allowed: name an environment variable with secretEnv or a file with secretFile")
	}
	validateRef(v, p, "url", ch.URLEnv, ch.URLFile)
	validateRef(v, p, "secret", ch.SecretEnv, ch.SecretFile)
	hasURL := ch.URLEnv != "" || ch.URLFile != ""
	hasSecret := ch.SecretEnv != "" || ch.SecretFile != ""

	switch ch.Type {
	case TypeTeams, TypeSlack, TypeWebhook:
		if !hasURL && ch.URL == "" {
			v.add(p+".urlEnv", "required (or urlFile)")
		}
		if hasSecret && ch.Type != TypeWebhook {
			v.add(p+secretKey(ch), "only webhook and email channels take a secret")
		}
		if ch.SMTP != nil {
			v.add(p+".smtp", "only email channels take smtp settings")
		}
	case TypeEmail:
		if hasURL {
			v.add(p+urlKey(ch), "email channels take no URL; set smtp.host")
		}
		if ch.SMTP == nil {
			v.add(p+".smtp", "required for an email channel")
			return
		}
		validateSMTP(v, p, ch.SMTP, hasSecret)
	case "":
		v.add(p+".type", "required (teams, slack, webhook or email)")
	default:
		v.add(p+".type", "unknown channel type %q (want teams, slack, webhook or email)", ch.Type)
	}
}

func urlKey(ch *ChannelConfig) string {
	if ch.URLEnv != "" {
		return ".urlEnv"
	}
	return ".urlFile"
}

func secretKey(ch *ChannelConfig) string {
	if ch.SecretEnv != "" {
		return ".secretEnv"
	}
	return ".secretFile"
}

// validateRef checks one env-or-file reference. An env "name" that is not
// a variable name is most likely the secret itself pasted in the wrong
// key, so the message does not repeat it.
func validateRef(v *validator, p, what, env, file string) {
	if env != "" && file != "" {
		v.add(p+"."+what+"Env", "set %sEnv or %sFile, not both", what, what)
	}
	if env != "" && !envNameRE.MatchString(env) {
		v.add(p+"."+what+"Env", "must name an environment variable (letters, digits and '_'), not hold a value")
	}
	if file != "" && strings.Contains(file, "://") {
		v.add(p+"."+what+"File", "must name a file, not hold a URL")
	}
}

func validateSMTP(v *validator, p string, s *SMTPConfig, hasPassword bool) {
	p += ".smtp"
	if strings.TrimSpace(s.Host) == "" {
		v.add(p+".host", "required")
	} else if strings.ContainsAny(s.Host, " /:") && !strings.HasPrefix(s.Host, "[") {
		v.add(p+".host", "%q is not a host name (give the port in smtp.port)", s.Host)
	}
	if s.Port < 0 || s.Port > 65535 {
		v.add(p+".port", "must be between 1 and 65535 (got %d)", s.Port)
	}
	switch s.TLS {
	case "", TLSStartTLS, TLSImplicit:
	case TLSNone:
		if s.Username != "" {
			v.add(p+".tls", "none would send the password in clear text; use starttls or implicit with a username")
		}
	default:
		v.add(p+".tls", "unknown TLS mode %q (want starttls, implicit or none)", s.TLS)
	}
	if s.From == "" {
		v.add(p+".from", "required")
	} else if _, err := mail.ParseAddress(s.From); err != nil {
		v.add(p+".from", "invalid address %q", s.From)
	}
	for i, to := range s.To {
		if _, err := mail.ParseAddress(to); err != nil {
			v.add(fmt.Sprintf("%s.to[%d]", p, i), "invalid address %q", to)
		}
	}
	switch {
	case s.Username != "" && !hasPassword:
		v.add(strings.TrimSuffix(p, ".smtp")+".secretEnv", "required when smtp.username is set (or secretFile): the SMTP password")
	case s.Username == "" && hasPassword:
		v.add(p+".username", "required when a password is configured (secretEnv or secretFile)")
	}
}

func (c *Config) validateRoute(v *validator, p string, r *Route) {
	if len(r.Channels) == 0 {
		v.add(p+".channels", "required: at least one channel")
	}
	for i, name := range r.Channels {
		cp := fmt.Sprintf("%s.channels[%d]", p, i)
		ch := c.channel(name)
		switch {
		case ch == nil:
			v.add(cp, "unknown channel %q", name)
		case ch.Type == TypeEmail && ch.SMTP != nil && len(ch.SMTP.To) == 0:
			v.add(cp, "email channel %q has no recipients (smtp.to)", name)
		}
	}
	if r.MinSeverity < policy.Info || r.MinSeverity > policy.Critical {
		v.add(p+".minSeverity", "invalid severity %d", int(r.MinSeverity))
	}
	for i, id := range r.Rules {
		if _, ok := policy.Lookup(id); !ok {
			v.add(fmt.Sprintf("%s.rules[%d]", p, i), "unknown rule %q", id)
		}
	}
	for i, g := range r.AppGlobs {
		if _, err := compileGlob(g); err != nil {
			v.add(fmt.Sprintf("%s.appGlobs[%d]", p, i), "%v", err)
		}
	}
	for i, tag := range r.Tags {
		if strings.TrimSpace(tag) == "" {
			v.add(fmt.Sprintf("%s.tags[%d]", p, i), "empty tag")
		}
	}
}

func (c *Config) validateReminders(v *validator) {
	if c.Reminders != nil && len(c.Reminders) == 0 {
		v.add("reminders", "must list at least one day (leave it out for the default %v)", DefaultReminders)
	}
	seen := map[int]bool{}
	for i, d := range c.Reminders {
		p := fmt.Sprintf("reminders[%d]", i)
		switch {
		case d < 0:
			v.add(p, "must not be negative (got %d); 0 is the day the deadline passes", d)
		case d > maxReminderDays:
			v.add(p, "must be at most %d days (got %d)", maxReminderDays, d)
		case seen[d]:
			v.add(p, "duplicate day %d", d)
		}
		seen[d] = true
	}
}

func (c *Config) validateOwnerEmail(v *validator) {
	o := &c.OwnerEmail
	if o.MinSeverity < policy.Info || o.MinSeverity > policy.Critical {
		v.add("ownerEmail.minSeverity", "invalid severity %d", int(o.MinSeverity))
	}
	if !o.Enabled {
		return
	}
	if o.Channel == "" {
		v.add("ownerEmail.channel", "required when ownerEmail is enabled: an email channel")
		return
	}
	ch := c.channel(o.Channel)
	switch {
	case ch == nil:
		v.add("ownerEmail.channel", "unknown channel %q", o.Channel)
	case ch.Type != TypeEmail:
		v.add("ownerEmail.channel", "channel %q is a %s channel; owners' email needs an email channel", o.Channel, ch.Type)
	}
}
