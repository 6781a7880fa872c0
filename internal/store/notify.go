package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// NotificationStatus is the outcome of the last try to deliver one
// reminder to one channel.
type NotificationStatus string

const (
	NotificationSent   NotificationStatus = "sent"
	NotificationFailed NotificationStatus = "failed"
)

// maxNotificationError caps the stored error text, in bytes.
const maxNotificationError = 1000

// NotificationKey names one reminder of one finding on one channel.
// Threshold is the number of days before the finding's deadline the
// reminder is for (0 = on expiry), or a negative number for a one-off
// announcement; Channel is whatever the notifier keys deliveries by.
type NotificationKey struct {
	FindingID string
	Threshold int
	Channel   string
}

// NotificationAttempt is one try to deliver a reminder. Error must hold no
// secret (webhook URL, key, password): it is stored as given.
type NotificationAttempt struct {
	NotificationKey
	TenantID string
	Status   NotificationStatus
	At       time.Time
	Error    string
}

// NotificationState is what the store knows about one reminder: its last
// status, how often it was tried, and when.
type NotificationState struct {
	NotificationKey
	TenantID     string
	Status       NotificationStatus
	Attempts     int
	FirstAttempt time.Time
	LastAttempt  time.Time
	SentAt       time.Time // zero until sent
	Error        string    // the last failure's text; empty once sent
}

// NotificationFilter selects stored notification states. Zero fields
// select everything.
type NotificationFilter struct {
	TenantID string
	Status   NotificationStatus
	Limit    int // at most this many, most recently tried first; 0 = no limit
}

// RecordNotifications stores delivery attempts in one transaction. A
// reminder once sent stays sent: a later failed attempt (another process
// racing this one) only counts as an attempt.
func (s *Store) RecordNotifications(ctx context.Context, attempts []NotificationAttempt) error {
	if len(attempts) == 0 {
		return nil
	}
	type row struct {
		a  NotificationAttempt
		at string
	}
	rows := make([]row, len(attempts))
	for i, a := range attempts {
		if a.FindingID == "" || a.Channel == "" {
			return fmt.Errorf("record notifications: attempt %d: finding id and channel are required", i)
		}
		if a.Status != NotificationSent && a.Status != NotificationFailed {
			return fmt.Errorf("record notifications: attempt %d: unknown status %q", i, a.Status)
		}
		if a.At.IsZero() {
			a.At = s.now()
		}
		at, err := fmtTime(a.At)
		if err != nil {
			return fmt.Errorf("record notifications: attempt %d: %w", i, err)
		}
		if a.Status == NotificationSent {
			a.Error = ""
		}
		a.Error = truncateUTF8(a.Error, maxNotificationError)
		rows[i] = row{a, at}
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("record notifications: begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	stmt, err := tx.PrepareContext(ctx, s.backend.rebind(`INSERT INTO notifications
		(finding_id, threshold, channel, tenant_id, status, attempts, first_at, last_at, sent_at, error)
		VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, ?)
		ON CONFLICT (finding_id, threshold, channel) DO UPDATE SET
			tenant_id = excluded.tenant_id,
			attempts = notifications.attempts + 1,
			last_at = excluded.last_at,
			status = CASE WHEN notifications.status = 'sent' THEN 'sent' ELSE excluded.status END,
			sent_at = COALESCE(notifications.sent_at, excluded.sent_at),
			error = CASE WHEN notifications.status = 'sent' THEN notifications.error ELSE excluded.error END`))
	if err != nil {
		return fmt.Errorf("record notifications: prepare: %w", err)
	}
	defer stmt.Close()
	for _, r := range rows {
		var sentAt any
		if r.a.Status == NotificationSent {
			sentAt = r.at
		}
		if _, err := stmt.ExecContext(ctx, r.a.FindingID, r.a.Threshold, r.a.Channel, r.a.TenantID,
			string(r.a.Status), r.at, r.at, sentAt, r.a.Error); err != nil {
			return fmt.Errorf("record notifications: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("record notifications: commit: %w", err)
	}
	return nil
}

// SentNotifications returns the keys of the given findings' reminders that
// were delivered, in key order. Failed tries are not listed: they are due
// again.
func (s *Store) SentNotifications(ctx context.Context, findingIDs []string) ([]NotificationKey, error) {
	var out []NotificationKey
	// Chunks keep each query well under both dialects' parameter limits.
	const chunk = 500
	for start := 0; start < len(findingIDs); start += chunk {
		ids := findingIDs[start:min(start+chunk, len(findingIDs))]
		args := make([]any, 0, len(ids)+1)
		args = append(args, string(NotificationSent))
		for _, id := range ids {
			args = append(args, id)
		}
		q := `SELECT finding_id, threshold, channel FROM notifications WHERE status = ? AND finding_id IN (` +
			strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ") + `)`
		rows, err := s.db.QueryContext(ctx, s.backend.rebind(q), args...)
		if err != nil {
			return nil, fmt.Errorf("read sent notifications: %w", err)
		}
		for rows.Next() {
			var k NotificationKey
			if err := rows.Scan(&k.FindingID, &k.Threshold, &k.Channel); err != nil {
				rows.Close()
				return nil, fmt.Errorf("read sent notifications: %w", err)
			}
			out = append(out, k)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, fmt.Errorf("read sent notifications: %w", err)
		}
	}
	sortKeys(out)
	return out, nil
}

// Notifications lists stored notification states, most recently tried
// first, for status pages and troubleshooting.
func (s *Store) Notifications(ctx context.Context, f NotificationFilter) ([]NotificationState, error) {
	if f.Limit < 0 {
		return nil, fmt.Errorf("list notifications: negative limit %d", f.Limit)
	}
	q := `SELECT finding_id, threshold, channel, tenant_id, status, attempts, first_at, last_at, sent_at, error
		FROM notifications WHERE 1 = 1`
	var args []any
	if f.TenantID != "" {
		q += ` AND tenant_id = ?`
		args = append(args, f.TenantID)
	}
	if f.Status != "" {
		q += ` AND status = ?`
		args = append(args, string(f.Status))
	}
	q += ` ORDER BY last_at DESC, finding_id, threshold, channel`
	if f.Limit > 0 {
		q += ` LIMIT ?`
		args = append(args, f.Limit)
	}
	rows, err := s.db.QueryContext(ctx, s.backend.rebind(q), args...)
	if err != nil {
		return nil, fmt.Errorf("list notifications: %w", err)
	}
	defer rows.Close()
	var out []NotificationState
	for rows.Next() {
		var (
			n                   NotificationState
			status              string
			attempts            int64
			first, last, sentAt sql.NullString
		)
		if err := rows.Scan(&n.FindingID, &n.Threshold, &n.Channel, &n.TenantID, &status, &attempts,
			&first, &last, &sentAt, &n.Error); err != nil {
			return nil, fmt.Errorf("list notifications: %w", err)
		}
		n.Status, n.Attempts = NotificationStatus(status), int(attempts)
		var errs [3]error
		n.FirstAttempt, errs[0] = decTime(first)
		n.LastAttempt, errs[1] = decTime(last)
		n.SentAt, errs[2] = decTime(sentAt)
		if err := errors.Join(errs[:]...); err != nil {
			return nil, fmt.Errorf("list notifications: %w", err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list notifications: %w", err)
	}
	return out, nil
}

// sortKeys orders keys by finding, threshold and channel: SQL returns
// them in no particular order.
func sortKeys(keys []NotificationKey) {
	slices.SortFunc(keys, func(a, b NotificationKey) int {
		return cmp.Or(strings.Compare(a.FindingID, b.FindingID), cmp.Compare(a.Threshold, b.Threshold),
			strings.Compare(a.Channel, b.Channel))
	})
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}
