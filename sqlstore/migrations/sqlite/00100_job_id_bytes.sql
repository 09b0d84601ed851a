-- SPDX-License-Identifier: EUPL-1.2
-- PostgreSQL only (job ids in byte order); SQLite compares text bytewise already.
-- +goose Up
SELECT 1;

-- +goose Down
SELECT 1;
