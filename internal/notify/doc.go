// Package notify tells people about findings before credentials expire:
// Microsoft Teams (Workflows webhook, Adaptive Card), Slack (incoming
// webhook, Block Kit), a generic signed JSON webhook, and email over SMTP,
// including mail to each app's own owners.
//
// Routes pick which findings go to which channels (severity, rule, app
// name glob, object tag); suppressed findings are never sent. A finding
// with a deadline is reminded as its deadline nears: once per configured
// threshold (30, 14, 7, 3, 1 days before and on the day by default) and
// channel. A finding without a due reminder (no deadline, or a deadline
// further off than the largest threshold) is announced once. The store
// remembers every (finding, threshold, channel) delivered, so restarts
// send nothing twice and a failed delivery is retried by the next run.
//
// Webhook URLs, HMAC keys and SMTP passwords are credentials: they come
// from environment variables or files the configuration names, are read
// when needed, and never appear in logs, errors or the store; logs name
// the channel only.
package notify
