-- Per-scan counts, so listing history reads one table, backfilled for the
-- scans already stored; indexes for the latest complete scan of a tenant
-- and for following one object or finding across scans.

-- +goose Up
ALTER TABLE scans ADD COLUMN object_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE scans ADD COLUMN credential_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE scans ADD COLUMN finding_count INTEGER NOT NULL DEFAULT 0;
UPDATE scans SET
    object_count = (SELECT count(*) FROM objects o WHERE o.scan_id = scans.id),
    credential_count = (SELECT count(*) FROM credentials c WHERE c.scan_id = scans.id),
    finding_count = (SELECT count(*) FROM findings f WHERE f.scan_id = scans.id);
CREATE INDEX scans_time ON scans (scanned_at, id);
CREATE INDEX scans_tenant_complete_time ON scans (tenant_id, scanned_at, id) WHERE complete;
CREATE INDEX objects_object_id ON objects (object_id);
CREATE INDEX findings_finding_id ON findings (finding_id);

-- +goose Down
DROP INDEX findings_finding_id;
DROP INDEX objects_object_id;
DROP INDEX scans_tenant_complete_time;
DROP INDEX scans_time;
ALTER TABLE scans DROP COLUMN finding_count;
ALTER TABLE scans DROP COLUMN credential_count;
ALTER TABLE scans DROP COLUMN object_count;
