// SPDX-License-Identifier: EUPL-1.2

package http

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/catalog"
)

// route is one authenticated endpoint.
type route struct {
	pattern string
	handler func(*Server) func(http.ResponseWriter, *http.Request)
}

// apiRoutes lists every authenticated endpoint. The OpenAPI test checks each
// is documented.
var apiRoutes = []route{
	{"GET /api/v1/me", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleMe }},
	{"GET /api/v1/systems", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleListSystems }},
	{"GET /api/v1/systems/{id}", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleGetSystem }},
	{"GET /api/v1/organizations", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleListOrganizations }},
	{"POST /api/v1/organizations", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleCreateOrganization }},
	{"GET /api/v1/organizations/{id}", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleGetOrganization }},
	{"GET /api/v1/users", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleListUsers }},
	{"POST /api/v1/users", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleCreateUser }},
	{"GET /api/v1/users/{id}", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleGetUser }},
	{"GET /api/v1/users/{id}/tokens", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleListTokens }},
	{"POST /api/v1/users/{id}/tokens", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleCreateToken }},
	{"DELETE /api/v1/tokens/{id}", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleRevokeToken }},
	{"GET /api/v1/calls", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleListCalls }},
	{"POST /api/v1/calls", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleCreateCall }},
	{"GET /api/v1/calls/{id}", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleGetCall }},
	{"GET /api/v1/proposals", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleListProposals }},
	{"POST /api/v1/proposals", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleCreateProposal }},
	{"GET /api/v1/proposals/{id}", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleGetProposal }},
	{"PUT /api/v1/proposals/{id}", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleUpdateProposal }},
	{"POST /api/v1/proposals/{id}/submit", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleSubmitProposal }},
	{"POST /api/v1/proposals/{id}/decision", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleDecideProposal }},
	{"POST /api/v1/proposals/{id}/withdraw", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleWithdrawProposal }},
	{"GET /api/v1/allocations", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleListAllocations }},
	{"GET /api/v1/allocations/{id}", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleGetAllocation }},
	{"POST /api/v1/allocations/{id}/transition", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleTransitionAllocation }},
	// Review, allocation runs and notifications (http/review.go).
	{"GET /api/v1/reviewers", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleListReviewers }},
	{"GET /api/v1/reviewers/{id}", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleGetReviewer }},
	{"PUT /api/v1/reviewers/{id}", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleUpdateReviewer }},
	{"GET /api/v1/calls/{id}/rubric", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleGetRubric }},
	{"PUT /api/v1/calls/{id}/rubric", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleSetRubric }},
	{"POST /api/v1/calls/{id}/assignments", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleAssignReviewers }},
	{"POST /api/v1/calls/{id}/panel", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleRankPanel }},
	{"GET /api/v1/calls/{id}/ranking", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleGetRanking }},
	{"POST /api/v1/calls/{id}/allocation-runs", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleCreateAllocationRun }},
	{"GET /api/v1/allocation-runs", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleListAllocationRuns }},
	{"GET /api/v1/allocation-runs/{id}", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleGetAllocationRun }},
	{"GET /api/v1/allocation-runs/{id}/instance", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleGetAllocationRunInstance }},
	{"POST /api/v1/allocation-runs/{id}/publish", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handlePublishAllocationRun }},
	{"GET /api/v1/assignments", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleListAssignments }},
	{"POST /api/v1/assignments/{id}/recuse", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleRecuse }},
	{"GET /api/v1/conflicts", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleListConflicts }},
	{"POST /api/v1/conflicts/{id}/waive", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleWaiveConflict }},
	{"GET /api/v1/proposals/{id}/review", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleGetReviewTrack }},
	{"POST /api/v1/proposals/{id}/review/advance", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleAdvanceReview }},
	{"GET /api/v1/proposals/{id}/reviews", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleListReviews }},
	{"POST /api/v1/proposals/{id}/reviews", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleSubmitReview }},
	{"GET /api/v1/proposals/{id}/reply", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleGetReply }},
	{"PUT /api/v1/proposals/{id}/reply", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleSubmitReply }},
	{"GET /api/v1/notifications", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleListNotifications }},
	{"POST /api/v1/notifications/{id}/read", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleMarkNotificationRead }},
	{"GET /api/v1/allocations/{id}/usage", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleGetUsage }},
	{"GET /api/v1/allocations/{id}/usage/records", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleListUsageRecords }},
	{"GET /api/v1/allocations/{id}/conditions", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleListConditions }},
	{"POST /api/v1/allocations/{id}/conditions/{rule_id}/acknowledge", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleAcknowledgeCondition }},
	{"GET /api/v1/allocations/{id}/admission", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleGetAdmission }},
	{"POST /api/v1/usage", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleIngestUsage }},
	{"GET /api/v1/sites/{site}/desired", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleGetDesiredState }},
	{"POST /api/v1/sites/{site}/drift", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleReportDrift }},
	{"PUT /api/v1/users/{id}/username", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleSetUsername }},
	{"GET /api/v1/audit/events", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleListAuditEvents }},
	{"GET /api/v1/audit/verify", func(s *Server) func(http.ResponseWriter, *http.Request) { return s.handleVerifyAudit }},
}

// Routes returns the patterns of every API endpoint, e.g. "GET /api/v1/me".
func Routes() []string {
	out := []string{"GET /healthz", "GET /api/v1/openapi.json"}
	for _, r := range apiRoutes {
		out = append(out, r.pattern)
	}
	return out
}

func (s *Server) routes(mux *http.ServeMux) {
	for _, r := range apiRoutes {
		mux.HandleFunc(r.pattern, s.authed(r.handler(s)))
	}
}

// readBody decodes the body and writes the error response itself, so a
// handler only has to return when it reports false.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, v any) bool {
	return s.readBodyLimit(w, r, v, MaxBodyBytes)
}

// readBodyLimit is readBody with a body limit of its own.
func (s *Server) readBodyLimit(w http.ResponseWriter, r *http.Request, v any, limit int64) bool {
	err := decodeLimit(w, r, v, limit)
	if errors.Is(err, errTooLarge) {
		s.writeError(w, http.StatusRequestEntityTooLarge, &pactum.Error{Code: pactum.EINVALID,
			Message: fmt.Sprintf("The request body is larger than %d MiB.", limit>>20)})
		return false
	} else if err != nil {
		s.Error(w, r, err)
		return false
	}
	return true
}

func (s *Server) handleMe(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, pactum.UserFromContext(r.Context()))
}

// --- systems ---

func (s *Server) handleListSystems(w http.ResponseWriter, r *http.Request) {
	q := query{r: r}
	q.only()
	if err := q.err(); err != nil {
		s.Error(w, r, err)
		return
	}
	systems, err := s.cfg.Systems.FindSystems(r.Context())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list[*pactum.System]{Items: nonNil(systems), Total: len(systems)})
}

func (s *Server) handleGetSystem(w http.ResponseWriter, r *http.Request) {
	sys, err := s.cfg.Systems.FindSystemByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sys)
}

// --- organizations ---

type orgInput struct {
	LegalName          string      `json:"legal_name"`
	Country            string      `json:"country"`
	RegistrationNumber string      `json:"registration_number"`
	FoundedOn          pactum.Date `json:"founded_on"`
	Staff              int         `json:"staff"`
	TurnoverEUR        int64       `json:"turnover_eur"`
	BalanceSheetEUR    int64       `json:"balance_sheet_eur"`
}

// orgOutput is an organization with its derived status.
type orgOutput struct {
	*pactum.Organization
	SME     bool `json:"sme"`
	Startup bool `json:"startup"`
}

func (s *Server) withStatus(o *pactum.Organization) orgOutput {
	st := o.Status(s.now())
	return orgOutput{Organization: o, SME: st.SME, Startup: st.Startup}
}

func (s *Server) handleCreateOrganization(w http.ResponseWriter, r *http.Request) {
	var in orgInput
	if !s.readBody(w, r, &in) {
		return
	}
	o := &pactum.Organization{LegalName: in.LegalName, Country: in.Country, RegistrationNumber: in.RegistrationNumber,
		FoundedOn: in.FoundedOn, Staff: in.Staff, TurnoverEUR: in.TurnoverEUR, BalanceSheetEUR: in.BalanceSheetEUR}
	if err := s.cfg.Organizations.CreateOrganization(r.Context(), o); err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, s.withStatus(o))
}

func (s *Server) handleGetOrganization(w http.ResponseWriter, r *http.Request) {
	o, err := s.cfg.Organizations.FindOrganizationByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.withStatus(o))
}

func (s *Server) handleListOrganizations(w http.ResponseWriter, r *http.Request) {
	q := query{r: r}
	q.only("country", "limit", "offset")
	f := pactum.OrganizationFilter{Country: q.str("country"), Limit: q.int("limit", 1, 1000), Offset: q.int("offset", 0, 1<<30)}
	if err := q.err(); err != nil {
		s.Error(w, r, err)
		return
	}
	orgs, total, err := s.cfg.Organizations.FindOrganizations(r.Context(), f)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	out := make([]orgOutput, len(orgs))
	for i, o := range orgs {
		out[i] = s.withStatus(o)
	}
	writeJSON(w, http.StatusOK, list[orgOutput]{Items: out, Total: total})
}

// --- users and tokens ---

type userInput struct {
	Email          string      `json:"email"`
	Name           string      `json:"name"`
	Role           pactum.Role `json:"role"`
	OrganizationID string      `json:"organization_id"`
	Site           string      `json:"site"`
	Username       string      `json:"username"`
}

func (s *Server) handleCreateUser(w http.ResponseWriter, r *http.Request) {
	var in userInput
	if !s.readBody(w, r, &in) {
		return
	}
	u := &pactum.User{Email: in.Email, Name: in.Name, Role: in.Role, OrganizationID: in.OrganizationID, Site: in.Site, Username: in.Username}
	if err := s.cfg.Users.CreateUser(r.Context(), u); err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, u)
}

func (s *Server) handleGetUser(w http.ResponseWriter, r *http.Request) {
	u, err := s.cfg.Users.FindUserByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}

func (s *Server) handleListUsers(w http.ResponseWriter, r *http.Request) {
	q := query{r: r}
	q.only("role", "organization_id", "email", "limit", "offset")
	f := pactum.UserFilter{OrganizationID: q.str("organization_id"), Email: q.str("email"),
		Limit: q.int("limit", 1, 1000), Offset: q.int("offset", 0, 1<<30)}
	if role := q.str("role"); role != nil {
		rl := pactum.Role(*role)
		if !rl.Valid() {
			q.v.Add("role", "must be one of applicant, reviewer, access_manager, site_operator, auditor")
		}
		f.Role = &rl
	}
	if err := q.err(); err != nil {
		s.Error(w, r, err)
		return
	}
	users, total, err := s.cfg.Users.FindUsers(r.Context(), f)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list[*pactum.User]{Items: nonNil(users), Total: total})
}

type tokenInput struct {
	Name      string     `json:"name"`
	ExpiresAt *time.Time `json:"expires_at"`
}

// tokenCreated is the one response that carries a token's secret.
type tokenCreated struct {
	*pactum.Token
	Secret string `json:"secret"`
}

func (s *Server) handleCreateToken(w http.ResponseWriter, r *http.Request) {
	var in tokenInput
	if !s.readBody(w, r, &in) {
		return
	}
	t, secret, err := s.cfg.Users.CreateToken(r.Context(), r.PathValue("id"), in.Name, in.ExpiresAt)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, tokenCreated{Token: t, Secret: secret})
}

func (s *Server) handleListTokens(w http.ResponseWriter, r *http.Request) {
	tokens, err := s.cfg.Users.FindTokens(r.Context(), r.PathValue("id"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list[*pactum.Token]{Items: nonNil(tokens), Total: len(tokens)})
}

func (s *Server) handleRevokeToken(w http.ResponseWriter, r *http.Request) {
	if err := s.cfg.Users.RevokeToken(r.Context(), r.PathValue("id")); err != nil {
		s.Error(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// --- calls ---

// callModeInput names a mode and optionally overrides its default terms
// from the catalogue.
type callModeInput struct {
	Mode                pactum.AccessMode `json:"mode"`
	MinGPUHours         *float64          `json:"min_gpu_hours"`
	MaxGPUHours         *float64          `json:"max_gpu_hours"`
	MaxDurationMonths   *int              `json:"max_duration_months"`
	DecisionWorkingDays *int              `json:"decision_working_days"`
	AutoApprove         *bool             `json:"auto_approve"`
	RequiresSME         *bool             `json:"requires_sme"`
	RequiresAIPact      *bool             `json:"requires_ai_pact"`
}

type callInput struct {
	Title       string          `json:"title"`
	Description string          `json:"description"`
	OpensAt     time.Time       `json:"opens_at"`
	CutoffAt    time.Time       `json:"cutoff_at"`
	Modes       []callModeInput `json:"modes"`
	SystemIDs   []string        `json:"system_ids"`
}

func (s *Server) handleCreateCall(w http.ResponseWriter, r *http.Request) {
	var in callInput
	if !s.readBody(w, r, &in) {
		return
	}
	c := &pactum.Call{Title: in.Title, Description: in.Description, OpensAt: in.OpensAt, CutoffAt: in.CutoffAt, SystemIDs: in.SystemIDs}
	var v pactum.Validator
	for i, m := range in.Modes {
		cm, err := catalog.Mode(m.Mode)
		if err != nil {
			v.Add("modes["+strconv.Itoa(i)+"].mode", "must be one of playground, fast_lane, large_scale, benchmark, development, regular, extreme_scale")
			continue
		}
		setIf(&cm.MinGPUHours, m.MinGPUHours)
		setIf(&cm.MaxGPUHours, m.MaxGPUHours)
		setIf(&cm.MaxDurationMonths, m.MaxDurationMonths)
		setIf(&cm.DecisionWorkingDays, m.DecisionWorkingDays)
		setIf(&cm.AutoApprove, m.AutoApprove)
		setIf(&cm.RequiresSME, m.RequiresSME)
		setIf(&cm.RequiresAIPact, m.RequiresAIPact)
		c.Modes = append(c.Modes, cm)
	}
	if err := v.Err("The call is not valid."); err != nil {
		s.Error(w, r, err)
		return
	}
	if err := s.cfg.Calls.CreateCall(r.Context(), c); err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, c)
}

func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

func (s *Server) handleGetCall(w http.ResponseWriter, r *http.Request) {
	c, err := s.cfg.Calls.FindCallByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (s *Server) handleListCalls(w http.ResponseWriter, r *http.Request) {
	q := query{r: r}
	q.only("open", "limit", "offset")
	f := pactum.CallFilter{Limit: q.int("limit", 1, 1000), Offset: q.int("offset", 0, 1<<30)}
	if q.bool("open") {
		now := s.now()
		f.OpenAt = &now
	}
	if err := q.err(); err != nil {
		s.Error(w, r, err)
		return
	}
	calls, total, err := s.cfg.Calls.FindCalls(r.Context(), f)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list[*pactum.Call]{Items: nonNil(calls), Total: total})
}

// --- proposals ---

func (s *Server) handleCreateProposal(w http.ResponseWriter, r *http.Request) {
	q := query{r: r}
	q.only("submit")
	submit := q.bool("submit")
	if err := q.err(); err != nil {
		s.Error(w, r, err)
		return
	}
	var in pactum.ProposalInput
	if !s.readBody(w, r, &in) {
		return
	}
	p := &pactum.Proposal{ProposalInput: in}
	var err error
	if submit {
		err = s.cfg.Proposals.SubmitNewProposal(r.Context(), p)
	} else {
		err = s.cfg.Proposals.CreateProposal(r.Context(), p)
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, p)
}

func (s *Server) handleUpdateProposal(w http.ResponseWriter, r *http.Request) {
	var in pactum.ProposalInput
	if !s.readBody(w, r, &in) {
		return
	}
	p := &pactum.Proposal{ID: r.PathValue("id"), ProposalInput: in}
	if err := s.cfg.Proposals.UpdateProposal(r.Context(), p); err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) handleGetProposal(w http.ResponseWriter, r *http.Request) {
	p, err := s.cfg.Proposals.FindProposalByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) handleListProposals(w http.ResponseWriter, r *http.Request) {
	q := query{r: r}
	q.only("call_id", "organization_id", "state", "mode", "limit", "offset")
	f := pactum.ProposalFilter{CallID: q.str("call_id"), OrganizationID: q.str("organization_id"),
		Limit: q.int("limit", 1, 1000), Offset: q.int("offset", 0, 1<<30)}
	if st := q.str("state"); st != nil {
		ps := pactum.ProposalState(*st)
		if !ps.Valid() {
			q.v.Add("state", "must be one of draft, submitted, screening, in_review, approved, accepted, rejected, withdrawn")
		}
		f.State = &ps
	}
	if m := q.str("mode"); m != nil {
		am := pactum.AccessMode(*m)
		if !am.Valid() {
			q.v.Add("mode", "must be one of playground, fast_lane, large_scale, benchmark, development, regular, extreme_scale")
		}
		f.Mode = &am
	}
	if err := q.err(); err != nil {
		s.Error(w, r, err)
		return
	}
	props, total, err := s.cfg.Proposals.FindProposals(r.Context(), f)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list[*pactum.Proposal]{Items: nonNil(props), Total: total})
}

func (s *Server) handleSubmitProposal(w http.ResponseWriter, r *http.Request) {
	p, err := s.cfg.Proposals.SubmitProposal(r.Context(), r.PathValue("id"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

func (s *Server) handleDecideProposal(w http.ResponseWriter, r *http.Request) {
	var in pactum.DecisionInput
	if !s.readBody(w, r, &in) {
		return
	}
	p, err := s.cfg.Proposals.DecideProposal(r.Context(), r.PathValue("id"), in)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

type withdrawInput struct {
	Reason string `json:"reason"`
}

func (s *Server) handleWithdrawProposal(w http.ResponseWriter, r *http.Request) {
	var in withdrawInput
	if !s.readBody(w, r, &in) {
		return
	}
	p, err := s.cfg.Proposals.WithdrawProposal(r.Context(), r.PathValue("id"), in.Reason)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, p)
}

// --- allocations ---

func (s *Server) handleListAllocations(w http.ResponseWriter, r *http.Request) {
	q := query{r: r}
	q.only("proposal_id", "organization_id", "system_id", "state", "limit", "offset")
	f := pactum.AllocationFilter{ProposalID: q.str("proposal_id"), OrganizationID: q.str("organization_id"),
		SystemID: q.str("system_id"), Limit: q.int("limit", 1, 1000), Offset: q.int("offset", 0, 1<<30)}
	if st := q.str("state"); st != nil {
		as := pactum.AllocationState(*st)
		if !as.Valid() {
			q.v.Add("state", "must be one of pending_provisioning, active, suspended, exhausted, expired")
		}
		f.State = &as
	}
	if err := q.err(); err != nil {
		s.Error(w, r, err)
		return
	}
	allocs, total, err := s.cfg.Allocations.FindAllocations(r.Context(), f)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list[*pactum.Allocation]{Items: nonNil(allocs), Total: total})
}

func (s *Server) handleGetAllocation(w http.ResponseWriter, r *http.Request) {
	a, err := s.cfg.Allocations.FindAllocationByID(r.Context(), r.PathValue("id"))
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

type transitionInput struct {
	State  pactum.AllocationState `json:"state"`
	Reason string                 `json:"reason"`
}

func (s *Server) handleTransitionAllocation(w http.ResponseWriter, r *http.Request) {
	var in transitionInput
	if !s.readBody(w, r, &in) {
		return
	}
	a, err := s.cfg.Allocations.TransitionAllocation(r.Context(), r.PathValue("id"), in.State, in.Reason)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

// --- audit ---

func (s *Server) handleListAuditEvents(w http.ResponseWriter, r *http.Request) {
	q := query{r: r}
	q.only("subject_type", "subject_id", "actor_id", "after_seq", "limit", "offset")
	f := pactum.AuditFilter{SubjectType: q.str("subject_type"), SubjectID: q.str("subject_id"), ActorID: q.str("actor_id"),
		AfterSeq: int64(q.int("after_seq", 0, 1<<62)), Limit: q.int("limit", 1, 1000), Offset: q.int("offset", 0, 1<<30)}
	if err := q.err(); err != nil {
		s.Error(w, r, err)
		return
	}
	events, total, err := s.cfg.Audit.FindAuditEvents(r.Context(), f)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, list[*pactum.AuditEvent]{Items: nonNil(events), Total: total})
}

func (s *Server) handleVerifyAudit(w http.ResponseWriter, r *http.Request) {
	rep, err := s.cfg.Audit.VerifyAudit(r.Context())
	if err != nil {
		s.Error(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, rep)
}

// nonNil makes an empty list encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
