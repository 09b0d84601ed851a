// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"context"
	"time"
)

// Store is where pactum keeps its state, as the use cases see it: reads on
// their own, reads in one consistent view, and write transactions that
// carry their audit events. Package sqlstore implements it on SQLite and
// PostgreSQL.
//
// A Store decides nothing. It does not authorize (list queries take a
// Scope that the use case derives from the caller with the rules of
// authz.go), it applies no business rule and words no message beyond "not
// found" and "already exists". Its reads are named Get (one item,
// ENOTFOUND when missing) and List (many); its writes Insert, Update and
// the like. Writes that guard against lost updates take the version the
// caller read and answer ECONFLICT when the row has moved on.
type Store interface {
	Queries
	// BeginRead starts a read-only transaction: one consistent snapshot,
	// for reads that must agree with each other. End it with Rollback.
	BeginRead(ctx context.Context) (ReadTx, error)
	// Begin starts one use case's write transaction on behalf of actor
	// (nil for pactum itself): everything it writes, and every audit event
	// it records, is committed together or not at all. The caller must end
	// it with Commit or Rollback (defer Rollback: after Commit it does
	// nothing), because a store may have one writer that waits for it;
	// for the same reason a use case holds one transaction at a time.
	// Commits may be grouped; Commit returns only once its own is durable.
	Begin(ctx context.Context, actor *User) (Tx, error)
	// Ping checks that the database answers, for health checks.
	Ping(ctx context.Context) error
	// SealAudit returns once every audit event committed so far is in the
	// chain. A store may chain events shortly after their commit (the
	// PostgreSQL store does, so that writers do not queue on the chain's
	// head); readers of the chain that must see every committed event call
	// it first.
	SealAudit(ctx context.Context) error
}

// Update runs fn as one write transaction of s on behalf of actor:
// committed when fn succeeds, rolled back when it fails or panics. The use
// cases run each of theirs through it; fn must not begin another.
func Update(ctx context.Context, s Store, actor *User, fn func(tx Tx) error) error {
	tx, err := s.Begin(ctx, actor)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// View runs fn on one consistent snapshot of s.
func View(ctx context.Context, s Store, fn func(q Queries) error) error {
	r, err := s.BeginRead(ctx)
	if err != nil {
		return err
	}
	defer r.Rollback()
	return fn(r)
}

// ReadTx is a read-only transaction.
type ReadTx interface {
	Queries
	Rollback() error
}

// Queries are the Store's reads. Outside a transaction each runs on its
// own snapshot.
type Queries interface {
	SystemQueries
	OrganizationQueries
	UserQueries
	SessionQueries
	CallQueries
	ProposalQueries
	ReviewQueries
	ReviewerQueries
	AllocationQueries
	UsageQueries
	ModelQueries
	RunQueries
	NotificationQueries
	DeliveryQueries
	SweepQueries
	AuditQueries
	IncidentQueries
	OutcomeQueries
	ObligationQueries
	TransparencyQueries
	AgentQueries
	SiteOpsQueries
}

// Tx is one use case's write transaction: the reads, seeing its own
// writes, and the writes. Its audit events are sealed into the chain when
// it commits.
type Tx interface {
	Queries
	// Commit seals the audit events into the chain and makes the
	// transaction durable; an error means nothing of it was kept.
	Commit() error
	// Rollback discards the transaction; after Commit it does nothing.
	Rollback() error
	// Now is the use case's time, fixed when the transaction starts.
	Now() time.Time
	// Record queues an audit event: the transaction's actor did action to
	// a subject, whose JSON snapshots before and after (nil for none) the
	// event keeps.
	Record(action, subjectType, subjectID string, before, after any) error
	// Adopt queues events prepared before the transaction began
	// (NewAuditEvent), ahead of those recorded in it, so that encoding
	// large snapshots happens outside the writer.
	Adopt(events []*AuditEvent)

	SystemWrites
	OrganizationWrites
	UserWrites
	SessionWrites
	SignInLinkWrites
	CallWrites
	ProposalWrites
	ReviewWrites
	ReviewerWrites
	AllocationWrites
	UsageWrites
	ModelWrites
	RunWrites
	NotificationWrites
	DeliveryWrites
	SweepWrites
	AgentWrites
	IncidentWrites
	OutcomeWrites
	ObligationWrites
	TransparencyWrites
	SiteOpsWrites
}

// SystemQueries read the systems catalogue.
type SystemQueries interface {
	// ListSystems returns every system, ordered by ID.
	ListSystems(ctx context.Context) ([]*System, error)
	GetSystem(ctx context.Context, id string) (*System, error)
}

// SystemWrites change the catalogue.
type SystemWrites interface {
	// UpsertSystem adds a system or replaces the entry with its ID.
	UpsertSystem(ctx context.Context, s *System) error
}

// OrganizationQueries read organizations.
type OrganizationQueries interface {
	GetOrganization(ctx context.Context, id string) (*Organization, error)
	// ListOrganizations lists organizations by legal name.
	ListOrganizations(ctx context.Context, s Scope, f OrganizationFilter) ([]*Organization, int, error)
}

// OrganizationWrites register organizations.
type OrganizationWrites interface {
	// InsertOrganization adds o; ECONFLICT when its country and
	// registration number are taken.
	InsertOrganization(ctx context.Context, o *Organization) error
}

// UserQueries read users and their tokens.
type UserQueries interface {
	GetUser(ctx context.Context, id string) (*User, error)
	// ListUsers lists users by e-mail.
	ListUsers(ctx context.Context, s Scope, f UserFilter) ([]*User, int, error)
	// CountUsers counts the users holding role.
	CountUsers(ctx context.Context, role Role) (int, error)
	// GetTokenByHash returns the token whose secret hashes to hash and
	// its user; ENOTFOUND for none.
	GetTokenByHash(ctx context.Context, hash string) (*Token, *User, error)
	// GetAuthEpoch returns a count the store raises with every change
	// that ends a credential or changes its user (a token revoked, a user
	// deactivated, reactivated or renamed), on whichever instance: a
	// token remembered at an older epoch must be read again.
	GetAuthEpoch(ctx context.Context) (int64, error)
	// GetConditionGrace returns the end of an allocation's grace period for
	// its conditions (ConditionGrace), nil when it has none.
	GetConditionGrace(ctx context.Context, allocationID string) (*time.Time, error)
	// ListStrandedReviews lists the IDs of proposals in review that have
	// no review track: rows written before review stages existed.
	ListStrandedReviews(ctx context.Context) ([]string, error)
	// ListAllocationsBeforeConditions lists the allocations, not expired
	// and without a grace period, created before this database first
	// enforced award conditions (its upgrade to schema 4).
	ListAllocationsBeforeConditions(ctx context.Context) ([]*Allocation, error)
	GetToken(ctx context.Context, id string) (*Token, error)
	// ListTokens lists a user's tokens, newest first.
	ListTokens(ctx context.Context, userID string) ([]*Token, error)
}

// UserWrites change users and tokens.
type UserWrites interface {
	// InsertUser adds u; ECONFLICT when its e-mail or username is taken,
	// EINVALID when its organization does not exist.
	InsertUser(ctx context.Context, u *User) error
	// UpdateUsername sets a user's cluster username; ECONFLICT when
	// another user has it.
	UpdateUsername(ctx context.Context, userID, username string) error
	// InsertToken stores t with the hash of its secret (never the secret).
	InsertToken(ctx context.Context, t *Token, secretHash string) error
	UpdateTokenRevoked(ctx context.Context, id string, at time.Time) error
	// InsertConditionGrace gives an allocation a grace period for its
	// conditions until until, noticed at noticedAt; ECONFLICT when it
	// has one.
	InsertConditionGrace(ctx context.Context, allocationID string, until, noticedAt time.Time) error
	// UpdateUserDeactivated sets (at non-nil) or clears a user's
	// deactivation time.
	UpdateUserDeactivated(ctx context.Context, userID string, at *time.Time) error
	UpdateTokenUsed(ctx context.Context, id string, at time.Time) error
}

// CallQueries read calls.
type CallQueries interface {
	GetCall(ctx context.Context, id string) (*Call, error)
	// ListCalls lists calls, newest first.
	ListCalls(ctx context.Context, f CallFilter) ([]*Call, int, error)
	// SumCallDemand sums, per system, what the call's submitted proposals
	// (not drafts, not withdrawn) request and what its decisions granted.
	SumCallDemand(ctx context.Context, callID string) (requested, granted map[string]float64, err error)
}

// CallWrites open calls.
type CallWrites interface {
	InsertCall(ctx context.Context, c *Call) error
	// SetCallTerms writes c's terms (HoldModelsAtSystemicRisk,
	// BlockOverdueOrganizations); ENOTFOUND for an unknown call.
	SetCallTerms(ctx context.Context, c *Call) error
}

// ProposalQueries read proposals.
type ProposalQueries interface {
	GetProposal(ctx context.Context, id string) (*Proposal, error)
	// ListProposalsByID returns the proposals among ids, in any order;
	// one statement for up to hundreds of ids.
	ListProposalsByID(ctx context.Context, ids []string) ([]*Proposal, error)
	// ListProposals lists proposals, newest first.
	ListProposals(ctx context.Context, s Scope, f ProposalFilter) ([]*Proposal, int, error)
	// GetProposalAccess returns the facts CanSeeProposalWith needs beyond
	// a caller's role: whether reviewerID (if not "") holds an unrecused
	// assignment on the proposal and an active conflict with it, and
	// whether site (if not "") hosts one of its requested systems.
	GetProposalAccess(ctx context.Context, proposalID, reviewerID, site string) (ProposalAccess, error)
	// ListSubmittedProposals returns every proposal that left draft,
	// oldest first, for re-screening.
	ListSubmittedProposals(ctx context.Context) ([]*Proposal, error)
}

// ProposalWrites change proposals and the call's running totals.
type ProposalWrites interface {
	// InsertProposal adds p, in whatever state it has reached, with its
	// requests.
	InsertProposal(ctx context.Context, p *Proposal) error
	// UpdateProposalContent writes p's mode, title, content and requests.
	UpdateProposalContent(ctx context.Context, p *Proposal, oldVersion int) error
	// UpdateProposalState writes p's state, screening, decision and dates.
	UpdateProposalState(ctx context.Context, p *Proposal, oldVersion int) error
	// ReserveCapacity adds grants to the call's running totals per system,
	// each checked against the system's capacity for the period as the
	// catalogue holds it at that moment. When one would not fit it adds
	// nothing and returns the first shortfall; concurrent reservations on
	// one call and system take turns.
	ReserveCapacity(ctx context.Context, callID string, grants []Grant) (*CapacityShortfall, error)
}

// ReviewQueries read review tracks, rubrics, reviews, replies and the
// panel's verdicts.
type ReviewQueries interface {
	// GetReviewTrack returns a proposal's track and the panel's verdict on
	// it (nil before the panel); ENOTFOUND when it never reached review.
	GetReviewTrack(ctx context.Context, proposalID string) (*ReviewTrack, *PanelRecord, error)
	// GetStageProgress counts what the track's current stage has; Rubric
	// and Now are the caller's to fill.
	GetStageProgress(ctx context.Context, t *ReviewTrack) (StageProgress, error)
	// ListProposalsAtStage returns the call's proposals in review whose
	// track is at stage, oldest first.
	ListProposalsAtStage(ctx context.Context, callID string, stage ReviewStage) ([]*Proposal, error)
	// GetCallRubric returns the rubric published for a call; ENOTFOUND
	// when it has none of its own.
	GetCallRubric(ctx context.Context, callID string) (*Rubric, error)
	// CountReviews counts the reviews written in stage across a call.
	CountReviews(ctx context.Context, callID string, stage ReviewStage) (int, error)
	// ListReviews returns a proposal's reviews in submission order.
	ListReviews(ctx context.Context, proposalID string) ([]*Review, error)
	// ListCountedReviews returns a proposal's reviews of stage by
	// reviewers without an active conflict, in submission order: the
	// reviews that count.
	ListCountedReviews(ctx context.Context, proposalID string, stage ReviewStage) ([]*Review, error)
	// GetReviewByAuthor returns the review of stage written under
	// authorKey (a reviewer's ID, or "site:" and a site for a technical
	// assessment); ENOTFOUND for none.
	GetReviewByAuthor(ctx context.Context, proposalID string, stage ReviewStage, authorKey string) (*Review, error)
	// IsAssigned reports whether reviewerID holds an unrecused assignment
	// on the proposal for stage.
	IsAssigned(ctx context.Context, proposalID string, stage ReviewStage, reviewerID string) (bool, error)
	GetReply(ctx context.Context, proposalID string) (*Reply, error)
	// ListRanking returns the panel's verdicts on a call's proposals, in
	// no particular order.
	ListRanking(ctx context.Context, callID string) ([]*PanelEntry, error)
}

// ReviewWrites change review tracks, rubrics, reviews and replies.
type ReviewWrites interface {
	InsertReviewTrack(ctx context.Context, t *ReviewTrack) error
	// UpdateReviewTrack writes t's stage and the panel's verdict (nil
	// keeps none).
	UpdateReviewTrack(ctx context.Context, t *ReviewTrack, panel *PanelRecord, oldVersion int) error
	// SaveCallRubric publishes r for the call, replacing any earlier one.
	SaveCallRubric(ctx context.Context, callID string, r *Rubric, at time.Time) error
	InsertReview(ctx context.Context, r *Review, authorKey string) error
	UpdateReview(ctx context.Context, r *Review, oldVersion int) error
	InsertReply(ctx context.Context, r *Reply) error
	UpdateReply(ctx context.Context, r *Reply, oldVersion int) error
}

// ReviewerQueries read reviewer profiles, assignments and conflicts.
type ReviewerQueries interface {
	// GetReviewerProfile returns a reviewer's profile (empty, version 0,
	// if never written); ENOTFOUND for a user who is not a reviewer.
	GetReviewerProfile(ctx context.Context, userID string) (*ReviewerProfile, error)
	// ListReviewerProfiles lists reviewers with their profiles by e-mail.
	ListReviewerProfiles(ctx context.Context, s Scope, f ReviewerFilter) ([]*ReviewerProfile, int, error)
	// ListReviewerCandidates returns every reviewer with their profile
	// and their load: the unrecused assignments they hold in the call.
	ListReviewerCandidates(ctx context.Context, callID string) ([]Candidate, error)
	// ListAssignments lists assignments, oldest first.
	ListAssignments(ctx context.Context, s Scope, f AssignmentFilter) ([]*Assignment, int, error)
	GetAssignment(ctx context.Context, id string) (*Assignment, error)
	// ListCallAssignments returns every assignment in a call, any state.
	ListCallAssignments(ctx context.Context, callID string) ([]*Assignment, error)
	// ListOpenAssignments returns the unrecused assignments of
	// reviewerID, on proposalID only when it is not "".
	ListOpenAssignments(ctx context.Context, reviewerID, proposalID string) ([]*Assignment, error)
	// ListActiveConflicts returns the active conflicts on a call's
	// proposals.
	ListActiveConflicts(ctx context.Context, callID string) ([]*Conflict, error)
	// ListConflicts lists recorded conflicts, oldest first.
	ListConflicts(ctx context.Context, s Scope, f ConflictFilter) ([]*Conflict, int, error)
	GetConflict(ctx context.Context, id string) (*Conflict, error)
}

// ReviewerWrites change profiles, assignments and conflicts.
type ReviewerWrites interface {
	// SaveReviewerProfile writes r: inserted when oldVersion is 0.
	SaveReviewerProfile(ctx context.Context, r *ReviewerProfile, oldVersion int) error
	InsertAssignment(ctx context.Context, a *Assignment) error
	// UpdateAssignmentState moves an assignment to state.
	UpdateAssignmentState(ctx context.Context, id string, state AssignmentState, at time.Time) error
	// InsertConflict records c unless a conflict with the same reason is
	// on file for the pair, and reports whether it was new.
	InsertConflict(ctx context.Context, c *Conflict) (bool, error)
	// UpdateConflict writes c's status and waiver.
	UpdateConflict(ctx context.Context, c *Conflict) error
}

// AllocationQueries read allocations and what their sites provision.
type AllocationQueries interface {
	// GetAllocation returns an allocation and the site hosting its system.
	GetAllocation(ctx context.Context, id string) (*Allocation, string, error)
	// ListAllocations lists allocations, newest first.
	ListAllocations(ctx context.Context, s Scope, f AllocationFilter) ([]*Allocation, int, error)
	// ListHostedAllocations returns the allocations among ids that exist,
	// with their sites.
	ListHostedAllocations(ctx context.Context, ids []string) ([]HostedAllocation, error)
	// ListConditionAcks returns the acknowledgements of an allocation's
	// conditions.
	ListConditionAcks(ctx context.Context, allocationID string) ([]ConditionAck, error)
	// ListSiteAllocations returns the allocations of a site (of one
	// system when systemID is set) that are not expired or expired at or
	// after expiredSince, by ID, with what its agent's desired state is
	// made of.
	ListSiteAllocations(ctx context.Context, site string, systemID *string, expiredSince time.Time) ([]SiteAllocation, error)
}

// AllocationWrites change allocations.
type AllocationWrites interface {
	// InsertAllocation adds a, awarded in callID.
	InsertAllocation(ctx context.Context, a *Allocation, callID string) error
	// UpdateAllocationState writes a's state.
	UpdateAllocationState(ctx context.Context, a *Allocation, oldVersion int) error
	InsertConditionAck(ctx context.Context, ack ConditionAck) error
}

// UsageQueries read usage.
type UsageQueries interface {
	// GetUsageTotals returns an allocation's totals, its per-user totals
	// (users with jobs) and the thresholds it crossed, in percent order;
	// the charge of each user and the derived figures are the caller's.
	GetUsageTotals(ctx context.Context, allocationID string) (*UsageSummary, error)
	// ListUsageRecords lists an allocation's job records, latest started
	// first; their Account and ChargeSeconds are the caller's to fill.
	ListUsageRecords(ctx context.Context, f UsageFilter) ([]*UsageRecord, int, error)
}

// UsageWrites store usage. They are built for bulk: a batch of thousands of
// records is a handful of statements.
type UsageWrites interface {
	// LockUsageCluster makes concurrent batches of one cluster take
	// turns, so that two can never both find a job new.
	LockUsageCluster(ctx context.Context, cluster string) error
	// GetUsageRecords returns the stored records of cluster among jobIDs,
	// by job ID, with their allocation and user (not their charge).
	GetUsageRecords(ctx context.Context, cluster string, jobIDs []string) (map[string]*UsageRecord, error)
	// PutUsageRecords stores records whole, replacing any stored record
	// of the same job.
	PutUsageRecords(ctx context.Context, recs []*UsageRecord) error
	// AddUsageTotals adds deltas to the totals per (allocation, user) and
	// per allocation, and returns each allocation's charge afterwards.
	AddUsageTotals(ctx context.Context, users, allocations []UsageDelta, at time.Time) (map[string]int64, error)
	// InsertUsageThreshold records a crossed threshold unless it is on
	// file, and reports whether it was new.
	InsertUsageThreshold(ctx context.Context, allocationID string, t UsageThreshold) (bool, error)
	// AddClusterRecords counts n more records kept for cluster.
	AddClusterRecords(ctx context.Context, cluster string, n int64, at time.Time) error
}

// ModelQueries read models and their running compute totals.
type ModelQueries interface {
	// GetModel returns one model or ENOTFOUND.
	GetModel(ctx context.Context, id string) (*Model, error)
	// ListModels lists models by organization, name and version.
	ListModels(ctx context.Context, f ModelFilter) ([]*Model, int, error)
	// ListModelsOf returns every model of the organizations orgIDs.
	ListModelsOf(ctx context.Context, orgIDs []string) ([]*Model, error)
	// ListModelDays returns a model's training compute per day, by day.
	ListModelDays(ctx context.Context, modelNum int64) ([]ModelDay, error)
	// ListOrganizationUsage returns the running totals of every model
	// (and of unattributed jobs) of an organization, with each
	// allocation's system, by model, allocation and phase; and the
	// organization's allocations, by ID, each with its charge so far.
	ListOrganizationUsage(ctx context.Context, orgID string) ([]ModelUsageRow, []AllocationCharge, error)
	// ListAllocationModelUsage returns an allocation's running totals
	// per model (0 for unattributed jobs) and phase.
	ListAllocationModelUsage(ctx context.Context, allocationID string) ([]ModelUsageRow, error)
	// ListComputeAlerts returns the alerts recorded for each of subjects
	// in turn, each subject's by threshold and fraction.
	ListComputeAlerts(ctx context.Context, subjects ...string) ([]ComputeAlert, error)
	// ListAllocationPhaseUsage returns the labelled GPU-seconds of the
	// allocations among ids by allocation and phase, all models together,
	// leaving out those with a usage flag of kind on file; one statement
	// for a batch's allocations.
	ListAllocationPhaseUsage(ctx context.Context, kind string, ids []string) ([]AllocationPhaseUsage, error)
	// ListUsageFlags returns an allocation's recorded usage flags by kind.
	ListUsageFlags(ctx context.Context, allocationID string) ([]UsageFlag, error)
	// GetModelHold returns a model's hold, acknowledged or not; ENOTFOUND
	// when it was never held.
	GetModelHold(ctx context.Context, modelID string) (*ModelHold, error)
	// HoldingCall returns a call that holds models
	// (Call.HoldModelsAtSystemicRisk) of which the organization has an
	// allocation not expired, "" when there is none.
	HoldingCall(ctx context.Context, orgID string) (string, error)
	// ListHeldModels returns the labels of the models held (not
	// acknowledged) under an allocation: its organization's, when its
	// call holds models; none otherwise.
	ListHeldModels(ctx context.Context, allocationID string) ([]string, error)
}

// ModelWrites store models and add to their running totals.
type ModelWrites interface {
	// InsertModel stores a new model and sets its Num; ECONFLICT when its
	// organization has the name and version.
	InsertModel(ctx context.Context, m *Model) error
	// AddModelUsage adds deltas to the running totals and to the daily
	// training series, in one lock order.
	AddModelUsage(ctx context.Context, deltas []ModelUsageDelta, days []ModelDay) error
	// AddComputeTotals adds FLOP to the cumulative totals of subjects
	// ("model:NUM", "org:ID") and returns each total afterwards.
	AddComputeTotals(ctx context.Context, add map[string]float64, at time.Time) (map[string]float64, error)
	// InsertComputeAlert records an alert unless it is on file, and
	// reports whether it was new.
	InsertComputeAlert(ctx context.Context, a ComputeAlert) (bool, error)
	// InsertUsageFlag records a usage flag unless one of its allocation
	// and kind is on file, and reports whether it was new.
	InsertUsageFlag(ctx context.Context, f UsageFlag) (bool, error)
	// InsertModelHold records a model's hold unless it has one (held or
	// acknowledged), and reports whether it did.
	InsertModelHold(ctx context.Context, h *ModelHold) (bool, error)
	// AcknowledgeModelHold writes h's acknowledgement; ECONFLICT when the
	// hold is acknowledged already.
	AcknowledgeModelHold(ctx context.Context, h *ModelHold) error
}

// RunQueries read allocation runs and what they are computed from.
type RunQueries interface {
	// GetRunSnapshot reads everything an allocation run of the call is
	// computed from.
	GetRunSnapshot(ctx context.Context, callID string) (*RunSnapshot, error)
	// GetRun returns a run with the input it was created with.
	GetRun(ctx context.Context, id string) (*AllocationRun, *AllocationRunInput, error)
	// ListRuns lists runs newest first, without their outcomes.
	ListRuns(ctx context.Context, f AllocationRunFilter) ([]*AllocationRun, int, error)
	// GetRunInstance returns the solver's input of a run, as stored.
	GetRunInstance(ctx context.Context, id string) ([]byte, error)
}

// RunWrites store allocation runs.
type RunWrites interface {
	// InsertRun stores a run with its input and the solver's instance.
	InsertRun(ctx context.Context, r *AllocationRun, in AllocationRunInput, instance []byte) error
	// UpdateRunPublished writes a run's publication.
	UpdateRunPublished(ctx context.Context, r *AllocationRun, oldVersion int) error
}

// NotificationQueries read notifications.
type NotificationQueries interface {
	// ListNotifications lists notifications newest first.
	ListNotifications(ctx context.Context, s Scope, f NotificationFilter) ([]*Notification, int, error)
	GetNotification(ctx context.Context, id string) (*Notification, error)
}

// NotificationWrites store notifications.
type NotificationWrites interface {
	InsertNotification(ctx context.Context, n *Notification) error
	UpdateNotificationRead(ctx context.Context, id string, at time.Time) error
}

// AuditQueries read the audit chain.
type AuditQueries interface {
	// ListAuditEvents lists events in chain order.
	ListAuditEvents(ctx context.Context, f AuditFilter) ([]*AuditEvent, int, error)
	// GetAuditHead returns the chain's last sequence number and hash.
	GetAuditHead(ctx context.Context) (int64, string, error)
	// ScanAuditEvents calls fn with every event in chain order until fn
	// returns false.
	ScanAuditEvents(ctx context.Context, fn func(*AuditEvent) bool) error
	// ScanAuditRows calls fn with every event in chain order, as the
	// stored bytes, until fn returns false: the fast path of verification.
	// The row and its slices are reused: they are valid only during the
	// call.
	ScanAuditRows(ctx context.Context, fn func(*AuditRow) bool) error
	// ScanPendingAudit calls fn with every event committed but not yet
	// sealed into the chain, in the order it will be sealed, until fn
	// returns false; its chain fields are empty. A store that seals in the
	// writing transaction has none.
	ScanPendingAudit(ctx context.Context, fn func(*AuditEvent) bool) error
	// ScanStateRows calls fn with every row of the table that holds
	// subjects of subjectType (organization, user, system, call, proposal,
	// allocation, review, assignment, conflict, reviewer, incident), as the domain
	// value audit events snapshot, in id order, until fn returns false, and
	// returns the table's name. EINVALID for another subject type.
	ScanStateRows(ctx context.Context, subjectType string, fn func(id string, row any) bool) (string, error)
}

// CapacityShortfall is a grant that did not fit a system's capacity for
// the call: what was asked, and what the call had already granted there.
type CapacityShortfall struct {
	SystemID string
	Amount   float64
	Granted  float64
}

// HostedAllocation is an allocation with the site hosting its system, which
// decides who may see and provision it.
type HostedAllocation struct {
	Allocation *Allocation
	Site       string
}

// ConditionAck is a holder's acknowledgement of one of an allocation's
// conditions.
type ConditionAck struct {
	AllocationID   string
	RuleID         string
	Statement      string
	AcknowledgedBy string
	AcknowledgedAt time.Time
}

// SiteAllocation is one allocation as a site's desired state is made of
// it: the allocation, its organization's name, its proposal's title, the
// conditions acknowledged and the cluster usernames of its organization's
// users (only applicants belong to an organization: User.Validate).
type SiteAllocation struct {
	Allocation       *Allocation
	OrganizationName string
	Title            string
	Acknowledged     []string
	Members          []string
	// ChargeSeconds is the usage counted against the allocation so far,
	// in its unit's seconds (UsageSummary.ChargeSeconds).
	ChargeSeconds int64
	// HeldModels are the labels of the organization's held models when
	// the allocation's call holds models (Call.HoldModelsAtSystemicRisk).
	HeldModels []string
	// Breach is the allocation's breach in force, nil when none.
	Breach *Breach
	// GraceUntil ends the allocation's grace period for its conditions
	// (ConditionGrace), nil when it has none.
	GraceUntil *time.Time
}

// UsageDelta is a change to usage totals: of one cluster user under an
// allocation, or (Username "") of the allocation as a whole.
type UsageDelta struct {
	AllocationID string
	Username     string
	UsageTotals
}
