// SPDX-License-Identifier: EUPL-1.2

package http

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"

	"github.com/pactum/pactum"
)

// StoredResponse is the first answer to a request with an Idempotency-Key.
// It is an unnamed struct type so that a store can implement
// IdempotencyStore without importing this package.
type StoredResponse = struct {
	Status      int
	ContentType string
	Body        []byte
}

// IdempotencyClaim is what claiming a key finds. It is an unnamed struct
// type for the same reason as StoredResponse.
type IdempotencyClaim = struct {
	// Attempt is set when the caller now holds the claim and must run the
	// request: a fresh key, or one whose first request never committed
	// its work and whose holder is gone (taken over).
	Attempt string
	// Stored is the answer to replay.
	Stored *StoredResponse
	// SubjectType and SubjectID are set when the first request's work
	// committed but its answer was never stored (the server stopped in
	// between): the subject of its first audit event.
	SubjectType, SubjectID string
}

// IdempotencyStore keeps the answers to requests sent with an
// Idempotency-Key header (sqlstore.IdempotencyService implements it).
type IdempotencyStore interface {
	// Claim reserves key for the user and request, or reports what became
	// of the request that holds it; ECONFLICT for a key used for a
	// different request, or whose request is still running.
	Claim(ctx context.Context, userID, key, requestHash string) (IdempotencyClaim, error)
	// Complete stores the answer to the request run under attempt; nothing
	// if the claim was taken over.
	Complete(ctx context.Context, userID, key, attempt string, r StoredResponse) error
	// Release forgets a claim whose request failed before its work
	// committed, so that a retry runs it again.
	Release(ctx context.Context, userID, key, attempt string) error
}

// maxIdempotencyKey bounds the header's length.
const maxIdempotencyKey = 255

// idempotent makes a state-changing request safe to retry: with an
// Idempotency-Key header, the first request runs and its answer is kept;
// a retry with the same key and the same request gets that answer again
// (marked Idempotent-Replayed: true) and changes nothing. The same key with
// a different request is a conflict. An answer of 5xx is not kept, so a
// retry after a server failure runs again. Without the header, or without a
// store, requests run as usual.
//
// The key travels in the request's context (pactum.IdempotentRequest), so
// the work's own transaction marks the claim as done. A retry after a crash
// therefore finds either that marker — and gets the committed answer, see
// recovered — or a claim whose holder is gone, which it takes over to run
// the request once.
func (s *Server) idempotent(w http.ResponseWriter, r *http.Request, u *pactum.User, next func(http.ResponseWriter, *http.Request)) {
	key := r.Header.Get("Idempotency-Key")
	if key == "" || s.cfg.Idempotency == nil || r.Method == http.MethodGet {
		next(w, r)
		return
	}
	if len(key) > maxIdempotencyKey {
		s.Error(w, r, &pactum.Error{Code: pactum.EINVALID, Message: "The Idempotency-Key header is too long.",
			Fields: []pactum.FieldError{{Field: "Idempotency-Key", Message: "must be at most 255 characters"}}})
		return
	}
	body, err := readAll(w, r, MaxBodyBytes)
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		s.writeError(w, http.StatusRequestEntityTooLarge, &pactum.Error{Code: pactum.EINVALID, Message: "The request body is larger than 1 MiB."})
		return
	} else if err != nil {
		s.Error(w, r, pactum.Errorf(pactum.EINVALID, "Could not read the request body: %v.", err))
		return
	}
	h := sha256.New()
	h.Write([]byte(r.Method + " " + r.URL.RequestURI() + "\n"))
	h.Write(body)
	hash := hex.EncodeToString(h.Sum(nil))

	c, err := s.cfg.Idempotency.Claim(r.Context(), u.ID, key, hash)
	switch {
	case err != nil:
		s.Error(w, r, err)
		return
	case c.Stored != nil:
		w.Header().Set("Content-Type", c.Stored.ContentType)
		w.Header().Set("Idempotent-Replayed", "true")
		w.WriteHeader(c.Stored.Status)
		_, _ = w.Write(c.Stored.Body)
		return
	case c.Attempt == "":
		s.recovered(w, r, key, c.SubjectType, c.SubjectID)
		return
	}
	rec := &recorder{statusWriter: statusWriter{ResponseWriter: w}}
	setBody(r, body)
	defer func() {
		// The answer is kept (or the key released) even if the client has
		// gone: the change happened, and its retry must learn so.
		ctx := context.WithoutCancel(r.Context())
		if rec.status >= 500 || rec.status == 0 {
			if err := s.cfg.Idempotency.Release(ctx, u.ID, key, c.Attempt); err != nil {
				s.logger.Error("release idempotency key", "err", err)
			}
			return
		}
		if err := s.cfg.Idempotency.Complete(ctx, u.ID, key, c.Attempt, StoredResponse{
			Status: rec.status, ContentType: rec.Header().Get("Content-Type"), Body: rec.body.Bytes()}); err != nil {
			s.logger.Error("store idempotent answer", "err", err)
		}
	}()
	ir := &pactum.IdempotentRequest{UserID: u.ID, Key: key, RequestHash: hash, Attempt: c.Attempt, Status: replayStatus(r)}
	next(rec, r.WithContext(pactum.NewContextWithIdempotentRequest(r.Context(), ir)))
}

// recorder passes a response through while keeping a copy, and its status
// as statusWriter does.
type recorder struct {
	statusWriter
	body bytes.Buffer
}

func (r *recorder) Write(b []byte) (int, error) {
	r.body.Write(b)
	return r.statusWriter.Write(b)
}
