-- Initial schema: one row per scan, its objects, their credentials, owners
-- and permissions, and the scan's findings. Child rows are keyed by their
-- position so a scan loads back in the order it was saved. Times are
-- fixed-width RFC 3339 text in UTC (NULL when unknown). No column holds a
-- secret value: credentials carry only ids, hints, dates and thumbprints.

-- +goose Up
CREATE TABLE scans (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    tenant_id    TEXT    NOT NULL,
    source       TEXT    NOT NULL,
    collected_at TEXT,
    scanned_at   TEXT    NOT NULL,
    complete     INTEGER NOT NULL,
    incomplete   TEXT -- JSON array of reasons; NULL when none
);
CREATE INDEX scans_tenant_time ON scans (tenant_id, scanned_at, id);

CREATE TABLE objects (
    scan_id          INTEGER NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
    ord              INTEGER NOT NULL,
    type             TEXT    NOT NULL,
    object_id        TEXT    NOT NULL,
    app_id           TEXT    NOT NULL,
    display_name     TEXT    NOT NULL,
    created_at       TEXT,
    sign_in_audience TEXT    NOT NULL,
    sp_type          TEXT    NOT NULL,
    app_owner_org_id TEXT    NOT NULL,
    first_party      INTEGER NOT NULL,
    tags             TEXT, -- JSON array; NULL when none
    PRIMARY KEY (scan_id, ord)
) WITHOUT ROWID;

CREATE TABLE credentials (
    scan_id       INTEGER NOT NULL,
    object_ord    INTEGER NOT NULL,
    ord           INTEGER NOT NULL,
    type          TEXT    NOT NULL,
    key_id        TEXT    NOT NULL,
    display_name  TEXT    NOT NULL,
    hint          TEXT    NOT NULL,
    start_at      TEXT,
    end_at        TEXT,
    thumbprint    TEXT    NOT NULL,
    key_type      TEXT    NOT NULL,
    key_usage     TEXT    NOT NULL,
    paired_key_id TEXT    NOT NULL,
    issuer        TEXT    NOT NULL,
    subject       TEXT    NOT NULL,
    audiences     TEXT, -- JSON array; NULL when none
    PRIMARY KEY (scan_id, object_ord, ord),
    FOREIGN KEY (scan_id, object_ord) REFERENCES objects (scan_id, ord) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE owners (
    scan_id             INTEGER NOT NULL,
    object_ord          INTEGER NOT NULL,
    ord                 INTEGER NOT NULL,
    type                TEXT    NOT NULL,
    owner_id            TEXT    NOT NULL,
    display_name        TEXT    NOT NULL,
    user_principal_name TEXT    NOT NULL,
    mail                TEXT    NOT NULL,
    PRIMARY KEY (scan_id, object_ord, ord),
    FOREIGN KEY (scan_id, object_ord) REFERENCES objects (scan_id, ord) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE permissions (
    scan_id         INTEGER NOT NULL,
    object_ord      INTEGER NOT NULL,
    ord             INTEGER NOT NULL,
    resource        TEXT    NOT NULL,
    resource_app_id TEXT    NOT NULL,
    app_role_id     TEXT    NOT NULL,
    role_value      TEXT    NOT NULL,
    PRIMARY KEY (scan_id, object_ord, ord),
    FOREIGN KEY (scan_id, object_ord) REFERENCES objects (scan_id, ord) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE findings (
    scan_id            INTEGER NOT NULL REFERENCES scans (id) ON DELETE CASCADE,
    ord                INTEGER NOT NULL,
    finding_id         TEXT    NOT NULL,
    rule_id            TEXT    NOT NULL,
    severity           INTEGER NOT NULL,
    object_type        TEXT    NOT NULL,
    object_id          TEXT    NOT NULL,
    app_id             TEXT    NOT NULL,
    app_name           TEXT    NOT NULL,
    key_id             TEXT    NOT NULL,
    message            TEXT    NOT NULL,
    deadline           TEXT,
    evidence           TEXT, -- JSON object; NULL when none
    suppressed         INTEGER NOT NULL,
    suppression_reason TEXT    NOT NULL,
    PRIMARY KEY (scan_id, ord)
) WITHOUT ROWID;

-- +goose Down
DROP TABLE findings;
DROP TABLE permissions;
DROP TABLE owners;
DROP TABLE credentials;
DROP TABLE objects;
DROP TABLE scans;
