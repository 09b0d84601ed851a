// SPDX-License-Identifier: EUPL-1.2

package pactum

// The authorization rules, in one place so that every adapter enforces the
// same ones. Stores call them inside their use cases, so no caller can bypass
// them. A "not visible" answer must surface as ENOTFOUND, not EFORBIDDEN, so
// that an applicant cannot probe for other organizations' proposals.

// HasRole reports whether u holds one of roles.
func HasRole(u *User, roles ...Role) bool {
	if u == nil {
		return false
	}
	for _, r := range roles {
		if u.Role == r {
			return true
		}
	}
	return false
}

// CanReadAll reports whether u may read every record: access managers and
// auditors.
func CanReadAll(u *User) bool { return HasRole(u, RoleAccessManager, RoleAuditor) }

// CanSeeOrganization reports whether u may read organization orgID.
func CanSeeOrganization(u *User, orgID string) bool {
	switch {
	case u == nil:
		return false
	case u.Role == RoleApplicant:
		return u.OrganizationID == orgID
	default:
		return true
	}
}

// ProposalAccess is what a store knows about a caller's relation to a
// proposal beyond its role: the facts CanSeeProposalWith needs for
// reviewers and site operators.
type ProposalAccess struct {
	// Assigned: the caller (a reviewer) holds an assignment on the
	// proposal that was not recused.
	Assigned bool
	// Conflicted: the caller has an active conflict of interest with the
	// proposal. It overrides everything else.
	Conflicted bool
	// HostsRequest: the caller (a site operator) runs a site hosting one
	// of the requested systems.
	HostsRequest bool
}

// CanSeeProposal reports whether u may read p knowing nothing but their
// role: applicants their organization's, access managers and auditors all.
// Reviewers and site operators need CanSeeProposalWith.
func CanSeeProposal(u *User, p *Proposal) bool { return CanSeeProposalWith(u, p, ProposalAccess{}) }

// CanSeeProposalWith reports whether u may read p given access:
//   - access managers and auditors see every proposal;
//   - applicants see their organization's;
//   - reviewers see a proposal they are assigned to, never one they are
//     conflicted on, whatever else holds (a conflicted reviewer cannot even
//     learn that the proposal exists);
//   - site operators see proposals in review that request one of their
//     site's systems, for the technical assessment.
func CanSeeProposalWith(u *User, p *Proposal, a ProposalAccess) bool {
	switch {
	case u == nil:
		return false
	case CanReadAll(u):
		return true
	case u.Role == RoleApplicant:
		return u.OrganizationID == p.OrganizationID
	case u.Role == RoleReviewer:
		return a.Assigned && !a.Conflicted && p.State != ProposalDraft
	case u.Role == RoleSiteOperator:
		return a.HostsRequest && p.State == ProposalInReview
	default:
		return false
	}
}

// CanSeeReview reports whether u, who may see r's proposal (owned by
// organization orgID, reviewed up to track), may read review r; anonymised
// reports whether the applicant's anonymised view is what they get.
// Access managers and auditors read every review; reviewers their own;
// site operators their site's technical assessments; the applicant's
// organization every review once the reply stage opens or the proposal
// left review, anonymised.
func CanSeeReview(u *User, orgID string, decided bool, track *ReviewTrack, r *Review) (ok, anonymised bool) {
	switch {
	case u == nil:
		return false, false
	case CanReadAll(u):
		return true, false
	case u.Role == RoleReviewer:
		return r.ReviewerID == u.ID, false
	case u.Role == RoleSiteOperator:
		return r.Stage == StageTechnical && r.Site == u.Site, false
	case u.Role == RoleApplicant && u.OrganizationID == orgID:
		return decided || (track != nil && track.Reached(StageReply)), true
	}
	return false, false
}

// CanEditProposal reports whether u may change, submit or withdraw p: an
// applicant of the proposal's organization.
func CanEditProposal(u *User, p *Proposal) bool {
	return u != nil && u.Role == RoleApplicant && u.OrganizationID == p.OrganizationID
}

// CanSeeAllocation reports whether u may read a; site is the hosting site of
// a's system.
func CanSeeAllocation(u *User, a *Allocation, site string) bool {
	switch {
	case u == nil:
		return false
	case CanReadAll(u):
		return true
	case u.Role == RoleApplicant:
		return u.OrganizationID == a.OrganizationID
	case u.Role == RoleSiteOperator:
		return u.Site == site
	default:
		return false
	}
}

// CanTransitionAllocation reports whether u may move an allocation on a
// system hosted by site from one state to another: the site's operators
// provision and enforce (activate, suspend, resume, exhaust, expire); access
// managers may suspend, resume and expire any allocation but never claim it
// is provisioned, which only the site can know.
func CanTransitionAllocation(u *User, site string, from, to AllocationState) bool {
	switch {
	case u == nil:
		return false
	case u.Role == RoleSiteOperator:
		return u.Site == site
	case u.Role == RoleAccessManager:
		switch to {
		case AllocationSuspended, AllocationExpired:
			return true
		case AllocationActive:
			return from == AllocationSuspended
		}
		return false
	default:
		return false
	}
}
