package notify

import (
	"github.com/credwatch/credwatch/internal/policy"
)

// Channel types.
const (
	TypeTeams   = "teams"
	TypeSlack   = "slack"
	TypeWebhook = "webhook"
	TypeEmail   = "email"
)

// SMTP TLS modes.
const (
	TLSStartTLS = "starttls" // plain connection upgraded with STARTTLS (port 587); the default
	TLSImplicit = "implicit" // TLS from the first byte (port 465)
	TLSNone     = "none"     // no TLS, for a local relay; refused with a username
)

// DefaultReminders are the days before a deadline at which a reminder is
// due: 30, 14, 7, 3 and 1 days before, and on the day it passes.
var DefaultReminders = []int{30, 14, 7, 3, 1, 0}

// Config is the notifications section of credwatch's configuration
// (`notifications:` in YAML; keys are camelCase). Secrets never appear in
// it: webhook URLs, HMAC keys and SMTP passwords are read from the
// environment variables or files it names.
type Config struct {
	Channels []ChannelConfig `yaml:"channels,omitempty"`
	// Routes send matching findings to channels; a finding goes to every
	// route it matches. Without routes only owners' email (if enabled) is
	// sent.
	Routes []Route `yaml:"routes,omitempty"`
	// Reminders are days before a finding's deadline at which it is sent
	// again; nil means DefaultReminders. 0 is the day the deadline passes.
	Reminders []int `yaml:"reminders,omitempty"`
	// Digest sends one message per channel per run listing every due
	// finding, instead of one message per finding. DefaultConfig sets it.
	Digest     bool             `yaml:"digest"`
	OwnerEmail OwnerEmailConfig `yaml:"ownerEmail,omitempty"`
	// CAFile is a PEM bundle trusted, besides the system's roots, for
	// webhook, Teams and Slack URLs: a receiver inside the network with a
	// private CA (or `credwatch notify receive`).
	CAFile string `yaml:"caFile,omitempty"`
}

// ChannelConfig is one place notifications go.
type ChannelConfig struct {
	// Name is how routes and `credwatch notify test --channel` refer to
	// the channel, and all that logs say about it.
	Name string `yaml:"name"`
	// Type is teams, slack, webhook or email.
	Type string `yaml:"type"`
	// URLEnv or URLFile names where the webhook URL is (teams, slack,
	// webhook): the URL itself is a credential.
	URLEnv  string `yaml:"urlEnv,omitempty"`
	URLFile string `yaml:"urlFile,omitempty"`
	// SecretEnv or SecretFile names where the HMAC key (webhook; optional:
	// without it requests are unsigned) or the SMTP password (email) is.
	SecretEnv  string `yaml:"secretEnv,omitempty"`
	SecretFile string `yaml:"secretFile,omitempty"`
	// SMTP configures an email channel.
	SMTP *SMTPConfig `yaml:"smtp,omitempty"`

	// URL and Secret are never used: they exist so that a URL or key
	// written into the configuration is rejected by name, not ignored.
	URL    string `yaml:"url,omitempty"`
	Secret string `yaml:"secret,omitempty"`
}

// SMTPConfig is an email channel's server and addresses.
type SMTPConfig struct {
	Host string `yaml:"host"`
	// Port defaults to 587 for starttls, 465 for implicit and 25 for none.
	Port int `yaml:"port,omitempty"`
	// TLS is starttls (the default), implicit or none.
	TLS      string `yaml:"tls,omitempty"`
	Username string `yaml:"username,omitempty"`
	From     string `yaml:"from"`
	// To receives what routes send to the channel; owners' email goes to
	// the owners instead.
	To []string `yaml:"to,omitempty"`
	// CAFile is a PEM bundle to trust instead of the system's roots, for a
	// relay with a private CA.
	CAFile string `yaml:"caFile,omitempty"`

	// Password is never used: it exists so that a password written into
	// the configuration is rejected by name. Use the channel's secretEnv
	// or secretFile.
	Password string `yaml:"password,omitempty"`
}

// Route selects findings for channels. Every condition given must hold;
// lists match when any entry does.
type Route struct {
	Channels    []string        `yaml:"channels"`
	MinSeverity policy.Severity `yaml:"minSeverity,omitempty"`
	// Rules are rule ids (CW002); empty means every rule.
	Rules []string `yaml:"rules,omitempty"`
	// AppGlobs match the app name: * any run, ? one character, [abc] a
	// class; letter case ignored.
	AppGlobs []string `yaml:"appGlobs,omitempty"`
	// Tags match one of the object's tags exactly (letter case ignored).
	Tags []string `yaml:"tags,omitempty"`
}

// OwnerEmailConfig sends each app's owners an email about their own apps'
// findings, through an email channel's server.
type OwnerEmailConfig struct {
	Enabled     bool            `yaml:"enabled"`
	Channel     string          `yaml:"channel,omitempty"`
	MinSeverity policy.Severity `yaml:"minSeverity,omitempty"`
}

// DefaultConfig is the configuration before the user's file is applied:
// no channels, the default reminders, digest on.
func DefaultConfig() *Config {
	return &Config{Reminders: append([]int(nil), DefaultReminders...), Digest: true}
}

// reminders are the configured thresholds, or the default.
func (c *Config) reminders() []int {
	if c.Reminders == nil {
		return DefaultReminders
	}
	return c.Reminders
}

func (c *Config) channel(name string) *ChannelConfig {
	for i := range c.Channels {
		if c.Channels[i].Name == name {
			return &c.Channels[i]
		}
	}
	return nil
}
