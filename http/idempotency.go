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

// IdempotencyStore keeps the answers to requests sent with an
// Idempotency-Key header (sqlstore.IdempotencyService implements it).
type IdempotencyStore interface {
	// Claim reserves key for the user and request, or returns the answer
	// already stored; ECONFLICT for a key in use or used differently.
	Claim(ctx context.Context, userID, key, requestHash string) (claimed bool, stored *StoredResponse, err error)
	// Complete stores the answer to a claimed key.
	Complete(ctx context.Context, userID, key string, r StoredResponse) error
	// Release forgets a claimed key whose request failed.
	Release(ctx context.Context, userID, key string) error
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

	claimed, stored, err := s.cfg.Idempotency.Claim(r.Context(), u.ID, key, hash)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	if !claimed {
		w.Header().Set("Content-Type", stored.ContentType)
		w.Header().Set("Idempotent-Replayed", "true")
		w.WriteHeader(stored.Status)
		_, _ = w.Write(stored.Body)
		return
	}
	rec := &recorder{statusWriter: statusWriter{ResponseWriter: w}}
	setBody(r, body)
	defer func() {
		// The answer is kept (or the key released) even if the client has
		// gone: the change happened, and its retry must learn so.
		ctx := context.WithoutCancel(r.Context())
		if rec.status >= 500 || rec.status == 0 {
			if err := s.cfg.Idempotency.Release(ctx, u.ID, key); err != nil {
				s.logger.Error("release idempotency key", "err", err)
			}
			return
		}
		if err := s.cfg.Idempotency.Complete(ctx, u.ID, key, StoredResponse{
			Status: rec.status, ContentType: rec.Header().Get("Content-Type"), Body: rec.body.Bytes()}); err != nil {
			s.logger.Error("store idempotent answer", "err", err)
		}
	}()
	next(rec, r)
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
