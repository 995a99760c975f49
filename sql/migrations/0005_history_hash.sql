-- The DuckDB version whose hash() computed the raw tables' content hashes
-- (_hash): a DuckDB upgrade may change hash(), and the current versions
-- are then hashed again before a drop is compared with them. One row.
CREATE TABLE IF NOT EXISTS meta.history_hash (
    duckdb_version VARCHAR NOT NULL,
    hashed_at      TIMESTAMPTZ NOT NULL
);
