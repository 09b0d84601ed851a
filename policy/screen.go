// SPDX-License-Identifier: EUPL-1.2

package policy

import (
	"context"
	"fmt"
	"sort"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"

	"github.com/pactum/pactum"
)

// Screener screens proposals against one ruleset. It implements
// pactum.Screener, is safe for concurrent use and deterministic: the same
// input and ruleset give the same decision.
type Screener struct {
	rs *Ruleset
}

var _ pactum.Screener = (*Screener)(nil)

// NewScreener returns a screener for rs.
func NewScreener(rs *Ruleset) *Screener { return &Screener{rs: rs} }

// Ruleset returns the screener's ruleset.
func (s *Screener) Ruleset() *Ruleset { return s.rs }

// effectRank orders findings: the strongest effect first, so the reason for
// the outcome leads.
var effectRank = map[pactum.Effect]int{pactum.EffectDeny: 0, pactum.EffectRefer: 1, pactum.EffectCondition: 2, pactum.EffectInfo: 3}

// Screen evaluates every rule that applies on in.At and returns the
// decision: every finding (strongest effect first, then ruleset order), the
// compute estimates with their assumptions, the ruleset version and hash,
// and ScreenedAt = in.At. Any caller may screen; the screener reads only
// its input. Errors: EINVALID when the proposal, organization or call is
// missing, At is zero, or a request names a system not in in.Systems;
// EINTERNAL (a plain error) when a rule fails at run time, since a
// decision missing a rule would be wrong. Screen never stores anything.
func (s *Screener) Screen(ctx context.Context, in *pactum.ScreeningInput) (*pactum.ScreeningDecision, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if in == nil || in.Proposal == nil || in.Organization == nil || in.Call == nil {
		return nil, pactum.Errorf(pactum.EINVALID, "Screening needs the proposal, its organization and its call.")
	}
	if in.At.IsZero() {
		return nil, pactum.Errorf(pactum.EINVALID, "Screening needs the decision date.")
	}
	rs := s.rs
	est, err := estimate(in.Proposal, in.Systems, rs.defaultU)
	if err != nil {
		return nil, err
	}
	c := &screenCtx{in: in, p: in.Proposal, org: in.Organization, mode: in.Call.Mode(in.Proposal.Mode), est: est}

	act := &activation{slots: make([]ref.Val, rs.slots), index: rs.index}
	for i := range facts {
		act.slots[i] = facts[i].get(c)
	}
	for _, d := range rs.derived {
		v, _, err := d.prg.Eval(act)
		if err != nil {
			return nil, fmt.Errorf("policy: derived fact %s: %w", d.name, err)
		}
		act.slots[d.slot] = v
	}

	var fired []*Rule
	for _, r := range rs.rules {
		if !r.AppliesOn(in.At) {
			continue
		}
		v, _, err := r.prg.Eval(act)
		if err != nil {
			return nil, fmt.Errorf("policy: rule %s: %w", r.ID, err)
		}
		if v == types.True {
			fired = append(fired, r)
		}
	}
	sort.SliceStable(fired, func(i, j int) bool {
		a, b := fired[i], fired[j]
		if effectRank[a.Effect] != effectRank[b.Effect] {
			return effectRank[a.Effect] < effectRank[b.Effect]
		}
		return a.order < b.order
	})
	findings := make([]pactum.Finding, len(fired))
	for i, r := range fired {
		findings[i] = pactum.Finding{RuleID: r.ID, Basis: r.Basis, Effect: r.Effect, Message: r.msg.render(act), Referral: r.Referral}
	}
	return &pactum.ScreeningDecision{
		Outcome:        pactum.OutcomeOf(findings),
		Findings:       findings,
		Estimates:      est.list,
		RulesetVersion: rs.version,
		RulesetHash:    rs.hash,
		ScreenedAt:     in.At,
	}, nil
}
