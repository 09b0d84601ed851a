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

// Scope narrows a list to what one caller may see. The functions below
// derive it from the caller with the rules of this file, and a Store turns
// it into conditions of its query, so that a page holds only visible items
// and its total counts only them. A test (usecase's TestVisibility) checks
// on both engines that every list returns exactly the items the matching
// CanSee predicate allows.
//
// The zero Scope sees nothing. All sees everything. Otherwise every field
// that is set is a condition an item must meet; a list that cannot apply
// a set field returns nothing, so a mistake fails closed.
type Scope struct {
	All bool
	// OrganizationID: the item belongs to this organization.
	OrganizationID string
	// UserID: the item is this user's own: their user record, a
	// notification addressed to them, their reviewer profile, their
	// assignment or conflict.
	UserID string
	// ReviewerID: a proposal this reviewer holds an unrecused assignment
	// on, has no active conflict with, and that is not a draft.
	ReviewerID string
	// Site: a proposal in review that requests a system of this site, or
	// an allocation on one.
	Site string
	// DisclosedTo: a conflict of interest of this reviewer that was
	// disclosed to them (Conflict.Disclosed).
	DisclosedTo string
}

// Empty reports whether s sees nothing.
func (s Scope) Empty() bool { return s == Scope{} }

// OrganizationScope is what organizations u may list (CanSeeOrganization).
func OrganizationScope(u *User) Scope {
	switch {
	case u == nil:
		return Scope{}
	case u.Role == RoleApplicant:
		return Scope{OrganizationID: u.OrganizationID}
	}
	return Scope{All: true}
}

// CanSeeUser reports whether u may read target: themselves; access managers
// and auditors anyone; applicants the members of their organization.
func CanSeeUser(u, target *User) bool {
	switch {
	case u == nil:
		return false
	case u.ID == target.ID, CanReadAll(u):
		return true
	case u.Role == RoleApplicant:
		return u.OrganizationID != "" && u.OrganizationID == target.OrganizationID
	}
	return false
}

// UserScope is what users u may list (CanSeeUser).
func UserScope(u *User) Scope {
	switch {
	case u == nil:
		return Scope{}
	case CanReadAll(u):
		return Scope{All: true}
	case u.Role == RoleApplicant && u.OrganizationID != "":
		return Scope{OrganizationID: u.OrganizationID}
	}
	return Scope{UserID: u.ID}
}

// ProposalScope is what proposals u may list (CanSeeProposalWith).
func ProposalScope(u *User) Scope { return roleScope(u, true) }

// roleScope is the scope of the objects that belong to an organization and
// live on a site's systems: everything for access managers and auditors,
// an applicant's organization's, a site operator's site's and, when
// assigned is set, a reviewer's assigned ones.
func roleScope(u *User, assigned bool) Scope {
	switch {
	case u == nil:
		return Scope{}
	case CanReadAll(u):
		return Scope{All: true}
	case u.Role == RoleApplicant:
		return Scope{OrganizationID: u.OrganizationID}
	case u.Role == RoleReviewer && assigned:
		return Scope{ReviewerID: u.ID}
	case u.Role == RoleSiteOperator:
		return Scope{Site: u.Site}
	}
	return Scope{}
}

// AccessFacts names what a store must look up for CanSeeProposalWith about
// u beyond their role: their assignments and conflicts if they review,
// their site's systems if they operate one.
func AccessFacts(u *User) (reviewerID, site string) {
	switch {
	case u == nil:
	case u.Role == RoleReviewer:
		return u.ID, ""
	case u.Role == RoleSiteOperator:
		return "", u.Site
	}
	return "", ""
}

// AllocationScope is what allocations u may list (CanSeeAllocation).
func AllocationScope(u *User) Scope { return roleScope(u, false) }

// CanSeeNotification reports whether u may read n: their own; access
// managers and auditors anyone's.
func CanSeeNotification(u *User, n *Notification) bool {
	return u != nil && (u.ID == n.UserID || CanReadAll(u))
}

// NotificationScope is what notifications u may list (CanSeeNotification).
func NotificationScope(u *User) Scope {
	switch {
	case u == nil:
		return Scope{}
	case CanReadAll(u):
		return Scope{All: true}
	}
	return Scope{UserID: u.ID}
}

// CanSeeReviewerProfile reports whether u may read the profile of reviewer
// userID: their own; access managers and auditors anyone's.
func CanSeeReviewerProfile(u *User, userID string) bool {
	return u != nil && (u.ID == userID || CanReadAll(u))
}

// ReviewerProfileScope is what reviewer profiles u may list: all to access
// managers and auditors, their own to reviewers, none to others.
func ReviewerProfileScope(u *User) Scope { return reviewScope(u) }

// CanSeeAssignment reports whether u may read a: the assigned reviewer;
// access managers and auditors any.
func CanSeeAssignment(u *User, a *Assignment) bool { return canSeeReviewersOwn(u, a.ReviewerID) }

// AssignmentScope is what assignments u may list (CanSeeAssignment).
func AssignmentScope(u *User) Scope { return reviewScope(u) }

// CanSeeConflict reports whether u may read c: access managers and auditors
// any; the reviewer concerned only a disclosed one, because a conflict
// detected before assignment would tell them that a proposal from their
// organization (or naming them) exists.
func CanSeeConflict(u *User, c *Conflict) bool {
	return u != nil && (CanReadAll(u) || u.Role == RoleReviewer && u.ID == c.ReviewerID && c.Disclosed)
}

// canSeeReviewersOwn: access managers and auditors see everything of the
// review; a reviewer their own (reviewerID), nobody else anything.
func canSeeReviewersOwn(u *User, reviewerID string) bool {
	return u != nil && (CanReadAll(u) || u.Role == RoleReviewer && u.ID == reviewerID)
}

// ConflictScope is what conflicts u may list (CanSeeConflict).
func ConflictScope(u *User) Scope {
	s := reviewScope(u)
	if s.UserID != "" {
		return Scope{DisclosedTo: s.UserID}
	}
	return s
}

// reviewScope: everything to access managers and auditors, a reviewer's
// own to reviewers, nothing to anyone else.
func reviewScope(u *User) Scope {
	switch {
	case u == nil:
		return Scope{}
	case CanReadAll(u):
		return Scope{All: true}
	case u.Role == RoleReviewer:
		return Scope{UserID: u.ID}
	}
	return Scope{}
}
