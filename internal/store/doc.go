// Package store keeps credwatch's scan history: every scan's inventory and
// findings, in SQLite (the embedded default) or PostgreSQL (shared by a
// team), behind one Store type, plus the pure Compare of two stored scans.
//
// The schema is versioned by embedded migrations per dialect, applied on
// Open; a store written by a newer credwatch is refused untouched. Only
// credential metadata (ids, hints, dates, thumbprints) is stored, never a
// secret value. Times are stored as fixed-width RFC 3339 text in UTC, which
// sorts in time order and round-trips to the nanosecond in both dialects.
package store
