// SPDX-License-Identifier: EUPL-1.2

package policy

import (
	"context"
	"fmt"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"

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

// effectOrder lists the effects strongest first; a rule's rank is its
// effect's index here.
var effectOrder = []pactum.Effect{pactum.EffectDeny, pactum.EffectRefer, pactum.EffectCondition, pactum.EffectInfo}

func effectRank(e pactum.Effect) int {
	for i, x := range effectOrder {
		if x == e {
			return i
		}
	}
	return len(effectOrder)
}

func (rs *Ruleset) newActivation() any {
	return &activation{vals: make([]value, rs.slots), set: make([]int32, 0, rs.slots), slots: make([]ref.Val, rs.slots),
		names: rs.names, derived: rs.derived}
}

// putActivation clears an activation and returns it to the pool: the slots
// are the largest allocation of a screening. It clears only the slots that
// were set, a fraction of them.
func (rs *Ruleset) putActivation(a *activation) {
	for _, i := range a.set {
		a.vals[i] = value{}
	}
	a.set = a.set[:0]
	if a.boxed {
		clear(a.slots)
		a.boxed = false
	}
	a.c = nil
	if a.frame != nil {
		a.frame.Close()
		a.frame = nil
	}
	rs.acts.Put(a)
}

// evalRules returns the rules valid on day d whose conditions hold, and
// those whose conditions hold that come into force after d and by day end,
// the end of the allocation period. When every condition is native it runs
// those of the rules that apply; otherwise it runs the combined CEL
// program, and only if that fails does it evaluate the rules one by one,
// so that a failing rule valid neither on d nor later in the period does
// not fail the screening and a failing applicable one is named.
func (rs *Ruleset) evalRules(act *activation, d, end int64) (fired, upcoming []*Rule, err error) {
	fired = make([]*Rule, 0, 16)
	if rs.allNative {
		for _, r := range rs.rules {
			now := r.appliesOnDay(d)
			if !now && !r.startsWithin(d, end) {
				continue
			}
			ok, err := r.native(act)
			switch {
			case err != nil:
				return nil, nil, fmt.Errorf("policy: rule %s: %w", r.ID, err)
			case ok && now:
				fired = append(fired, r)
			case ok:
				upcoming = append(upcoming, r)
			}
		}
		return fired, upcoming, nil
	}
	frame, err := act.celFrame()
	if err != nil {
		return nil, nil, fmt.Errorf("policy: %w", err)
	}
	if v, _, err := rs.all.Eval(frame); err == nil {
		if l, ok := v.(traits.Lister); ok && int(l.Size().(types.Int)) == len(rs.rules) {
			for i, r := range rs.rules {
				if (r.appliesOnDay(d) || r.startsWithin(d, end)) && l.Get(types.Int(i)) == types.True {
					if r.appliesOnDay(d) {
						fired = append(fired, r)
					} else {
						upcoming = append(upcoming, r)
					}
				}
			}
			return fired, upcoming, nil
		}
	}
	for _, r := range rs.rules {
		if !r.appliesOnDay(d) && !r.startsWithin(d, end) {
			continue
		}
		v, _, err := r.prg.Eval(frame)
		if err != nil {
			return nil, nil, fmt.Errorf("policy: rule %s: %w", r.ID, err)
		}
		if v == types.True {
			if r.appliesOnDay(d) {
				fired = append(fired, r)
			} else {
				upcoming = append(upcoming, r)
			}
		}
	}
	return fired, upcoming, nil
}

// upcomingFinding is the condition a rule coming into force during the
// allocation period attaches: the award is conditional on complying from
// that date, whatever the rule's own effect, since on the decision date it
// does not yet apply.
func upcomingFinding(r *Rule, act *activation) pactum.Finding {
	return pactum.Finding{RuleID: r.ID + ".from_" + r.ValidFrom.String(), Basis: r.Basis + " (applies from " + r.ValidFrom.String() + ")",
		Effect: pactum.EffectCondition,
		Message: "From " + r.ValidFrom.String() + ", within the requested allocation period, " + r.Basis +
			" applies to this work (" + string(r.Effect) + " from that date): " + r.msg.render(act) +
			" The award is conditional on compliance from that date; work it would forbid must stop by then."}
}

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
	c, extra, err := rs.screenContext(in)
	if err != nil {
		return nil, err
	}
	act := rs.acts.Get().(*activation)
	defer rs.putActivation(act)
	act.c = c

	// Rules that come into force during the allocation period (from the
	// decision to its requested end) attach a condition.
	start := dayNumber(in.At)
	end := dayNumber(in.At.AddDate(0, max(in.Proposal.DurationMonths, 0), 0))
	fired, upcoming, err := rs.evalRules(act, start, end)
	if err != nil {
		return nil, err
	}
	for _, r := range upcoming {
		extra = append(extra, upcomingFinding(r, act))
	}
	// Strongest effect first, then ruleset order: the reason for the
	// outcome leads. fired is in ruleset order, so one pass per effect
	// sorts it stably without a comparison sort.
	// The findings Go adds (the questionnaire's) follow the rules' of
	// their effect.
	findings := make([]pactum.Finding, 0, len(fired)+len(extra))
	for rank := range len(effectOrder) {
		for _, r := range fired {
			if r.rank == rank {
				findings = append(findings, pactum.Finding{RuleID: r.ID, Basis: r.Basis, Effect: r.Effect,
					Message: r.msg.render(act), Referral: r.Referral})
			}
		}
		for _, f := range extra {
			if effectRank(f.Effect) == rank {
				findings = append(findings, f)
			}
		}
	}
	return &pactum.ScreeningDecision{
		Outcome:        pactum.OutcomeOf(findings),
		Findings:       findings,
		Estimates:      c.est.list,
		RulesetVersion: rs.version,
		RulesetHash:    rs.hash,
		ScreenedAt:     in.At,
	}, nil
}

// screenContext computes what the facts read: the compute estimates and
// the AI Act profile (with the questionnaire's findings), and adds the text
// checks' findings. Errors as Screen's.
func (rs *Ruleset) screenContext(in *pactum.ScreeningInput) (*screenCtx, []pactum.Finding, error) {
	est, err := estimate(in.Proposal, in.Systems, rs.defaultU)
	if err != nil {
		return nil, nil, err
	}
	prof, extra, err := rs.profile(in.Proposal)
	if err != nil {
		return nil, nil, err
	}
	extra = append(extra, rs.text.check(in.Proposal, prof)...)
	return &screenCtx{in: in, p: in.Proposal, org: in.Organization, mode: in.Call.Mode(in.Proposal.Mode), est: est, ai: prof},
		extra, nil
}

// Questionnaire returns the questionnaire of the screener's ruleset; nil
// when it has none.
func (s *Screener) Questionnaire() *pactum.Questionnaire { return s.rs.Questionnaire() }
