-- The warehouse's own bookkeeping, as the first release made it. Every
-- statement is idempotent because warehouses made before migrations were
-- recorded already hold these objects: there, this migration adopts them.
CREATE SCHEMA IF NOT EXISTS meta;
CREATE SCHEMA IF NOT EXISTS raw;
CREATE SCHEMA IF NOT EXISTS staging;
CREATE SCHEMA IF NOT EXISTS plans;

CREATE SEQUENCE IF NOT EXISTS meta.build_seq;
CREATE SEQUENCE IF NOT EXISTS meta.drop_seq;
CREATE SEQUENCE IF NOT EXISTS meta.file_seq;

-- One row per run of `coxswain build`. A row left 'running' was killed.
CREATE TABLE IF NOT EXISTS meta.builds (
    build_id      INTEGER PRIMARY KEY,
    started_at    TIMESTAMPTZ NOT NULL,
    finished_at   TIMESTAMPTZ,
    as_of         TIMESTAMPTZ NOT NULL,
    outcome       VARCHAR NOT NULL,          -- running | ok | failed
    drops_loaded  INTEGER NOT NULL DEFAULT 0,
    drops_skipped INTEGER NOT NULL DEFAULT 0,
    rows_loaded   BIGINT NOT NULL DEFAULT 0,
    rows_rejected BIGINT NOT NULL DEFAULT 0,
    error         VARCHAR,
    version       VARCHAR NOT NULL
);

-- The manifest: one row per drop loaded, written in the drop's transaction.
CREATE TABLE IF NOT EXISTS meta.drops (
    drop_id        INTEGER PRIMARY KEY,
    source         VARCHAR NOT NULL,
    name           VARCHAR NOT NULL,         -- folder or archive name; orders drops
    kind           VARCHAR NOT NULL,         -- folder | zip
    path           VARCHAR NOT NULL,
    content_sha256 VARCHAR NOT NULL,         -- over its files' names and contents
    modified_at    TIMESTAMPTZ NOT NULL,     -- newest file time: orders drops of one name
    build_id       INTEGER NOT NULL,
    loaded_at      TIMESTAMPTZ NOT NULL,
    files          INTEGER NOT NULL,
    rows_loaded    BIGINT NOT NULL,
    rows_rejected  BIGINT NOT NULL
);

-- One row per export file loaded.
CREATE TABLE IF NOT EXISTS meta.files (
    file_id       INTEGER PRIMARY KEY,
    drop_id       INTEGER NOT NULL,
    source        VARCHAR NOT NULL,
    object        VARCHAR NOT NULL,
    name          VARCHAR NOT NULL,
    bytes         BIGINT NOT NULL,
    sha256        VARCHAR NOT NULL,
    encoding      VARCHAR NOT NULL,
    delimiter     VARCHAR NOT NULL,
    rows_read     BIGINT NOT NULL,
    rows_loaded   BIGINT NOT NULL,
    rows_rejected BIGINT NOT NULL,
    first_error   VARCHAR,
    unmapped      VARCHAR[]                  -- canonical fields with no column in the file
);

-- Quarantined rows: what could not be parsed or typed, and why.
CREATE TABLE IF NOT EXISTS meta.rejects (
    file_id     INTEGER NOT NULL,
    drop_id     INTEGER NOT NULL,
    source      VARCHAR NOT NULL,
    object      VARCHAR NOT NULL,
    file        VARCHAR NOT NULL,
    line        BIGINT,
    column_name VARCHAR,
    value       VARCHAR,
    error_type  VARCHAR NOT NULL,
    reason      VARCHAR NOT NULL,
    csv_line    VARCHAR
);

-- Hashes of export files already read, so a nightly build does not re-hash
-- every kept drop: a file with the same path, size and time has the same hash.
CREATE TABLE IF NOT EXISTS meta.file_hashes (
    path     VARCHAR NOT NULL,
    bytes    BIGINT NOT NULL,
    mtime_ns BIGINT NOT NULL,
    sha256   VARCHAR NOT NULL
);

-- The plans, replaced from their files at every build.
CREATE TABLE IF NOT EXISTS plans.spend (
    month   VARCHAR NOT NULL,                -- YYYY-MM in the reporting zone
    channel VARCHAR NOT NULL,
    amount  DECIMAL(18,2) NOT NULL
);
CREATE TABLE IF NOT EXISTS plans.targets (
    month  VARCHAR NOT NULL,
    metric VARCHAR NOT NULL,
    target DECIMAL(18,2) NOT NULL
);

-- The models' layers (sql/models/intermediate, sql/models/marts).
CREATE SCHEMA IF NOT EXISTS intermediate;
CREATE SCHEMA IF NOT EXISTS marts;

-- The data tests' outcome at each build.
CREATE TABLE IF NOT EXISTS meta.test_results (
    build_id    INTEGER NOT NULL,
    test        VARCHAR NOT NULL,
    severity    VARCHAR NOT NULL,            -- error | warn
    description VARCHAR NOT NULL,
    failures    BIGINT NOT NULL,             -- offending rows
    sample      VARCHAR                      -- the first offending rows
);

-- Every command run (build, report, send), as also logged in JSON lines.
CREATE SEQUENCE IF NOT EXISTS meta.run_seq;
CREATE TABLE IF NOT EXISTS meta.runs (
    run_id      INTEGER PRIMARY KEY,
    command     VARCHAR NOT NULL,
    detail      VARCHAR,
    started_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ NOT NULL,
    outcome     VARCHAR NOT NULL,            -- ok | failed
    error       VARCHAR,
    counts      VARCHAR,                     -- JSON
    pid         INTEGER NOT NULL
);
