// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"context"
	"math"
	"strconv"
	"strings"
	"time"
)

// Supervision of compute. The AI Act ties a provider's obligations to the
// cumulative compute that trained a model (Art. 51(2): more than 10^25
// FLOP presumes systemic risk; the Commission's guidelines take more than
// 10^23 as indicating a general-purpose model). pactum sees jobs, not
// models: an organization registers its models, and each job carries a
// claim, in its Slurm comment, of the model and phase it works on
// (JobLabel). The site agent reads the claim back from sacct with the
// job's usage; the server resolves it against the models of the
// organization holding the allocation, computes the job's FLOP and energy
// with the method named, and keeps running totals per model, allocation,
// phase and day, so that a model's figures, burn rate and projected
// crossings are read, never rescanned.
//
// Labels are claims by the applicant. A job can only count for a model of
// the allocation's own organization; hours labelled evaluation, inference
// or other, and unattributed hours, are shown beside the training figure;
// and every threshold is also checked on an upper bound that counts all of
// the organization's GPU-hours as training of one model, so that renaming
// or relabelling cannot hide a crossing.

// The AI Act's compute thresholds, in FLOP.
const (
	// GPAIThresholdFLOP: more than this indicates a general-purpose model
	// (Commission guidelines on GPAI models, §17).
	GPAIThresholdFLOP = 1e23
	// SystemicRiskThresholdFLOP: more than this presumes systemic risk
	// (Art. 51(2)); the provider notifies the Commission within two weeks
	// of meeting it or of knowing that it will (Art. 52(1)).
	SystemicRiskThresholdFLOP = 1e25
	// EstimateMargin is the accuracy the guidelines accept of a compute
	// estimate (Annex A: within ±30 %); figures are reported with it.
	EstimateMargin = 0.30
	// NotificationDeadline is Art. 52(1)'s "two weeks".
	NotificationDeadline = 14 * 24 * time.Hour
)

// Phase is what a job does for its model.
type Phase string

// The phases. Pre-training, fine-tuning and the generation of non-public
// synthetic training data count towards a model's cumulative training
// compute (guidelines, Annex A); evaluation, inference and other work
// (experiments, failed runs) do not, but are shown beside it.
const (
	PhaseNone          Phase = ""
	PhasePreTraining   Phase = "pre-training"
	PhaseFineTuning    Phase = "fine-tuning"
	PhaseSyntheticData Phase = "synthetic-data"
	PhaseEvaluation    Phase = "evaluation"
	PhaseInference     Phase = "inference"
	PhaseOther         Phase = "other"
)

// Phases lists the phases in a stable order (their storage codes are the
// indexes plus one).
var Phases = []Phase{PhasePreTraining, PhaseFineTuning, PhaseSyntheticData, PhaseEvaluation, PhaseInference, PhaseOther}

// Valid reports whether p is one of Phases.
func (p Phase) Valid() bool { return p.Code() > 0 }

// Code is p's storage code: 1… for Phases, 0 for none or unknown.
func (p Phase) Code() int {
	for i, x := range Phases {
		if x == p {
			return i + 1
		}
	}
	return 0
}

// PhaseOfCode is Code's inverse; PhaseNone for 0 or an unknown code.
func PhaseOfCode(c int) Phase {
	if c < 1 || c > len(Phases) {
		return PhaseNone
	}
	return Phases[c-1]
}

// Training reports whether compute in phase p counts towards the model's
// cumulative training compute.
func (p Phase) Training() bool {
	return p == PhasePreTraining || p == PhaseFineTuning || p == PhaseSyntheticData
}

// Model is an AI model an organization trains with the scheme's compute.
// Its name and version are unique within the organization.
type Model struct {
	ID             string `json:"id"`
	OrganizationID string `json:"organization_id"`
	Name           string `json:"name"`
	Version        string `json:"version"`
	// BaseModel names the model this one modifies (fine-tunes, continues
	// training), "" for a model trained from scratch. It is a declared
	// name, not resolved to a pactum model: its compute is declared in
	// BaseModelFLOP.
	BaseModel string `json:"base_model,omitempty"`
	// BaseModelFLOP is the base model's training compute as declared by
	// its provider, 0 when unknown; it counts towards this model's
	// cumulative compute.
	BaseModelFLOP float64 `json:"base_model_flop,omitempty"`
	// BaseModelSystemicRisk: the base model is a general-purpose model
	// with systemic risk. When BaseModelFLOP is unknown it sets the
	// modifier's threshold (ModifierThreshold).
	BaseModelSystemicRisk bool `json:"base_model_systemic_risk,omitempty"`
	// PriorTrainingFLOP is compute spent training this model outside the
	// scheme (the thresholds are cumulative).
	PriorTrainingFLOP float64 `json:"prior_training_flop,omitempty"`
	// ParameterCount and TrainingTokens, when declared, give the
	// architecture-based estimate 6·P·D beside the measured one: the
	// tokens of this model's own training (on the scheme), since the base
	// model's and prior compute are declared apart and added to both.
	ParameterCount float64 `json:"parameter_count,omitempty"`
	TrainingTokens float64 `json:"training_tokens,omitempty"`
	// DeclaredMFU is the model FLOP utilisation the provider declares for
	// its runs (0–1); 0 uses the middle of the system's planning band.
	// It applies to jobs whose GPU utilisation Slurm did not measure, from
	// the moment it is declared.
	DeclaredMFU float64   `json:"declared_mfu,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	CreatedBy   string    `json:"created_by"`
	// Num is the model's compact key in the usage tables.
	Num int64 `json:"-"`
}

// Label is the model's "NAME@VERSION", as jobs name it.
func (m *Model) Label() string { return m.Name + "@" + m.Version }

// Bounds of a model's declared figures.
const (
	maxModelName = 64
	// MaxParameterCount and MaxTrainingTokens are far above any model
	// trained so far (10^15 parameters, 10^17 tokens): bigger is garbage.
	maxModelParameters = 1e15
	maxModelTokens     = 1e17
)

// ValidModelName reports whether s can name a model or a version in a job
// label: 1–64 letters, digits, '.', '_', '-' (no '@', ';', '=', which the
// label syntax uses, no spaces).
func ValidModelName(s string) bool {
	if s == "" || len(s) > maxModelName {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// Validate checks a model's own fields.
func (m *Model) Validate() error {
	var v Validator
	v.Check(ValidModelName(m.Name), "name", "must be 1–%d letters, digits, '.', '_' or '-'", maxModelName)
	v.Check(ValidModelName(m.Version), "version", "must be 1–%d letters, digits, '.', '_' or '-'", maxModelName)
	v.Check(len(m.BaseModel) <= 200, "base_model", "must be at most 200 characters")
	v.Text("base_model", m.BaseModel, false)
	v.Check(inRange(m.BaseModelFLOP, 0, MaxTrainingFLOP), "base_model_flop", "must be between 0 and %g", float64(MaxTrainingFLOP))
	v.Check(inRange(m.PriorTrainingFLOP, 0, MaxTrainingFLOP), "prior_training_flop", "must be between 0 and %g", float64(MaxTrainingFLOP))
	v.Check(inRange(m.ParameterCount, 0, maxModelParameters), "parameter_count", "must be between 0 and %g", float64(maxModelParameters))
	v.Check(inRange(m.TrainingTokens, 0, maxModelTokens), "training_tokens", "must be between 0 and %g", float64(maxModelTokens))
	v.Check(inRange(m.DeclaredMFU, 0, 1), "declared_mfu", "must be between 0 and 1 (a fraction of the peak)")
	v.Check(m.BaseModel != "" || m.BaseModelFLOP == 0, "base_model_flop", "needs base_model")
	return v.Err("The model is not valid.")
}

// ParseModelLabel splits "NAME@VERSION" (or "NAME", version "") and
// reports whether both parts are valid.
func ParseModelLabel(s string) (name, version string, ok bool) {
	name, version, found := strings.Cut(s, "@")
	if !ValidModelName(name) || found && !ValidModelName(version) {
		return "", "", false
	}
	return name, version, true
}

// jobLabelPrefix starts pactum's claim in a job's comment.
const jobLabelPrefix = "pactum:"

// JobLabel is the comment `pactum job submit` gives a job so that its
// accounting record names its model and phase:
// "pactum:model=NAME@VERSION;phase=PHASE". Slurm keeps the comment with
// the job's accounting (AccountingStoreFlags=job_comment) and sacct
// prints it, so the claim travels with the usage.
func JobLabel(model string, phase Phase) string {
	s := jobLabelPrefix + "model=" + model
	if phase != PhaseNone {
		s += ";phase=" + string(phase)
	}
	return s
}

// ParseJobLabel reads the claim from a job's comment: the model label
// and phase, "" for what is absent or malformed. Text around the claim
// (a user's own comment) is ignored; the claim ends at a space.
func ParseJobLabel(comment string) (model string, phase Phase) {
	i := strings.Index(comment, jobLabelPrefix)
	if i < 0 {
		return "", PhaseNone
	}
	rest := comment[i+len(jobLabelPrefix):]
	if j := strings.IndexAny(rest, " \t|"); j >= 0 {
		rest = rest[:j]
	}
	for _, kv := range strings.Split(rest, ";") {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "model":
			// Only a full label: a record's claim must never make the
			// record itself invalid.
			if _, ver, ok := ParseModelLabel(v); ok && ver != "" {
				model = v
			}
		case "phase":
			if p := Phase(v); p.Valid() {
				phase = p
			}
		}
	}
	return model, phase
}

// UsageBasis is what a job's usage contributes to its model's figures
// besides its GPU-seconds: only what was measured, never a derived
// figure, so that running totals of it change by exact differences and
// the FLOP and energy are computed when read, with the catalogue and the
// model's declared MFU of that moment (ModelFLOP, ModelEnergyJ).
type UsageBasis struct {
	// UtilGPUSeconds are the GPU-seconds whose utilisation Slurm measured
	// (gres/gpuutil), UtilWeighted their sum weighted by it (GPU-seconds ×
	// utilisation): their FLOP is UtilWeighted × peak.
	UtilGPUSeconds int64
	UtilWeighted   float64
	// EnergyGPUSeconds are the GPU-seconds whose node energy Slurm
	// measured plausibly (ConsumedEnergyRaw), EnergyMeasuredJ that
	// energy; the other GPU-seconds are estimated from the catalogue.
	// EnergyImplausible counts readings refused as implausible (0 is "not
	// measured" and is not counted).
	EnergyGPUSeconds  int64
	EnergyMeasuredJ   float64
	EnergyImplausible int64
}

// Add adds sign × o to b.
func (b *UsageBasis) Add(o UsageBasis, sign int64) {
	s := float64(sign)
	b.UtilGPUSeconds += sign * o.UtilGPUSeconds
	b.UtilWeighted += s * o.UtilWeighted
	b.EnergyGPUSeconds += sign * o.EnergyGPUSeconds
	b.EnergyMeasuredJ += s * o.EnergyMeasuredJ
	b.EnergyImplausible += sign * o.EnergyImplausible
}

// maxNodeWatts bounds a plausible measured node power: the densest GPU
// nodes of the scheme draw a few kW (LUMI-G about 1.2 kW average per node
// of 4 MI250X, an 8×H100 node about 10 kW at most). Sites report absurd
// values (~10^20 J) now and then; above this the measurement is refused
// and the estimate used.
const maxNodeWatts = 15000

// RecordBasis is a record's UsageBasis: from its measured utilisation and
// energy alone, so that the same record always gives the same basis.
func RecordBasis(r *UsageRecordInput) UsageBasis {
	var b UsageBasis
	if r.GPUUtil != nil {
		b.UtilGPUSeconds = r.GPUSeconds
		b.UtilWeighted = float64(r.GPUSeconds) * math.Min(math.Max(*r.GPUUtil, 0), 1)
	}
	switch {
	case r.EnergyJoules > 0 && float64(r.EnergyJoules) <= float64(r.NodeSeconds)*maxNodeWatts:
		b.EnergyGPUSeconds, b.EnergyMeasuredJ = r.GPUSeconds, float64(r.EnergyJoules)
	case r.EnergyJoules > 0:
		b.EnergyImplausible = 1
	}
	return b
}

// ModelFLOP is the compute of gpuSeconds on sys with basis b: measured
// utilisation where there was one, else the declared mfu, else (mfu 0)
// the system's planning middle; the GPU-seconds × peak × utilisation of
// the AI Act guidelines' hardware method.
func ModelFLOP(sys *System, mfu float64, gpuSeconds int64, b UsageBasis) float64 {
	if sys == nil {
		return 0
	}
	if mfu <= 0 {
		mfu = sys.PlanningMFU()
	}
	return sys.PeakTFLOPSPerGPU * 1e12 * (b.UtilWeighted + float64(gpuSeconds-b.UtilGPUSeconds)*mfu)
}

// ModelEnergyJ is the IT energy of gpuSeconds on sys with basis b, without
// the site's PUE: Slurm's measurement where it was plausible, else GPU TDP
// × GPU-seconds × the node overhead.
func ModelEnergyJ(sys *System, gpuSeconds int64, b UsageBasis) float64 {
	if sys == nil {
		return b.EnergyMeasuredJ
	}
	return b.EnergyMeasuredJ + float64(gpuSeconds-b.EnergyGPUSeconds)*sys.TDPWattsPerGPU*sys.NodeOverheadOrOne()
}

// ModelUsageKey names a running total of model compute: one model (0 for
// unattributed GPU-hours), allocation and phase.
type ModelUsageKey struct {
	OrganizationID string
	ModelNum       int64
	AllocationID   string
	Phase          Phase
}

// ModelDay is a model's training compute on one day (days since
// 1970-01-01 UTC): the day a job ended, or the day its running record was
// read. The burn rate and the first and last days of training come from
// these, one row per day whatever the allocations. Its FLOP is computed
// when ingested, with the parameters of that moment.
type ModelDay struct {
	ModelNum   int64
	Day        int64
	GPUSeconds int64
	FLOP       float64
}

// ModelUsageDelta is a change to one running total.
type ModelUsageDelta struct {
	ModelUsageKey
	Jobs       int64
	GPUSeconds int64
	UsageBasis
}

// ModelUsageRow is one running total as stored, with the system of its
// allocation.
type ModelUsageRow struct {
	ModelUsageDelta
	SystemID string
}

// ModelFigure is a compute figure as the guidelines ask it: the value,
// its ±30 % band, two significant figures, and the method.
type ModelFigure struct {
	FLOP    float64 `json:"flop"`
	Low     float64 `json:"low"`
	High    float64 `json:"high"`
	Display string  `json:"display"` // two significant figures, e.g. "3.8e+24"
	Method  string  `json:"method"`
}

// NewFigure returns flop with its band and display.
func NewFigure(flop float64, method string) ModelFigure {
	return ModelFigure{FLOP: flop, Low: flop * (1 - EstimateMargin), High: flop * (1 + EstimateMargin),
		Display: TwoSF(flop), Method: method}
}

// TwoSF formats x to two significant figures ("3.8e+24", "0" for 0).
func TwoSF(x float64) string {
	if x == 0 {
		return "0"
	}
	return strconv.FormatFloat(x, 'e', 1, 64)
}

// TwoSFPlain formats x to two significant figures without an exponent,
// for quantities people read as plain numbers ("220", "0.013" MWh).
func TwoSFPlain(x float64) string {
	if x == 0 || math.IsNaN(x) || math.IsInf(x, 0) {
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	p := math.Pow(10, math.Floor(math.Log10(math.Abs(x)))-1)
	v, _ := strconv.ParseFloat(strconv.FormatFloat(math.Round(x/p)*p, 'g', 2, 64), 64)
	return strconv.FormatFloat(v, 'f', -1, 64)
}

// PhaseUsage is a model's use in one phase.
type PhaseUsage struct {
	Phase      Phase    `json:"phase"`
	Training   bool     `json:"training"` // counts towards cumulative compute
	Jobs       int64    `json:"jobs"`
	GPUHours   float64  `json:"gpu_hours"`
	FLOP       float64  `json:"flop"`
	EnergyMWh  float64  `json:"energy_mwh"`
	SystemsIDs []string `json:"systems"`
}

// SystemUsage is a model's (or organization's) use of one system.
type SystemUsage struct {
	SystemID string  `json:"system_id"`
	Site     string  `json:"site"`
	Country  string  `json:"country"`
	GPUHours float64 `json:"gpu_hours"`
	// TrainingGPUHours are those of the training phases, whose compute
	// FLOP is.
	TrainingGPUHours float64 `json:"training_gpu_hours"`
	FLOP             float64 `json:"flop"`
	EnergyMWh        float64 `json:"energy_mwh"`
	CO2eKg           float64 `json:"co2e_kg"`
}

// Crossing is a compute threshold and where the model stands against it.
type Crossing struct {
	Threshold float64 `json:"threshold"`
	Name      string  `json:"name"`  // "gpai" or "systemic-risk"
	Basis     string  `json:"basis"` // the legal basis
	// Reached: the cumulative figure (or its upper band, or the
	// organization's upper bound) is at or above the threshold.
	Reached bool `json:"reached"`
	// ReachedBy says which figure reached it: "estimate", "band" (within
	// the ±30 % margin), "upper-bound" (all of the organization's hours).
	ReachedBy string `json:"reached_by,omitempty"`
	// ProjectedAt is when the burn rate reaches it, if it does and has not.
	ProjectedAt *time.Time `json:"projected_at,omitempty"`
	// WithinGrant: the model's remaining grant, used at the planning
	// utilisation, would reach it.
	WithinGrant bool `json:"within_grant"`
}

// ModelCompute is a model's supervision record: cumulative training
// compute by both methods, energy, burn rate and the thresholds.
type ModelCompute struct {
	Model *Model `json:"model"`
	// At is when the figures were read; AuditSeq the audit chain position
	// they reflect (every ingestion is an audit event).
	At       time.Time `json:"at"`
	AuditSeq int64     `json:"audit_seq"`
	// Training is the compute of the training phases measured on the
	// scheme (hardware method); Cumulative adds the base model's and
	// prior declared compute; SixPD is 6·P·D from the declared parameters
	// and tokens, when both are declared.
	Training   ModelFigure  `json:"training"`
	Cumulative ModelFigure  `json:"cumulative"`
	SixPD      *ModelFigure `json:"six_pd,omitempty"`
	// MeasuredShare is the share of training GPU-hours whose utilisation
	// Slurm measured; the rest used the declared or planning MFU.
	MeasuredShare float64 `json:"measured_share"`
	// UpperBound counts every GPU-hour of the organization, any model,
	// phase or none, as training of this model at the same utilisation:
	// no relabelling can hide a crossing from it.
	UpperBound ModelFigure `json:"upper_bound"`
	// Phases lists the model's use per phase, non-training phases beside
	// the training ones.
	Phases  []PhaseUsage  `json:"phases"`
	Systems []SystemUsage `json:"systems"`
	// GPUHours is training GPU-hours.
	GPUHours float64 `json:"gpu_hours"`
	// EnergyMWh is facility energy (PUE applied) of all the model's jobs;
	// EnergyMeasuredShare the share of GPU-hours with measured energy.
	EnergyMWh           float64 `json:"energy_mwh"`
	EnergyMeasuredShare float64 `json:"energy_measured_share"`
	EnergyMethod        string  `json:"energy_method"`
	CO2eKg              float64 `json:"co2e_kg"`
	// BurnRate is training FLOP per day over the last BurnWindow days.
	BurnRate   float64    `json:"burn_rate_flop_per_day"`
	BurnWindow int        `json:"burn_window_days"`
	FirstDay   *time.Time `json:"first_day,omitempty"`
	LastDay    *time.Time `json:"last_day,omitempty"`
	// RemainingGrantFLOP is what the remaining grant of the allocations
	// the model ran on can still deliver at the planning utilisation.
	RemainingGrantFLOP float64    `json:"remaining_grant_flop"`
	Crossings          []Crossing `json:"crossings"`
	// Flags are findings for the access managers, in plain words.
	Flags []string `json:"flags"`
	// Alerts are the threshold fractions reached, on the model's estimate
	// and on its organization's upper bound, when first recorded.
	Alerts []ComputeAlert `json:"alerts"`
	// Notification is the Art. 52 draft, when the model meets or will
	// meet the systemic-risk threshold.
	Notification *Art52Notification `json:"notification,omitempty"`
	// Hold is the model's hold, when a call's terms held it (ModelHold).
	Hold *ModelHold `json:"hold,omitempty"`
}

// ModelShare is one model's (or, Model "", unattributed) use of an
// allocation in one phase.
type ModelShare struct {
	Model    string  `json:"model"` // label; "" for unattributed
	Phase    Phase   `json:"phase"`
	Jobs     int64   `json:"jobs"`
	GPUHours float64 `json:"gpu_hours"`
	FLOP     float64 `json:"flop"`
}

// ModelService registers models and reports their compute.
type ModelService interface {
	// CreateModel registers a model of the caller's organization
	// (applicants; access managers for any organization). EINVALID,
	// ECONFLICT when the organization has the name and version.
	CreateModel(ctx context.Context, m *Model) (*Model, error)
	// FindModels lists the models the caller may see.
	FindModels(ctx context.Context, f ModelFilter) ([]*Model, int, error)
	// ModelCompute reports a model's supervision record; ENOTFOUND for a
	// model the caller may not see.
	ModelCompute(ctx context.Context, id string) (*ModelCompute, error)
	ModelDocumenter
	ModelHoldService
}

// AllocationCharge is what a model's record needs of an allocation: its
// system, state and grant, and the charge-seconds used so far.
type AllocationCharge struct {
	ID, SystemID  string
	State         AllocationState
	Amount        float64
	Unit          Unit
	ChargeSeconds int64
}

// LimitSeconds is the grant in charge-seconds (Allocation.LimitSeconds).
func (c *AllocationCharge) LimitSeconds() int64 { return limitSeconds(c.Amount) }

// ModelFilter selects models. Nil fields match everything.
type ModelFilter struct {
	OrganizationID *string
	Label          *string
	Limit, Offset  int
}

// CanSeeModel reports whether u may see models of organization orgID: its
// applicants, access managers and auditors.
func CanSeeModel(u *User, orgID string) bool {
	return CanReadAll(u) || u != nil && u.Role == RoleApplicant && u.OrganizationID == orgID
}

// ComputeAlert records that a subject's cumulative compute reached a
// fraction of a threshold, once.
type ComputeAlert struct {
	// Subject is "model:ID" for a model's estimate (stored as "model:NUM",
	// the model's compact key, and shown with its ID), "org:ID" for an
	// organization's upper bound.
	Subject   string    `json:"subject"`
	Threshold float64   `json:"threshold"`
	Fraction  float64   `json:"fraction"`
	FLOP      float64   `json:"flop"`
	CrossedAt time.Time `json:"crossed_at"`
}

// ModifierThreshold is the training compute above which an organization
// modifying m's base model becomes the provider of a general-purpose
// model for its modification (Commission GPAI guidelines §60–70): a third
// of the base model's compute, or, when that is unknown, a third of
// 10^25 FLOP for a base model with systemic risk and of 10^23 otherwise.
// 0 for a model without a base model.
func (m *Model) ModifierThreshold() float64 {
	switch {
	case m.BaseModel == "":
		return 0
	case m.BaseModelFLOP > 0:
		return m.BaseModelFLOP / 3
	case m.BaseModelSystemicRisk:
		return SystemicRiskThresholdFLOP / 3
	}
	return GPAIThresholdFLOP / 3
}

// MarginFraction is the fraction of a threshold from which the figure's
// +30 % band reaches it (1/1.3): from there the threshold may already be
// met, the provider "knows it will be", and Art. 52's two weeks run.
const MarginFraction = 1 / (1 + EstimateMargin)

// DefaultAlertFractions are the fractions of each threshold at which an
// alert is recorded: half way, the reference rules' "near threshold"
// (0.7), the margin's reach (MarginFraction), close, and met.
var DefaultAlertFractions = []float64{0.5, 0.7, MarginFraction, 0.9, 1}

// Notifiable reports whether the alert starts the clock of an Art. 52
// notification: the systemic-risk threshold, at or past the margin.
func (a ComputeAlert) Notifiable() bool {
	return a.Threshold >= SystemicRiskThresholdFLOP && a.Fraction >= MarginFraction
}

// ComputeThresholds are the thresholds alerts watch, in order.
var ComputeThresholds = []float64{GPAIThresholdFLOP, SystemicRiskThresholdFLOP}
