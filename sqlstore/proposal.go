// SPDX-License-Identifier: EUPL-1.2

package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/pactum/pactum"
)

// ProposalService implements pactum.ProposalService. It screens proposals at
// submission with its Screener and routes them with pactum.Route.
type ProposalService struct {
	db       *DB
	screener pactum.Screener
}

var _ pactum.ProposalService = (*ProposalService)(nil)

// NewProposalService returns the proposal service, screening with s.
func NewProposalService(db *DB, s pactum.Screener) *ProposalService {
	return &ProposalService{db: db, screener: s}
}

const proposalColumns = `id, call_id, organization_id, applicant_id, mode, title, state, content, screening, decision, submitted_at, decision_due_at, created_at, updated_at, version`

func scanProposal(row scanner, extra ...any) (*pactum.Proposal, error) {
	var p pactum.Proposal
	var content string
	var screening, decision sql.NullString
	var submitted, due sql.NullTime
	dest := append([]any{&p.ID, &p.CallID, &p.OrganizationID, &p.ApplicantID, &p.Mode, &p.Title, &p.State, &content,
		&screening, &decision, &submitted, &due, &p.CreatedAt, &p.UpdatedAt, &p.Version}, extra...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	// The content is one JSON document: read and written whole, it lets
	// the form grow without a migration for every field.
	if err := json.Unmarshal([]byte(content), &p.ProposalContent); err != nil {
		return nil, fmt.Errorf("proposal %s: content: %w", p.ID, err)
	}
	if screening.Valid {
		p.Screening = new(pactum.ScreeningDecision)
		if err := json.Unmarshal([]byte(screening.String), p.Screening); err != nil {
			return nil, fmt.Errorf("proposal %s: screening: %w", p.ID, err)
		}
	}
	if decision.Valid {
		p.Decision = new(pactum.ProposalDecision)
		if err := json.Unmarshal([]byte(decision.String), p.Decision); err != nil {
			return nil, fmt.Errorf("proposal %s: decision: %w", p.ID, err)
		}
	}
	p.SubmittedAt, p.DecisionDueAt = timePtr(submitted), timePtr(due)
	p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	return &p, nil
}

func findProposalByID(ctx context.Context, q querier, id string) (*pactum.Proposal, error) {
	p, err := scanProposal(q.QueryRowContext(ctx, `SELECT `+proposalColumns+` FROM proposals WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, pactum.Errorf(pactum.ENOTFOUND, "Proposal %q not found.", id)
	} else if err != nil {
		return nil, fmt.Errorf("find proposal %s: %w", id, err)
	}
	return p, nil
}

// FindProposalByID returns a proposal visible to the caller.
func (s *ProposalService) FindProposalByID(ctx context.Context, id string) (*pactum.Proposal, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	return visibleProposal(ctx, s.db.r, u, id)
}

// visibleProposal loads a proposal u may see, or ENOTFOUND, so that a
// caller who may not see it cannot learn that it exists.
func visibleProposal(ctx context.Context, q querier, u *pactum.User, id string) (*pactum.Proposal, error) {
	p, err := findProposalByID(ctx, q, id)
	if err != nil {
		return nil, err
	}
	ok, err := canSeeProposal(ctx, q, u, p)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, pactum.Errorf(pactum.ENOTFOUND, "Proposal %q not found.", id)
	}
	return p, nil
}

// canSeeProposal applies pactum.CanSeeProposalWith, loading the
// assignment, conflict and site facts it needs for reviewers and site
// operators.
func canSeeProposal(ctx context.Context, q querier, u *pactum.User, p *pactum.Proposal) (bool, error) {
	a, err := proposalAccess(ctx, q, u, p)
	if err != nil {
		return false, err
	}
	return pactum.CanSeeProposalWith(u, p, a), nil
}

func proposalAccess(ctx context.Context, q querier, u *pactum.User, p *pactum.Proposal) (pactum.ProposalAccess, error) {
	var a pactum.ProposalAccess
	switch {
	case u == nil:
	case u.Role == pactum.RoleReviewer:
		if err := q.QueryRowContext(ctx, `SELECT
			EXISTS (SELECT 1 FROM review_assignments WHERE proposal_id = $1 AND reviewer_id = $2 AND state <> 'recused'),
			EXISTS (SELECT 1 FROM conflicts WHERE proposal_id = $1 AND reviewer_id = $2 AND status = 'active')`,
			p.ID, u.ID).Scan(&a.Assigned, &a.Conflicted); err != nil {
			return a, fmt.Errorf("reviewer access to proposal %s: %w", p.ID, err)
		}
	case u.Role == pactum.RoleSiteOperator:
		if err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM proposal_requests r JOIN systems s ON s.id = r.system_id
			WHERE r.proposal_id = $1 AND s.site = $2)`, p.ID, u.Site).Scan(&a.HostsRequest); err != nil {
			return a, fmt.Errorf("site access to proposal %s: %w", p.ID, err)
		}
	}
	return a, nil
}

// FindProposals lists proposals visible to the caller, newest first.
func (s *ProposalService) FindProposals(ctx context.Context, f pactum.ProposalFilter) ([]*pactum.Proposal, int, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, 0, err
	}
	var w where
	// The same rule as pactum.CanSeeProposalWith, as SQL.
	switch {
	case pactum.CanReadAll(u):
	case u.Role == pactum.RoleApplicant:
		w.add("organization_id = ?", u.OrganizationID)
	case u.Role == pactum.RoleReviewer:
		w.add(`state <> 'draft' AND id IN (SELECT proposal_id FROM review_assignments WHERE reviewer_id = ? AND state <> 'recused')
			AND id NOT IN (SELECT proposal_id FROM conflicts WHERE reviewer_id = ? AND status = 'active')`, u.ID)
	case u.Role == pactum.RoleSiteOperator:
		w.add(`state = 'in_review' AND id IN (SELECT r.proposal_id FROM proposal_requests r JOIN systems s ON s.id = r.system_id
			WHERE s.site = ?)`, u.Site)
	default:
		return []*pactum.Proposal{}, 0, nil
	}
	if f.CallID != nil {
		w.add("call_id = ?", *f.CallID)
	}
	if f.OrganizationID != nil {
		w.add("organization_id = ?", *f.OrganizationID)
	}
	if f.State != nil {
		w.add("state = ?", string(*f.State))
	}
	if f.Mode != nil {
		w.add("mode = ?", string(*f.Mode))
	}
	q := `SELECT ` + proposalColumns + `, COUNT(*) OVER () FROM proposals` + w.String() + ` ORDER BY id DESC` + w.page(f.Limit, f.Offset)
	return listPage(ctx, s.db.r, "find proposals", q, w.args, scanProposal)
}

// applicant returns the caller if they may write proposals.
func applicant(ctx context.Context) (*pactum.User, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if u.Role != pactum.RoleApplicant {
		return nil, pactum.Errorf(pactum.EFORBIDDEN, "Only applicants may write proposals.")
	}
	return u, nil
}

// CreateProposal stores a draft for the caller's organization.
func (s *ProposalService) CreateProposal(ctx context.Context, p *pactum.Proposal) error {
	u, err := applicant(ctx)
	if err != nil {
		return err
	}
	if _, _, err := s.checkContent(ctx, p); err != nil {
		return err
	}
	log := newEventLog(u)
	if err := initDraft(u, p, s.db.stamp(), log); err != nil {
		return err
	}
	return s.db.write(ctx, func(tx *Tx) error {
		tx.adopt(log)
		return s.insert(ctx, tx, p)
	})
}

// SubmitNewProposal creates a proposal and submits it in one transaction:
// either the screened proposal exists or nothing does. Same rules as
// CreateProposal followed by SubmitProposal.
//
// Everything that does not need the writer (validation against the call
// and catalogue, which never change under a proposal, screening, encoding
// the audit snapshots) happens before the transaction; inside it are only
// the capacity reservation and the writes.
func (s *ProposalService) SubmitNewProposal(ctx context.Context, p *pactum.Proposal) error {
	u, err := applicant(ctx)
	if err != nil {
		return err
	}
	call, systems, err := s.checkContent(ctx, p)
	if err != nil {
		return err
	}
	org, err := s.db.cachedOrgByID(ctx, u.OrganizationID)
	if err != nil {
		return err
	}
	now := s.db.stamp()
	log := newEventLog(u)
	if err := initDraft(u, p, now, log); err != nil {
		return err
	}
	if err := s.screen(ctx, log, p, call, systems, org, now); err != nil {
		return err
	}
	return s.db.write(ctx, func(tx *Tx) error {
		tx.adopt(log)
		if err := settle(ctx, tx, p, call, systems); err != nil {
			return err
		}
		if err := s.insert(ctx, tx, p); err != nil {
			return err
		}
		if err := openReview(ctx, tx, p, call); err != nil {
			return err
		}
		return allocateApproved(ctx, tx, p, systems)
	})
}

// initDraft makes p a new draft of u's organization and records its
// creation.
func initDraft(u *pactum.User, p *pactum.Proposal, now time.Time, log *eventLog) error {
	p.ID = newID()
	p.OrganizationID = u.OrganizationID
	p.ApplicantID = u.ID
	p.State = pactum.ProposalDraft
	p.Screening, p.Decision, p.SubmittedAt, p.DecisionDueAt = nil, nil, nil, nil
	p.CreatedAt, p.UpdatedAt, p.Version = now, now, 1
	return log.record("proposal.create", "proposal", p.ID, nil, p)
}

// insert writes a new proposal row, in whatever state it has reached, with
// its requests. Creating and submitting in one step therefore writes the
// row once.
func (s *ProposalService) insert(ctx context.Context, tx *Tx, p *pactum.Proposal) error {
	content, err := json.Marshal(p.ProposalContent)
	if err != nil {
		return fmt.Errorf("encode proposal: %w", err)
	}
	screening, decision, err := decisionsJSON(p)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO proposals (`+proposalColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		p.ID, p.CallID, p.OrganizationID, p.ApplicantID, p.Mode, p.Title, p.State, string(content), screening, decision,
		nullTime(p.SubmittedAt), nullTime(p.DecisionDueAt), p.CreatedAt, p.UpdatedAt, p.Version); err != nil {
		return fmt.Errorf("insert proposal: %w", mapError(err))
	}
	return insertRequests(ctx, tx, p)
}

// decisionsJSON encodes the screening and decision columns (NULL when
// absent).
func decisionsJSON(p *pactum.Proposal) (screening, decision any, err error) {
	if p.Screening != nil {
		b, err := json.Marshal(p.Screening)
		if err != nil {
			return nil, nil, fmt.Errorf("encode screening: %w", err)
		}
		screening = string(b)
	}
	if p.Decision != nil {
		b, err := json.Marshal(p.Decision)
		if err != nil {
			return nil, nil, fmt.Errorf("encode decision: %w", err)
		}
		decision = string(b)
	}
	return screening, decision, nil
}

// checkContent validates a proposal's content against its call and the
// catalogue, reporting every problem at once. The call and catalogue it
// returns are shared cached values: read them, never change them.
func (s *ProposalService) checkContent(ctx context.Context, p *pactum.Proposal) (*pactum.Call, map[string]*pactum.System, error) {
	var call *pactum.Call
	if p.CallID != "" {
		c, err := s.db.cachedCall(ctx, p.CallID)
		if err != nil && pactum.ErrorCode(err) != pactum.ENOTFOUND {
			return nil, nil, err
		}
		call = c
	}
	systems, err := s.db.cachedSystems(ctx)
	if err != nil {
		return nil, nil, err
	}
	var v pactum.Validator
	v.Merge("", p.ValidateAgainst(call, systems))
	if p.CallID != "" && call == nil {
		v.Add("call_id", "names no call: %q", p.CallID)
	}
	if err := v.Err("The proposal is not valid."); err != nil {
		return nil, nil, err
	}
	return call, systems, nil
}

func insertRequests(ctx context.Context, tx *Tx, p *pactum.Proposal) error {
	for _, r := range p.Requests {
		if _, err := tx.ExecContext(ctx, `INSERT INTO proposal_requests (proposal_id, system_id, amount, storage_tb, support) VALUES ($1, $2, $3, $4, $5)`,
			p.ID, r.SystemID, r.Amount, r.StorageTB, r.Support); err != nil {
			return fmt.Errorf("insert request: %w", mapError(err))
		}
	}
	return nil
}

// UpdateProposal replaces a draft's content.
func (s *ProposalService) UpdateProposal(ctx context.Context, p *pactum.Proposal) error {
	u, err := actor(ctx)
	if err != nil {
		return err
	}
	old, err := editable(ctx, s.db.r, u, p.ID)
	if err != nil {
		return err
	}
	if old.State != pactum.ProposalDraft {
		return pactum.Errorf(pactum.ECONFLICT, "Only a draft can be changed; this proposal is %s.", old.State)
	}
	p.CallID = old.CallID // a proposal stays in its call
	if _, _, err := s.checkContent(ctx, p); err != nil {
		return err
	}
	return s.db.write(ctx, func(tx *Tx) error {
		p.OrganizationID, p.ApplicantID, p.State = old.OrganizationID, old.ApplicantID, old.State
		p.CreatedAt, p.UpdatedAt, p.Version = old.CreatedAt, tx.now, old.Version+1
		p.Screening, p.Decision, p.SubmittedAt, p.DecisionDueAt = nil, nil, nil, nil
		content, err := json.Marshal(p.ProposalContent)
		if err != nil {
			return fmt.Errorf("encode proposal: %w", err)
		}
		// The version guard refuses the update if the draft changed since
		// it was read.
		res, err := tx.ExecContext(ctx, `UPDATE proposals SET mode = $1, title = $2, content = $3, updated_at = $4, version = $5 WHERE id = $6 AND version = $7`,
			p.Mode, p.Title, string(content), p.UpdatedAt, p.Version, p.ID, old.Version)
		if err := checkOneRow(res, err, "proposal", p.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM proposal_requests WHERE proposal_id = $1`, p.ID); err != nil {
			return fmt.Errorf("replace requests: %w", err)
		}
		if err := insertRequests(ctx, tx, p); err != nil {
			return err
		}
		return tx.record("proposal.update", "proposal", p.ID, old, p)
	})
}

// editable loads a proposal for a change by its applicant organization; the
// caller's other proposals are invisible, hence ENOTFOUND.
func editable(ctx context.Context, q querier, u *pactum.User, id string) (*pactum.Proposal, error) {
	p, err := findProposalByID(ctx, q, id)
	if err != nil {
		return nil, err
	}
	if !pactum.CanEditProposal(u, p) {
		visible, err := canSeeProposal(ctx, q, u, p)
		if err != nil {
			return nil, err
		}
		if visible {
			return nil, pactum.Errorf(pactum.EFORBIDDEN, "Only the applicant organization may change proposal %q.", id)
		}
		return nil, pactum.Errorf(pactum.ENOTFOUND, "Proposal %q not found.", id)
	}
	return p, nil
}

// checkOneRow turns an UPDATE that matched no row into a conflict: the row's
// version moved under us.
func checkOneRow(res sql.Result, err error, kind, id string) error {
	if err != nil {
		return fmt.Errorf("update %s %s: %w", kind, id, mapError(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("update %s %s: %w", kind, id, err)
	}
	if n != 1 {
		return pactum.Errorf(pactum.ECONFLICT, "The %s %s was changed concurrently; reload and retry.", kind, id)
	}
	return nil
}

// SubmitProposal submits a draft, screens it and routes it.
func (s *ProposalService) SubmitProposal(ctx context.Context, id string) (*pactum.Proposal, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	p, err := editable(ctx, s.db.r, u, id)
	if err != nil {
		return nil, err
	}
	if p.State != pactum.ProposalDraft {
		return nil, pactum.Errorf(pactum.ECONFLICT, "Only a draft can be submitted; this proposal is %s.", p.State)
	}
	call, systems, err := s.checkContent(ctx, p)
	if err != nil {
		return nil, err
	}
	org, err := findOrgByID(ctx, s.db.r, p.OrganizationID)
	if err != nil {
		return nil, err
	}
	oldVersion := p.Version
	log := newEventLog(u)
	if err := s.screen(ctx, log, p, call, systems, org, s.db.stamp()); err != nil {
		return nil, err
	}
	err = s.db.write(ctx, func(tx *Tx) error {
		tx.adopt(log)
		if err := settle(ctx, tx, p, call, systems); err != nil {
			return err
		}
		// The version guard makes a concurrent second submission (or
		// edit) fail with a conflict instead of screening twice.
		if err := saveState(ctx, tx, p, oldVersion); err != nil {
			return err
		}
		if err := openReview(ctx, tx, p, call); err != nil {
			return err
		}
		return allocateApproved(ctx, tx, p, systems)
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// allocateApproved creates the allocations of a proposal the fast lane
// approved at submission, once its row exists.
func allocateApproved(ctx context.Context, tx *Tx, p *pactum.Proposal, systems map[string]*pactum.System) error {
	if p.State != pactum.ProposalApproved {
		return nil
	}
	return createAllocations(ctx, tx, p, systems)
}

type stateChange struct {
	State pactum.ProposalState `json:"state"`
}

// screen moves a validated draft through submitted to screening, recording
// each step, and screens it. It needs no transaction: the route is settled
// in one (settle), where capacity can be reserved.
func (s *ProposalService) screen(ctx context.Context, log *eventLog, p *pactum.Proposal, call *pactum.Call,
	systems map[string]*pactum.System, org *pactum.Organization, now time.Time) error {
	if !call.IsOpen(now) {
		return pactum.Errorf(pactum.ECONFLICT, "Call %q is not open for submissions (it opens %s and closes %s).",
			call.Title, call.OpensAt.Format(time.RFC3339), call.CutoffAt.Format(time.RFC3339))
	}
	// draft → submitted: bind the event to the exact content submitted.
	content, err := json.Marshal(p.ProposalContent)
	if err != nil {
		return fmt.Errorf("encode proposal: %w", err)
	}
	sum := sha256.Sum256(content)
	if err := p.Transition(pactum.ProposalSubmitted); err != nil {
		return err
	}
	p.SubmittedAt = &now
	if err := log.record("proposal.submit", "proposal", p.ID, stateChange{pactum.ProposalDraft},
		map[string]any{"state": p.State, "content_sha256": hex.EncodeToString(sum[:])}); err != nil {
		return err
	}
	// submitted → screening.
	if err := p.Transition(pactum.ProposalScreening); err != nil {
		return err
	}
	if err := log.record("proposal.screen", "proposal", p.ID, stateChange{pactum.ProposalSubmitted}, stateChange{p.State}); err != nil {
		return err
	}
	d, err := s.screener.Screen(ctx, &pactum.ScreeningInput{Proposal: p, Organization: org, Call: call, Systems: systems, At: now})
	if err != nil {
		return fmt.Errorf("screen proposal %s: %w", p.ID, err)
	}
	p.Screening = d
	due := decisionDue(call, call.Mode(p.Mode), now)
	p.DecisionDueAt = &due
	return nil
}

// settle routes a screened proposal inside the write transaction: refused,
// to review, or, in a mode with automatic approval and a clean screening,
// approved, when the call's capacity still has room for it (else a person
// decides).
func settle(ctx context.Context, tx *Tx, p *pactum.Proposal, call *pactum.Call, systems map[string]*pactum.System) error {
	d := p.Screening
	at := *p.SubmittedAt
	route := pactum.Route(call.Mode(p.Mode), d)
	switch route {
	case pactum.ProposalApproved:
		grants := requestedGrants(p)
		if err := reserveCapacity(ctx, tx, call, systems, grants); err != nil {
			if pactum.ErrorCode(err) != pactum.ECONFLICT {
				return err
			}
			route = pactum.ProposalInReview
			d.Findings = append(d.Findings, pactum.Finding{RuleID: "capacity", Basis: "pactum allocation policy",
				Effect: pactum.EffectInfo, Message: pactum.ErrorMessage(err) + " The proposal goes to the access manager instead of automatic approval."})
		} else {
			p.Decision = &pactum.ProposalDecision{Accept: true, Grants: grants, DecidedBy: pactum.SystemUserID, DecidedAt: at, Automatic: true,
				Reason: fmt.Sprintf("Approved automatically in the %s: screening found nothing to deny or refer, within the mode's caps.", p.Mode)}
		}
	case pactum.ProposalRejected:
		p.Decision = &pactum.ProposalDecision{Accept: false, DecidedBy: pactum.SystemUserID, DecidedAt: at, Automatic: true,
			Reason: "Refused at screening: " + denyReasons(d)}
	}
	if err := p.Transition(route); err != nil {
		return err
	}
	return tx.record("proposal.route", "proposal", p.ID, stateChange{pactum.ProposalScreening}, map[string]any{
		"state": p.State, "outcome": d.Outcome, "ruleset_version": d.RulesetVersion, "ruleset_hash": d.RulesetHash,
		"rules": ruleIDs(d), "decision": p.Decision,
	})
}

func ruleIDs(d *pactum.ScreeningDecision) []string {
	ids := make([]string, len(d.Findings))
	for i, f := range d.Findings {
		ids[i] = f.RuleID
	}
	return ids
}

func denyReasons(d *pactum.ScreeningDecision) string {
	out := ""
	for _, f := range d.Findings {
		if f.Effect == pactum.EffectDeny {
			if out != "" {
				out += " "
			}
			out += f.Message + " (" + f.Basis + ")"
		}
	}
	return out
}

// decisionDue is the mode's time-to-decision target: counted from
// submission in modes that decide at once, from the cut-off otherwise.
func decisionDue(call *pactum.Call, mode *pactum.CallMode, submitted time.Time) time.Time {
	if mode == nil {
		return submitted
	}
	from := submitted
	if !mode.AutoApprove && call.CutoffAt.After(from) {
		from = call.CutoffAt
	}
	return pactum.AddWorkingDays(from, mode.DecisionWorkingDays)
}

func requestedGrants(p *pactum.Proposal) []pactum.Grant {
	g := make([]pactum.Grant, len(p.Requests))
	for i, r := range p.Requests {
		g[i] = pactum.Grant{SystemID: r.SystemID, Amount: r.Amount}
	}
	return g
}

// reserveCapacity adds grants to the call's running totals per system, or
// returns ECONFLICT, having added nothing, when one would take a system past
// its capacity for the call's period. Each total is one row updated with a
// conditional upsert: atomic on both engines, and on PostgreSQL its row lock
// makes concurrent decisions on the same call and system take turns.
func reserveCapacity(ctx context.Context, tx *Tx, call *pactum.Call, systems map[string]*pactum.System, grants []pactum.Grant) error {
	for i, g := range grants {
		sys := systems[g.SystemID]
		if sys == nil {
			return pactum.Errorf(pactum.EINVALID, "System %q is not in the catalogue.", g.SystemID)
		}
		// The capacity is read in the statement itself, so a catalogue
		// change by another server instance is never missed. A relative
		// tolerance absorbs float summation noise only.
		var total float64
		err := tx.QueryRowContext(ctx, `INSERT INTO call_grants (call_id, system_id, granted)
			SELECT $1, $2, $3 WHERE $3 <= (SELECT capacity_per_period * (1 + 1e-12) FROM systems WHERE id = $2)
			ON CONFLICT (call_id, system_id) DO UPDATE SET granted = call_grants.granted + excluded.granted
			WHERE call_grants.granted + excluded.granted <= (SELECT capacity_per_period * (1 + 1e-12) FROM systems WHERE id = $2)
			RETURNING granted`, call.ID, g.SystemID, g.Amount).Scan(&total)
		if err == nil {
			continue
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("reserve capacity on %s: %w", g.SystemID, err)
		}
		// Over capacity: give back what this proposal took so far, then
		// say how much is left.
		for _, u := range grants[:i] {
			if _, err := tx.ExecContext(ctx, `UPDATE call_grants SET granted = granted - $1 WHERE call_id = $2 AND system_id = $3`,
				u.Amount, call.ID, u.SystemID); err != nil {
				return fmt.Errorf("release capacity on %s: %w", u.SystemID, err)
			}
		}
		var used float64
		if err := tx.QueryRowContext(ctx, `SELECT granted FROM call_grants WHERE call_id = $1 AND system_id = $2`, call.ID, g.SystemID).Scan(&used); err != nil &&
			!errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("capacity of %s: %w", g.SystemID, err)
		}
		return pactum.Errorf(pactum.ECONFLICT, "Granting %s %s on %s would exceed its capacity for this call: %s of %s already granted.",
			fmtAmount(g.Amount), sys.Unit, sys.Name, fmtAmount(used), fmtAmount(sys.CapacityPerPeriod))
	}
	return nil
}

func fmtAmount(x float64) string {
	if x == math.Trunc(x) && math.Abs(x) < 1e15 {
		return fmt.Sprintf("%.0f", x)
	}
	return fmt.Sprintf("%.2f", x)
}

// createAllocations turns a proposal's decision into allocations awaiting
// provisioning, carrying the screening's conditions and, after review, the
// ethics review's.
func createAllocations(ctx context.Context, tx *Tx, p *pactum.Proposal, systems map[string]*pactum.System) error {
	var conditions []pactum.Finding
	if p.Screening != nil {
		conditions = p.Screening.Conditions()
	}
	if p.State == pactum.ProposalAccepted {
		ethics, err := ethicsConditions(ctx, tx, p.ID)
		if err != nil {
			return err
		}
		conditions = append(conditions, ethics...)
	}
	condJSON, err := json.Marshal(conditions)
	if err != nil {
		return fmt.Errorf("encode conditions: %w", err)
	}
	for _, g := range p.Decision.Grants {
		sys := systems[g.SystemID]
		a := &pactum.Allocation{
			ID: newID(), ProposalID: p.ID, OrganizationID: p.OrganizationID, SystemID: g.SystemID,
			Amount: g.Amount, Unit: sys.Unit, StartsAt: tx.now, EndsAt: pactum.AddMonths(tx.now, p.DurationMonths),
			State: pactum.AllocationPending, Conditions: conditions, CreatedAt: tx.now, UpdatedAt: tx.now, Version: 1,
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO allocations (`+allocationColumns+`, call_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
			a.ID, a.ProposalID, a.OrganizationID, a.SystemID, a.Amount, a.Unit, a.StartsAt, a.EndsAt, a.State,
			string(condJSON), a.CreatedAt, a.UpdatedAt, a.Version, p.CallID); err != nil {
			return fmt.Errorf("insert allocation: %w", mapError(err))
		}
		if err := tx.record("allocation.create", "allocation", a.ID, nil, a); err != nil {
			return err
		}
	}
	return nil
}

// saveState writes a proposal's state and decisions, refusing a lost update.
func saveState(ctx context.Context, tx *Tx, p *pactum.Proposal, oldVersion int) error {
	screening, decision, err := decisionsJSON(p)
	if err != nil {
		return err
	}
	p.UpdatedAt = tx.now
	p.Version = oldVersion + 1
	res, err := tx.ExecContext(ctx, `UPDATE proposals SET state = $1, screening = $2, decision = $3, submitted_at = $4, decision_due_at = $5,
		updated_at = $6, version = $7 WHERE id = $8 AND version = $9`,
		p.State, screening, decision, nullTime(p.SubmittedAt), nullTime(p.DecisionDueAt), p.UpdatedAt, p.Version, p.ID, oldVersion)
	return checkOneRow(res, err, "proposal", p.ID)
}

// DecideProposal accepts or rejects a proposal in review.
func (s *ProposalService) DecideProposal(ctx context.Context, id string, in pactum.DecisionInput) (*pactum.Proposal, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if !pactum.HasRole(u, pactum.RoleAccessManager) {
		return nil, pactum.Errorf(pactum.EFORBIDDEN, "Only access managers may decide proposals.")
	}
	var p *pactum.Proposal
	err = s.db.write(ctx, func(tx *Tx) error {
		var err error
		p, err = decide(ctx, tx, u, id, in)
		return err
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

func decide(ctx context.Context, tx *Tx, u *pactum.User, id string, in pactum.DecisionInput) (*pactum.Proposal, error) {
	p, err := findProposalByID(ctx, tx, id)
	if err != nil {
		return nil, err
	}
	if err := in.Validate(p); err != nil {
		return nil, err
	}
	to := pactum.ProposalRejected
	if in.Accept {
		to = pactum.ProposalAccepted
	}
	from, oldVersion := p.State, p.Version
	if err := p.Transition(to); err != nil {
		return nil, err
	}
	grants := in.Grants
	if in.Accept && len(grants) == 0 {
		grants = requestedGrants(p)
	}
	var systems map[string]*pactum.System
	if in.Accept {
		call, err := findCallByID(ctx, tx, p.CallID)
		if err != nil {
			return nil, err
		}
		if systems, err = systemMap(ctx, tx); err != nil {
			return nil, err
		}
		if err := reserveCapacity(ctx, tx, call, systems, grants); err != nil {
			return nil, err
		}
	}
	p.Decision = &pactum.ProposalDecision{Accept: in.Accept, Grants: grants, Reason: in.Reason, DecidedBy: u.ID, DecidedAt: tx.now}
	if err := tx.record("proposal.decide", "proposal", p.ID, stateChange{from}, map[string]any{"state": p.State, "decision": p.Decision}); err != nil {
		return nil, err
	}
	if err := saveState(ctx, tx, p, oldVersion); err != nil {
		return nil, err
	}
	if in.Accept {
		if err := createAllocations(ctx, tx, p, systems); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// WithdrawProposal withdraws an open proposal.
func (s *ProposalService) WithdrawProposal(ctx context.Context, id, reason string) (*pactum.Proposal, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if len(reason) > 5000 {
		return nil, &pactum.Error{Code: pactum.EINVALID, Message: "The withdrawal is not valid.",
			Fields: []pactum.FieldError{{Field: "reason", Message: "must be at most 5000 characters"}}}
	}
	var p *pactum.Proposal
	err = s.db.write(ctx, func(tx *Tx) error {
		var err error
		if p, err = editable(ctx, tx, u, id); err != nil {
			return err
		}
		from, oldVersion := p.State, p.Version
		if err := p.Transition(pactum.ProposalWithdrawn); err != nil {
			return err
		}
		if err := tx.record("proposal.withdraw", "proposal", p.ID, stateChange{from}, map[string]any{"state": p.State, "reason": reason}); err != nil {
			return err
		}
		return saveState(ctx, tx, p, oldVersion)
	})
	if err != nil {
		return nil, err
	}
	return p, nil
}

// ScreeningInputs returns every submitted proposal (drafts are not yet the
// rules' business) with its organization, call and the catalogue, as the
// screener saw them, for re-screening under another ruleset. It needs no
// caller: `pactum rules diff` runs it offline against the database.
func (db *DB) ScreeningInputs(ctx context.Context) ([]*pactum.ScreeningInput, error) {
	tx, err := db.beginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	systems, err := systemMap(ctx, tx)
	if err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT `+proposalColumns+` FROM proposals WHERE state <> $1 ORDER BY id`, string(pactum.ProposalDraft))
	if err != nil {
		return nil, fmt.Errorf("read proposals: %w", err)
	}
	var props []*pactum.Proposal
	for rows.Next() {
		p, err := scanProposal(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("scan proposal: %w", err)
		}
		props = append(props, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read proposals: %w", err)
	}
	rows.Close()
	orgs := map[string]*pactum.Organization{}
	calls := map[string]*pactum.Call{}
	out := make([]*pactum.ScreeningInput, 0, len(props))
	for _, p := range props {
		if orgs[p.OrganizationID] == nil {
			if orgs[p.OrganizationID], err = findOrgByID(ctx, tx, p.OrganizationID); err != nil {
				return nil, err
			}
		}
		if calls[p.CallID] == nil {
			if calls[p.CallID], err = findCallByID(ctx, tx, p.CallID); err != nil {
				return nil, err
			}
		}
		at := p.CreatedAt
		if p.SubmittedAt != nil {
			at = *p.SubmittedAt
		}
		out = append(out, &pactum.ScreeningInput{Proposal: p, Organization: orgs[p.OrganizationID], Call: calls[p.CallID], Systems: systems, At: at})
	}
	return out, nil
}
