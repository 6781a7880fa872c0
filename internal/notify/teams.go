package notify

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/credwatch/credwatch/internal/policy"
)

// teamsMaxItems keeps a card well under Teams' message size limit (about
// 28 KB); a longer digest becomes several cards.
const teamsMaxItems = 20

// teamsSend posts an Adaptive Card to a Teams Workflows ("When a Teams
// webhook request is received") URL.
func (n *Notifier) teamsSend(ch *ChannelConfig) func(context.Context, *Message) error {
	return func(ctx context.Context, m *Message) error {
		target, err := n.resolveURL(secretRef{"url", ch.URLEnv, ch.URLFile})
		if err != nil {
			return err
		}
		body, err := teamsPayload(m)
		if err != nil {
			return err
		}
		return n.post(ctx, ch.Name, target, body, nil)
	}
}

type obj = map[string]any

// teamsPayload is the Workflows message: one Adaptive Card 1.4 attachment.
func teamsPayload(m *Message) ([]byte, error) {
	body := []any{
		obj{"type": "TextBlock", "text": m.title(), "weight": "Bolder", "size": "Medium", "wrap": true},
		obj{"type": "TextBlock", "text": md(m.subtitle()), "isSubtle": true, "spacing": "None", "wrap": true},
	}
	for i := range m.Items {
		body = append(body, teamsItem(&m.Items[i], m))
	}
	card := obj{
		"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
		"type":    "AdaptiveCard",
		"version": "1.4",
		"msteams": obj{"width": "Full"},
		"body":    body,
	}
	return json.Marshal(obj{
		"type": "message",
		"attachments": []any{obj{
			"contentType": "application/vnd.microsoft.card.adaptive",
			"contentUrl":  nil,
			"content":     card,
		}},
	})
}

func teamsItem(it *Item, m *Message) obj {
	color := "Default"
	switch {
	case it.Severity >= policy.High:
		color = "Attention"
	case it.Severity == policy.Medium:
		color = "Warning"
	}
	var facts []any
	fact := func(title, value string) {
		if value != "" {
			facts = append(facts, obj{"title": title, "value": md(value)})
		}
	}
	fact("Deadline", it.deadlineText(m.GeneratedAt))
	if it.DaysLeft == nil {
		fact("Status", it.when(m.GeneratedAt))
	}
	fact("App ID", it.AppID)
	fact("Object", string(it.ObjectType)+" "+it.ObjectID)
	fact("Key ID", it.KeyID)
	fact("Description", truncate(oneLine(it.Description), 200))
	fact("Owners", truncate(strings.Join(it.Owners, ", "), 300))
	fact("Finding", it.ID)
	items := []any{
		obj{"type": "TextBlock", "text": strings.ToUpper(it.Severity.String()) + " · " + it.RuleID + " · " + md(it.appLabel()),
			"weight": "Bolder", "color": color, "wrap": true},
		obj{"type": "TextBlock", "text": md(truncate(oneLine(it.Message), 1000)), "wrap": true, "spacing": "Small"},
		obj{"type": "FactSet", "facts": facts},
	}
	if it.RunbookURL != "" {
		items = append(items, obj{"type": "ActionSet", "actions": []any{
			obj{"type": "Action.OpenUrl", "title": "Open runbook", "url": it.RunbookURL},
		}})
	}
	return obj{"type": "Container", "separator": true, "spacing": "Medium", "items": items}
}

// mdReplacer backslash-escapes (CommonMark) the characters Adaptive Card
// markdown gives meaning, so an app name or description from the
// directory cannot become a link or formatting. Even a renderer that kept
// the backslash could not join "](" into a link.
var mdReplacer = strings.NewReplacer(
	`\`, `\\`, `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`, `(`, `\(`, `)`, `\)`,
	"`", "\\`", `~`, `\~`, `<`, `\<`, `>`, `\>`,
)

func md(s string) string { return mdReplacer.Replace(s) }
