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
//
// A request's life is three transactions: Claim, the work (a use case), and
// Complete. The work's transaction also marks the claim as done when its
// context carries the request (markIdempotent), so a crash between the work
// and Complete leaves a claim that says the work committed, and a crash
// before it leaves a claim without the mark, whose holder is gone: Claim
// tells the two apart, and hands the second to the retry to run once.
type IdempotencyService struct{ db *DB }

// NewIdempotencyService returns the idempotency-key store.
func NewIdempotencyService(db *DB) *IdempotencyService { return &IdempotencyService{db: db} }

// IdempotencyTTL is how long a key and its answer are kept.
const IdempotencyTTL = 24 * time.Hour

// MaxRequestDuration is how long a claim is held before a retry may take
// it over even if its holder still runs: longer than any request should
// take (the API's write timeout is a minute). Taking over is safe either
// way: the work's transaction commits only while its attempt holds the
// claim.
const MaxRequestDuration = 2 * time.Minute

// StoredResponse is the first answer to a request with a given key.
type StoredResponse = struct {
	Status      int
	ContentType string
	Body        []byte
}

// IdempotencyClaim is what Claim finds (see the http package's alias).
type IdempotencyClaim = struct {
	Attempt                string
	Stored                 *StoredResponse
	SubjectType, SubjectID string
}

// claimRow is an idempotency_keys row as Claim reads it.
type claimRow struct {
	hash, contentType, body, owner, attempt string
	status                                  sql.NullInt64
	createdAt                               time.Time
	claimedAt                               sql.NullTime
	subjectType, subjectID                  sql.NullString
}

// Claim reserves key for userID and a request whose hash is requestHash.
// For a fresh key it returns the attempt that now holds it; for a key
// already answered, the stored answer; for a key whose work committed but
// whose answer was lost, the work's subject. A claim whose work never
// committed and whose holder is gone (see instance) or has held it longer
// than MaxRequestDuration is taken over: the caller gets a new attempt, and
// of concurrent retries only one does. A key whose request is still running,
// or that was used for a different request, is ECONFLICT.
func (s *IdempotencyService) Claim(ctx context.Context, userID, key, requestHash string) (IdempotencyClaim, error) {
	self, err := s.db.instanceID(ctx)
	if err != nil {
		return IdempotencyClaim{}, err
	}
	// The attempt counts as running in this process from before its claim
	// commits, so that a concurrent retry here never mistakes it for one
	// left behind.
	fresh := newID()
	s.db.inst.live.Store(fresh, struct{}{})
	var out IdempotencyClaim
	err = s.db.write(ctx, nil, func(tx *Tx) error {
		out = IdempotencyClaim{}
		// Forget expired keys as we go: cheap with the index, and no
		// separate janitor to run.
		if _, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE created_at < $1`, tx.now.Add(-IdempotencyTTL)); err != nil {
			return fmt.Errorf("expire idempotency keys: %w", err)
		}
		var c claimRow
		err := tx.QueryRowContext(ctx, `SELECT request_hash, status, content_type, body, owner, attempt, created_at, claimed_at, subject_type, subject_id
			FROM idempotency_keys WHERE user_id = $1 AND key = $2`, userID, key).
			Scan(&c.hash, &c.status, &c.contentType, &c.body, &c.owner, &c.attempt, &c.createdAt, &c.claimedAt, &c.subjectType, &c.subjectID)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			out.Attempt = fresh
			if _, err := tx.ExecContext(ctx, `INSERT INTO idempotency_keys (user_id, key, request_hash, created_at, owner, attempt, claimed_at) VALUES ($1, $2, $3, $4, $5, $6, $4)`,
				userID, key, requestHash, tx.now, self, out.Attempt); err != nil {
				return fmt.Errorf("claim idempotency key: %w", mapError(err))
			}
			return nil
		case err != nil:
			return fmt.Errorf("read idempotency key: %w", err)
		case c.hash != requestHash:
			return pactum.Errorf(pactum.ECONFLICT, "Idempotency-Key %q was used for a different request; use a new key for a new request.", key)
		case c.status.Valid:
			out.Stored = &StoredResponse{Status: int(c.status.Int64), ContentType: c.contentType, Body: []byte(c.body)}
			return nil
		case c.subjectID.Valid:
			out.SubjectType, out.SubjectID = c.subjectType.String, c.subjectID.String
			return nil
		}
		return s.takeOver(ctx, tx, self, fresh, userID, key, c, &out)
	})
	if err != nil || out.Attempt == "" {
		s.db.inst.live.Delete(fresh)
	}
	return out, err
}

// takeOver gives the caller a claim whose work never committed if its
// holder is gone, and otherwise reports it still running.
func (s *IdempotencyService) takeOver(ctx context.Context, tx *Tx, self, attempt, userID, key string, c claimRow, out *IdempotencyClaim) error {
	busy := pactum.Errorf(pactum.ECONFLICT, "A request with Idempotency-Key %q is still being processed; retry in a moment.", key)
	since := c.createdAt
	if c.claimedAt.Valid {
		since = c.claimedAt.Time
	}
	gone := since.Before(tx.now.Add(-MaxRequestDuration))
	if !gone && c.owner == self {
		_, running := s.db.inst.live.Load(c.attempt)
		gone = !running
	}
	if !gone {
		var err error
		if gone, err = s.db.ownerGone(ctx, tx, c.owner); err != nil {
			return err
		}
	}
	if !gone {
		return busy
	}
	// The compare-and-set on the attempt lets one retry of several take
	// the claim; PostgreSQL re-checks the condition after a concurrent
	// update, and a work transaction that marked the claim meanwhile
	// wins over the takeover.
	res, err := tx.ExecContext(ctx, `UPDATE idempotency_keys SET owner = $1, attempt = $2, claimed_at = $3
		WHERE user_id = $4 AND key = $5 AND attempt = $6 AND status IS NULL AND subject_id IS NULL`,
		self, attempt, tx.now, userID, key, c.attempt)
	if err != nil {
		return fmt.Errorf("take over idempotency key: %w", mapError(err))
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return busy
	}
	out.Attempt = attempt
	return nil
}

// markIdempotent marks the claim of the request the transaction runs for
// (if any) as done, in the transaction, with the subject of its first audit
// event: the work and the mark commit together. Every write transaction of
// the request marks it, with or without events, so that no committed work
// goes unmarked; the first transaction with events names the subject (""
// until then). A transaction whose attempt no longer holds the claim — a
// retry took it over — fails with ECONFLICT rather than do the work twice.
func (tx *Tx) markIdempotent(ctx context.Context) error {
	r := pactum.IdempotentRequestFromContext(ctx)
	if r == nil {
		return nil
	}
	var subjectType, subjectID string
	if len(tx.events) > 0 {
		subjectType, subjectID = tx.events[0].SubjectType, tx.events[0].SubjectID
	}
	res, err := tx.ExecContext(ctx, `UPDATE idempotency_keys SET
		subject_type = CASE WHEN subject_id IS NULL OR subject_id = '' THEN $1 ELSE subject_type END,
		subject_id = CASE WHEN subject_id IS NULL OR subject_id = '' THEN $2 ELSE subject_id END,
		replay_status = $3
		WHERE user_id = $4 AND key = $5 AND attempt = $6`, subjectType, subjectID, r.Status, r.UserID, r.Key, r.Attempt)
	if err != nil {
		return fmt.Errorf("mark idempotency key: %w", mapError(err))
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return pactum.Errorf(pactum.ECONFLICT, "The request with Idempotency-Key %q was taken over by a retry; its outcome is the retry's.", r.Key)
	}
	return nil
}

// Complete stores the answer to the request run under attempt. A claim
// taken over meanwhile is left to its new holder.
func (s *IdempotencyService) Complete(ctx context.Context, userID, key, attempt string, r StoredResponse) error {
	defer s.db.inst.live.Delete(attempt)
	return s.db.write(ctx, nil, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE idempotency_keys SET status = $1, content_type = $2, body = $3 WHERE user_id = $4 AND key = $5 AND attempt = $6`,
			r.Status, r.ContentType, string(r.Body), userID, key, attempt)
		return err
	})
}

// Release forgets a claimed key whose request failed on the server's side,
// so that a retry runs it again — unless its work committed (the request
// failed after it), in which case a retry is answered from the mark.
func (s *IdempotencyService) Release(ctx context.Context, userID, key, attempt string) error {
	defer s.db.inst.live.Delete(attempt)
	return s.db.write(ctx, nil, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND attempt = $3 AND status IS NULL AND subject_id IS NULL`,
			userID, key, attempt)
		return err
	})
}
