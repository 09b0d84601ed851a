// SPDX-License-Identifier: EUPL-1.2

package http_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/client"
	"github.com/pactum/pactum/mock"
	"github.com/pactum/pactum/sqlstore"
	"github.com/pactum/pactum/sqlstore/storetest"
	"github.com/pactum/pactum/usecase"
)

// crashed is a second server instance on the scenario's database that
// claims a key and then stops (its handle closed) with or without having
// committed the work: what a kill -9 leaves behind.
type crashed struct {
	db   *sqlstore.DB
	user *pactum.User
	key  string
	body []byte
	c    sqlstore.IdempotencyClaim
}

const createURI = "POST /api/v1/proposals?submit=true"

// crash claims key for the request uri ("METHOD /path?query") with body,
// made by the caller of as (alice when nil).
func crash(t *testing.T, s *scenario, key string, body []byte) *crashed {
	t.Helper()
	return crashAs(t, s, s.alice, createURI, key, body)
}

func crashAs(t *testing.T, s *scenario, as *client.ClientWithResponses, uri, key string, body []byte) *crashed {
	t.Helper()
	ctx := context.Background()
	me, err := as.GetMeWithResponse(ctx)
	want(t, me, err, 200, me.Body)
	db, err := sqlstore.Open(ctx, s.dsn, sqlstore.Options{Now: s.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	u, err := db.GetUser(ctx, me.JSON200.Id)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.Sum256(append([]byte(uri+"\n"), body...))
	c, err := sqlstore.NewIdempotencyService(db).Claim(ctx, u.ID, key, hex.EncodeToString(h[:]))
	if err != nil || c.Attempt == "" {
		t.Fatalf("claim: %+v, %v", c, err)
	}
	return &crashed{db: db, user: u, key: key, body: body, c: c}
}

// run does a request's work as the crashed instance would have.
func (c *crashed) run(t *testing.T, clock *storetest.Clock, status int, fn func(ctx context.Context, app *usecase.App) error) error {
	t.Helper()
	ctx := pactum.NewContextWithUser(context.Background(), c.user)
	ctx = pactum.NewContextWithIdempotentRequest(ctx, &pactum.IdempotentRequest{UserID: c.user.ID, Key: c.key, Attempt: c.c.Attempt, Status: status})
	return fn(ctx, storetest.App(t, c.db, mock.Approving(), clock.Now))
}

// work submits the crashed request's proposal.
func (c *crashed) work(t *testing.T, clock *storetest.Clock) (*pactum.Proposal, error) {
	t.Helper()
	var in pactum.ProposalInput
	if err := json.Unmarshal(c.body, &in); err != nil {
		t.Fatal(err)
	}
	p := &pactum.Proposal{ProposalInput: in}
	err := c.run(t, clock, 201, func(ctx context.Context, app *usecase.App) error { return app.SubmitNewProposal(ctx, p) })
	return p, err
}

func (s *scenario) submit(t *testing.T, key string, body []byte) *client.CreateProposalResponse {
	t.Helper()
	r, err := s.alice.CreateProposalWithBodyWithResponse(s.ctx, &client.CreateProposalParams{Submit: ptr(true), IdempotencyKey: &key}, "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (s *scenario) proposals(t *testing.T) int {
	t.Helper()
	pl, err := s.alice.ListProposalsWithResponse(s.ctx, &client.ListProposalsParams{})
	want(t, pl, err, 200, pl.Body)
	return pl.JSON200.Total
}

// A retry after a crash that came after the work committed gets the
// committed answer: the same proposal, replayed, and no second one.
func TestIdempotencyRecoversCommittedWork(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		s := newScenario(t, dialect)
		body := proposalJSON(t, s.callID, nil)
		c := crash(t, s, "crash-after-commit", body)
		p, err := c.work(t, s.clock)
		if err != nil {
			t.Fatal(err)
		}
		c.db.Close()
		r := s.submit(t, c.key, body)
		want(t, r, nil, 201, r.Body)
		if r.JSON201.Id != p.ID || r.HTTPResponse.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("retry answered %s (replayed %q), want the committed %s", r.JSON201.Id, r.HTTPResponse.Header.Get("Idempotent-Replayed"), p.ID)
		}
		strict[client.Proposal](t, r.Body)
		if n := s.proposals(t); n != 1 {
			t.Fatalf("%d proposals after a recovered retry, want 1", n)
		}
		// A different request under the key is still refused.
		other := proposalJSON(t, s.callID, func(p *pactum.Proposal) { p.Title = "Another model" })
		want(t, s.submit(t, c.key, other), nil, 409, nil)
	})
}

// A retry after a crash that came before the work committed does the work,
// once, even when many retries arrive together.
func TestIdempotencyTakesOverAbandonedClaim(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		s := newScenario(t, dialect)
		body := proposalJSON(t, s.callID, nil)
		c := crash(t, s, "crash-before-commit", body)
		c.db.Close()
		var wg sync.WaitGroup
		codes := make([]int, 8)
		ids := make([]string, 8)
		for i := range codes {
			wg.Go(func() {
				r := s.submit(t, c.key, body)
				codes[i] = r.StatusCode()
				if r.JSON201 != nil {
					ids[i] = r.JSON201.Id
				}
			})
		}
		wg.Wait()
		var id string
		for i, code := range codes {
			switch {
			case code == 201 && (id == "" || id == ids[i]):
				id = ids[i]
			case code == 409: // another retry is doing the work
			default:
				t.Fatalf("retry %d: HTTP %d (id %s, first %s)", i, code, ids[i], id)
			}
		}
		if id == "" {
			t.Fatalf("no retry did the work: %v", codes)
		}
		if n := s.proposals(t); n != 1 {
			t.Fatalf("%d proposals after concurrent retries, want 1", n)
		}
		r := s.submit(t, c.key, body)
		want(t, r, nil, 201, r.Body)
		if r.JSON201.Id != id {
			t.Fatalf("a later retry answered %s, want %s", r.JSON201.Id, id)
		}
	})
}

// The request a retry took over cannot commit its work afterwards: the
// work's transaction checks that its attempt still holds the claim.
func TestIdempotencyTakenOverAttemptCannotCommit(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		s := newScenario(t, dialect)
		body := proposalJSON(t, s.callID, nil)
		c := crash(t, s, "late-original", body)
		if dialect == sqlstore.Postgres {
			// The holder is alive (it holds its instance lock): a retry
			// must wait for it.
			want(t, s.submit(t, c.key, body), nil, 409, nil)
		}
		s.clock.Advance(sqlstore.MaxRequestDuration + time.Second)
		r := s.submit(t, c.key, body)
		want(t, r, nil, 201, r.Body)
		if _, err := c.work(t, s.clock); pactum.ErrorCode(err) != pactum.ECONFLICT {
			t.Fatalf("the taken-over request committed its work: %v", err)
		}
		c.db.Close()
		if n := s.proposals(t); n != 1 {
			t.Fatalf("%d proposals, want 1", n)
		}
	})
}

// A recovered action on an existing resource answers with its current
// representation; an endpoint whose answer cannot be rebuilt (a token's
// secret is shown once) names what was changed instead of doing it again.
func TestIdempotencyRecoversActionsAndNamesTheRest(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		s := newScenario(t, dialect)
		draft, err := s.alice.CreateProposalWithBodyWithResponse(s.ctx, &client.CreateProposalParams{}, "application/json",
			bytes.NewReader(proposalJSON(t, s.callID, nil)))
		want(t, draft, err, 201, draft.Body)
		id := draft.JSON201.Id
		body := []byte(`{"reason":"the model is no longer needed"}`)
		c := crashAs(t, s, s.alice, "POST /api/v1/proposals/"+id+"/withdraw", "withdraw-1", body)
		if err := c.run(t, s.clock, 200, func(ctx context.Context, app *usecase.App) error {
			_, err := app.WithdrawProposal(ctx, id, "the model is no longer needed")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		c.db.Close()
		key := "withdraw-1"
		r, err := s.alice.WithdrawProposalWithBodyWithResponse(s.ctx, id, "application/json", bytes.NewReader(body),
			func(_ context.Context, req *http.Request) error { req.Header.Set("Idempotency-Key", key); return nil })
		want(t, r, err, 200, r.Body)
		p := strict[client.Proposal](t, r.Body)
		if p.Id != id || p.State != client.Withdrawn || r.HTTPResponse.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("recovered withdrawal answered %s in state %s (replayed %q)", p.Id, p.State, r.HTTPResponse.Header.Get("Idempotent-Replayed"))
		}

		me, err := s.manager.GetMeWithResponse(s.ctx)
		want(t, me, err, 200, me.Body)
		tokBody := []byte(`{"name":"ci"}`)
		c = crashAs(t, s, s.manager, "POST /api/v1/users/"+me.JSON200.Id+"/tokens", "token-1", tokBody)
		var tok *pactum.Token
		if err := c.run(t, s.clock, 201, func(ctx context.Context, app *usecase.App) error {
			tok, _, err = app.CreateToken(ctx, me.JSON200.Id, "ci", nil, "")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		c.db.Close()
		tr, err := s.manager.CreateTokenWithBodyWithResponse(s.ctx, me.JSON200.Id, "application/json", bytes.NewReader(tokBody),
			func(_ context.Context, req *http.Request) error {
				req.Header.Set("Idempotency-Key", "token-1")
				return nil
			})
		want(t, tr, err, 409, tr.Body)
		if !strings.Contains(string(tr.Body), tok.ID) {
			t.Fatalf("the conflict does not name the token made: %s", tr.Body)
		}
	})
}
