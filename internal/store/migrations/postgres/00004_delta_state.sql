-- Delta state: per tenant, where the delta queries of applications and
-- service principals resume (their last @odata.deltaLink: cursors, not
-- credentials), and the snapshot they resume from, in Graph's own shapes,
-- gzip-compressed and cut into chunks so that no row is large. A tenant
-- has at most one state; saving a new one replaces it.

-- +goose Up
CREATE TABLE delta_state (
    tenant_id         TEXT    NOT NULL PRIMARY KEY,
    applications_link TEXT    NOT NULL,
    sps_link          TEXT    NOT NULL,
    collected_at      TEXT COLLATE "C" NOT NULL,
    saved_at          TEXT COLLATE "C" NOT NULL,
    objects           INTEGER NOT NULL,
    snapshot_bytes    BIGINT  NOT NULL -- compressed
);
CREATE TABLE delta_snapshot_chunks (
    tenant_id TEXT    NOT NULL REFERENCES delta_state (tenant_id) ON DELETE CASCADE,
    ord       INTEGER NOT NULL,
    data      BYTEA   NOT NULL,
    PRIMARY KEY (tenant_id, ord)
);

-- +goose Down
DROP TABLE delta_snapshot_chunks;
DROP TABLE delta_state;
