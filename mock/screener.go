// SPDX-License-Identifier: EUPL-1.2

package mock

import (
	"context"

	"github.com/pactum/pactum"
)

// Screener is a fake pactum.Screener.
type Screener struct {
	ScreenFn func(ctx context.Context, in *pactum.ScreeningInput) (*pactum.ScreeningDecision, error)
}

var _ pactum.Screener = (*Screener)(nil)

// Screen calls ScreenFn.
func (s *Screener) Screen(ctx context.Context, in *pactum.ScreeningInput) (*pactum.ScreeningDecision, error) {
	return s.ScreenFn(ctx, in)
}

// Approving returns a screener that approves everything with no findings.
func Approving() *Screener {
	return &Screener{ScreenFn: func(_ context.Context, in *pactum.ScreeningInput) (*pactum.ScreeningDecision, error) {
		return &pactum.ScreeningDecision{Outcome: pactum.OutcomeApprove, Findings: []pactum.Finding{},
			RulesetVersion: "mock", RulesetHash: "mock", ScreenedAt: in.At}, nil
	}}
}

// Adding makes the screener add findings to every decision it makes (after
// ScreenFn's own) until restore is called: a way to give one proposal, and
// so its award, conditions or referrals.
func (s *Screener) Adding(findings ...pactum.Finding) (restore func()) {
	prev := s.ScreenFn
	s.ScreenFn = func(ctx context.Context, in *pactum.ScreeningInput) (*pactum.ScreeningDecision, error) {
		d, err := prev(ctx, in)
		if err == nil {
			d.Findings = append(d.Findings, findings...)
		}
		return d, err
	}
	return func() { s.ScreenFn = prev }
}
