package notify

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/credwatch/credwatch/internal/policy"
)

// validConfig uses every channel type and feature.
func validConfig() *Config {
	c := DefaultConfig()
	c.Channels = []ChannelConfig{
		{Name: "teams", Type: TypeTeams, URLEnv: "CREDWATCH_TEAMS_URL"},
		{Name: "slack", Type: TypeSlack, URLFile: "/run/secrets/slack"},
		{Name: "hook", Type: TypeWebhook, URLEnv: "HOOK_URL", SecretFile: "/run/secrets/hook-key"},
		{Name: "mail", Type: TypeEmail, SecretEnv: "SMTP_PASSWORD", SMTP: &SMTPConfig{Host: "smtp.contoso.example",
			Username: "credwatch", From: "credwatch <credwatch@contoso.example>", To: []string{"secops@contoso.example"}}},
	}
	c.Routes = []Route{
		{Channels: []string{"teams", "hook"}, MinSeverity: policy.High},
		{Channels: []string{"slack", "mail"}, Rules: []string{"CW002", "CW001"}, AppGlobs: []string{"Payroll*"}, Tags: []string{"prod"}},
	}
	c.OwnerEmail = OwnerEmailConfig{Enabled: true, Channel: "mail", MinSeverity: policy.Medium}
	return c
}

func TestValidConfigPasses(t *testing.T) {
	if err := validConfig().Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("default config: %v", err)
	}
}

func TestValidateReportsEveryProblemWithItsPath(t *testing.T) {
	tests := []struct {
		name   string
		change func(c *Config)
		want   []string
	}{
		{"missing url reference", func(c *Config) { c.Channels[1].URLFile = "" },
			[]string{"notifications.channels[1].urlEnv: required (or urlFile)"}},
		{"inline teams url", func(c *Config) {
			c.Channels[0].URLEnv, c.Channels[0].URL = "", "https://prod.example/workflows/abc?sig=TOPSECRET"
		}, []string{"notifications.channels[0].url: inline webhook URLs are not allowed (the URL is a credential): " +
			"name an environment variable with urlEnv or a file with urlFile"}},
		{"inline smtp password", func(c *Config) { c.Channels[3].SMTP.Password = "hunter2" },
			[]string{"notifications.channels[3].smtp.password: inline passwords are not allowed: " +
				"name an environment variable with secretEnv or a file with secretFile"}},
		{"inline hmac key", func(c *Config) { c.Channels[2].Secret = "k3y" },
			[]string{"notifications.channels[2].secret: inline secrets are not allowed: " +
				"name an environment variable with secretEnv or a file with secretFile"}},
		{"url pasted into urlEnv", func(c *Config) { c.Channels[0].URLEnv = "https://prod.example/workflows/abc?sig=TOPSECRET" },
			[]string{"notifications.channels[0].urlEnv: must name an environment variable (letters, digits and '_'), not hold a value"}},
		{"both env and file", func(c *Config) { c.Channels[0].URLFile = "/run/secrets/teams" },
			[]string{"notifications.channels[0].urlEnv: set urlEnv or urlFile, not both"}},
		{"secret on slack", func(c *Config) { c.Channels[1].SecretEnv = "X" },
			[]string{"notifications.channels[1].secretEnv: only webhook and email channels take a secret"}},
		{"unknown type and no name", func(c *Config) { c.Channels[0].Type, c.Channels[0].Name = "pager", "" },
			[]string{"notifications.channels[0].name: required",
				`notifications.channels[0].type: unknown channel type "pager" (want teams, slack, webhook or email)`,
				`notifications.routes[0].channels[0]: unknown channel "teams"`}},
		{"duplicate name", func(c *Config) { c.Channels[1].Name = "teams" },
			[]string{`notifications.channels[1].name: duplicate channel name "teams" (also channels[0])`,
				`notifications.routes[1].channels[0]: unknown channel "slack"`}},
		{"email without smtp", func(c *Config) { c.Channels[3].SMTP = nil },
			[]string{"notifications.channels[3].smtp: required for an email channel"}},
		{"smtp problems", func(c *Config) {
			c.Channels[3].SMTP.Host, c.Channels[3].SMTP.TLS, c.Channels[3].SMTP.From = "", "ssl", "not an address"
			c.Channels[3].SMTP.To = append(c.Channels[3].SMTP.To, "also bad")
			c.Channels[3].SMTP.Port = 70000
		}, []string{"notifications.channels[3].smtp.host: required",
			"notifications.channels[3].smtp.port: must be between 1 and 65535 (got 70000)",
			`notifications.channels[3].smtp.tls: unknown TLS mode "ssl" (want starttls, implicit or none)`,
			`notifications.channels[3].smtp.from: invalid address "not an address"`,
			`notifications.channels[3].smtp.to[1]: invalid address "also bad"`}},
		{"username without password", func(c *Config) { c.Channels[3].SecretEnv = "" },
			[]string{"notifications.channels[3].secretEnv: required when smtp.username is set (or secretFile): the SMTP password"}},
		{"password in clear", func(c *Config) { c.Channels[3].SMTP.TLS = TLSNone },
			[]string{"notifications.channels[3].smtp.tls: none would send the password in clear text; use starttls or implicit with a username"}},
		{"route problems", func(c *Config) {
			c.Routes[1] = Route{Rules: []string{"CW999"}, AppGlobs: []string{"[abc"}, Tags: []string{" "}, MinSeverity: 9}
		}, []string{"notifications.routes[1].channels: required: at least one channel",
			"notifications.routes[1].minSeverity: invalid severity 9",
			`notifications.routes[1].rules[0]: unknown rule "CW999"`,
			`notifications.routes[1].appGlobs[0]: invalid glob "[abc": unclosed [`,
			"notifications.routes[1].tags[0]: empty tag"}},
		{"route to email without recipients", func(c *Config) { c.Channels[3].SMTP.To = nil },
			[]string{`notifications.routes[1].channels[1]: email channel "mail" has no recipients (smtp.to)`}},
		{"reminders", func(c *Config) { c.Reminders = []int{30, -1, 30, 40000} },
			[]string{"notifications.reminders[1]: must not be negative (got -1); 0 is the day the deadline passes",
				"notifications.reminders[2]: duplicate day 30",
				"notifications.reminders[3]: must be at most 36500 days (got 40000)"}},
		{"empty reminders", func(c *Config) { c.Reminders = []int{} },
			[]string{"notifications.reminders: must list at least one day (leave it out for the default [30 14 7 3 1 0])"}},
		{"owner email on a chat channel", func(c *Config) { c.OwnerEmail.Channel = "teams" },
			[]string{`notifications.ownerEmail.channel: channel "teams" is a teams channel; owners' email needs an email channel`}},
		{"owner email without channel", func(c *Config) { c.OwnerEmail.Channel = "" },
			[]string{"notifications.ownerEmail.channel: required when ownerEmail is enabled: an email channel"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := validConfig()
			tt.change(c)
			err := c.Validate()
			if err == nil {
				t.Fatal("Validate passed")
			}
			var got []string
			for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
				var ce *policy.ConfigError
				if !errors.As(e, &ce) {
					t.Errorf("%T is not a *policy.ConfigError", e)
				}
				got = append(got, e.Error())
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("problems:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.want, "\n  "))
			}
			for _, secret := range []string{"TOPSECRET", "hunter2", "k3y"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error repeats the secret %q: %v", secret, err)
				}
			}
		})
	}
}

func TestConfigDecodesCamelCaseYAML(t *testing.T) {
	const doc = `
channels:
  - name: teams
    type: teams
    urlEnv: CREDWATCH_TEAMS_URL
  - name: mail
    type: email
    secretFile: /run/secrets/smtp
    smtp:
      host: smtp.contoso.example
      port: 465
      tls: implicit
      username: credwatch
      from: credwatch@contoso.example
      to: [secops@contoso.example]
      caFile: /etc/credwatch/smtp-ca.pem
routes:
  - channels: [teams]
    minSeverity: high
    rules: [CW002]
    appGlobs: ["Payroll*"]
    tags: [prod]
reminders: [14, 7, 0]
digest: false
ownerEmail:
  enabled: true
  channel: mail
  minSeverity: medium
`
	c := DefaultConfig()
	dec := yaml.NewDecoder(strings.NewReader(doc))
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	want := &Config{
		Channels: []ChannelConfig{
			{Name: "teams", Type: "teams", URLEnv: "CREDWATCH_TEAMS_URL"},
			{Name: "mail", Type: "email", SecretFile: "/run/secrets/smtp", SMTP: &SMTPConfig{Host: "smtp.contoso.example",
				Port: 465, TLS: "implicit", Username: "credwatch", From: "credwatch@contoso.example",
				To: []string{"secops@contoso.example"}, CAFile: "/etc/credwatch/smtp-ca.pem"}},
		},
		Routes: []Route{{Channels: []string{"teams"}, MinSeverity: policy.High, Rules: []string{"CW002"},
			AppGlobs: []string{"Payroll*"}, Tags: []string{"prod"}}},
		Reminders:  []int{14, 7, 0},
		OwnerEmail: OwnerEmailConfig{Enabled: true, Channel: "mail", MinSeverity: policy.Medium},
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("decoded\n%+v\nwant\n%+v", c, want)
	}
}

func TestNewRejectsInvalidConfig(t *testing.T) {
	c := validConfig()
	c.Channels[0].URL = "https://prod.example/workflows/abc?sig=TOPSECRET"
	_, err := New(c, nil, Options{})
	if err == nil || !strings.Contains(err.Error(), "notifications.channels[0].url:") {
		t.Fatalf("New = %v, want the inline URL named", err)
	}
	if strings.Contains(err.Error(), "TOPSECRET") {
		t.Errorf("error repeats the secret: %v", err)
	}
	if _, err := New(nil, nil, Options{}); err == nil {
		t.Error("New(nil) passed")
	}
}
