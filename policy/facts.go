// SPDX-License-Identifier: EUPL-1.2

package policy

import (
	"fmt"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/interpreter"

	"github.com/pactum/pactum"
)

// screenCtx is what fact extractors read: the input plus the values Go
// computed before the rules run.
type screenCtx struct {
	in   *pactum.ScreeningInput
	p    *pactum.Proposal
	org  *pactum.Organization
	mode *pactum.CallMode     // nil when the call does not offer the mode
	ai   *pactum.AIActProfile // the declared profile with what the questionnaire's answers establish
	est  estimates
}

// fact is one input variable the rules may read. The set is fixed by the
// code, because each fact needs an extractor; rulesets add derived facts on
// top.
type fact struct {
	name string
	typ  *cel.Type
	doc  string
	get  func(c *screenCtx) value
}

var (
	strList = cel.ListType(cel.StringType)
	adapter = types.DefaultTypeAdapter
)

func modeOr[T any](c *screenCtx, f func(*pactum.CallMode) T, zero T) T {
	if c.mode == nil {
		return zero
	}
	return f(c.mode)
}

// facts is the schema of the activation: names, CEL types and extractors.
// The order is the activation's slot order.
var facts = []fact{
	{"proposal.mode", cel.StringType, "access mode: playground, fast_lane, large_scale, …", func(c *screenCtx) value { return str(string(c.p.Mode)) }},
	{"proposal.duration_months", cel.DoubleType, "requested allocation length in months", func(c *screenCtx) value { return dbl(float64(c.p.DurationMonths)) }},

	{"org.country", cel.StringType, "ISO 3166-1 alpha-2 country of establishment", func(c *screenCtx) value { return str(c.org.Country) }},
	{"org.sme", cel.BoolType, "SME under Recommendation 2003/361/EC", func(c *screenCtx) value { return boolean(c.org.IsSME()) }},
	{"org.startup", cel.BoolType, "SME younger than pactum.StartupMaxAgeYears at the decision date", func(c *screenCtx) value { return boolean(c.org.IsStartup(c.in.At)) }},
	{"org.age_years", cel.DoubleType, "whole years since founding at the decision date", func(c *screenCtx) value { return dbl(float64(c.org.AgeYears(c.in.At))) }},
	{"org.staff", cel.DoubleType, "headcount in annual work units", func(c *screenCtx) value { return dbl(float64(c.org.Staff)) }},

	{"call.mode.offered", cel.BoolType, "the call offers the proposal's mode", func(c *screenCtx) value { return boolean(c.mode != nil) }},
	{"call.mode.min_gpu_hours", cel.DoubleType, "the mode's minimum total request (GPU-hours)", func(c *screenCtx) value {
		return dbl(modeOr(c, func(m *pactum.CallMode) float64 { return m.MinGPUHours }, 0))
	}},
	{"call.mode.max_gpu_hours", cel.DoubleType, "the mode's cap on the total request (GPU-hours); 0 means no cap", func(c *screenCtx) value {
		return dbl(modeOr(c, func(m *pactum.CallMode) float64 { return m.MaxGPUHours }, 0))
	}},
	{"call.mode.max_duration_months", cel.DoubleType, "the mode's cap on the allocation length", func(c *screenCtx) value {
		return dbl(modeOr(c, func(m *pactum.CallMode) float64 { return float64(m.MaxDurationMonths) }, 0))
	}},
	{"call.mode.requires_sme", cel.BoolType, "the mode is for SMEs and startups only", func(c *screenCtx) value {
		return boolean(modeOr(c, func(m *pactum.CallMode) bool { return m.RequiresSME }, false))
	}},
	{"call.mode.requires_ai_pact", cel.BoolType, "the mode requires the AI Pact core pledges", func(c *screenCtx) value {
		return boolean(modeOr(c, func(m *pactum.CallMode) bool { return m.RequiresAIPact }, false))
	}},
	{"call.mode.auto_approve", cel.BoolType, "a clean screening approves at submission", func(c *screenCtx) value {
		return boolean(modeOr(c, func(m *pactum.CallMode) bool { return m.AutoApprove }, false))
	}},

	{"request.total_gpu_hours", cel.DoubleType, "all requests summed in GPU-hours", func(c *screenCtx) value { return dbl(c.est.totalGPUHours) }},
	{"request.systems", strList, "ids of the requested systems", func(c *screenCtx) value { return list(c.est.systems) }},

	{"ai.model_type", cel.StringType, "one of pactum.ModelTypes", func(c *screenCtx) value { return str(c.p.AIWork.ModelType) }},
	{"ai.input_modalities", strList, "input modalities", func(c *screenCtx) value { return list(c.p.AIWork.InputModalities) }},
	{"ai.output_modalities", strList, "output modalities", func(c *screenCtx) value { return list(c.p.AIWork.OutputModalities) }},
	{"ai.parameter_count", cel.DoubleType, "planned parameters", func(c *screenCtx) value { return dbl(c.p.AIWork.ParameterCount) }},
	{"ai.training_tokens", cel.DoubleType, "planned training tokens", func(c *screenCtx) value { return dbl(c.p.AIWork.TrainingTokens) }},
	{"ai.fine_tune", cel.BoolType, "the work modifies an existing model", func(c *screenCtx) value { return boolean(c.p.AIWork.FineTune) }},
	{"ai.base_model", cel.StringType, "the base model of a fine-tune", func(c *screenCtx) value { return str(c.p.AIWork.BaseModel) }},
	{"ai.base_model_flop", cel.DoubleType, "the base model's training compute; 0 when unknown", func(c *screenCtx) value { return dbl(c.p.AIWork.BaseModelFLOP) }},
	{"ai.base_model_systemic_risk", cel.BoolType, "the base model is a GPAI model with systemic risk", func(c *screenCtx) value { return boolean(c.p.AIWork.BaseModelSystemicRisk) }},
	{"ai.purpose", cel.StringType, "research, product_development or both", func(c *screenCtx) value { return str(c.p.AIWork.Purpose) }},
	{"ai.intends_eu_market", cel.BoolType, "the result is meant for the EU market", func(c *screenCtx) value { return boolean(c.p.AIWork.IntendsEUMarket) }},
	{"ai.open_weights", cel.BoolType, "the weights will be released openly", func(c *screenCtx) value { return boolean(c.p.AIWork.OpenWeights) }},
	{"ai.civilian_only", cel.BoolType, "exclusively civilian purposes", func(c *screenCtx) value { return boolean(c.p.AIWork.CivilianOnly) }},

	{"data.sources", strList, "training-data provenance categories", func(c *screenCtx) value { return list(c.p.AIWork.DataProvenance.Sources) }},
	{"data.personal_data", cel.BoolType, "training data contains personal data", func(c *screenCtx) value { return boolean(c.p.AIWork.DataProvenance.PersonalData) }},
	{"data.special_category_data", cel.BoolType, "training data contains GDPR Art. 9 data", func(c *screenCtx) value { return boolean(c.p.AIWork.DataProvenance.SpecialCategoryData) }},
	{"data.tdm_opt_outs_honoured", cel.BoolType, "text-and-data-mining opt-outs are respected", func(c *screenCtx) value { return boolean(c.p.AIWork.DataProvenance.TDMOptOutsHonoured) }},

	{"compute.flop_6pd", cel.DoubleType, "6·P·D estimate; 0 when parameters or tokens are missing", func(c *screenCtx) value { return dbl(c.est.flop6PD) }},
	{"compute.flop_hardware", cel.DoubleType, "GPUs × seconds × peak × utilisation over the requests", func(c *screenCtx) value { return dbl(c.est.flopHW) }},
	{"compute.training_target", cel.DoubleType, "the training compute the requested hours are checked against: the declared figure, else 6·P·D; 0 for neither", func(c *screenCtx) value { return dbl(c.est.target) }},
	{"compute.deliverable_low", cel.DoubleType, "training FLOP the requested hours' training share delivers at the low end of each system's MFU band; 0 without a target or a band", func(c *screenCtx) value { return dbl(c.est.deliverLow) }},
	{"compute.deliverable_high", cel.DoubleType, "the same at the high end of the band", func(c *screenCtx) value { return dbl(c.est.deliverHigh) }},
	{"compute.flop_declared", cel.DoubleType, "the applicant's own estimate; 0 when not given", func(c *screenCtx) value { return dbl(c.est.flopDeclared) }},
	{"compute.flop_max", cel.DoubleType, "the largest available estimate plus any prior compute, used for thresholds", func(c *screenCtx) value { return dbl(c.est.max) }},
	{"compute.flop_max_method", cel.StringType, "which estimate flop_max is: 6PD, hardware or declared", func(c *screenCtx) value { return str(c.est.maxMethod) }},
	{"compute.flop_min", cel.DoubleType, "the smallest available non-zero estimate", func(c *screenCtx) value { return dbl(c.est.min) }},
	{"compute.disagreement", cel.DoubleType, "how far the larger of 6PD and hardware exceeds the smaller (0.3 = 30 %); 0 unless both exist", func(c *screenCtx) value { return dbl(c.est.disagreement) }},
	{"compute.declared_disagreement", cel.DoubleType, "how far the declared figure lies from the nearer of 6PD and hardware (0.3 = 30 %); 0 unless all three exist", func(c *screenCtx) value { return dbl(c.est.declaredDisagreement) }},
	{"compute.training_share", cel.DoubleType, "the share of the request that trains (pre-training and fine-tuning); 1 without a split", func(c *screenCtx) value { return dbl(c.est.trainingShare) }},
	{"compute.flop_prior", cel.DoubleType, "compute already spent on the same model, included in flop_max and flop_min", func(c *screenCtx) value { return dbl(c.est.prior) }},
	{"compute.utilisation", cel.DoubleType, "the utilisation the hardware estimate used", func(c *screenCtx) value { return dbl(c.est.utilisation) }},
	{"compute.utilisation_declared", cel.BoolType, "the utilisation was declared rather than the default", func(c *screenCtx) value { return boolean(c.p.AIWork.Utilisation > 0) }},

	{"ai_act.manipulative_techniques", cel.BoolType, "Art. 5(1)(a)", func(c *screenCtx) value { return boolean(c.ai.ManipulativeTechniques) }},
	{"ai_act.exploits_vulnerabilities", cel.BoolType, "Art. 5(1)(b)", func(c *screenCtx) value { return boolean(c.ai.ExploitsVulnerabilities) }},
	{"ai_act.significant_harm_likely", cel.BoolType, "Art. 5(1)(a),(b)", func(c *screenCtx) value { return boolean(c.ai.SignificantHarmLikely) }},
	{"ai_act.social_scoring", cel.BoolType, "Art. 5(1)(c)", func(c *screenCtx) value { return boolean(c.ai.SocialScoring) }},
	{"ai_act.crime_risk_prediction", cel.BoolType, "Art. 5(1)(d)", func(c *screenCtx) value { return boolean(c.ai.CrimeRiskPrediction) }},
	{"ai_act.solely_profiling", cel.BoolType, "Art. 5(1)(d)", func(c *screenCtx) value { return boolean(c.ai.SolelyProfiling) }},
	{"ai_act.untargeted_face_scraping", cel.BoolType, "Art. 5(1)(e)", func(c *screenCtx) value { return boolean(c.ai.UntargetedFaceScraping) }},
	{"ai_act.emotion_recognition", cel.BoolType, "Art. 5(1)(f)", func(c *screenCtx) value { return boolean(c.ai.EmotionRecognition) }},
	{"ai_act.emotion_setting", cel.StringType, "workplace, education, other or empty", func(c *screenCtx) value { return str(c.ai.EmotionSetting) }},
	{"ai_act.emotion_purpose", cel.StringType, "medical, safety, medical_or_safety, other or empty", func(c *screenCtx) value { return str(c.ai.EmotionPurpose) }},
	{"ai_act.sensitive_biometric_categorisation", cel.BoolType, "Art. 5(1)(g)", func(c *screenCtx) value { return boolean(c.ai.SensitiveBiometricCategorisation) }},
	{"ai_act.categorisation_purpose", cel.StringType, "dataset_labelling, law_enforcement, other or empty", func(c *screenCtx) value { return str(c.ai.CategorisationPurpose) }},
	{"ai_act.remote_biometric_identification", cel.BoolType, "Art. 5(1)(h), Annex III 1(a)", func(c *screenCtx) value { return boolean(c.ai.RemoteBiometricIdentification) }},
	{"ai_act.real_time", cel.BoolType, "Art. 5(1)(h)", func(c *screenCtx) value { return boolean(c.ai.RealTime) }},
	{"ai_act.publicly_accessible_spaces", cel.BoolType, "Art. 5(1)(h)", func(c *screenCtx) value { return boolean(c.ai.PubliclyAccessibleSpaces) }},
	{"ai_act.law_enforcement", cel.BoolType, "used by or for law enforcement", func(c *screenCtx) value { return boolean(c.ai.LawEnforcement) }},
	{"ai_act.public_crime_reporting", cel.BoolType, "available to the public to report a crime (outside the Art. 50(1) law-enforcement exception)", func(c *screenCtx) value { return boolean(c.ai.PublicCrimeReporting) }},
	{"ai_act.rbi_exception", cel.StringType, "victims, imminent_threat, serious_crime_suspect or empty", func(c *screenCtx) value { return str(c.ai.RBIException) }},
	{"ai_act.annex_iii", strList, "declared Annex III item codes such as 4a", func(c *screenCtx) value { return list(c.ai.AnnexIII) }},
	{"ai_act.derogation", cel.StringType, "claimed Art. 6(3) derogation or empty", func(c *screenCtx) value { return str(c.ai.Derogation) }},
	{"ai_act.profiles_natural_persons", cel.BoolType, "Art. 6(3) last subparagraph", func(c *screenCtx) value { return boolean(c.ai.ProfilesNaturalPersons) }},
	{"ai_act.narrow_task", cel.BoolType, "a narrow-task rebuttal of GPAI status is given", func(c *screenCtx) value { return boolean(c.ai.NarrowTaskRebuttal != "") }},
	{"ai_act.narrow_task_rebuttal", cel.StringType, "justification that the model is trained for a narrow task (GPAI guidelines §20); empty for none", func(c *screenCtx) value { return str(c.ai.NarrowTaskRebuttal) }},
	{"ai_act.fraud_detection", cel.BoolType, "detects financial fraud (Annex III 5(b) carve-out)", func(c *screenCtx) value { return boolean(c.ai.FraudDetection) }},
	{"ai_act.safety_component", cel.BoolType, "Art. 6(1), Annex I", func(c *screenCtx) value { return boolean(c.ai.SafetyComponent) }},
	{"ai_act.interacts_with_persons", cel.BoolType, "Art. 50(1)", func(c *screenCtx) value { return boolean(c.ai.InteractsWithPersons) }},
	{"ai_act.synthetic_content", cel.BoolType, "Art. 50(2)", func(c *screenCtx) value { return boolean(c.ai.SyntheticContent) }},
	{"ai_act.deep_fakes", cel.BoolType, "Art. 50(4)", func(c *screenCtx) value { return boolean(c.ai.DeepFakes) }},
	{"ai_act.public_interest_text", cel.BoolType, "Art. 50(4)", func(c *screenCtx) value { return boolean(c.ai.PublicInterestText) }},
	{"ai_act.human_editorial_control", cel.BoolType, "Art. 50(4) exception", func(c *screenCtx) value { return boolean(c.ai.HumanEditorialControl) }},

	{"ethics.human_embryos", cel.BoolType, "ethics table section 1", func(c *screenCtx) value { return boolean(c.p.Ethics.HumanEmbryos.Yes) }},
	{"ethics.humans", cel.BoolType, "ethics table section 2", func(c *screenCtx) value { return boolean(c.p.Ethics.Humans.Yes) }},
	{"ethics.human_cells", cel.BoolType, "ethics table section 3", func(c *screenCtx) value { return boolean(c.p.Ethics.HumanCells.Yes) }},
	{"ethics.personal_data", cel.BoolType, "ethics table section 4", func(c *screenCtx) value { return boolean(c.p.Ethics.PersonalData.Yes) }},
	{"ethics.animals", cel.BoolType, "ethics table section 5", func(c *screenCtx) value { return boolean(c.p.Ethics.Animals.Yes) }},
	{"ethics.non_eu_countries", cel.BoolType, "ethics table section 6", func(c *screenCtx) value { return boolean(c.p.Ethics.NonEUCountries.Yes) }},
	{"ethics.environment_health_safety", cel.BoolType, "ethics table section 7", func(c *screenCtx) value { return boolean(c.p.Ethics.EnvironmentHealthSafety.Yes) }},
	{"ethics.artificial_intelligence", cel.BoolType, "ethics table section 8", func(c *screenCtx) value { return boolean(c.p.Ethics.ArtificialIntelligence.Yes) }},
	{"ethics.other", cel.BoolType, "ethics table section 9", func(c *screenCtx) value { return boolean(c.p.Ethics.Other.Yes) }},

	{"pledges.core", cel.BoolType, "all three AI Pact core pledges", func(c *screenCtx) value { return boolean(c.p.Pledges.Core()) }},
	{"pledges.governance_strategy", cel.BoolType, "AI Pact core pledge 1", func(c *screenCtx) value { return boolean(c.p.Pledges.GovernanceStrategy) }},
	{"pledges.high_risk_mapping", cel.BoolType, "AI Pact core pledge 2", func(c *screenCtx) value { return boolean(c.p.Pledges.HighRiskMapping) }},
	{"pledges.ai_literacy", cel.BoolType, "AI Pact core pledge 3", func(c *screenCtx) value { return boolean(c.p.Pledges.AILiteracy) }},
	{"pledges.optional", strList, "optional AI Pact pledges", func(c *screenCtx) value { return list(c.p.Pledges.Optional) }},
}

// Facts lists the names and CEL types of the input facts rules may use, for
// documentation and `pactum rules` tooling. Rulesets add derived.* facts and
// params.* constants on top.
func Facts() []FactInfo {
	out := make([]FactInfo, len(facts))
	for i, f := range facts {
		out[i] = FactInfo{Name: f.name, Type: f.typ.String(), Doc: f.doc}
	}
	return out
}

// FactInfo describes one fact.
type FactInfo struct {
	Name string `json:"name"`
	Type string `json:"type"`
	Doc  string `json:"doc"`
}

// activation is the flat, per-screening variable binding: one slot per
// fact, then one per derived fact. Facts and derived facts are computed on
// first use: most conditions short-circuit on their first term, so most
// facts of a proposal are never read; a derived fact no condition reaches
// is never evaluated. Native conditions read the values in Go form; CEL
// resolves names through the ruleset's shared, read-only name table and
// reads the values boxed, each boxed once.
type activation struct {
	vals    []value
	set     []int32   // the slots of vals computed, to clear only those
	slots   []ref.Val // vals boxed for CEL, on demand
	boxed   bool      // some slot is boxed
	names   *nameTable
	derived []*derivedFact // by slot - len(facts)
	c       *screenCtx
	// frame is the CEL execution frame over this activation, made on
	// first need (many screenings need none) and passed to every
	// program's Eval: a program given an activation takes a frame from a
	// pool and returns it on every call. Programs never change the frame
	// they are given (comprehensions push child frames), so one frame also
	// serves a derived fact evaluated while a condition is being
	// evaluated.
	frame *interpreter.ExecutionFrame
}

func (a *activation) ResolveName(name string) (any, bool) {
	i, ok := a.names.lookup(name)
	if !ok {
		return nil, false
	}
	return a.slot(i), true
}

// celFrame returns the activation's CEL frame, made on first use.
func (a *activation) celFrame() (*interpreter.ExecutionFrame, error) {
	if a.frame == nil {
		f, err := interpreter.NewExecutionFrame(a)
		if err != nil {
			return nil, err
		}
		a.frame = f
	}
	return a.frame, nil
}

// val returns slot i, computing an input or derived fact on first use. A
// derived fact reads only facts and earlier derived facts (each extends the
// environment of the next), so the recursion ends. A derived fact that
// fails is an error value naming it, which fails the condition reading it.
func (a *activation) val(i int) *value {
	v := &a.vals[i]
	if v.k != kNone {
		return v
	}
	a.set = append(a.set, int32(i))
	if i < len(facts) {
		*v = facts[i].get(a.c)
		return v
	}
	d := a.derived[i-len(facts)]
	if d.native != nil {
		*v = d.native(a)
		return v
	}
	frame, err := a.celFrame()
	var r ref.Val
	if err == nil {
		r, _, err = d.prg.Eval(frame)
	}
	if err != nil {
		*v = value{k: kErr, err: fmt.Errorf("derived fact %s: %v", d.name, err)}
	} else {
		*v = unbox(r)
	}
	return v
}

// slot returns slot i boxed for CEL.
func (a *activation) slot(i int) ref.Val {
	if r := a.slots[i]; r != nil {
		return r
	}
	r := box(a.val(i))
	a.slots[i] = r
	a.boxed = true
	return r
}

func (a *activation) Parent() interpreter.Activation { return nil }
