// SPDX-License-Identifier: EUPL-1.2

package http_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/client"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// TestHostileInput: input that once gave a 500 (numbers whose compute
// estimate is +Inf), was stored as sent (control and bidi characters, a
// founding in year 0, a cut-off in 9999, an operator of no site) or was
// silently altered (bytes that are not UTF-8) is refused with 400 naming
// the field, on both engines; nothing refused is stored.
func TestHostileInput(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		s := newScenario(t, dialect)
		e, ctx, callID := s.env, s.ctx, s.callID
		tr, err := s.alice.GetMeWithResponse(ctx)
		want(t, tr, err, 200, tr.Body)
		me := tr.JSON200.Id
		tok, err := s.alice.CreateTokenWithResponse(ctx, me, client.TokenInput{Name: "raw"})
		want(t, tok, err, 201, tok.Body)
		alice := tok.JSON201.Secret
		mgr := e.token

		refused := func(t *testing.T, method, path, token string, body []byte, fields ...string) {
			t.Helper()
			code, m := e.raw(t, method, path, token, "application/json", body)
			f := fieldsOf(m)
			if code != 400 {
				t.Fatalf("%s %s: got %d, want 400: %v", method, path, code, m)
			}
			for _, name := range fields {
				if f[name] == "" {
					t.Errorf("%s %s: no error for %s in %v", method, path, name, f)
				}
			}
		}
		proposal := func(mutate func(p *pactum.Proposal)) []byte { return proposalJSON(t, callID, mutate) }

		t.Run("HugeNumbers", func(t *testing.T) {
			body := proposal(func(p *pactum.Proposal) {
				p.AIWork.ParameterCount, p.AIWork.TrainingTokens = 1e200, 1e200
				p.Requests[0].Amount = 1.7e308
			})
			refused(t, "POST", "/api/v1/proposals?submit=true", alice, body,
				"ai_work.parameter_count", "ai_work.training_tokens", "requests[0].amount")
			refused(t, "POST", "/api/v1/proposals", alice, proposal(func(p *pactum.Proposal) { p.AIWork.PlannedTrainingFLOP = 1e300 }),
				"ai_work.planned_training_flop")
			// A number JSON cannot hold as a float64 is a type error, 400 too.
			big := bytes.Replace(proposal(nil), []byte(`"amount":20000`), []byte(`"amount":1e400`), 1)
			refused(t, "POST", "/api/v1/proposals", alice, big, "requests[0].amount")
			refused(t, "POST", "/api/v1/calls", mgr, callBody(e.clock.Now(), `"max_gpu_hours":1e200`), "modes[0].max_gpu_hours")
		})
		t.Run("ControlCharacters", func(t *testing.T) {
			refused(t, "POST", "/api/v1/proposals", alice, proposal(func(p *pactum.Proposal) {
				p.Title = "Legal \x1b[2J\x1b]0;owned\a model"
				p.Summary = "Ring\a the bell"
				p.Team = []pactum.TeamMember{{Name: "Eve\u202etxt.exe", Email: "eve@aleph.example", Organization: "Aleph\x00"}}
				p.AIWork.IntendedUse = "Drafting\u2066 isolate"
			}), "title", "summary", "team[0].name", "team[0].organization", "ai_work.intended_use")
			refused(t, "POST", "/api/v1/proposals", alice, proposal(func(p *pactum.Proposal) { p.Title = "Two\nlines" }), "title")
			refused(t, "POST", "/api/v1/organizations", mgr,
				orgBody("Evil\x1b[31m GmbH", "2020-01-01", 10), "legal_name")
			refused(t, "POST", "/api/v1/users", mgr,
				[]byte(`{"email":"x@evil.example","name":"X\u0007","role":"auditor"}`), "name")
			refused(t, "POST", "/api/v1/users/"+me+"/tokens", alice, []byte(`{"name":"cli\u001b[8m"}`), "name")
		})
		t.Run("MultiLineText", func(t *testing.T) {
			code, m := e.raw(t, "POST", "/api/v1/proposals", alice, "application/json", proposal(func(p *pactum.Proposal) {
				p.Summary = "First paragraph.\r\n\r\nSecond paragraph:\n\t- indented item"
			}))
			if code != 201 {
				t.Fatalf("multi-line summary: got %d: %v", code, m)
			}
			id := m["id"].(string)
			if got := m["summary"]; got != "First paragraph.\r\n\r\nSecond paragraph:\n\t- indented item" {
				t.Errorf("summary stored as %q", got)
			}
			refused(t, "POST", "/api/v1/proposals/"+id+"/withdraw", alice, []byte(`{"reason":"bye\u001b[0m"}`), "reason")
			code, _ = e.raw(t, "POST", "/api/v1/proposals/"+id+"/withdraw", alice, "application/json", []byte(`{"reason":"Not now.\nLater."}`))
			if code != 200 {
				t.Errorf("withdrawal with a two-line reason: %d", code)
			}
		})
		t.Run("Dates", func(t *testing.T) {
			refused(t, "POST", "/api/v1/organizations", mgr, orgBody("Old GmbH", "0000-01-01", 10), "founded_on")
			refused(t, "POST", "/api/v1/organizations", mgr, orgBody("Big GmbH", "2020-01-01", 1<<31), "staff")
			body := callBody(e.clock.Now(), "")
			body = bytes.Replace(body, []byte(e.clock.Now().AddDate(0, 2, 0).Format(time.RFC3339)), []byte("9999-12-31T00:00:00Z"), 1)
			refused(t, "POST", "/api/v1/calls", mgr, body, "cutoff_at")
			refused(t, "POST", "/api/v1/users/"+me+"/tokens", alice, []byte(`{"name":"forever","expires_at":"9999-01-01T00:00:00Z"}`), "expires_at")
		})
		t.Run("UnknownSite", func(t *testing.T) {
			refused(t, "POST", "/api/v1/users", mgr, []byte(`{"email":"ops@nowhere.example","name":"Ops","role":"site_operator","site":"NOWHERE"}`), "site")
			code, m := e.raw(t, "POST", "/api/v1/users", mgr, "application/json", []byte(`{"email":"ops@cineca.example","name":"Ops","role":"site_operator","site":"CINECA"}`))
			if code != 201 {
				t.Errorf("operator of CINECA: %d %v", code, m)
			}
		})
		t.Run("InvalidUTF8", func(t *testing.T) {
			body := bytes.Replace(proposal(nil), []byte("Legal-domain"), []byte("Legal-\xff\xfedomain"), 1)
			code, m := e.raw(t, "POST", "/api/v1/proposals", alice, "application/json", body)
			f := fieldsOf(m)
			if code != 400 || !strings.Contains(f["(body)"], "UTF-8") {
				t.Errorf("got %d: %v", code, m)
			}
		})
		t.Run("BearerScheme", func(t *testing.T) {
			for scheme, status := range map[string]int{"Bearer": 200, "bearer": 200, "BEARER": 200, "bEaReR": 200, "Basic": 401, "Bearerx": 401} {
				if got := authStatus(t, e.url, scheme+" "+alice); got != status {
					t.Errorf("%s: got %d, want %d", scheme, got, status)
				}
			}
			if got := authStatus(t, e.url, "bearer    "+alice); got != 200 {
				t.Errorf("several spaces: %d", got)
			}
			if got := authStatus(t, e.url, "bearer "); got != 401 {
				t.Errorf("no token: %d", got)
			}
		})
		// Only the two-line proposal, created and withdrawn, was stored.
		code, m := e.raw(t, "GET", "/api/v1/proposals", alice, "", nil)
		if code != 200 || m["total"] != float64(1) {
			t.Errorf("proposals after refusals: %d %v", code, m)
		}
		code, m = e.raw(t, "GET", "/api/v1/organizations", mgr, "", nil)
		if code != 200 || m["total"] != float64(1) {
			t.Errorf("organizations after refusals: %d %v", code, m)
		}
	})
}

func orgBody(name, founded string, staff int) []byte {
	b, _ := json.Marshal(map[string]any{"legal_name": name, "country": "DE", "registration_number": "HRB " + name,
		"founded_on": founded, "staff": staff, "turnover_eur": 1, "balance_sheet_eur": 1})
	return b
}

// callBody is a fast-lane call open from an hour ago for two months;
// modeExtra is added to the mode's object.
func callBody(now time.Time, modeExtra string) []byte {
	mode := `{"mode":"fast_lane"`
	if modeExtra != "" {
		mode += "," + modeExtra
	}
	return []byte(`{"title":"Call","opens_at":"` + now.Add(-time.Hour).Format(time.RFC3339) + `","cutoff_at":"` +
		now.AddDate(0, 2, 0).Format(time.RFC3339) + `","modes":[` + mode + `}],"system_ids":["leonardo-booster"]}`)
}

// authStatus sends GET /api/v1/me with the Authorization header as given.
func authStatus(t *testing.T, url, auth string) int {
	t.Helper()
	req, err := http.NewRequest("GET", url+"/api/v1/me", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", auth)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}
