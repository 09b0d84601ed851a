// SPDX-License-Identifier: EUPL-1.2

package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/client"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// TestScreeningHelp covers what an applicant uses before submitting: the
// questionnaire, the dry run (which stores nothing) and the proposal's
// JSON Schema.
func TestScreeningHelp(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		s := newScenario(t, dialect)
		qr, err := s.alice.GetQuestionnaireWithResponse(s.ctx)
		want(t, qr, err, 200, qr.Body)
		q := strict[client.Questionnaire](t, qr.Body)
		if len(q.Questions) < 30 || q.RulesetVersion == "" {
			t.Fatalf("questionnaire: %d questions, version %q", len(q.Questions), q.RulesetVersion)
		}
		answers := map[string]pactum.Answer{}
		for _, x := range q.Questions {
			answers[x.Id] = pactum.AnswerNo
		}

		screen := func(edit func(p *pactum.Proposal)) (*client.ScreenProposalResponse, error) {
			body := proposalJSON(t, s.callID, func(p *pactum.Proposal) {
				p.Questionnaire = answers
				if edit != nil {
					edit(p)
				}
			})
			return s.alice.ScreenProposalWithBodyWithResponse(s.ctx, "application/json", bytes.NewReader(body))
		}
		r, err := screen(nil)
		want(t, r, err, 200, r.Body)
		if d := strict[client.ScreeningDecision](t, r.Body); d.Outcome != "approve" {
			t.Errorf("all no: %s %+v", d.Outcome, d.Findings)
		}

		r, err = screen(func(p *pactum.Proposal) { p.Questionnaire["recruitment"] = pactum.AnswerUnsure })
		want(t, r, err, 200, r.Body)
		d := strict[client.ScreeningDecision](t, r.Body)
		if d.Outcome != "refer" || len(d.Findings) == 0 || d.Findings[0].RuleId != "questionnaire.recruitment" {
			t.Errorf("unsure: %s %+v", d.Outcome, d.Findings)
		}

		r, err = screen(func(p *pactum.Proposal) { delete(p.Questionnaire, "recruitment") })
		want(t, r, err, 400, r.Body)
		var eb map[string]any
		_ = json.Unmarshal(r.Body, &eb)
		if _, ok := fieldsOf(eb)["questionnaire.recruitment"]; !ok {
			t.Errorf("a missing answer is not named: %s", r.Body)
		}

		lr, err := s.alice.ListProposalsWithResponse(s.ctx, nil)
		want(t, lr, err, 200, lr.Body)
		if l := strict[client.ProposalList](t, lr.Body); l.Total != 0 {
			t.Errorf("the dry run stored %d proposals", l.Total)
		}

		body := proposalJSON(t, s.callID, nil)
		mr, err := s.manager.ScreenProposalWithBodyWithResponse(s.ctx, "application/json", bytes.NewReader(body))
		want(t, mr, err, 403, mr.Body)

		sr, err := s.alice.GetProposalSchemaWithResponse(context.Background())
		want(t, sr, err, 200, sr.Body)
		if ct := sr.HTTPResponse.Header.Get("Content-Type"); ct != "application/schema+json" {
			t.Errorf("Content-Type %q", ct)
		}
		var schema struct {
			Ref  string `json:"$ref"`
			Defs map[string]struct {
				Properties map[string]json.RawMessage `json:"properties"`
			} `json:"$defs"`
		}
		if err := json.Unmarshal(sr.Body, &schema); err != nil {
			t.Fatal(err)
		}
		in := schema.Defs["ProposalInput"]
		if schema.Ref != "#/$defs/ProposalInput" || in.Properties["questionnaire"] == nil ||
			!strings.Contains(string(in.Properties["ai_work"]), "#/$defs/AIWork") {
			t.Errorf("schema: ref %q, ProposalInput %v", schema.Ref, in.Properties)
		}
	})
}
