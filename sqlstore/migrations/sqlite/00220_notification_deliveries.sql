-- SPDX-License-Identifier: EUPL-1.2
-- Delivering notifications (delivery.go): the outbox of deliveries, one
-- per notification and channel and target, written in the transaction of
-- the notification; the users' e-mail preferences; the webhook
-- subscriptions with their signing secrets. A webhook delivery is unique
-- per (subscription, event): the notifications of one event to several
-- users are posted once.
-- +goose Up
CREATE TABLE notification_deliveries (
    id              TEXT PRIMARY KEY,
    notification_id TEXT NOT NULL REFERENCES notifications (id),
    channel         TEXT NOT NULL,
    target          TEXT NOT NULL,
    event_key       TEXT NOT NULL,
    kind            TEXT NOT NULL,
    state           TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_at         TIMESTAMP NOT NULL,
    lease_owner     TEXT NOT NULL DEFAULT '',
    lease_until     TIMESTAMP,
    last_error      TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    delivered_at    TIMESTAMP
);
CREATE UNIQUE INDEX notification_deliveries_event ON notification_deliveries (channel, target, event_key);
CREATE INDEX notification_deliveries_due ON notification_deliveries (state, next_at);
CREATE INDEX notification_deliveries_notification ON notification_deliveries (notification_id);

CREATE TABLE notification_preferences (
    user_id TEXT NOT NULL REFERENCES users (id),
    kind    TEXT NOT NULL,
    email   INTEGER NOT NULL,
    PRIMARY KEY (user_id, kind)
);

CREATE TABLE webhook_subscriptions (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    site       TEXT NOT NULL DEFAULT '',
    url        TEXT NOT NULL,
    kinds      TEXT NOT NULL DEFAULT '',
    secret     TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- The notices the notice sweep sent (an allocation's expiry in 30, 14 or
-- 7 days, an agent gone silent): each once, whichever instance sweeps,
-- since the primary key refuses a second.
CREATE TABLE sweep_notices (
    subject TEXT NOT NULL,
    notice  TEXT NOT NULL,
    sent_at TIMESTAMP NOT NULL,
    PRIMARY KEY (subject, notice)
);

-- +goose Down
DROP TABLE sweep_notices;
DROP TABLE webhook_subscriptions;
DROP TABLE notification_preferences;
DROP TABLE notification_deliveries;
