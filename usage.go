// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"cmp"
	"context"
	"math"
	"slices"
	"time"
)

// Usage accounting. A site's agent reads its scheduler's accounting (Slurm's
// sacct) and posts one record per job; the server keeps exactly one record
// per (cluster, job id), whatever the retries and re-reads, and keeps running
// totals per allocation and per cluster user beside them.
//
// Compute is counted in integer seconds of the allocation's charge measure
// (GPU-seconds for a GPU-hour award, node-seconds for a node-hour award), so
// totals are exact; hours appear only at the edges.

// UsageRecordInput is one job as an agent reports it. The server derives the
// allocation from Account (see AllocationIDFromAccount) and the charge from
// the allocation's unit.
type UsageRecordInput struct {
	// JobID is the scheduler's raw job id, unique per cluster (for Slurm
	// an array task has its own).
	JobID   string `json:"job_id"`
	Account string `json:"account"`
	// Username is the cluster user who ran the job.
	Username string `json:"username"`
	// State is the scheduler's job state (COMPLETED, RUNNING, ...).
	State string `json:"state"`
	// Final is set once the job has ended: its usage will not change, and
	// the record never does again.
	Final bool `json:"final"`
	// StartAt and EndAt are whole seconds, UTC; nil while unknown (not
	// started, still running).
	StartAt        *time.Time `json:"start_at,omitempty"`
	EndAt          *time.Time `json:"end_at,omitempty"`
	ElapsedSeconds int64      `json:"elapsed_seconds"`
	GPUSeconds     int64      `json:"gpu_seconds"`
	NodeSeconds    int64      `json:"node_seconds"`
	CPUSeconds     int64      `json:"cpu_seconds"`
	// Model and Phase are the job's claim, read from its comment
	// (ParseJobLabel): a model label "NAME@VERSION" of the allocation's
	// organization and what the job did for it; "" when unlabelled.
	Model string `json:"model,omitempty"`
	Phase Phase  `json:"phase,omitempty"`
	// EnergyJoules is the energy Slurm measured for the job
	// (ConsumedEnergyRaw), 0 when not measured.
	EnergyJoules int64 `json:"energy_joules,omitempty"`
	// GPUUtil is the mean per-GPU utilisation Slurm measured (gres/gpuutil,
	// 0–1), nil when not measured.
	GPUUtil *float64 `json:"gpu_util,omitempty"`
}

// UsageRecord is one job's usage as the server stores it: the job as its
// agent reported it, with the cluster it ran on, the allocation its
// account belongs to and what it costs that allocation.
type UsageRecord struct {
	Cluster string `json:"cluster"`
	UsageRecordInput
	AllocationID string `json:"allocation_id"`
	// ChargeSeconds is what the job costs its allocation: GPUSeconds for a
	// GPU-hour award, NodeSeconds for a node-hour award.
	ChargeSeconds int64 `json:"charge_seconds"`
	// ModelNum is the model the claim resolved to among the allocation's
	// organization's models (Model.Num), 0 when unattributed; Model keeps
	// the label only when it resolved.
	ModelNum int64 `json:"-"`
	// FLOP and EnergyJ are the job's compute and energy (without the
	// site's PUE), computed when read (ModelFLOP, ModelEnergyJ).
	FLOP    float64 `json:"flop"`
	EnergyJ float64 `json:"energy_j"`
}

// maxUsageSeconds bounds every seconds field: a million GPUs for a year is
// 3·10^13; anything near 2^50 is garbage, and the bound keeps sums far from
// overflow.
const maxUsageSeconds = 1 << 50

// MaxUsageBatch bounds the records of one UsageBatch.
const MaxUsageBatch = 20000

// Validate checks one record on its own and returns a caller-safe reason,
// or "" when it is acceptable.
func (r *UsageRecordInput) Validate() string {
	switch {
	case !validJobID(r.JobID):
		return "job_id must be 1–64 letters, digits, '.', '_', '-' or '+'"
	case r.Account == "" || len(r.Account) > 64:
		return "account is required (at most 64 characters)"
	case textProblem(r.Account, false) != "":
		return "account " + textProblem(r.Account, false)
	case !ValidUsername(r.Username):
		return "username is not a valid cluster user name"
	case !validJobState(r.State):
		return "state must be an upper-case scheduler state such as COMPLETED"
	case r.ElapsedSeconds < 0 || r.ElapsedSeconds > maxUsageSeconds,
		r.GPUSeconds < 0 || r.GPUSeconds > maxUsageSeconds,
		r.NodeSeconds < 0 || r.NodeSeconds > maxUsageSeconds,
		r.CPUSeconds < 0 || r.CPUSeconds > maxUsageSeconds:
		return "seconds must be between 0 and 2^50"
	case r.StartAt != nil && r.EndAt != nil && r.EndAt.Before(*r.StartAt):
		return "end_at is before start_at"
	case r.Model != "" && !validLabel(r.Model):
		return "model must be a model label NAME@VERSION"
	case r.Phase != PhaseNone && !r.Phase.Valid():
		return "phase must be one of pre-training, fine-tuning, synthetic-data, evaluation, inference, other"
	case r.EnergyJoules < 0 || r.EnergyJoules > 1<<62:
		return "energy_joules must be between 0 and 2^62"
	case r.GPUUtil != nil && !inRange(*r.GPUUtil, 0, 1):
		return "gpu_util must be between 0 and 1"
	}
	return ""
}

// earliestJobTime bounds job times from below: no job of a EuroHPC system
// ran before it (Slurm itself dates from 2002).
var earliestJobTime = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// maxClockSkew is how far a job time may lie after the server's clock: a
// site's clock may run ahead, but not by a day.
const maxClockSkew = 24 * time.Hour

// CheckTimes checks the record's job times against the server's clock now
// and returns a caller-safe reason, or "" when they are plausible: neither
// before 2000, and the start not more than a day in the future. Beyond the
// sense of it, the start is what the store files a record under
// (PostgreSQL keeps a partition per month), so absurd starts must not
// reach it. The end is not held to the clock: a job's end as a simulated
// cluster (or a site's clock) reports it may run ahead, and files nothing.
func (r *UsageRecordInput) CheckTimes(now time.Time) string {
	switch {
	case r.StartAt != nil && r.StartAt.Before(earliestJobTime):
		return "start_at is before 2000, earlier than any job of a EuroHPC system"
	case r.EndAt != nil && r.EndAt.Before(earliestJobTime):
		return "end_at is before 2000, earlier than any job of a EuroHPC system"
	case r.StartAt != nil && r.StartAt.After(now.Add(maxClockSkew)):
		return "start_at is more than a day in the future"
	}
	return ""
}

func validJobID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-' || c == '+') {
			return false
		}
	}
	return true
}

func validJobState(s string) bool {
	if s == "" || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'A' && c <= 'Z' || c == '_') {
			return false
		}
	}
	return true
}

// ValidClusterName reports whether s names a cluster as records carry it:
// 1–64 lower-case letters, digits, '_' or '-' (Slurm lower-cases
// ClusterName).
func ValidClusterName(s string) bool { return ValidAccountName(s) }

// UsageBatch is what an agent posts: records read from one cluster.
type UsageBatch struct {
	Cluster string             `json:"cluster"`
	Records []UsageRecordInput `json:"records"`
}

// UsageStatus is what ingestion did with one record.
type UsageStatus string

// The ingestion outcomes.
const (
	// UsageAccepted: stored, as a new job or replacing a running job's
	// earlier record.
	UsageAccepted UsageStatus = "accepted"
	// UsageDuplicate: nothing changed; the server already had this or a
	// newer view of the job (a replay, an overlapping re-read).
	UsageDuplicate UsageStatus = "duplicate"
	// UsageRejected: refused for a reason that retrying cannot fix.
	UsageRejected UsageStatus = "rejected"
)

// UsageResult is the outcome for one input record, in input order.
type UsageResult struct {
	JobID  string      `json:"job_id"`
	Status UsageStatus `json:"status"`
	Reason string      `json:"reason,omitempty"`
}

// UsageIngest reports what a batch did.
type UsageIngest struct {
	Accepted  int           `json:"accepted"`
	Duplicate int           `json:"duplicate"`
	Rejected  int           `json:"rejected"`
	Results   []UsageResult `json:"results"`
}

// MergeUsage decides what an incoming record does to the stored one (nil
// when the job is new) and returns UsageAccepted when in should replace it,
// or UsageDuplicate or UsageRejected with the reason. The rules make
// ingestion idempotent and order-independent:
//
//   - a final record is immutable: the same final again, or any running
//     view of the job, is a duplicate; a different final is rejected;
//   - a final record replaces a running one;
//   - a running record replaces a running one only if it has run at least
//     as long (a late retry of an older read never rolls usage back).
func MergeUsage(stored, in *UsageRecord) (UsageStatus, string) {
	switch {
	case stored == nil:
		return UsageAccepted, ""
	case stored.Final && !in.Final:
		return UsageDuplicate, "the job is already recorded as ended"
	case stored.Final:
		if sameUsage(stored, in) {
			return UsageDuplicate, ""
		}
		return UsageRejected, "the job is already recorded as ended with different usage; an ended job's record never changes"
	case in.Final:
		return UsageAccepted, ""
	case in.ElapsedSeconds < stored.ElapsedSeconds:
		return UsageDuplicate, "older than the stored record of the running job"
	case sameUsage(stored, in):
		return UsageDuplicate, ""
	}
	return UsageAccepted, ""
}

func sameUsage(a, b *UsageRecord) bool {
	return a.Final == b.Final && a.State == b.State && a.AllocationID == b.AllocationID && a.Username == b.Username &&
		a.ElapsedSeconds == b.ElapsedSeconds && a.GPUSeconds == b.GPUSeconds && a.NodeSeconds == b.NodeSeconds &&
		a.CPUSeconds == b.CPUSeconds && timeEq(a.StartAt, b.StartAt) && timeEq(a.EndAt, b.EndAt) &&
		a.ModelNum == b.ModelNum && a.Phase == b.Phase && a.EnergyJoules == b.EnergyJoules && utilEq(a.GPUUtil, b.GPUUtil)
}

func utilEq(a, b *float64) bool {
	if a == nil || b == nil {
		return a == b
	}
	// Stored as a 4-byte real on some engines: equal to 10^-6.
	return math.Abs(*a-*b) < 1e-6
}

func validLabel(s string) bool {
	_, v, ok := ParseModelLabel(s)
	return ok && v != ""
}

// timeEq compares job times to the second, the resolution they are kept
// at.
func timeEq(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Unix() == b.Unix()
}

// ChargeSeconds returns what usage costs an award in unit: GPU-seconds for
// GPU-hours, node-seconds for node-hours, 0 for an unknown unit.
func ChargeSeconds(unit Unit, gpuSeconds, nodeSeconds int64) int64 {
	switch unit {
	case UnitGPUHours:
		return gpuSeconds
	case UnitNodeHours:
		return nodeSeconds
	}
	return 0
}

// LimitSeconds is the grant in charge-seconds as the scheduler enforces it:
// rounded down to whole minutes, since Slurm's GrpTRESMins holds minutes
// (and slurm.LimitsFor rounds the same way). Thresholds and exhaustion are
// measured against it, so that "100 %" in pactum is the moment Slurm stops
// admitting jobs.
func (a *Allocation) LimitSeconds() int64 { return limitSeconds(a.Amount) }

func limitSeconds(amount float64) int64 {
	if amount <= 0 || math.IsNaN(amount) || math.IsInf(amount, 0) {
		return 0
	}
	return int64(math.Floor(amount*60+1e-6)) * 60
}

// UsageThresholds are the shares of a grant, in percent, whose crossing is
// recorded once per allocation (an audit event each); at 100 the allocation
// is exhausted.
var UsageThresholds = []int{75, 90, 100}

// ThresholdsReached returns the thresholds that used charge-seconds have
// reached against limit (LimitSeconds). No usage reaches nothing.
//
// Why 100 % is "used ≥ the enforced limit" and nothing softer: Slurm admits
// a job only while whole used minutes plus the job's own worst case (at
// least one minute of one unit) fit the limit, and with
// AccountingStorageEnforce=safe it holds a job whose worst case does not.
// So no job of any size can start exactly when floor(used/60) ≥ limit/60,
// that is used ≥ limit. Below that, jobs held with AssocGrpGRESMinutes
// only mean that they are too big for what remains, and a smaller job
// would still run: the allocation is not exhausted, and the 90 % warning
// has already told its users.
func ThresholdsReached(used, limit int64) []int {
	var out []int
	if used <= 0 {
		return out
	}
	for _, t := range UsageThresholds {
		if used*100 >= int64(t)*limit {
			out = append(out, t)
		}
	}
	return out
}

// UsageThreshold is a threshold an allocation's usage crossed, and when.
type UsageThreshold struct {
	Percent       int       `json:"percent"`
	ChargeSeconds int64     `json:"charge_seconds"`
	CrossedAt     time.Time `json:"crossed_at"`
}

// UsageTotals are summed records.
type UsageTotals struct {
	Jobs          int64 `json:"jobs"`
	GPUSeconds    int64 `json:"gpu_seconds"`
	NodeSeconds   int64 `json:"node_seconds"`
	CPUSeconds    int64 `json:"cpu_seconds"`
	ChargeSeconds int64 `json:"charge_seconds"`
}

// UserUsage is one cluster user's share of an allocation.
type UserUsage struct {
	Username string `json:"username"`
	UsageTotals
	// Used is ChargeSeconds in the allocation's unit (hours).
	Used float64 `json:"used"`
}

// UsageSummary is an allocation's usage against its grant.
type UsageSummary struct {
	AllocationID string          `json:"allocation_id"`
	SystemID     string          `json:"system_id"`
	State        AllocationState `json:"state"`
	Unit         Unit            `json:"unit"`
	Amount       float64         `json:"amount"`
	// LimitSeconds is the grant as enforced (Allocation.LimitSeconds).
	LimitSeconds int64 `json:"limit_seconds"`
	UsageTotals
	// Used is ChargeSeconds in Unit; Percent is ChargeSeconds against
	// LimitSeconds (0 when the limit is 0).
	Used       float64          `json:"used"`
	Percent    float64          `json:"percent"`
	Thresholds []UsageThreshold `json:"thresholds"`
	Users      []UserUsage      `json:"users"`
	// Models splits the usage by model and phase as the jobs claimed it;
	// a model "" holds the unattributed jobs.
	Models []ModelShare `json:"models"`
	// Flags are findings for the access managers in plain words
	// (UsageFlags).
	Flags     []string   `json:"flags"`
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
}

// Fill derives Used and Percent from the totals, for the summary and each
// user.
func (s *UsageSummary) Fill() {
	s.Used = float64(s.ChargeSeconds) / 3600
	if s.LimitSeconds > 0 {
		s.Percent = math.Round(float64(s.ChargeSeconds)*10000/float64(s.LimitSeconds)) / 100
	}
	for i := range s.Users {
		s.Users[i].Used = float64(s.Users[i].ChargeSeconds) / 3600
	}
}

// UsageFilter selects usage records of one allocation. Nil fields match
// everything.
type UsageFilter struct {
	AllocationID  string
	Username      *string
	Final         *bool
	Limit, Offset int
}

// UsageService ingests and reads usage.
type UsageService interface {
	// IngestUsage stores a batch of records from one cluster in one
	// transaction: each job is kept once, keyed by (cluster, job id), and
	// replaced only as MergeUsage allows; totals per allocation and per
	// user change by exactly the difference; a threshold crossed is
	// recorded once, and at 100 % an active allocation becomes exhausted.
	// Site operators only (EFORBIDDEN otherwise), and only for their
	// site's allocations: a record for any other account is rejected, as
	// is a malformed one, each with its reason, without failing the
	// batch. EINVALID for a bad cluster name or more than MaxUsageBatch
	// records.
	IngestUsage(ctx context.Context, b UsageBatch) (*UsageIngest, error)
	// FindUsageSummary returns an allocation's totals, per-user totals and
	// crossed thresholds, to whoever may see the allocation
	// (CanSeeAllocation); ENOTFOUND otherwise.
	FindUsageSummary(ctx context.Context, allocationID string) (*UsageSummary, error)
	// FindUsageRecords lists an allocation's job records, latest started
	// first, and the total matching, under the same rule.
	FindUsageRecords(ctx context.Context, f UsageFilter) ([]*UsageRecord, int, error)
}

// ValidUsername reports whether s is a POSIX user name as clusters accept
// it: a lower-case letter or '_' first, then lower-case letters, digits,
// '_', '-' or '.', at most 32 bytes. It is the rule of slurm.ValidUserName,
// so a username pactum accepts is one the site agent can provision.
func ValidUsername(s string) bool {
	if s == "" || len(s) > 32 || !(s[0] >= 'a' && s[0] <= 'z' || s[0] == '_') {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// ValidAccountName reports whether s is a scheduler account (or cluster)
// name that Slurm stores as given: lower-case ASCII letters, digits, '_'
// and '-', starting with a letter or digit, at most 64 bytes; the rule of
// slurm.ValidAccountName.
func ValidAccountName(s string) bool {
	if s == "" || len(s) > 64 || !lowerAlnum(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !lowerAlnum(c) && c != '_' && c != '-' {
			return false
		}
	}
	return true
}

func lowerAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// Finish derives the summary's figures from its totals: each user's charge
// in the allocation's unit, users ordered by charge (largest first), and
// Used and Percent (Fill).
func (s *UsageSummary) Finish() {
	for i := range s.Users {
		u := &s.Users[i]
		u.ChargeSeconds = ChargeSeconds(s.Unit, u.GPUSeconds, u.NodeSeconds)
	}
	slices.SortStableFunc(s.Users, func(x, y UserUsage) int { return cmp.Compare(y.ChargeSeconds, x.ChargeSeconds) })
	s.Fill()
}

// Add adds r's usage to the totals, sign times (1 to add, -1 to take away).
func (t *UsageTotals) Add(r *UsageRecord, sign int64) {
	t.Jobs += sign
	t.GPUSeconds += sign * r.GPUSeconds
	t.NodeSeconds += sign * r.NodeSeconds
	t.CPUSeconds += sign * r.CPUSeconds
	t.ChargeSeconds += sign * r.ChargeSeconds
}

// Plus adds o to the totals.
func (t *UsageTotals) Plus(o UsageTotals) {
	t.Jobs += o.Jobs
	t.GPUSeconds += o.GPUSeconds
	t.NodeSeconds += o.NodeSeconds
	t.CPUSeconds += o.CPUSeconds
	t.ChargeSeconds += o.ChargeSeconds
}
