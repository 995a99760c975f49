-- What each incremental model was last built from (pipelines/models): the
-- fingerprint of the SQL and configuration it was built with, the last drop
-- and file loaded then, and the build's as-of. The next build recomputes
-- only the rows that the drops and files since then, and the move of the
-- as-of, can change; a different fingerprint rebuilds it whole. Written in
-- the models' own transaction, so it always describes the model's rows.
CREATE TABLE IF NOT EXISTS meta.model_state (
    model       VARCHAR PRIMARY KEY,
    fingerprint VARCHAR NOT NULL,
    drop_id     INTEGER NOT NULL,
    file_id     INTEGER NOT NULL,
    as_of       TIMESTAMPTZ NOT NULL,
    build_id    INTEGER NOT NULL
);
