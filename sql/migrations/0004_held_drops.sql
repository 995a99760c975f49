-- Full snapshots held by the snapshot guard, until they load (accepted or
-- re-exported): the pack's data_checks.csv lists them as held_snapshot, so
-- that a reader knows the numbers are of the state before them.
CREATE TABLE IF NOT EXISTS meta.held_drops (
    source     VARCHAR NOT NULL,
    drop_name  VARCHAR NOT NULL,
    object     VARCHAR NOT NULL,
    records_before BIGINT NOT NULL,
    records_after  BIGINT NOT NULL,
    missing    BIGINT NOT NULL,
    build_id   INTEGER,
    held_at    TIMESTAMPTZ NOT NULL
);
