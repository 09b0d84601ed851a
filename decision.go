// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"fmt"
	"math"
	"strings"
	"time"
	"unicode/utf8"
)

// The rules and wording of deciding a proposal: what is granted by
// default, when a decision is due, what the automatic decisions say, what
// a capacity shortfall says, and how a decision becomes allocations. The
// use cases apply them; they are here so that every front door and every
// decision path (the fast lane, an access manager, an allocation run) says
// and does the same.

// RequestedGrants returns the grants p asks for: every request in full.
func (p *Proposal) RequestedGrants() []Grant {
	g := make([]Grant, len(p.Requests))
	for i, r := range p.Requests {
		g[i] = Grant{SystemID: r.SystemID, Amount: r.Amount}
	}
	return g
}

// DecisionDue is the mode's time-to-decision target: counted from
// submission in modes that decide at once, from the cut-off otherwise.
func DecisionDue(call *Call, mode *CallMode, submitted time.Time) time.Time {
	if mode == nil {
		return submitted
	}
	from := submitted
	if !mode.AutoApprove && call.CutoffAt.After(from) {
		from = call.CutoffAt
	}
	return AddWorkingDays(from, mode.DecisionWorkingDays)
}

// AutoApproval is the decision of a mode with automatic approval on a clean
// screening: the requests in full, decided by pactum itself at at.
func AutoApproval(p *Proposal, at time.Time) *ProposalDecision {
	return &ProposalDecision{Accept: true, Grants: p.RequestedGrants(), DecidedBy: SystemUserID, DecidedAt: at, Automatic: true,
		Reason: fmt.Sprintf("Approved automatically in the %s: screening found nothing to deny or refer, within the mode's caps.", p.Mode)}
}

// ScreeningRefusal is the decision on a proposal screening denied.
func ScreeningRefusal(d *ScreeningDecision, at time.Time) *ProposalDecision {
	return &ProposalDecision{Accept: false, DecidedBy: SystemUserID, DecidedAt: at, Automatic: true,
		Reason: "Refused at screening: " + DenyReasons(d)}
}

// DenyReasons joins the messages of d's deny findings with their bases.
func DenyReasons(d *ScreeningDecision) string {
	var out []string
	for _, f := range d.Findings {
		if f.Effect == EffectDeny {
			out = append(out, f.Message+" ("+f.Basis+")")
		}
	}
	return strings.Join(out, " ")
}

// ValidRuleIDFilter reports whether s may name a screening rule in a
// filter: at most 200 characters, no control characters. Whether a rule
// of that ID exists is not asked: an unknown one matches nothing.
func ValidRuleIDFilter(s string) bool {
	return s != "" && len(s) <= 200 && !strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

// RuleIDs lists the rules that fired, in finding order.
func (d *ScreeningDecision) RuleIDs() []string {
	ids := make([]string, len(d.Findings))
	for i, f := range d.Findings {
		ids[i] = f.RuleID
	}
	return ids
}

// Err words a shortfall as the ECONFLICT a decision gets: sys is the
// system it concerns.
func (s *CapacityShortfall) Err(sys *System) error {
	return Errorf(ECONFLICT, "Granting %s %s on %s would exceed its capacity for this call: %s of %s already granted.",
		fmtAmount(s.Amount), sys.Unit, sys.Name, fmtAmount(s.Granted), fmtAmount(sys.CapacityPerPeriod))
}

// CapacityFinding is the finding added to a screening whose automatic
// approval failed for lack of capacity (err says what lacked): a person
// decides instead.
func CapacityFinding(err error) Finding {
	return Finding{RuleID: "capacity", Basis: "pactum allocation policy", Effect: EffectInfo,
		Message: ErrorMessage(err) + " The proposal goes to the access manager instead of automatic approval."}
}

func fmtAmount(x float64) string {
	if x == math.Trunc(x) && math.Abs(x) < 1e15 {
		return fmt.Sprintf("%.0f", x)
	}
	return fmt.Sprintf("%.2f", x)
}

// NewAllocations turns p's accepting decision into allocations awaiting
// provisioning from now for the proposal's duration, one per grant, each
// carrying conditions. newID names each. systems maps the granted systems.
func NewAllocations(p *Proposal, systems map[string]*System, conditions []Finding, now time.Time, newID func() string) []*Allocation {
	out := make([]*Allocation, 0, len(p.Decision.Grants))
	for _, g := range p.Decision.Grants {
		out = append(out, &Allocation{
			ID: newID(), ProposalID: p.ID, OrganizationID: p.OrganizationID, SystemID: g.SystemID,
			Amount: g.Amount, Unit: systems[g.SystemID].Unit, StartsAt: now, EndsAt: AddMonths(now, p.DurationMonths),
			State: AllocationPending, Conditions: conditions, CreatedAt: now, UpdatedAt: now, Version: 1,
		})
	}
	return out
}

// AwardConditions are the conditions p's awards carry: the screening's
// and, after review, those of its ethics reviews (EthicsConditions).
func AwardConditions(p *Proposal, ethics []*Review) []Finding {
	var out []Finding
	if p.Screening != nil {
		out = p.Screening.Conditions()
	}
	if p.State == ProposalAccepted {
		out = append(out, EthicsConditions(ethics)...)
	}
	return out
}

// EthicsConditions turns the conditions of ethics reviews that accept with
// conditions into findings an award carries, each once, in review order.
// reviews must be the ones that count (ReviewQueries.ListCountedReviews).
func EthicsConditions(reviews []*Review) []Finding {
	var out []Finding
	seen := map[string]int{}
	for _, r := range reviews {
		if r.Stage != StageEthics || r.Recommendation != RecommendAcceptWithConditions {
			continue
		}
		for i, c := range r.Conditions {
			due := 0
			if i < len(r.ConditionDueDays) {
				due = r.ConditionDueDays[i]
			}
			if j, ok := seen[c]; ok {
				// Two reviewers set the same condition: the earlier
				// deadline holds.
				if due > 0 && (out[j].DueDays == 0 || due < out[j].DueDays) {
					out[j].DueDays = due
				}
				continue
			}
			seen[c] = len(out)
			out = append(out, Finding{RuleID: "ethics.review", Basis: "Ethics review of the proposal", Effect: EffectCondition, Message: c, DueDays: due})
		}
	}
	return out
}

// CommitteeDecision is what publishing run makes of outcome o, one of n:
// accepted with its grants, or refused, with the run's explanation.
func CommitteeDecision(run *AllocationRun, o RunOutcome, n int) DecisionInput {
	head := fmt.Sprintf("Committee decision by allocation run %s: panel score %.2f, rank %d of %d. ", run.ID, o.Score, o.Rank, n)
	d := DecisionInput{Accept: len(o.Grants) > 0, Grants: o.Grants, Reason: clip(head+strings.Join(o.Explanation, " "), 5000)}
	if !d.Accept {
		d.Grants = nil
	}
	return d
}

// clip shortens s to at most n bytes on a rune boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// StateChange is the audit snapshot of a proposal's state alone.
type StateChange struct {
	State ProposalState `json:"state"`
}
