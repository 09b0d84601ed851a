-- SPDX-License-Identifier: EUPL-1.2
-- The large texts — proposals' content and screening, audit events'
-- snapshots — are compressed with lz4 instead of PostgreSQL's default
-- pglz: in the submission benchmark pglz_compress alone was an eighth of
-- the server's time. A server built without lz4 keeps pglz (the
-- statements are skipped, not failed).
-- +goose Up
-- +goose StatementBegin
DO $$
BEGIN
    ALTER TABLE proposals ALTER COLUMN content SET COMPRESSION lz4;
    ALTER TABLE proposals ALTER COLUMN screening SET COMPRESSION lz4;
    ALTER TABLE audit_events ALTER COLUMN before_json SET COMPRESSION lz4;
    ALTER TABLE audit_events ALTER COLUMN after_json SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'lz4 is not available; large texts stay compressed with pglz';
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DO $$
BEGIN
    ALTER TABLE proposals ALTER COLUMN content SET COMPRESSION DEFAULT;
    ALTER TABLE proposals ALTER COLUMN screening SET COMPRESSION DEFAULT;
    ALTER TABLE audit_events ALTER COLUMN before_json SET COMPRESSION DEFAULT;
    ALTER TABLE audit_events ALTER COLUMN after_json SET COMPRESSION DEFAULT;
END
$$;
-- +goose StatementEnd
