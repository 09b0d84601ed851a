// SPDX-License-Identifier: EUPL-1.2

package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/client"
	pactumhttp "github.com/pactum/pactum/http"
	"github.com/pactum/pactum/policy"
	"github.com/pactum/pactum/sqlstore"
	"github.com/pactum/pactum/sqlstore/storetest"
	"github.com/pactum/pactum/usecase"
)

// env is a running server on 127.0.0.1:0 over a fresh database.
type env struct {
	url     string
	db      *sqlstore.DB
	dsn     string
	manager *client.ClientWithResponses
	token   string
	clock   *storetest.Clock
}

func newEnv(t *testing.T, dialect string) *env {
	t.Helper()
	return newEnvWith(t, dialect, sqlstore.Options{}, nil)
}

// newEnvWith is newEnv with the store's options and, when edit is not nil,
// a change to the server's configuration.
func newEnvWith(t *testing.T, dialect string, opt sqlstore.Options, edit func(*pactumhttp.Config)) *env {
	t.Helper()
	clock := &storetest.Clock{T: time.Now().UTC().Truncate(time.Second)}
	dsn := storetest.DSN(t, dialect)
	opt.Now = clock.Now
	db, err := sqlstore.Open(context.Background(), dsn, opt)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	rs, err := policy.Default()
	if err != nil {
		t.Fatal(err)
	}
	uc := storetest.App(t, db, policy.NewScreener(rs), clock.Now)
	url := serve(t, db, uc, clock, edit)
	storetest.SeedCatalogue(t, db)
	_, token, err := uc.Bootstrap(context.Background(), "mara@eurohpc.example", "Mara Manager")
	if err != nil {
		t.Fatal(err)
	}
	mgr, err := client.New(url, token)
	if err != nil {
		t.Fatal(err)
	}
	return &env{url: url, db: db, dsn: dsn, manager: mgr, token: token, clock: clock}
}

// serve starts an HTTP server for uc over db, configured as in production
// but for clock and edit (when not nil), closed when t ends, and returns
// its URL.
func serve(t *testing.T, db *sqlstore.DB, uc *usecase.App, clock *storetest.Clock, edit func(*pactumhttp.Config)) string {
	t.Helper()
	cfg := pactumhttp.Config{Health: db.Ping, Now: clock.Now, Idempotency: sqlstore.NewIdempotencyService(db)}
	cfg.Serve(uc)
	if edit != nil {
		edit(&cfg)
	}
	srv, err := pactumhttp.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Open("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv.URL()
}

// strict decodes body into T refusing unknown fields: the contract test that
// every field the server sends is in the OpenAPI document.
func strict[T any](t *testing.T, body []byte) T {
	t.Helper()
	var v T
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("response does not match the OpenAPI schema %T: %v\n%s", v, err, body)
	}
	return v
}

type statusResponse interface{ StatusCode() int }

func want(t *testing.T, r statusResponse, err error, status int, body []byte) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
	if r.StatusCode() != status {
		t.Fatalf("got HTTP %d, want %d: %s", r.StatusCode(), status, body)
	}
}

// applicant registers an organization and an applicant and returns a client
// acting as them.
func (e *env) applicant(t *testing.T, name, country, email string) (*client.ClientWithResponses, string) {
	t.Helper()
	ctx := context.Background()
	or, err := e.manager.CreateOrganizationWithResponse(ctx, client.OrganizationInput{LegalName: name, Country: country,
		RegistrationNumber: "REG-" + email, FoundedOn: date("2022-01-10"), Staff: 20, TurnoverEur: 1e6, BalanceSheetEur: 1e6})
	want(t, or, err, 201, or.Body)
	org := strict[client.Organization](t, or.Body)
	if !org.Sme || !org.Startup {
		t.Fatalf("a 20-person company founded in 2022 should be an SME startup: %+v", org)
	}
	ur, err := e.manager.CreateUserWithResponse(ctx, client.UserInput{Email: email, Name: name + " applicant", Role: client.Applicant, OrganizationId: &org.Id})
	want(t, ur, err, 201, ur.Body)
	tr, err := e.manager.CreateTokenWithResponse(ctx, ur.JSON201.Id, client.TokenInput{Name: "test"})
	want(t, tr, err, 201, tr.Body)
	tok := strict[client.TokenCreated](t, tr.Body)
	c, err := client.New(e.url, tok.Secret)
	if err != nil {
		t.Fatal(err)
	}
	return c, org.Id
}

func (e *env) call(t *testing.T) string {
	t.Helper()
	now := e.clock.Now()
	cr, err := e.manager.CreateCallWithResponse(context.Background(), client.CallInput{Title: "AI Factories 2026-Q4",
		OpensAt: now.Add(-time.Hour), CutoffAt: now.AddDate(0, 2, 0),
		Modes:     []client.CallModeInput{{Mode: client.FastLane}, {Mode: client.LargeScale}},
		SystemIds: []string{"leonardo-booster", "lumi-g", "mn5-acc"}})
	want(t, cr, err, 201, cr.Body)
	c := strict[client.Call](t, cr.Body)
	if fl := c.Modes[0]; fl.MaxGpuHours != 50000 || fl.DecisionWorkingDays != 4 || !fl.AutoApprove {
		t.Fatalf("fast-lane terms should default from the catalogue: %+v", fl)
	}
	return c.Id
}

func date(s string) openapi_types.Date {
	t, _ := time.Parse(time.DateOnly, s)
	return openapi_types.Date{Time: t}
}

func proposalJSON(t *testing.T, callID string, mutate func(p *pactum.Proposal)) []byte {
	t.Helper()
	p := storetest.NewProposal(callID)
	if mutate != nil {
		mutate(p)
	}
	in := map[string]any{}
	b, _ := json.Marshal(p)
	if err := json.Unmarshal(b, &in); err != nil {
		t.Fatal(err)
	}
	// Only what an applicant writes: the server refuses the rest.
	for _, k := range []string{"id", "organization_id", "applicant_id", "state", "screening", "decision", "submitted_at",
		"decision_due_at", "created_at", "updated_at", "version"} {
		delete(in, k)
	}
	out, _ := json.Marshal(in)
	return out
}

// scenario is where every end-to-end test starts: a server with a call
// open for proposals and Ada, an applicant of Aleph Lingua.
type scenario struct {
	*env
	ctx    context.Context
	callID string
	alice  *client.ClientWithResponses
	orgA   string
}

func newScenario(t *testing.T, dialect string) *scenario {
	t.Helper()
	e := newEnv(t, dialect)
	callID := e.call(t)
	alice, orgA := e.applicant(t, "Aleph Lingua GmbH", "DE", "ada@aleph.example")
	return &scenario{env: e, ctx: context.Background(), callID: callID, alice: alice, orgA: orgA}
}

// bob registers a second applicant organization, Bora Vision.
func (s *scenario) bob(t *testing.T) *client.ClientWithResponses {
	t.Helper()
	bob, _ := s.applicant(t, "Bora Vision SAS", "FR", "bob@bora.example")
	return bob
}

func (e *env) user(t *testing.T, in client.UserInput) *client.ClientWithResponses {
	t.Helper()
	ctx := context.Background()
	ur, err := e.manager.CreateUserWithResponse(ctx, in)
	want(t, ur, err, 201, ur.Body)
	tr, err := e.manager.CreateTokenWithResponse(ctx, ur.JSON201.Id, client.TokenInput{Name: "test"})
	want(t, tr, err, 201, tr.Body)
	c, err := client.New(e.url, tr.JSON201.Secret)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func ptr[T any](v T) *T { return &v }

// raw sends a request with the manager's or another token.
func (e *env) raw(t *testing.T, method, path, token, contentType string, body []byte) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, e.url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	var m map[string]any
	_ = json.Unmarshal(data, &m)
	return resp.StatusCode, m
}

func fieldsOf(m map[string]any) map[string]string {
	out := map[string]string{}
	e, _ := m["error"].(map[string]any)
	fs, _ := e["fields"].([]any)
	for _, f := range fs {
		fm := f.(map[string]any)
		out[fm["field"].(string)] = fm["message"].(string)
	}
	return out
}

func TestBadInput(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		s := newScenario(t, dialect)
		e, ctx, callID, alice := s.env, s.ctx, s.callID, s.alice
		tr, err := alice.GetMeWithResponse(ctx)
		want(t, tr, err, 200, tr.Body)
		tok, err := alice.CreateTokenWithResponse(ctx, tr.JSON200.Id, client.TokenInput{Name: "raw"})
		want(t, tok, err, 201, tok.Body)
		secret := tok.JSON201.Secret

		events := func() int64 {
			r, err := e.manager.VerifyAuditWithResponse(ctx)
			want(t, r, err, 200, r.Body)
			return r.JSON200.Events
		}
		before := events()

		t.Run("MalformedProposal", func(t *testing.T) { badProposalDomain(t, e, callID, secret) })
		t.Run("SchemaViolations", func(t *testing.T) { badProposalSchema(t, e, callID, tr.JSON200.Id, secret) })
		t.Run("UnknownField", func(t *testing.T) {
			body := bytes.Replace(proposalJSON(t, callID, nil), []byte(`"title"`), []byte(`"state":"approved","title"`), 1)
			code, m := e.raw(t, "POST", "/api/v1/proposals", secret, "application/json", body)
			if code != 400 || fieldsOf(m)["state"] == "" {
				t.Fatalf("got %d: %v", code, m)
			}
		})
		t.Run("NestedUnknownField", func(t *testing.T) {
			body := bytes.Replace(proposalJSON(t, callID, nil), []byte(`"system_id"`), []byte(`"gpu_count":8,"system_id"`), 1)
			code, m := e.raw(t, "POST", "/api/v1/proposals", secret, "application/json", body)
			if code != 400 || fieldsOf(m)["requests[0].gpu_count"] == "" {
				t.Fatalf("got %d: %v", code, m)
			}
		})
		t.Run("WrongType", func(t *testing.T) {
			body := bytes.Replace(proposalJSON(t, callID, nil), []byte(`"duration_months":3`), []byte(`"duration_months":"three"`), 1)
			code, m := e.raw(t, "POST", "/api/v1/proposals", secret, "application/json", body)
			if code != 400 || !strings.Contains(fieldsOf(m)["duration_months"], "integer") {
				t.Fatalf("got %d: %v", code, m)
			}
		})
		t.Run("NotJSON", func(t *testing.T) {
			code, m := e.raw(t, "POST", "/api/v1/proposals", secret, "application/json", []byte(`{"title": `))
			if code != 400 {
				t.Fatalf("got %d: %v", code, m)
			}
			code, _ = e.raw(t, "POST", "/api/v1/proposals", secret, "text/plain", proposalJSON(t, callID, nil))
			if code != 400 {
				t.Fatalf("text/plain accepted: %d", code)
			}
			code, _ = e.raw(t, "POST", "/api/v1/proposals", secret, "application/json", append(proposalJSON(t, callID, nil), []byte(`{}`)...))
			if code != 400 {
				t.Fatalf("trailing data accepted: %d", code)
			}
		})
		t.Run("Oversized", func(t *testing.T) {
			big := bytes.Replace(proposalJSON(t, callID, nil), []byte(`"summary":"`), append([]byte(`"summary":"`), bytes.Repeat([]byte("x"), 2<<20)...), 1)
			code, m := e.raw(t, "POST", "/api/v1/proposals", secret, "application/json", big)
			if code != 413 {
				t.Fatalf("got %d: %v", code, m)
			}
		})
		t.Run("BadQuery", func(t *testing.T) {
			code, m := e.raw(t, "GET", "/api/v1/proposals?state=nonsense&limit=0&colour=red&screening=maybe&decision=perhaps", secret, "", nil)
			f := fieldsOf(m)
			if code != 400 || f["state"] == "" || f["limit"] == "" || f["colour"] == "" || f["screening"] == "" || f["decision"] == "" {
				t.Fatalf("got %d: %v", code, m)
			}
			// A control character in a rule ID passes the document's
			// checks and is refused by the handler.
			if code, m := e.raw(t, "GET", "/api/v1/proposals?rule=a%07b", secret, "", nil); code != 400 || fieldsOf(m)["rule"] == "" {
				t.Fatalf("rule with a control character: %d %v", code, m)
			}
		})
		t.Run("Auth", func(t *testing.T) {
			if code, _ := e.raw(t, "GET", "/api/v1/proposals", "", "", nil); code != 401 {
				t.Errorf("no token: %d", code)
			}
			if code, _ := e.raw(t, "GET", "/api/v1/proposals", "pct_not-a-token", "", nil); code != 401 {
				t.Errorf("bad token: %d", code)
			}
			if code, _ := e.raw(t, "GET", "/api/v1/nothing-here", secret, "", nil); code != 404 {
				t.Errorf("unknown path: %d", code)
			}
		})
		// Nothing was written by any refused request.
		if after := events(); after != before {
			t.Errorf("refused requests wrote %d audit events", after-before)
		}
		pl, err := alice.ListProposalsWithResponse(ctx, &client.ListProposalsParams{})
		want(t, pl, err, 200, pl.Body)
		if pl.JSON200.Total != 0 {
			t.Errorf("refused requests left %d proposals", pl.JSON200.Total)
		}
	})
}

// badProposalDomain: values of the right shape that break the domain's
// rules are each named in one 400.
func badProposalDomain(t *testing.T, e *env, callID, secret string) {
	body := proposalJSON(t, callID, func(p *pactum.Proposal) {
		p.Title = ""
		p.Requests = []pactum.ResourceRequest{{SystemID: "karolina-gpu", Amount: -1}}
		p.DurationMonths = 99
	})
	code, m := e.raw(t, "POST", "/api/v1/proposals?submit=true", secret, "application/json", body)
	if code != 400 {
		t.Fatalf("got %d: %v", code, m)
	}
	f := fieldsOf(m)
	// Values of the right shape break the domain's rules: each is
	// named (the API document's checks pass them).
	for _, name := range []string{"title", "requests[0].amount", "requests[0].system_id", "duration_months"} {
		if f[name] == "" {
			t.Errorf("no error for %s in %v", name, f)
		}
	}
}

// badProposalSchema: values the API document refuses are named by JSON
// path, array elements by index, all in one answer.
func badProposalSchema(t *testing.T, e *env, callID, userID, secret string) {
	// Values the API document refuses are named by JSON path,
	// array elements by index, all in one answer.
	body := proposalJSON(t, callID, func(p *pactum.Proposal) {
		p.AIWork.Purpose = "world domination"
		p.Requests = append(p.Requests, pactum.ResourceRequest{SystemID: "lumi-g", Amount: 1},
			pactum.ResourceRequest{SystemID: "mn5-acc", Amount: 2.5})
	})
	body = bytes.Replace(body, []byte(`"amount":2.5`), []byte(`"amount":"lots"`), 1)
	body = bytes.Replace(body, []byte(`"duration_months":3`), []byte(`"duration_months":"three"`), 1)
	code, m := e.raw(t, "POST", "/api/v1/proposals", secret, "application/json", body)
	f := fieldsOf(m)
	if code != 400 || !strings.Contains(f["requests[2].amount"], "number") || !strings.Contains(f["duration_months"], "integer") ||
		!strings.Contains(f["ai_work.purpose"], "research") {
		t.Fatalf("got %d: %v", code, m)
	}
	// A date that is no date names its field.
	org := `{"legal_name":"Dated SA","country":"FR","registration_number":"R1","founded_on":"2022-13-45","staff":3,"turnover_eur":1,"balance_sheet_eur":1}`
	code, m = e.raw(t, "POST", "/api/v1/organizations", e.token, "application/json", []byte(org))
	if f := fieldsOf(m); code != 400 || !strings.Contains(f["founded_on"], "date") {
		t.Fatalf("bad date: got %d: %v", code, m)
	}
	code, m = e.raw(t, "POST", "/api/v1/users/"+userID+"/tokens", secret, "application/json",
		[]byte(`{"name":"t","expires_at":"next week"}`))
	if f := fieldsOf(m); code != 400 || !strings.Contains(f["expires_at"], "date and time") {
		t.Fatalf("bad date-time: got %d: %v", code, m)
	}
}

func TestIdempotencyKey(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		s := newScenario(t, dialect)
		ctx, callID, alice := s.ctx, s.callID, s.alice
		body := proposalJSON(t, callID, nil)
		key := "8f0c2a1e-6b8d-4f7a-9c3e-5d2b1a0f9e7d"
		params := &client.CreateProposalParams{Submit: ptr(true), IdempotencyKey: &key}

		first, err := alice.CreateProposalWithBodyWithResponse(ctx, params, "application/json", bytes.NewReader(body))
		want(t, first, err, 201, first.Body)
		again, err := alice.CreateProposalWithBodyWithResponse(ctx, params, "application/json", bytes.NewReader(body))
		want(t, again, err, 201, again.Body)
		if again.HTTPResponse.Header.Get("Idempotent-Replayed") != "true" || again.JSON201.Id != first.JSON201.Id {
			t.Fatalf("retry was not replayed: %s vs %s", again.JSON201.Id, first.JSON201.Id)
		}
		pl, err := alice.ListProposalsWithResponse(ctx, &client.ListProposalsParams{})
		want(t, pl, err, 200, pl.Body)
		if pl.JSON200.Total != 1 {
			t.Fatalf("a retried submission created %d proposals", pl.JSON200.Total)
		}
		// The same key for a different request is refused.
		other := proposalJSON(t, callID, func(p *pactum.Proposal) { p.Title = "Another model" })
		diff, err := alice.CreateProposalWithBodyWithResponse(ctx, params, "application/json", bytes.NewReader(other))
		want(t, diff, err, 409, diff.Body)
		// Keys are per user: another applicant's identical key is theirs.
		bob := s.bob(t)
		br, err := bob.CreateProposalWithBodyWithResponse(ctx, params, "application/json", bytes.NewReader(body))
		want(t, br, err, 201, br.Body)
		if br.JSON201.Id == first.JSON201.Id || br.HTTPResponse.Header.Get("Idempotent-Replayed") != "" {
			t.Fatal("one user's key answered another user's request")
		}
		// Without a key, a second identical request is a second proposal.
		nk, err := alice.CreateProposalWithBodyWithResponse(ctx, &client.CreateProposalParams{}, "application/json", bytes.NewReader(body))
		want(t, nk, err, 201, nk.Body)
		if nk.JSON201.Id == first.JSON201.Id {
			t.Fatal("a request without a key was replayed")
		}
	})
}
