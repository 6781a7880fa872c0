package notify

import (
	"context"
	"encoding/json"
	"strings"
)

// slackMaxItems keeps a message under Slack's 50-block limit (two blocks
// per finding plus the header); a longer digest becomes several messages.
const slackMaxItems = 20

// slackSend posts Block Kit blocks, with a text fallback for
// notifications and old clients, to a Slack incoming webhook.
func (n *Notifier) slackSend(ch *ChannelConfig) func(context.Context, *Message) error {
	return func(ctx context.Context, m *Message) error {
		target, err := n.resolveURL(secretRef{"url", ch.URLEnv, ch.URLFile})
		if err != nil {
			return err
		}
		body, err := slackPayload(m)
		if err != nil {
			return err
		}
		return n.post(ctx, ch.Name, target, body, nil)
	}
}

func slackPayload(m *Message) ([]byte, error) {
	blocks := []any{
		obj{"type": "header", "text": obj{"type": "plain_text", "text": truncate(m.title(), 150), "emoji": false}},
		obj{"type": "context", "elements": []any{obj{"type": "mrkdwn", "text": slackEscape(m.subtitle())}}},
	}
	for i := range m.Items {
		it := &m.Items[i]
		blocks = append(blocks, obj{"type": "divider"},
			obj{"type": "section", "text": obj{"type": "mrkdwn", "text": truncate(slackItem(it, m), 3000)}})
	}
	// The fallback lists the findings too: it is what a phone notification
	// and a screen reader show.
	var fb strings.Builder
	fb.WriteString(slackEscape(m.title()))
	for i := range m.Items {
		it := &m.Items[i]
		fb.WriteString("\n• ")
		fb.WriteString(slackEscape(it.label() + ": " + truncate(oneLine(it.Message), 200)))
	}
	return json.Marshal(obj{"text": truncate(fb.String(), 3000), "blocks": blocks})
}

func slackItem(it *Item, m *Message) string {
	var b strings.Builder
	b.WriteString("*" + strings.ToUpper(it.Severity.String()) + "* · " + it.RuleID + " · *" +
		slackEscape(it.appLabel()) + "*\n")
	b.WriteString(slackEscape(truncate(oneLine(it.Message), 1000)))
	if d := it.deadlineText(m.GeneratedAt); d != "" {
		b.WriteString("\nDeadline: " + d)
	} else {
		b.WriteString("\nStatus: " + it.when(m.GeneratedAt))
	}
	if it.AppID != "" {
		b.WriteString("\nApp ID: `" + slackEscape(it.AppID) + "`")
	}
	if it.KeyID != "" {
		b.WriteString(" · Key ID: `" + slackEscape(it.KeyID) + "`")
	}
	if it.Description != "" {
		b.WriteString("\nDescription: " + slackEscape(truncate(oneLine(it.Description), 200)))
	}
	if len(it.Owners) > 0 {
		b.WriteString("\nOwners: " + slackEscape(truncate(strings.Join(it.Owners, ", "), 300)))
	}
	if it.RunbookURL != "" {
		// In a link, | and > end the URL part: escape them as Slack does.
		b.WriteString("\n<" + strings.NewReplacer("|", "%7C", ">", "%3E", "<", "%3C").Replace(it.RunbookURL) + "|Open runbook>")
	}
	b.WriteString("\nFinding `" + it.ID + "`")
	return b.String()
}

// slackEscape escapes the three characters Slack's mrkdwn requires, which
// also defuses <!channel> mentions and <url|text> links in names.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}
