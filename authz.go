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

// CanSeeProposal reports whether u may read p. Reviewers see proposals in
// review (assignment and conflicts of interest narrow this further in the
// review service).
func CanSeeProposal(u *User, p *Proposal) bool {
	switch {
	case u == nil:
		return false
	case CanReadAll(u):
		return true
	case u.Role == RoleApplicant:
		return u.OrganizationID == p.OrganizationID
	case u.Role == RoleReviewer:
		return p.State == ProposalInReview
	default:
		return false
	}
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
