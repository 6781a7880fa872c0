-- Credential rotations (credwatch rotate apply): one row per rotation of
-- one credential, holding the state of its resumable state machine. No
-- secret value is ever stored: only key ids, names, dates and the vault
-- secret's version. At most one unfinished rotation per credential
-- (active = 1 until done or failed). rev counts updates, so two runs never
-- both move one rotation on: each update names the rev it read.

-- +goose Up
CREATE TABLE rotations (
    id             TEXT    NOT NULL PRIMARY KEY,
    tenant_id      TEXT    NOT NULL,
    object_id      TEXT    NOT NULL, -- the application's object id
    app_id         TEXT    NOT NULL,
    app_name       TEXT    NOT NULL,
    kind           TEXT    NOT NULL, -- secret | certificate
    old_key_id     TEXT    NOT NULL,
    vault          TEXT    NOT NULL,
    secret_name    TEXT    NOT NULL,
    display_name   TEXT    NOT NULL,
    end_at         TEXT COLLATE "C" NOT NULL,
    state          TEXT    NOT NULL,
    active         INTEGER NOT NULL,
    rev            INTEGER NOT NULL,
    attempt        INTEGER NOT NULL,
    keys_before    TEXT, -- JSON list of the key ids on the app before an add
    new_key_id     TEXT    NOT NULL,
    secret_version TEXT    NOT NULL,
    created_at     TEXT COLLATE "C" NOT NULL,
    updated_at     TEXT COLLATE "C" NOT NULL,
    stored_at      TEXT COLLATE "C", -- when the vault write succeeded
    finished_at    TEXT COLLATE "C",
    lease_owner    TEXT    NOT NULL,
    lease_until    TEXT COLLATE "C",
    error          TEXT    NOT NULL
);
CREATE UNIQUE INDEX rotations_one_active ON rotations (tenant_id, object_id, old_key_id) WHERE active = 1;
CREATE INDEX rotations_tenant_created ON rotations (tenant_id, created_at);

-- +goose Down
DROP INDEX rotations_tenant_created;
DROP INDEX rotations_one_active;
DROP TABLE rotations;
