-- Who added each credential still on an object, as the audit log said when
-- it could still be read: the log keeps 30 days and a scan reads less, so
-- without this a credential added by an unexpected actor would stop being
-- reported once its record left the window. One row per tenant and key id
-- (lower case); change is the activity.Change as JSON: ids, names, time,
-- actor and user agent, never a secret. A complete scan replaces a
-- tenant's rows, dropping those of credentials that are gone.

-- +goose Up
CREATE TABLE credential_provenance (
    tenant_id TEXT NOT NULL,
    key_id    TEXT NOT NULL,
    change    TEXT NOT NULL,
    PRIMARY KEY (tenant_id, key_id)
);

-- +goose Down
DROP TABLE credential_provenance;
