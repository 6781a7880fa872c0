package store

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func attempt(id string, threshold int, channel string, status NotificationStatus, at, errText string) NotificationAttempt {
	return NotificationAttempt{NotificationKey: NotificationKey{FindingID: id, Threshold: threshold, Channel: channel},
		TenantID: tenantA, Status: status, At: ts(at), Error: errText}
}

func TestNotificationStateSurvivesReopenAndSentIsFinal(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := openTest(t, dsn)
		err := s.RecordNotifications(ctx, []NotificationAttempt{
			attempt("f1", 30, "teams", NotificationSent, "2025-06-01T08:00:00Z", "ignored when sent"),
			attempt("f1", 30, "slack", NotificationFailed, "2025-06-01T08:00:00Z", "HTTP 503"),
			attempt("f2", -1, "teams", NotificationFailed, "2025-06-01T08:00:00Z", "HTTP 500"),
			attempt("f3", 7, "owner:bo@contoso.example", NotificationSent, "2025-06-01T08:00:00Z", ""),
		})
		if err != nil {
			t.Fatal(err)
		}
		// Next run: the failed ones are retried; slack now works, f2 fails
		// again; a racing process's failure cannot undo f1's send.
		err = s.RecordNotifications(ctx, []NotificationAttempt{
			attempt("f1", 30, "slack", NotificationSent, "2025-06-02T08:00:00Z", ""),
			attempt("f2", -1, "teams", NotificationFailed, "2025-06-02T08:00:00Z", "HTTP 429 after 4 attempts"),
			attempt("f1", 30, "teams", NotificationFailed, "2025-06-02T08:00:00Z", "late failure"),
		})
		if err != nil {
			t.Fatal(err)
		}
		s.Close()

		s = openTest(t, dsn)
		sent, err := s.SentNotifications(ctx, []string{"f1", "f2", "f3", "unknown"})
		if err != nil {
			t.Fatal(err)
		}
		wantSent := []NotificationKey{
			{FindingID: "f1", Threshold: 30, Channel: "slack"},
			{FindingID: "f1", Threshold: 30, Channel: "teams"},
			{FindingID: "f3", Threshold: 7, Channel: "owner:bo@contoso.example"},
		}
		if !reflect.DeepEqual(sent, wantSent) {
			t.Errorf("SentNotifications = %+v\nwant %+v", sent, wantSent)
		}

		all, err := s.Notifications(ctx, NotificationFilter{})
		if err != nil {
			t.Fatal(err)
		}
		want := []NotificationState{
			{NotificationKey: NotificationKey{"f1", 30, "slack"}, TenantID: tenantA, Status: NotificationSent, Attempts: 2,
				FirstAttempt: ts("2025-06-01T08:00:00Z"), LastAttempt: ts("2025-06-02T08:00:00Z"), SentAt: ts("2025-06-02T08:00:00Z")},
			{NotificationKey: NotificationKey{"f1", 30, "teams"}, TenantID: tenantA, Status: NotificationSent, Attempts: 2,
				FirstAttempt: ts("2025-06-01T08:00:00Z"), LastAttempt: ts("2025-06-02T08:00:00Z"), SentAt: ts("2025-06-01T08:00:00Z")},
			{NotificationKey: NotificationKey{"f2", -1, "teams"}, TenantID: tenantA, Status: NotificationFailed, Attempts: 2,
				FirstAttempt: ts("2025-06-01T08:00:00Z"), LastAttempt: ts("2025-06-02T08:00:00Z"), Error: "HTTP 429 after 4 attempts"},
			{NotificationKey: NotificationKey{"f3", 7, "owner:bo@contoso.example"}, TenantID: tenantA, Status: NotificationSent,
				Attempts: 1, FirstAttempt: ts("2025-06-01T08:00:00Z"), LastAttempt: ts("2025-06-01T08:00:00Z"),
				SentAt: ts("2025-06-01T08:00:00Z")},
		}
		if !reflect.DeepEqual(all, want) {
			t.Errorf("Notifications =\n%+v\nwant\n%+v", all, want)
		}
		failed, err := s.Notifications(ctx, NotificationFilter{TenantID: tenantA, Status: NotificationFailed, Limit: 5})
		if err != nil {
			t.Fatal(err)
		}
		if len(failed) != 1 || failed[0].FindingID != "f2" {
			t.Errorf("failed notifications = %+v, want only f2", failed)
		}
		none, err := s.Notifications(ctx, NotificationFilter{TenantID: tenantB})
		if err != nil || len(none) != 0 {
			t.Errorf("other tenant's notifications = %+v, %v; want none", none, err)
		}
	})
}

func TestSentNotificationsManyFindings(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := openTest(t, dsn)
		// More ids than one query's chunk.
		var ids []string
		var attempts []NotificationAttempt
		for i := range 1203 {
			id := fmt.Sprintf("f%04d", i)
			ids = append(ids, id)
			if i%2 == 0 {
				attempts = append(attempts, attempt(id, 0, "webhook", NotificationSent, "2025-06-01T00:00:00Z", ""))
			}
		}
		if err := s.RecordNotifications(ctx, attempts); err != nil {
			t.Fatal(err)
		}
		sent, err := s.SentNotifications(ctx, ids)
		if err != nil {
			t.Fatal(err)
		}
		if len(sent) != 602 || sent[0].FindingID != "f0000" || sent[601].FindingID != "f1202" {
			t.Errorf("got %d sent keys (first %+v), want 602 from f0000 to f1202", len(sent), sent[0])
		}
		if none, err := s.SentNotifications(ctx, nil); err != nil || none != nil {
			t.Errorf("SentNotifications(nil) = %v, %v", none, err)
		}
	})
}

func TestRecordNotificationsRejectsBadAttemptsWithoutWriting(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := openTest(t, dsn)
		good := attempt("f1", 7, "teams", NotificationSent, "2025-06-01T00:00:00Z", "")
		for name, bad := range map[string]NotificationAttempt{
			"unknown status": attempt("f2", 7, "teams", "maybe", "2025-06-01T00:00:00Z", ""),
			"no channel":     attempt("f2", 7, "", NotificationSent, "2025-06-01T00:00:00Z", ""),
			"no finding":     attempt("", 7, "teams", NotificationSent, "2025-06-01T00:00:00Z", ""),
		} {
			err := s.RecordNotifications(ctx, []NotificationAttempt{good, bad})
			if err == nil || !strings.HasPrefix(err.Error(), "record notifications: attempt 1: ") {
				t.Errorf("%s: err = %v, want attempt 1 named", name, err)
			}
		}
		all, err := s.Notifications(ctx, NotificationFilter{})
		if err != nil || len(all) != 0 {
			t.Errorf("after rejected batches: %+v, %v; want nothing stored", all, err)
		}
		if _, err := s.Notifications(ctx, NotificationFilter{Limit: -1}); err == nil {
			t.Error("negative limit accepted")
		}
	})
}

func TestRecordNotificationsTruncatesLongErrors(t *testing.T) {
	forEachBackend(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := openTest(t, dsn)
		long := strings.Repeat("é", 800) // 1600 bytes
		if err := s.RecordNotifications(ctx, []NotificationAttempt{
			attempt("f1", 1, "email", NotificationFailed, "2025-06-01T00:00:00Z", long)}); err != nil {
			t.Fatal(err)
		}
		all, err := s.Notifications(ctx, NotificationFilter{})
		if err != nil || len(all) != 1 {
			t.Fatalf("Notifications = %+v, %v", all, err)
		}
		if e := all[0].Error; len(e) != maxNotificationError || !strings.HasPrefix(long, e) {
			t.Errorf("stored error is %d bytes, want a %d-byte prefix", len(e), maxNotificationError)
		}
	})
}
