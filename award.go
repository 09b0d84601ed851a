// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"
)

// An award on a scheduler: the account names pactum gives it, the
// conditions its holders must meet before running jobs, who may run them,
// and the state a site's agent must bring its cluster to.

// SchedulerRoot is the account beneath which pactum keeps every account it
// creates on a cluster, so that it never touches the site's own accounts.
const SchedulerRoot = "pactum"

// OrganizationAccount returns the scheduler account of an organization:
// "o" and 32 hex digits (see AllocationAccount).
func OrganizationAccount(orgID string) string { return "o" + idHex(orgID) }

// AllocationAccount returns the scheduler account of an allocation, "a"
// and 32 lower-case hex digits: the allocation's UUID without hyphens, or,
// for an ID that is not a UUID, the first 128 bits of its SHA-256. The
// name is deterministic (every agent and server derive the same one),
// unique (UUIDs are; the prefix keeps allocation and organization accounts
// apart), valid for slurm.ValidAccountName, and stable for the life of the
// allocation. AllocationIDFromAccount inverts it for UUIDs, so the server
// needs no lookup table to attribute a job to its allocation.
func AllocationAccount(allocationID string) string { return "a" + idHex(allocationID) }

// AllocationIDFromAccount returns the allocation ID (a UUID) that account
// was derived from by AllocationAccount, and false for any other name.
func AllocationIDFromAccount(account string) (string, bool) {
	if len(account) != 33 || account[0] != 'a' {
		return "", false
	}
	h := account[1:]
	for i := 0; i < len(h); i++ {
		if c := h[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return "", false
		}
	}
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], true
}

// idHex returns the 32 hex digits of a UUID, or of a hash of any other ID.
func idHex(id string) string {
	if len(id) == 36 && id[8] == '-' && id[13] == '-' && id[18] == '-' && id[23] == '-' {
		h := strings.ToLower(id[:8] + id[9:13] + id[14:18] + id[19:23] + id[24:])
		ok := true
		for i := 0; i < len(h) && ok; i++ {
			c := h[i]
			ok = c >= '0' && c <= '9' || c >= 'a' && c <= 'f'
		}
		if ok {
			return h
		}
	}
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:16])
}

// ConditionStatus is one of an award's conditions (a screening finding with
// effect condition) and whether its holder has met it by acknowledging it
// with a statement, which the audit log keeps.
type ConditionStatus struct {
	Finding
	Met            bool       `json:"met"`
	Statement      string     `json:"statement,omitempty"`
	AcknowledgedBy string     `json:"acknowledged_by,omitempty"`
	AcknowledgedAt *time.Time `json:"acknowledged_at,omitempty"`
	// GraceUntil is set for an allocation that was running before award
	// conditions existed (ConditionGrace): until then, the condition not
	// being met does not stop its jobs.
	GraceUntil *time.Time `json:"grace_until,omitempty"`
}

// ConditionGrace is how long an allocation that was running before award
// conditions existed keeps running with its conditions unacknowledged,
// counted from the upgrade that brought them; its applicants are told at
// the start (App.CarryForward).
const ConditionGrace = 30 * 24 * time.Hour

// WithGrace sets every condition's grace period to until (nil: none).
func WithGrace(conds []ConditionStatus, until *time.Time) []ConditionStatus {
	for i := range conds {
		conds[i].GraceUntil = until
	}
	return conds
}

// Binding returns the unmet conditions that stop jobs at now: those not
// within a grace period.
func Binding(conds []ConditionStatus, now time.Time) []ConditionStatus {
	var out []ConditionStatus
	for _, c := range Unmet(conds) {
		if c.GraceUntil == nil || !now.Before(*c.GraceUntil) {
			out = append(out, c)
		}
	}
	return out
}

// ValidateStatement checks an acknowledgement's statement: the holder's own
// words on how the condition is met.
func ValidateStatement(s string) error {
	var v Validator
	v.Check(len(strings.TrimSpace(s)) >= 3, "statement", "is required: say how the condition is met")
	v.Check(len(s) <= 5000, "statement", "must be at most 5000 characters")
	v.Text("statement", s, true)
	return v.Err("The acknowledgement is not valid.")
}

// Unmet returns the conditions not yet met.
func Unmet(conds []ConditionStatus) []ConditionStatus {
	var out []ConditionStatus
	for _, c := range conds {
		if !c.Met {
			out = append(out, c)
		}
	}
	return out
}

// Admission says whether the caller may run jobs under an allocation now,
// and if not, every reason why, in words a user can act on.
type Admission struct {
	AllocationID string          `json:"allocation_id"`
	SystemID     string          `json:"system_id"`
	State        AllocationState `json:"state"`
	// Account is the scheduler account to submit under.
	Account string `json:"account"`
	// Username is the caller's cluster user name, "" if none is set.
	Username string   `json:"username,omitempty"`
	Allowed  bool     `json:"allowed"`
	Reasons  []string `json:"reasons"`
	// Unmet lists the rule IDs of conditions not yet acknowledged.
	Unmet []string `json:"unmet"`
	// HeldModels are the models (NAME@VERSION) whose jobs the allocation
	// does not accept until an access manager acknowledges their hold
	// (ModelHold); jobs of other models, or of none, are admitted.
	HeldModels []string `json:"held_models"`
}

// Admit applies the rules for running jobs under a at now: the allocation
// is active and within its period, every condition is met, and the caller
// is a member (an applicant of its organization with a cluster username).
func Admit(a *Allocation, conds []ConditionStatus, caller *User, now time.Time) *Admission {
	ad := &Admission{AllocationID: a.ID, SystemID: a.SystemID, State: a.State, Account: AllocationAccount(a.ID),
		Reasons: []string{}, Unmet: []string{}, HeldModels: []string{}}
	switch a.State {
	case AllocationActive:
	case AllocationPending:
		ad.Reasons = append(ad.Reasons, "The allocation is not yet provisioned: the site has not confirmed its scheduler account.")
	case AllocationSuspended:
		ad.Reasons = append(ad.Reasons, "The allocation is suspended: no new jobs until it is resumed.")
	case AllocationExhausted:
		ad.Reasons = append(ad.Reasons, "The allocation is exhausted: its usage has reached the grant.")
	case AllocationExpired:
		ad.Reasons = append(ad.Reasons, "The allocation has expired.")
	default:
		ad.Reasons = append(ad.Reasons, fmt.Sprintf("The allocation is %s, not active.", a.State))
	}
	if a.State == AllocationActive {
		if now.Before(a.StartsAt) {
			ad.Reasons = append(ad.Reasons, "The allocation's period starts at "+a.StartsAt.UTC().Format(time.RFC3339)+".")
		} else if !now.Before(a.EndsAt) {
			ad.Reasons = append(ad.Reasons, "The allocation's period ended at "+a.EndsAt.UTC().Format(time.RFC3339)+".")
		}
	}
	for _, c := range Unmet(conds) {
		ad.Unmet = append(ad.Unmet, c.RuleID)
		if c.GraceUntil != nil && now.Before(*c.GraceUntil) {
			continue // listed as unmet, but not binding yet
		}
		ad.Reasons = append(ad.Reasons, fmt.Sprintf("Award condition %s (%s) is not met: %s Acknowledge it with: pactum allocations conditions ack %s %s --statement TEXT",
			c.RuleID, c.Basis, c.Message, a.ID, c.RuleID))
	}
	switch {
	case caller == nil || caller.Role != RoleApplicant || caller.OrganizationID != a.OrganizationID:
		ad.Reasons = append(ad.Reasons, "Only applicants of the allocation's organization run jobs under it.")
	case caller.Username == "":
		ad.Reasons = append(ad.Reasons, "Your pactum account has no cluster username: ask an access manager to set it.")
	default:
		ad.Username = caller.Username
	}
	ad.Allowed = len(ad.Reasons) == 0
	return ad
}

// RemovalGrace is how long an expired allocation stays in a site's desired
// state, marked for removal, so that its agent keeps reading the job
// records that reach accounting late.
const RemovalGrace = 30 * 24 * time.Hour

// DesiredAllocation is one allocation as a site's scheduler must carry it.
type DesiredAllocation struct {
	AllocationID     string          `json:"allocation_id"`
	OrganizationID   string          `json:"organization_id"`
	OrganizationName string          `json:"organization_name"`
	SystemID         string          `json:"system_id"`
	Title            string          `json:"title"`
	State            AllocationState `json:"state"`
	// Account is the allocation's scheduler account, beneath
	// OrganizationAccount, beneath SchedulerRoot.
	Account             string  `json:"account"`
	OrganizationAccount string  `json:"organization_account"`
	Amount              float64 `json:"amount"`
	Unit                Unit    `json:"unit"`
	// Users are the cluster usernames that may run jobs under Account.
	Users []string `json:"users"`
	// Suspended: the account must accept no new jobs; Remove: it must
	// not exist (the allocation has ended). Reasons say why.
	Suspended bool      `json:"suspended"`
	Remove    bool      `json:"remove"`
	Reasons   []string  `json:"reasons"`
	StartsAt  time.Time `json:"starts_at"`
	EndsAt    time.Time `json:"ends_at"`
	// ChargeSeconds is the usage pactum has counted against the grant, in
	// the unit's seconds (GPU-seconds for GPU-hours): the agent sets the
	// allocation's Slurm budget from it, so a recreated account or QOS
	// never starts from zero.
	ChargeSeconds int64 `json:"charge_seconds"`
	// HeldModels are the models (NAME@VERSION) whose pending jobs under
	// Account the agent holds (scontrol hold) until their hold is
	// acknowledged (ModelHold); it releases the jobs it held once a model
	// is no longer listed.
	HeldModels []string `json:"held_models"`
}

// Desire derives what the scheduler must carry for a at now: an account
// with its members, suspended while the allocation is suspended or any
// condition is unmet (so the cluster itself refuses jobs that pactum job
// submit would refuse), and removed once the allocation has expired or its
// period has ended. An exhausted allocation stays provisioned and not
// suspended: its limit holds jobs with the scheduler's own reason.
func Desire(a *Allocation, orgName, title string, conds []ConditionStatus, members []string, now time.Time) DesiredAllocation {
	users := slices.Clone(members)
	slices.Sort(users)
	users = slices.Compact(users)
	if users == nil {
		users = []string{}
	}
	d := DesiredAllocation{AllocationID: a.ID, OrganizationID: a.OrganizationID, OrganizationName: orgName, SystemID: a.SystemID,
		Title: title, State: a.State, Account: AllocationAccount(a.ID), OrganizationAccount: OrganizationAccount(a.OrganizationID),
		Amount: a.Amount, Unit: a.Unit, Users: users, Reasons: []string{}, StartsAt: a.StartsAt, EndsAt: a.EndsAt}
	switch {
	case a.State == AllocationExpired:
		d.Remove = true
		d.Reasons = append(d.Reasons, "expired")
	case !now.Before(a.EndsAt):
		d.Remove = true
		d.Reasons = append(d.Reasons, "period ended "+a.EndsAt.UTC().Format(time.RFC3339))
	}
	if a.State == AllocationSuspended {
		d.Suspended = true
		d.Reasons = append(d.Reasons, "suspended")
	}
	for _, c := range Binding(conds, now) {
		d.Suspended = true
		d.Reasons = append(d.Reasons, "condition "+c.RuleID+" not met")
	}
	return d
}

// DesireBreach suspends d while breach b is in force, saying why
// (BreachReason); the suspension lifts when the breach is cleared. A breach
// is a flag of its own, like an unmet condition, not the allocation's
// state: clearing it restores whatever the allocation was.
func DesireBreach(d *DesiredAllocation, b *Breach) {
	if b.Active() {
		d.Suspended = true
		d.Reasons = append(d.Reasons, BreachReason(b))
	}
}

// SiteState is the desired state of every allocation a site hosts, as its
// agent pulls it.
type SiteState struct {
	Site        string              `json:"site"`
	Root        string              `json:"root"`
	GeneratedAt time.Time           `json:"generated_at"`
	Allocations []DesiredAllocation `json:"allocations"`
}

// DriftItem is one difference an agent found between its cluster and the
// state it had applied: a change made by hand, which it restored.
type DriftItem struct {
	Account string `json:"account"`
	Action  string `json:"action"` // what restored it, e.g. "set_limits gres/gpu=6000"
	Found   string `json:"found"`  // what the cluster had
}

// DriftReport is what an agent reports after restoring drift.
type DriftReport struct {
	Cluster string      `json:"cluster"`
	Items   []DriftItem `json:"items"`
}

// Validate checks a report.
func (r *DriftReport) Validate() error {
	var v Validator
	v.Check(ValidClusterName(r.Cluster), "cluster", "must be a cluster name (lower-case letters, digits, '_', '-')")
	v.Check(len(r.Items) > 0 && len(r.Items) <= 1000, "items", "must list 1–1000 differences")
	for i, it := range r.Items {
		f := "items[" + itoa(i) + "]"
		v.Check(it.Account != "" && len(it.Account) <= 64, f+".account", "is required (at most 64 characters)")
		v.Check(it.Action != "" && len(it.Action) <= 500, f+".action", "is required (at most 500 characters)")
		v.Check(len(it.Found) <= 500, f+".found", "must be at most 500 characters")
		v.Text(f+".account", it.Account, false)
		v.Text(f+".action", it.Action, false)
		v.Text(f+".found", it.Found, false)
	}
	return v.Err("The drift report is not valid.")
}

// SiteService serves a hosting site's agent.
type SiteService interface {
	// DesiredState returns the desired state of the site's allocations
	// (Desire for each), optionally of one system only: every allocation
	// not expired, and expired ones for RemovalGrace. Operators of that
	// site, access managers and auditors; EFORBIDDEN otherwise.
	DesiredState(ctx context.Context, site string, systemID *string) (*SiteState, error)
	// ReportDrift keeps drift an agent found and restored (listed by
	// SiteOpsService.FindDriftReports) and records it as an audit event.
	// Operators of that site only (EFORBIDDEN); EINVALID for a bad report.
	ReportDrift(ctx context.Context, site string, r DriftReport) error
	// Heartbeat takes or renews the lease on the site's cluster for
	// h.Holder (one active agent per cluster) and records its last
	// result. Operators of that site only (EFORBIDDEN); EINVALID for a bad
	// heartbeat; ECONFLICT, naming the holder, while another agent's lease
	// (AgentLeaseTTL) has not expired.
	Heartbeat(ctx context.Context, site string, h AgentHeartbeat) (*AgentLease, error)
	// ListAgents returns the sites' agents as last heard from
	// (AgentStatuses), of one site when site is not "": every site for
	// access managers and auditors; their own site for site operators
	// (ENOTFOUND for another); EFORBIDDEN for other roles. ENOTFOUND for a
	// site the catalogue does not know.
	ListAgents(ctx context.Context, site string) ([]AgentStatus, error)
}

// AwardService handles an award's conditions and who may run jobs under it.
type AwardService interface {
	// FindConditions returns the allocation's conditions and whether each
	// is met, to whoever may see the allocation; ENOTFOUND otherwise.
	FindConditions(ctx context.Context, allocationID string) ([]ConditionStatus, error)
	// AcknowledgeCondition meets a condition with the caller's statement,
	// recorded in the audit log. Applicants of the allocation's
	// organization only (EFORBIDDEN for other roles that may see it);
	// ENOTFOUND for an unknown rule; ECONFLICT once the allocation has
	// expired; EINVALID for an empty statement. Acknowledging again
	// returns the first acknowledgement unchanged.
	AcknowledgeCondition(ctx context.Context, allocationID, ruleID, statement string) (*ConditionStatus, error)
	// Admission applies Admit for the caller, to whoever may see the
	// allocation; ENOTFOUND otherwise.
	Admission(ctx context.Context, allocationID string) (*Admission, error)
}

// ConditionStatuses pairs a's conditions with their acknowledgements.
func ConditionStatuses(a *Allocation, acks []ConditionAck) []ConditionStatus {
	out := make([]ConditionStatus, len(a.Conditions))
	for i, f := range a.Conditions {
		out[i].Finding = f
		for _, k := range acks {
			if k.RuleID == f.RuleID {
				at := k.AcknowledgedAt.UTC()
				out[i].Met, out[i].Statement, out[i].AcknowledgedBy, out[i].AcknowledgedAt = true, k.Statement, k.AcknowledgedBy, &at
			}
		}
	}
	return out
}

// DesireSite derives a site's desired state at now from its allocations
// (Desire for each).
func DesireSite(site string, allocs []SiteAllocation, now time.Time) *SiteState {
	st := &SiteState{Site: site, Root: SchedulerRoot, GeneratedAt: now, Allocations: make([]DesiredAllocation, 0, len(allocs))}
	for _, sa := range allocs {
		conds := make([]ConditionStatus, len(sa.Allocation.Conditions))
		for i, f := range sa.Allocation.Conditions {
			conds[i] = ConditionStatus{Finding: f, Met: slices.Contains(sa.Acknowledged, f.RuleID), GraceUntil: sa.GraceUntil}
		}
		d := Desire(sa.Allocation, sa.OrganizationName, sa.Title, conds, sa.Members, now)
		d.ChargeSeconds = sa.ChargeSeconds
		DesireBreach(&d, sa.Breach)
		d.HeldModels = slices.Clone(sa.HeldModels)
		if d.HeldModels == nil {
			d.HeldModels = []string{}
		}
		st.Allocations = append(st.Allocations, d)
	}
	return st
}
