// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"context"
	"strings"
	"time"
)

// ProposalState is where a proposal stands in its lifecycle.
type ProposalState string

// The proposal states. Approved is the fast lane's automatic approval at
// submission; accepted is a decision after review.
const (
	ProposalDraft     ProposalState = "draft"
	ProposalSubmitted ProposalState = "submitted"
	ProposalScreening ProposalState = "screening"
	ProposalInReview  ProposalState = "in_review"
	ProposalApproved  ProposalState = "approved"
	ProposalAccepted  ProposalState = "accepted"
	ProposalRejected  ProposalState = "rejected"
	ProposalWithdrawn ProposalState = "withdrawn"
)

// ProposalStates lists every state in lifecycle order.
var ProposalStates = []ProposalState{ProposalDraft, ProposalSubmitted, ProposalScreening, ProposalInReview,
	ProposalApproved, ProposalAccepted, ProposalRejected, ProposalWithdrawn}

// proposalTransitions is the state machine: from → allowed targets.
var proposalTransitions = map[ProposalState][]ProposalState{
	ProposalDraft:     {ProposalSubmitted, ProposalWithdrawn},
	ProposalSubmitted: {ProposalScreening, ProposalWithdrawn},
	ProposalScreening: {ProposalApproved, ProposalInReview, ProposalRejected, ProposalWithdrawn},
	ProposalInReview:  {ProposalAccepted, ProposalRejected, ProposalWithdrawn},
}

// Valid reports whether s is a defined state.
func (s ProposalState) Valid() bool {
	for _, x := range ProposalStates {
		if s == x {
			return true
		}
	}
	return false
}

// Final reports whether no transition leaves s.
func (s ProposalState) Final() bool { return len(proposalTransitions[s]) == 0 }

// CanTransition reports whether the state machine allows from → to.
func (s ProposalState) CanTransition(to ProposalState) bool {
	for _, x := range proposalTransitions[s] {
		if x == to {
			return true
		}
	}
	return false
}

// Modality is a kind of model input or output.
type Modality string

// Modalities lists the modalities a proposal may name.
var Modalities = []string{"text", "code", "image", "video", "audio", "speech", "tabular", "time_series", "structured", "other"}

// ModelTypes lists the kinds of model a proposal may name.
var ModelTypes = []string{"language_model", "multimodal", "diffusion", "vision", "speech", "recommender", "forecasting", "scientific", "reinforcement_learning", "other"}

// DataSources lists the data provenance categories of the GPAI Code of
// Practice's model documentation form.
var DataSources = []string{"web_crawl", "licensed", "user_data", "public_datasets", "synthetic_public", "synthetic_private", "proprietary"}

// Purposes lists what the compute is for.
var Purposes = []string{"research", "product_development", "both"}

// ResourceRequest asks for compute on one system.
type ResourceRequest struct {
	SystemID string `json:"system_id"`
	// Amount is in the system's unit (GPU-hours or node-hours).
	Amount    float64 `json:"amount"`
	StorageTB float64 `json:"storage_tb"`
	// Support describes the application support wanted from the site, if
	// any.
	Support string `json:"support,omitempty"`
	// GPUs is how many GPUs (as the scheduler counts them) the training
	// jobs on this system will use, at most the system's; zero means "not
	// stated": the time to train is then shown on DefaultJobGPUs.
	GPUs int `json:"gpus,omitempty"`
}

// DataProvenance describes the training data.
type DataProvenance struct {
	Sources []string `json:"sources"`
	// PersonalData: the training data contains personal data (GDPR Art. 4(1)).
	PersonalData bool `json:"personal_data"`
	// SpecialCategoryData: it contains special categories (GDPR Art. 9).
	SpecialCategoryData bool `json:"special_category_data"`
	// TDMOptOutsHonoured: text-and-data-mining opt-outs (Directive
	// 2019/790 Art. 4(3)) are respected in crawling.
	TDMOptOutsHonoured bool   `json:"tdm_opt_outs_honoured"`
	Description        string `json:"description"`
}

// AIWork describes the model the compute will train.
type AIWork struct {
	ModelType        string   `json:"model_type"`
	InputModalities  []string `json:"input_modalities"`
	OutputModalities []string `json:"output_modalities"`
	ParameterCount   float64  `json:"parameter_count"`
	TrainingTokens   float64  `json:"training_tokens"`
	// PlannedTrainingFLOP is the applicant's own estimate of training
	// compute; screening compares it with 6·P·D and with the hardware
	// estimate.
	PlannedTrainingFLOP float64 `json:"planned_training_flop"`
	// Utilisation is the declared model FLOP utilisation (0–1); zero means
	// "use the documented default".
	Utilisation float64 `json:"utilisation,omitempty"`
	// FineTune: the work modifies an existing model, BaseModel.
	FineTune      bool    `json:"fine_tune"`
	BaseModel     string  `json:"base_model,omitempty"`
	BaseModelFLOP float64 `json:"base_model_flop,omitempty"` // zero when unknown
	// BaseModelSystemicRisk: the base model is a GPAI model with systemic risk.
	BaseModelSystemicRisk bool   `json:"base_model_systemic_risk,omitempty"`
	IntendedUse           string `json:"intended_use"`
	Market                string `json:"market,omitempty"`
	Purpose               string `json:"purpose"`
	IntendsEUMarket       bool   `json:"intends_eu_market"`
	OpenWeights           bool   `json:"open_weights"`
	// CivilianOnly: the work has exclusively civilian purposes (Regulation
	// 2021/1173 Art. 16); EuroHPC access is for civilian use only.
	CivilianOnly   bool           `json:"civilian_only"`
	DataProvenance DataProvenance `json:"data_provenance"`
	// ComputeSplit states how the requested compute divides; the hardware
	// estimate counts only its training share (pre-training and
	// fine-tuning), as the GPAI guidelines count training compute. Nil
	// counts the whole request as training.
	ComputeSplit *ComputeSplit `json:"compute_split,omitempty"`
	// PriorTrainingFLOP is compute already spent training the same model
	// elsewhere: the thresholds are cumulative (Art. 51(2)), so it is added
	// to every estimate. Zero for none.
	PriorTrainingFLOP float64 `json:"prior_training_flop,omitempty"`
}

// ComputeSplit divides a request into shares (0–1, summing to 1).
type ComputeSplit struct {
	PreTraining         float64 `json:"pre_training"`
	FineTuning          float64 `json:"fine_tuning"`
	EvaluationInference float64 `json:"evaluation_inference"`
	Experiments         float64 `json:"experiments"`
}

// TrainingShare is the share of the request that trains the model.
func (s *ComputeSplit) TrainingShare() float64 {
	if s == nil {
		return 1
	}
	return s.PreTraining + s.FineTuning
}

// ProposalContent is what an applicant writes about the work beside its
// call, mode and title: the resources, the AI work, the AI Act profile, the
// ethics self-assessment, the pledges and the team. It is defined once and
// embedded wherever a proposal's content travels (the API's input, the
// stored document, the proposal itself), so that a new field is added in
// one place. It changes only while the proposal is a draft.
type ProposalContent struct {
	Summary        string            `json:"summary"`
	Requests       []ResourceRequest `json:"requests"`
	DurationMonths int               `json:"duration_months"`
	AIWork         AIWork            `json:"ai_work"`
	AIAct          AIActProfile      `json:"ai_act"`
	Ethics         EthicsAssessment  `json:"ethics"`
	Pledges        AIPactPledges     `json:"pledges"`
	// Team names the people who will do the work, beside the applicant.
	// Conflict-of-interest detection reads it: a reviewer named here, or
	// affiliated with a member's organization, never sees the proposal.
	Team []TeamMember `json:"team,omitempty"`
	// Software is the GPU software stack the work needs: cuda, rocm or
	// any (it runs on both). Empty means "derived from the requests" (see
	// SoftwareStack).
	Software string `json:"software,omitempty"`
	// MinViableFraction is the share of the request below which the work
	// is not worth doing: an allocation run refuses the proposal rather
	// than cut it further. Zero means DefaultMinViableFraction.
	MinViableFraction float64 `json:"min_viable_fraction,omitempty"`
	// Questionnaire holds the answers to the ruleset's plain-language
	// questions by question id: yes, no or unsure. When present, every
	// question must be answered, and the answers add to AIAct the facts
	// they establish (Questionnaire.Sets). Absent, AIAct alone is
	// screened, as declared by an applicant who knows the AI Act.
	Questionnaire map[string]Answer `json:"questionnaire,omitempty"`
}

// ProposalInput is everything an applicant writes: the call and access
// mode the proposal is for, its title and its content. Everything else
// about a proposal is the server's to set.
type ProposalInput struct {
	CallID string     `json:"call_id"`
	Mode   AccessMode `json:"mode"`
	Title  string     `json:"title"`
	ProposalContent
}

// Proposal asks for compute in one call and access mode, describing the AI
// work and the applicant's commitments. Content changes only in draft; after
// that, only its state and decisions change.
type Proposal struct {
	ID             string `json:"id"`
	OrganizationID string `json:"organization_id"`
	ApplicantID    string `json:"applicant_id"`
	ProposalInput

	State     ProposalState      `json:"state"`
	Screening *ScreeningDecision `json:"screening,omitempty"`
	// TimeToTrain is the training target timed on the requested systems
	// (PlanTraining), derived from the content and the catalogue whenever
	// a proposal is returned; never stored. Nil without a target.
	TimeToTrain *TrainingPlan `json:"time_to_train,omitempty"`
	// Decision is the access manager's decision after review, or the
	// automatic one of the fast lane.
	Decision *ProposalDecision `json:"decision,omitempty"`
	// Override is an access manager's request to decide the proposal
	// before its review plan allows, and its confirmation by a second
	// access manager (DecisionOverride); nil for the normal path.
	Override    *DecisionOverride `json:"override,omitempty"`
	SubmittedAt *time.Time        `json:"submitted_at,omitempty"`
	// DecisionDueAt is the time-to-decision target of the mode.
	DecisionDueAt *time.Time `json:"decision_due_at,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
	UpdatedAt     time.Time  `json:"updated_at"`
	// Version increases with every change; stores use it to refuse lost
	// updates.
	Version int `json:"version"`
}

// Transition moves the proposal to state to, or returns ECONFLICT naming the
// illegal move. It changes nothing else; the caller records the audit event.
func (p *Proposal) Transition(to ProposalState) error {
	if !p.State.CanTransition(to) {
		return Errorf(ECONFLICT, "A proposal in state %s cannot become %s.", p.State, to)
	}
	p.State = to
	return nil
}

// TotalGPUHours sums the requests in GPU-hours; systems maps IDs to the
// catalogue. Unknown systems count zero (validation reports them).
func (p *Proposal) TotalGPUHours(systems map[string]*System) float64 {
	var total float64
	for _, r := range p.Requests {
		if s := systems[r.SystemID]; s != nil {
			total += s.GPUHours(r.Amount)
		}
	}
	return total
}

// The software stacks a proposal may need.
const (
	SoftwareCUDA = "cuda"
	SoftwareROCm = "rocm"
	SoftwareAny  = "any"
)

// DefaultMinViableFraction is the minimum viable fraction of a proposal that
// declares none: half of what it asked for, below which most training plans
// (a model size, a token budget) no longer hold.
const DefaultMinViableFraction = 0.5

// TeamMember is a person named on a proposal.
type TeamMember struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	// Organization is the member's employer as written; OrganizationID
	// names it when it is registered in pactum. Either matches a
	// reviewer's affiliation.
	Organization   string `json:"organization"`
	OrganizationID string `json:"organization_id,omitempty"`
}

// SoftwareStack returns the software the proposal needs: the declared one,
// or, when none is declared, the stack of its requested systems if they
// share one, else "any" (asking for both kinds of machine says the code runs
// on both). systems maps IDs to the catalogue.
func (p *Proposal) SoftwareStack(systems map[string]*System) string {
	if p.Software != "" {
		return p.Software
	}
	stack := ""
	for _, r := range p.Requests {
		s := systems[r.SystemID]
		if s == nil {
			continue
		}
		if stack == "" {
			stack = s.Software
		} else if stack != s.Software {
			return SoftwareAny
		}
	}
	if stack == "" {
		return SoftwareAny
	}
	return stack
}

// MinFraction returns the proposal's minimum viable fraction, defaulted.
func (p *Proposal) MinFraction() float64 {
	if p.MinViableFraction == 0 {
		return DefaultMinViableFraction
	}
	return p.MinViableFraction
}

// Request returns the request for system id, or nil.
func (p *Proposal) Request(systemID string) *ResourceRequest {
	for i := range p.Requests {
		if p.Requests[i].SystemID == systemID {
			return &p.Requests[i]
		}
	}
	return nil
}

// Validate checks the proposal's content on its own, as it must be to be
// submitted. Checks against the call and the catalogue are in
// ValidateAgainst.
func (p *Proposal) Validate() error {
	var v Validator
	p.validate(&v, false)
	return v.Err("The proposal is not valid.")
}

// validate checks the content. With draft set it checks only that what is
// given is well-formed (lengths, characters, ranges, known values) and
// leaves out the completeness rules (a required field, at least one
// system, a detail an answer asks for), which a draft may not meet yet;
// without, it checks both. A rule is either one or the other: need marks
// the completeness rules.
func (p *Proposal) validate(v *Validator, draft bool) {
	need := func(ok bool, field, format string, args ...any) {
		if !draft {
			v.Check(ok, field, format, args...)
		}
	}
	// given: an optional-in-draft value that, when set, must be valid.
	given := func(set, ok bool, field, format string, args ...any) {
		need(set, field, format, args...)
		v.Check(!set || ok, field, format, args...)
	}
	v.Check(p.CallID != "", "call_id", "is required")
	v.Text("call_id", p.CallID, false)
	given(p.Mode != "", p.Mode.Valid(), "mode", "must be one of %s", joinModes())
	title := strings.TrimSpace(p.Title)
	need(len(title) >= 3, "title", "must have at least 3 characters")
	v.Check(len(p.Title) <= 200, "title", "must be at most 200 characters")
	v.Text("title", p.Title, false)
	need(strings.TrimSpace(p.Summary) != "", "summary", "is required")
	v.Check(len(p.Summary) <= 10000, "summary", "must be at most 10000 characters")
	v.Text("summary", p.Summary, true)
	need(len(p.Requests) > 0, "requests", "must ask for at least one system")
	v.Check(len(p.Requests) <= 16, "requests", "must name at most 16 systems")
	seen := map[string]bool{}
	for i, r := range p.Requests {
		f := "requests[" + itoa(i) + "]"
		v.Check(r.SystemID != "", f+".system_id", "is required")
		v.Text(f+".system_id", r.SystemID, false)
		v.Check(!seen[r.SystemID], f+".system_id", "is requested twice")
		seen[r.SystemID] = true
		given(r.Amount != 0, r.Amount > 0 && inRange(r.Amount, 0, MaxAmount), f+".amount", "must be positive and at most %g", float64(MaxAmount))
		v.Check(inRange(r.StorageTB, 0, MaxStorageTB), f+".storage_tb", "must be between 0 and %g", float64(MaxStorageTB))
		v.Check(len(r.Support) <= 2000, f+".support", "must be at most 2000 characters")
		v.Text(f+".support", r.Support, true)
		v.Check(r.GPUs >= 0 && r.GPUs <= MaxNodes*MaxGPUsPerNode, f+".gpus", "must be positive (or absent for the default)")
	}
	given(p.DurationMonths != 0, p.DurationMonths >= 1 && p.DurationMonths <= 36, "duration_months", "must be between 1 and 36")
	v.Check(p.Software == "" || p.Software == SoftwareCUDA || p.Software == SoftwareROCm || p.Software == SoftwareAny,
		"software", "must be cuda, rocm or any")
	v.Check(p.MinViableFraction == 0 || (p.MinViableFraction > 0 && p.MinViableFraction <= 1), "min_viable_fraction",
		"must be above 0 and at most 1")
	v.Check(len(p.Team) <= 50, "team", "must name at most 50 people")
	emails := map[string]bool{}
	for i, m := range p.Team {
		f := "team[" + itoa(i) + "]"
		need(strings.TrimSpace(m.Name) != "", f+".name", "is required (at most 200 characters)")
		v.Check(len(m.Name) <= 200, f+".name", "is required (at most 200 characters)")
		v.Text(f+".name", m.Name, false)
		given(m.Email != "", validEmail(m.Email), f+".email", "must be a plain e-mail address")
		v.Text(f+".email", m.Email, false)
		e := strings.ToLower(strings.TrimSpace(m.Email))
		v.Check(e == "" || !emails[e], f+".email", "names the same person twice")
		emails[e] = true
		need(strings.TrimSpace(m.Organization) != "", f+".organization", "is required (at most 300 characters)")
		v.Check(len(m.Organization) <= 300, f+".organization", "is required (at most 300 characters)")
		v.Text(f+".organization", m.Organization, false)
		v.Text(f+".organization_id", m.OrganizationID, false)
	}

	w := &p.AIWork
	given(w.ModelType != "", contains(ModelTypes, w.ModelType), "ai_work.model_type", "must be one of %s", joinStrings(ModelTypes))
	need(len(w.OutputModalities) > 0, "ai_work.output_modalities", "must name at least one modality")
	for i, m := range w.InputModalities {
		v.Check(contains(Modalities, m), "ai_work.input_modalities["+itoa(i)+"]", "must be one of %s", joinStrings(Modalities))
	}
	for i, m := range w.OutputModalities {
		v.Check(contains(Modalities, m), "ai_work.output_modalities["+itoa(i)+"]", "must be one of %s", joinStrings(Modalities))
	}
	v.Check(inRange(w.ParameterCount, 0, MaxParameterCount), "ai_work.parameter_count", "must be between 0 and %g", float64(MaxParameterCount))
	v.Check(inRange(w.TrainingTokens, 0, MaxTrainingTokens), "ai_work.training_tokens", "must be between 0 and %g", float64(MaxTrainingTokens))
	v.Check(inRange(w.PlannedTrainingFLOP, 0, MaxTrainingFLOP), "ai_work.planned_training_flop", "must be between 0 and %g", float64(MaxTrainingFLOP))
	v.Check(inRange(w.Utilisation, 0, 1), "ai_work.utilisation", "must be between 0 and 1")
	need(!w.FineTune || strings.TrimSpace(w.BaseModel) != "", "ai_work.base_model", "is required for a fine-tune")
	v.Check(len(w.BaseModel) <= 300, "ai_work.base_model", "must be at most 300 characters")
	v.Text("ai_work.base_model", w.BaseModel, false)
	v.Check(inRange(w.BaseModelFLOP, 0, MaxTrainingFLOP), "ai_work.base_model_flop", "must be between 0 and %g", float64(MaxTrainingFLOP))
	v.Check(inRange(w.PriorTrainingFLOP, 0, MaxTrainingFLOP), "ai_work.prior_training_flop", "must be between 0 and %g", float64(MaxTrainingFLOP))
	if s := w.ComputeSplit; s != nil {
		ok := true
		for _, x := range []float64{s.PreTraining, s.FineTuning, s.EvaluationInference, s.Experiments} {
			ok = ok && inRange(x, 0, 1)
		}
		sum := s.PreTraining + s.FineTuning + s.EvaluationInference + s.Experiments
		v.Check(ok && sum > 0.99 && sum < 1.01, "ai_work.compute_split", "shares must each be between 0 and 1 and sum to 1")
	}
	need(strings.TrimSpace(w.IntendedUse) != "", "ai_work.intended_use", "is required")
	v.Check(len(w.IntendedUse) <= 5000, "ai_work.intended_use", "must be at most 5000 characters")
	v.Text("ai_work.intended_use", w.IntendedUse, true)
	v.Check(len(w.Market) <= 300, "ai_work.market", "must be at most 300 characters")
	v.Text("ai_work.market", w.Market, false)
	given(w.Purpose != "", contains(Purposes, w.Purpose), "ai_work.purpose", "must be one of %s", joinStrings(Purposes))
	need(len(w.DataProvenance.Sources) > 0, "ai_work.data_provenance.sources", "must name at least one source")
	for i, s := range w.DataProvenance.Sources {
		v.Check(contains(DataSources, s), "ai_work.data_provenance.sources["+itoa(i)+"]", "must be one of %s", joinStrings(DataSources))
	}
	v.Check(len(w.DataProvenance.Description) <= 5000, "ai_work.data_provenance.description", "must be at most 5000 characters")
	v.Text("ai_work.data_provenance.description", w.DataProvenance.Description, true)

	p.AIAct.validate(v, draft)
	validateAnswers(v, p.Questionnaire)
	for _, s := range p.Ethics.Sections() {
		need(!s.Answer.Yes || strings.TrimSpace(s.Answer.Details) != "", "ethics."+s.Name+".details", "is required when the answer is yes")
		v.Check(len(s.Answer.Details) <= 5000, "ethics."+s.Name+".details", "must be at most 5000 characters")
		v.Text("ethics."+s.Name+".details", s.Answer.Details, true)
	}
	// Declaring personal data in the training data but "no" in the ethics
	// table is a contradiction an evaluator would send back; a draft may
	// not have reached the ethics table yet.
	need(!w.DataProvenance.PersonalData || p.Ethics.PersonalData.Yes, "ethics.personal_data.yes",
		"must be yes when the training data contains personal data")
	for i, o := range p.Pledges.Optional {
		v.Check(strings.TrimSpace(o) != "" && len(o) <= 100, "pledges.optional["+itoa(i)+"]", "must be a short pledge name")
		v.Text("pledges.optional["+itoa(i)+"]", o, false)
	}
}

// ValidateAgainst checks the proposal as Validate does and also against the
// call it is for and the catalogue: the mode and systems must be offered.
// Caps are not checked here; they are eligibility rules for screening, so
// that a refusal is explained with its basis. It is what a proposal must
// meet to be submitted or screened.
func (p *Proposal) ValidateAgainst(c *Call, systems map[string]*System) error {
	return p.validateAgainst(c, systems, false)
}

// ValidateDraft checks a draft: what is given must be well-formed and
// known to the call and the catalogue, as ValidateAgainst checks it, but
// what is missing (a required field left empty, no system asked for yet, a
// detail an answer asks for) is left for ValidateAgainst at submission.
func (p *Proposal) ValidateDraft(c *Call, systems map[string]*System) error {
	return p.validateAgainst(c, systems, true)
}

func (p *Proposal) validateAgainst(c *Call, systems map[string]*System, draft bool) error {
	var v Validator
	p.validate(&v, draft)
	if c != nil && p.Mode.Valid() && c.Mode(p.Mode) == nil {
		v.Add("mode", "is not offered by call %q", c.Title)
	}
	for i, r := range p.Requests {
		if r.SystemID == "" {
			continue
		}
		f := "requests[" + itoa(i) + "].system_id"
		s := systems[r.SystemID]
		if s == nil {
			v.Add(f, "names no system in the catalogue: %q", r.SystemID)
			continue
		} else if c != nil && !c.OffersSystem(r.SystemID) {
			v.Add(f, "names system %q, which the call does not offer", r.SystemID)
		}
		if total := s.Nodes * s.GPUsPerNode; r.GPUs > total {
			v.Add("requests["+itoa(i)+"].gpus", "must be at most %d, the GPUs of %s (%d nodes × %d)", total, s.ID, s.Nodes, s.GPUsPerNode)
		}
	}
	return v.Err("The proposal is not valid.")
}

// Grant is an amount awarded on one system, in the system's unit.
type Grant struct {
	SystemID string  `json:"system_id"`
	Amount   float64 `json:"amount"`
}

// ProposalDecision records the outcome of a proposal after screening or
// review: who decided, when, why, and what was granted.
type ProposalDecision struct {
	Accept    bool      `json:"accept"`
	Grants    []Grant   `json:"grants,omitempty"`
	Reason    string    `json:"reason"`
	DecidedBy string    `json:"decided_by"`
	DecidedAt time.Time `json:"decided_at"`
	Automatic bool      `json:"automatic"`
}

// DecisionInput is what an access manager submits to decide a proposal.
type DecisionInput struct {
	Accept bool `json:"accept"`
	// Grants default to the requested amounts when accepting; a grant may
	// cut a request but never exceed it.
	Grants []Grant `json:"grants,omitempty"`
	Reason string  `json:"reason"`
	// Override, when set, does not decide: it asks a second access
	// manager to confirm the decision although the review plan does not
	// allow it yet (DecisionOverride).
	Override *OverrideInput `json:"override,omitempty"`
}

// Validate checks a decision against the proposal's requests.
func (d *DecisionInput) Validate(p *Proposal) error {
	var v Validator
	v.Check(strings.TrimSpace(d.Reason) != "", "reason", "is required: applicants are owed an explanation")
	v.Check(len(d.Reason) <= 5000, "reason", "must be at most 5000 characters")
	v.Text("reason", d.Reason, true)
	v.Check(d.Accept || len(d.Grants) == 0, "grants", "must be empty when rejecting")
	seen := map[string]bool{}
	for i, g := range d.Grants {
		f := "grants[" + itoa(i) + "]"
		r := p.Request(g.SystemID)
		v.Check(r != nil, f+".system_id", "names system %q, which the proposal does not request", g.SystemID)
		v.Check(!seen[g.SystemID], f+".system_id", "is granted twice")
		seen[g.SystemID] = true
		v.Check(g.Amount > 0 && inRange(g.Amount, 0, MaxAmount), f+".amount", "must be positive and at most %g", float64(MaxAmount))
		if r != nil {
			v.Check(g.Amount <= r.Amount, f+".amount", "must not exceed the %g requested", r.Amount)
		}
	}
	return v.Err("The decision is not valid.")
}

// ProposalFilter selects proposals. Nil fields match everything.
type ProposalFilter struct {
	CallID         *string
	OrganizationID *string
	State          *ProposalState
	Mode           *AccessMode
	// ScreeningOutcome: proposals whose screening gave this outcome.
	ScreeningOutcome *Outcome
	// DecisionOutcome: proposals decided this way.
	DecisionOutcome *DecisionOutcome
	// RuleID: proposals on which this screening rule fired (one of the
	// screening's findings names it).
	RuleID        *string
	Limit, Offset int
}

// DecisionOutcome is how a proposal was decided.
type DecisionOutcome string

// The decision outcomes.
const (
	DecisionAccepted DecisionOutcome = "accepted"
	DecisionRejected DecisionOutcome = "rejected"
)

// Valid reports whether o is a known decision outcome.
func (o DecisionOutcome) Valid() bool { return o == DecisionAccepted || o == DecisionRejected }

// DecisionOutcomeOf is p's decision outcome, "" while undecided.
func DecisionOutcomeOf(p *Proposal) DecisionOutcome {
	switch {
	case p.Decision == nil:
		return ""
	case p.Decision.Accept:
		return DecisionAccepted
	}
	return DecisionRejected
}

// ProposalService runs proposals through their lifecycle. Every state change
// writes an audit event in the same transaction.
type ProposalService interface {
	// CreateProposal stores a draft. Applicants only, for their own
	// organization; OrganizationID and ApplicantID are taken from the
	// caller. A draft may be incomplete, but what it gives must be
	// well-formed (ValidateDraft); completeness (ValidateAgainst) is
	// checked when it is submitted or screened. EINVALID for bad content
	// or an unknown call.
	CreateProposal(ctx context.Context, p *Proposal) error
	// SubmitNewProposal creates and submits a proposal in one
	// transaction, under the rules of CreateProposal and SubmitProposal:
	// either the screened proposal exists afterwards or nothing does.
	SubmitNewProposal(ctx context.Context, p *Proposal) error
	// UpdateProposal replaces the content of a draft, which may stay
	// incomplete as in CreateProposal. Its applicant's organization only.
	// ECONFLICT when not a draft.
	UpdateProposal(ctx context.Context, p *Proposal) error
	// FindProposalByID returns a proposal the caller may see
	// (CanSeeProposalWith): applicants their organization's, reviewers
	// those they are assigned to and not conflicted on, site operators
	// those in review that request their site's systems, access managers
	// and auditors all. ENOTFOUND otherwise, so existence is not leaked.
	FindProposalByID(ctx context.Context, id string) (*Proposal, error)
	// FindProposals lists proposals the caller may see, newest first, and
	// the total matching.
	FindProposals(ctx context.Context, f ProposalFilter) ([]*Proposal, int, error)
	// SubmitProposal submits a draft: it is screened at once and routed
	// (approved in the fast lane, to review, or rejected). The applicant's
	// organization only. EINVALID naming every field still missing or
	// wrong (ValidateAgainst); ECONFLICT when not a draft or the call is
	// closed.
	SubmitProposal(ctx context.Context, id string) (*Proposal, error)
	// DecideProposal accepts or rejects a proposal in review; acceptance
	// creates allocations, carrying the screening's and the ethics
	// review's conditions. Access managers only. Only when the review
	// plan allows (MayDecide): a fast-lane referral once the reviews
	// screening asked for are in; peer-reviewed modes only by an
	// allocation run (AllocationRunService). ECONFLICT saying what is
	// missing otherwise, when not in review, or when a grant would exceed
	// a system's capacity. With d.Override it decides nothing: it stores
	// a pending override for a second access manager to confirm
	// (ConfirmOverride); ECONFLICT when one is already pending.
	DecideProposal(ctx context.Context, id string, d DecisionInput) (*Proposal, error)
	// ConfirmOverride applies the pending override of a proposal in
	// review: the decision it asks for, at once. Access managers only,
	// never the one who requested it (EFORBIDDEN). ECONFLICT when no
	// override is pending or the proposal is no longer in review.
	ConfirmOverride(ctx context.Context, id string) (*Proposal, error)
	// WithdrawProposal withdraws an open proposal. Its applicant's
	// organization only. ECONFLICT once decided.
	WithdrawProposal(ctx context.Context, id, reason string) (*Proposal, error)
}
