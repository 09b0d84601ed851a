// SPDX-License-Identifier: EUPL-1.2

package usecase

import (
	"context"

	"github.com/pactum/pactum"
)

var _ pactum.ScreeningService = (*App)(nil)

// questionnaireSource is what a screener offers when its ruleset carries
// a questionnaire (policy.Screener does).
type questionnaireSource interface {
	Questionnaire() *pactum.Questionnaire
}

// Questionnaire returns the questionnaire of the ruleset in force. Any
// authenticated caller. ENOTFOUND when the screener has none.
func (a *App) Questionnaire(ctx context.Context) (*pactum.Questionnaire, error) {
	if _, err := actor(ctx); err != nil {
		return nil, err
	}
	if qs, ok := a.screener.(questionnaireSource); ok {
		if q := qs.Questionnaire(); q != nil {
			return q, nil
		}
	}
	return nil, pactum.Errorf(pactum.ENOTFOUND, "The screening ruleset in force has no questionnaire.")
}

// ScreenProposal screens in as if its applicant submitted it now, against
// its call, the catalogue and the caller's organization, and returns the
// decision. Nothing is stored and no audit event is recorded: it is the
// applicant's check before submitting. Applicants only (the proposal is
// screened for their organization). EINVALID, with every field named, for
// a proposal that could not be submitted as it is.
func (a *App) ScreenProposal(ctx context.Context, in *pactum.ProposalInput) (*pactum.ScreeningDecision, error) {
	u, err := applicant(ctx)
	if err != nil {
		return nil, err
	}
	if in == nil {
		return nil, pactum.Errorf(pactum.EINVALID, "A proposal is required.")
	}
	p := &pactum.Proposal{OrganizationID: u.OrganizationID, ApplicantID: u.ID, ProposalInput: *in, State: pactum.ProposalDraft}
	call, systems, err := a.checkContent(ctx, p)
	if err != nil {
		return nil, err
	}
	org, err := a.organization(ctx, u.OrganizationID)
	if err != nil {
		return nil, err
	}
	return a.screener.Screen(ctx, &pactum.ScreeningInput{Proposal: p, Organization: org, Call: call, Systems: systems, At: a.now()})
}
