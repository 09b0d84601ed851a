// SPDX-License-Identifier: EUPL-1.2

package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/pactum/pactum"
)

// IdempotencyService stores the answers to requests made with an
// Idempotency-Key, per user, for IdempotencyTTL. It records no audit events:
// it remembers answers, it changes nothing in the scheme.
type IdempotencyService struct{ db *DB }

// NewIdempotencyService returns the idempotency-key store.
func NewIdempotencyService(db *DB) *IdempotencyService { return &IdempotencyService{db: db} }

// IdempotencyTTL is how long a key and its answer are kept.
const IdempotencyTTL = 24 * time.Hour

// StoredResponse is the first answer to a request with a given key.
type StoredResponse = struct {
	Status      int
	ContentType string
	Body        []byte
}

// Claim reserves key for userID and a request whose hash is requestHash.
// For a fresh key it reports claimed; for a key already answered, the stored
// answer; for a key whose first request is still running, or that was used
// for a different request, ECONFLICT.
func (s *IdempotencyService) Claim(ctx context.Context, userID, key, requestHash string) (claimed bool, stored *StoredResponse, err error) {
	err = s.db.write(ctx, nil, func(tx *Tx) error {
		// Forget expired keys as we go: cheap with the index, and no
		// separate janitor to run.
		if _, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE created_at < $1`, tx.now.Add(-IdempotencyTTL)); err != nil {
			return fmt.Errorf("expire idempotency keys: %w", err)
		}
		var hash, contentType, body string
		var status sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT request_hash, status, content_type, body FROM idempotency_keys WHERE user_id = $1 AND key = $2`,
			userID, key).Scan(&hash, &status, &contentType, &body)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			if _, err := tx.ExecContext(ctx, `INSERT INTO idempotency_keys (user_id, key, request_hash, created_at) VALUES ($1, $2, $3, $4)`,
				userID, key, requestHash, tx.now); err != nil {
				return fmt.Errorf("claim idempotency key: %w", mapError(err))
			}
			claimed = true
			return nil
		case err != nil:
			return fmt.Errorf("read idempotency key: %w", err)
		case hash != requestHash:
			return pactum.Errorf(pactum.ECONFLICT, "Idempotency-Key %q was used for a different request; use a new key for a new request.", key)
		case !status.Valid:
			return pactum.Errorf(pactum.ECONFLICT, "A request with Idempotency-Key %q is still being processed; retry in a moment.", key)
		}
		stored = &StoredResponse{Status: int(status.Int64), ContentType: contentType, Body: []byte(body)}
		return nil
	})
	return claimed, stored, err
}

// Complete stores the answer to a claimed key.
func (s *IdempotencyService) Complete(ctx context.Context, userID, key string, r StoredResponse) error {
	return s.db.write(ctx, nil, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE idempotency_keys SET status = $1, content_type = $2, body = $3 WHERE user_id = $4 AND key = $5`,
			r.Status, r.ContentType, string(r.Body), userID, key)
		return err
	})
}

// Release forgets a claimed key whose request failed on the server's side,
// so that a retry runs it again.
func (s *IdempotencyService) Release(ctx context.Context, userID, key string) error {
	return s.db.write(ctx, nil, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND status IS NULL`, userID, key)
		return err
	})
}
