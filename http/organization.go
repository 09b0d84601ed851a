// SPDX-License-Identifier: EUPL-1.2

package http

import (
	"net/http"

	"github.com/pactum/pactum"
)

// organizationRoutes register and read the applicants' organizations.
var organizationRoutes = []route{
	{"GET /api/v1/organizations", (*Server).handleListOrganizations},
	{"POST /api/v1/organizations", (*Server).handleCreateOrganization},
	{"GET /api/v1/organizations/{id}", (*Server).handleGetOrganization},
}

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

// withStatus derives o's status as of now; nil for nil, so a handler can
// pass a failed lookup's result to respond.
func (s *Server) withStatus(o *pactum.Organization) *orgOutput {
	if o == nil {
		return nil
	}
	st := o.Status(s.now())
	return &orgOutput{Organization: o, SME: st.SME, Startup: st.Startup}
}

func (s *Server) handleCreateOrganization(w http.ResponseWriter, r *http.Request) {
	var in orgInput
	if !s.readBody(w, r, &in) {
		return
	}
	o := &pactum.Organization{LegalName: in.LegalName, Country: in.Country, RegistrationNumber: in.RegistrationNumber,
		FoundedOn: in.FoundedOn, Staff: in.Staff, TurnoverEUR: in.TurnoverEUR, BalanceSheetEUR: in.BalanceSheetEUR}
	err := s.cfg.Organizations.CreateOrganization(r.Context(), o)
	s.respond(w, r, http.StatusCreated, s.withStatus(o), err)
}

func (s *Server) handleGetOrganization(w http.ResponseWriter, r *http.Request) {
	o, err := s.cfg.Organizations.FindOrganizationByID(r.Context(), r.PathValue("id"))
	s.respond(w, r, http.StatusOK, s.withStatus(o), err)
}

func (s *Server) handleListOrganizations(w http.ResponseWriter, r *http.Request) {
	q := query{r: r}
	q.only("country", "limit", "offset")
	f := pactum.OrganizationFilter{Country: q.str("country")}
	f.Limit, f.Offset = q.page()
	if !s.readQuery(w, r, &q) {
		return
	}
	orgs, total, err := s.cfg.Organizations.FindOrganizations(r.Context(), f)
	out := make([]*orgOutput, len(orgs))
	for i, o := range orgs {
		out[i] = s.withStatus(o)
	}
	s.respond(w, r, http.StatusOK, listOf(out, total), err)
}
