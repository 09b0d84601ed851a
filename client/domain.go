// SPDX-License-Identifier: EUPL-1.2

package client

import (
	"encoding/json"
	"fmt"

	"github.com/pactum/pactum"
)

// This file is the one place where the generated types meet the domain
// types of package pactum. The API's JSON is the domain types' JSON (the
// OpenAPI document describes them), so a conversion is a JSON round trip:
// no field is copied by hand, and a field the document lacks shows up in
// this package's tests rather than as a silently dropped value. Callers
// (the agent, the demo, the CLI) work with domain values and use the
// functions below at the edge.

// Decode returns the value of type T that a response's JSON body holds,
// typically a domain type of package pactum: for example
// Decode[pactum.SiteState](resp). It fails when the body is not JSON of
// that shape; the caller checks the status first.
func Decode[T any](resp any) (*T, error) {
	body := Body(resp)
	if body == nil {
		return nil, fmt.Errorf("decode %T: the response has no body", resp)
	}
	v := new(T)
	if err := json.Unmarshal(body, v); err != nil {
		return nil, fmt.Errorf("decode %T into %T: %w", resp, v, err)
	}
	return v, nil
}

// Convert returns from, a domain value, as the generated type To (usually
// a request body type such as ProposalInput). Fields To lacks, such as
// those only the server sets, are dropped. It fails only when from cannot
// be written as JSON (a NaN amount, say) or does not fit To.
func Convert[To any](from any) (To, error) {
	var to To
	b, err := json.Marshal(from)
	if err != nil {
		return to, fmt.Errorf("convert %T: %w", from, err)
	}
	if err := json.Unmarshal(b, &to); err != nil {
		return to, fmt.Errorf("convert %T to %T: %w", from, to, err)
	}
	return to, nil
}

// ToSiteState returns the desired state of a site's allocations as the
// domain type.
func ToSiteState(resp *GetSiteDesiredStateResponse) (*pactum.SiteState, error) {
	return Decode[pactum.SiteState](resp)
}

// ToUsageIngest returns the server's verdicts on a batch of usage records
// as the domain type.
func ToUsageIngest(resp *IngestUsageResponse) (*pactum.UsageIngest, error) {
	return Decode[pactum.UsageIngest](resp)
}

// ToAuditReport returns the audit chain's verification as the domain type.
func ToAuditReport(resp *VerifyAuditResponse) (*pactum.AuditReport, error) {
	return Decode[pactum.AuditReport](resp)
}

// ToError returns the error an answer's body carries ({"error": {...}}, as
// every non-2xx answer of the API), or nil when the body holds none.
func ToError(body []byte) *pactum.Error {
	var eb struct {
		Error *pactum.Error `json:"error"`
	}
	if json.Unmarshal(body, &eb) != nil || eb.Error == nil || eb.Error.Message == "" {
		return nil
	}
	return eb.Error
}

// FromUsageBatch returns a batch of usage records as the request body of
// IngestUsage.
func FromUsageBatch(b *pactum.UsageBatch) (UsageBatch, error) { return Convert[UsageBatch](b) }

// FromDriftReport returns an agent's drift report as the request body of
// ReportDrift.
func FromDriftReport(r *pactum.DriftReport) (DriftReport, error) { return Convert[DriftReport](r) }

// FromProposal returns what the applicant wrote of p (its ProposalInput)
// as the request body of CreateProposal or UpdateProposal.
func FromProposal(p *pactum.ProposalInput) (ProposalInput, error) { return Convert[ProposalInput](p) }

// FromOrganization returns an organization's declared facts as the request
// body of CreateOrganization.
func FromOrganization(o *pactum.Organization) (OrganizationInput, error) {
	return Convert[OrganizationInput](o)
}

// FromDecision returns an access manager's decision as the request body
// of DecideProposal.
func FromDecision(d *pactum.DecisionInput) (DecisionInput, error) { return Convert[DecisionInput](d) }

// FromReview returns a review as the request body of SubmitReview.
func FromReview(in *pactum.ReviewInput) (ReviewInput, error) { return Convert[ReviewInput](in) }

// FromReviewerProfile returns a reviewer's expertise, affiliations and
// declared conflicts as the request body of UpdateReviewer. The API wants
// every list present, so an empty one is sent as [] rather than null.
func FromReviewerProfile(p *pactum.ReviewerProfile) (ReviewerProfileInput, error) {
	in, err := Convert[ReviewerProfileInput](p)
	if in.Expertise == nil {
		in.Expertise = []string{}
	}
	if in.Affiliations == nil {
		in.Affiliations = []Affiliation{}
	}
	if in.DeclaredConflicts == nil {
		in.DeclaredConflicts = []DeclaredConflict{}
	}
	return in, err
}

// FromTransition returns the move of an allocation to state to, with the
// reason the audit log records (none when empty), as the request body of
// TransitionAllocation.
func FromTransition(to pactum.AllocationState, reason string) TransitionInput {
	in := TransitionInput{State: AllocationState(to)}
	if reason != "" {
		in.Reason = &reason
	}
	return in
}
