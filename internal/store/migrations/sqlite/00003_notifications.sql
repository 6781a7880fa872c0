-- Notification state: one row per (finding, reminder threshold, channel),
-- so each reminder reaches each channel exactly once across restarts and a
-- failed try is retried by the next run. threshold is the number of days
-- before the finding's deadline (0 = on expiry), or -1 for the one
-- announcement of a finding without a due reminder. channel is a configured
-- channel name, or "owner:<address>" for an app owner's email. error holds
-- the last failure's text, never a webhook URL, key or password.

-- +goose Up
CREATE TABLE notifications (
    finding_id TEXT    NOT NULL,
    threshold  INTEGER NOT NULL,
    channel    TEXT    NOT NULL,
    tenant_id  TEXT    NOT NULL,
    status     TEXT    NOT NULL, -- sent | failed
    attempts   INTEGER NOT NULL,
    first_at   TEXT    NOT NULL,
    last_at    TEXT    NOT NULL,
    sent_at    TEXT, -- NULL until sent
    error      TEXT    NOT NULL,
    PRIMARY KEY (finding_id, threshold, channel)
) WITHOUT ROWID;
CREATE INDEX notifications_tenant_last ON notifications (tenant_id, last_at);

-- +goose Down
DROP INDEX notifications_tenant_last;
DROP TABLE notifications;
