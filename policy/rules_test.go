// SPDX-License-Identifier: EUPL-1.2

package policy_test

import (
	"sort"
	"strings"
	"testing"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/policy"
)

// ruleCase is one proposal and what it must do to the named rules: every id
// in fire must be among the findings, every id in quiet must not. Each rule
// of the embedded ruleset needs at least one case that fires it and one,
// as close as possible, that does not (TestEveryRuleIsCovered).
type ruleCase struct {
	name   string
	base   func() *pactum.ScreeningInput // cleanInput when nil
	at     string                        // decision date; the base's when empty
	edit   func(in *pactum.ScreeningInput)
	fire   []string
	quiet  []string
	expect pactum.Outcome // checked when set
}

func ai(f func(a *pactum.AIActProfile)) func(in *pactum.ScreeningInput) {
	return func(in *pactum.ScreeningInput) { f(&in.Proposal.AIAct) }
}

func work(f func(w *pactum.AIWork)) func(in *pactum.ScreeningInput) {
	return func(in *pactum.ScreeningInput) { f(&in.Proposal.AIWork) }
}

func both(fs ...func(in *pactum.ScreeningInput)) func(in *pactum.ScreeningInput) {
	return func(in *pactum.ScreeningInput) {
		for _, f := range fs {
			f(in)
		}
	}
}

func mode(m pactum.AccessMode, gpuHours float64) func(in *pactum.ScreeningInput) {
	return func(in *pactum.ScreeningInput) {
		in.Proposal.Mode = m
		in.Proposal.Requests[0].Amount = gpuHours
	}
}

// ruleCases returns the cases of every rule family, starting with the clean
// proposal.
func ruleCases() []ruleCase {
	var cases []ruleCase
	for _, family := range [][]ruleCase{
		{{name: "clean proposal fires nothing", expect: pactum.OutcomeApprove}},
		eligibilityCases(),
		prohibitedPracticeCases(),
		highRiskCases(),
		transparencyCases(),
		gpaiCases(),
		computeEstimateCases(),
		systemicReviewCases(),
		hoursCases(),
		legalBasisCases(),
		exceptionCases(),
		gpaiScopeCases(),
		computeShareCases(),
		dataRightsCases(),
		annexIIIItemCases(),
		ethicsSectionCases(),
	} {
		cases = append(cases, family...)
	}
	return cases
}

// eligibilityCases cover who may apply, in which mode, for how many hours
// and how long.
func eligibilityCases() []ruleCase {
	return []ruleCase{
		{name: "established in the US", edit: func(in *pactum.ScreeningInput) { in.Organization.Country = "US" },
			fire: []string{"elig.establishment"}, expect: pactum.OutcomeDeny},
		{name: "established in Norway (associated)", edit: func(in *pactum.ScreeningInput) { in.Organization.Country = "NO" },
			quiet: []string{"elig.establishment"}, expect: pactum.OutcomeApprove},
		{name: "established in Liechtenstein (DEP only)", edit: func(in *pactum.ScreeningInput) { in.Organization.Country = "LI" },
			quiet: []string{"elig.establishment"}},
		{name: "not exclusively civilian", edit: work(func(w *pactum.AIWork) { w.CivilianOnly = false }),
			fire: []string{"elig.civilian"}, expect: pactum.OutcomeDeny},
		{name: "exclusively civilian", quiet: []string{"elig.civilian"}},
		{name: "mode not offered", edit: func(in *pactum.ScreeningInput) { in.Call.Modes = in.Call.Modes[2:] },
			fire: []string{"elig.mode_offered"}, quiet: []string{"elig.sme", "elig.max_gpu_hours", "elig.ai_pact"}, expect: pactum.OutcomeDeny},
		{name: "mode offered", quiet: []string{"elig.mode_offered"}},
		{name: "250 staff is not an SME", edit: func(in *pactum.ScreeningInput) { in.Organization.Staff = 250 },
			fire: []string{"elig.sme"}, expect: pactum.OutcomeDeny},
		{name: "249 staff, €60M turnover, €43M balance sheet is an SME", edit: func(in *pactum.ScreeningInput) {
			in.Organization.Staff, in.Organization.TurnoverEUR, in.Organization.BalanceSheetEUR = 249, 60_000_000, 43_000_000
		}, quiet: []string{"elig.sme"}},
		{name: "large company in large scale", edit: both(func(in *pactum.ScreeningInput) { in.Organization.Staff = 5000 }, mode(pactum.ModeLargeScale, 60000)),
			quiet: []string{"elig.sme"}},
		{name: "fast lane above its cap", edit: mode(pactum.ModeFastLane, 50001), fire: []string{"elig.max_gpu_hours"}, expect: pactum.OutcomeDeny},
		{name: "fast lane at its cap", edit: mode(pactum.ModeFastLane, 50000), quiet: []string{"elig.max_gpu_hours"}, expect: pactum.OutcomeApprove},
		{name: "node-hours count in GPU-hours", edit: func(in *pactum.ScreeningInput) {
			in.Proposal.Requests = []pactum.ResourceRequest{{SystemID: "karolina-gpu", Amount: 6251}} // 50,008 GPU-h
		}, fire: []string{"elig.max_gpu_hours"}},
		{name: "large scale below its minimum", edit: mode(pactum.ModeLargeScale, 49999), fire: []string{"elig.min_gpu_hours"}},
		{name: "large scale at its minimum", edit: mode(pactum.ModeLargeScale, 50000), quiet: []string{"elig.min_gpu_hours"}},
		{name: "fast lane for 4 months", edit: func(in *pactum.ScreeningInput) { in.Proposal.DurationMonths = 4 },
			fire: []string{"elig.max_duration"}},
		{name: "fast lane for 3 months", edit: func(in *pactum.ScreeningInput) { in.Proposal.DurationMonths = 3 },
			quiet: []string{"elig.max_duration"}},
		{name: "fast lane without the AI-literacy pledge", edit: func(in *pactum.ScreeningInput) { in.Proposal.Pledges.AILiteracy = false },
			fire: []string{"elig.ai_pact"}, expect: pactum.OutcomeDeny},
		{name: "large scale needs no pledges", edit: both(func(in *pactum.ScreeningInput) { in.Proposal.Pledges = pactum.AIPactPledges{} }, mode(pactum.ModeLargeScale, 60000)),
			quiet: []string{"elig.ai_pact"}},
	}
}

// prohibitedPracticeCases cover Art. 5 with its dates and exceptions.
func prohibitedPracticeCases() []ruleCase {
	return []ruleCase{
		{name: "manipulation with significant harm", at: "2025-02-02",
			edit: ai(func(a *pactum.AIActProfile) { a.ManipulativeTechniques, a.SignificantHarmLikely = true, true }),
			fire: []string{"art5.1a"}, quiet: []string{"art5.1ab_review"}, expect: pactum.OutcomeDeny},
		{name: "manipulation the day before Art. 5 applies", at: "2025-02-01",
			edit:  ai(func(a *pactum.AIActProfile) { a.ManipulativeTechniques, a.SignificantHarmLikely = true, true }),
			quiet: []string{"art5.1a", "art5.1ab_review"}},
		{name: "manipulation without significant harm", at: "2025-02-02",
			edit: ai(func(a *pactum.AIActProfile) { a.ManipulativeTechniques = true }),
			fire: []string{"art5.1ab_review"}, quiet: []string{"art5.1a"}, expect: pactum.OutcomeRefer},
		{name: "exploiting vulnerabilities with significant harm",
			edit: ai(func(a *pactum.AIActProfile) { a.ExploitsVulnerabilities, a.SignificantHarmLikely = true, true }),
			fire: []string{"art5.1b"}, quiet: []string{"art5.1ab_review", "art5.1a"}},
		{name: "exploiting vulnerabilities without significant harm",
			edit: ai(func(a *pactum.AIActProfile) { a.ExploitsVulnerabilities = true }),
			fire: []string{"art5.1ab_review"}, quiet: []string{"art5.1b"}},
		{name: "social scoring", edit: ai(func(a *pactum.AIActProfile) { a.SocialScoring = true }), fire: []string{"art5.1c"}},
		{name: "social scoring before Art. 5 applies", at: "2025-02-01", edit: ai(func(a *pactum.AIActProfile) { a.SocialScoring = true }),
			quiet: []string{"art5.1c"}},
		{name: "crime prediction solely from profiling",
			edit: ai(func(a *pactum.AIActProfile) { a.CrimeRiskPrediction, a.SolelyProfiling = true, true }),
			fire: []string{"art5.1d"}, quiet: []string{"annex3.6d"}},
		{name: "crime prediction supporting a human assessment",
			edit: ai(func(a *pactum.AIActProfile) { a.CrimeRiskPrediction = true }),
			fire: []string{"annex3.6d"}, quiet: []string{"art5.1d"}, expect: pactum.OutcomeRefer},
		{name: "untargeted face scraping", edit: ai(func(a *pactum.AIActProfile) { a.UntargetedFaceScraping = true }), fire: []string{"art5.1e"}},
		{name: "untargeted face scraping before Art. 5 applies", at: "2025-02-01",
			edit: ai(func(a *pactum.AIActProfile) { a.UntargetedFaceScraping = true }), quiet: []string{"art5.1e"}},
		{name: "emotion recognition at work",
			edit: ai(func(a *pactum.AIActProfile) {
				a.EmotionRecognition, a.EmotionSetting, a.EmotionPurpose = true, "workplace", "other"
			}),
			fire: []string{"art5.1f"}, expect: pactum.OutcomeDeny},
		{name: "emotion recognition in education, no purpose given",
			edit: ai(func(a *pactum.AIActProfile) { a.EmotionRecognition, a.EmotionSetting = true, "education" }),
			fire: []string{"art5.1f"}},
		{name: "emotion recognition at work for safety",
			edit: ai(func(a *pactum.AIActProfile) {
				a.EmotionRecognition, a.EmotionSetting, a.EmotionPurpose = true, "workplace", "safety"
			}),
			fire: []string{"annex3.1c", "art50.3"}, quiet: []string{"art5.1f"}, expect: pactum.OutcomeRefer},
		{name: "emotion recognition outside work and education",
			edit: ai(func(a *pactum.AIActProfile) { a.EmotionRecognition, a.EmotionSetting = true, "other" }),
			fire: []string{"annex3.1c"}, quiet: []string{"art5.1f"}},
		{name: "sensitive biometric categorisation",
			edit: ai(func(a *pactum.AIActProfile) {
				a.SensitiveBiometricCategorisation, a.CategorisationPurpose = true, "other"
			}),
			fire: []string{"art5.1g"}},
		{name: "sensitive biometric categorisation to label a dataset",
			edit: ai(func(a *pactum.AIActProfile) {
				a.SensitiveBiometricCategorisation, a.CategorisationPurpose = true, "dataset_labelling"
			}),
			fire: []string{"annex3.1b", "art50.3"}, quiet: []string{"art5.1g"}},
		{name: "real-time RBI for law enforcement without exception",
			edit: ai(func(a *pactum.AIActProfile) {
				a.RemoteBiometricIdentification, a.RealTime, a.PubliclyAccessibleSpaces, a.LawEnforcement = true, true, true, true
			}),
			fire: []string{"art5.1h"}, quiet: []string{"art5.1h_exception"}, expect: pactum.OutcomeDeny},
		{name: "real-time RBI for law enforcement, missing persons",
			edit: ai(func(a *pactum.AIActProfile) {
				a.RemoteBiometricIdentification, a.RealTime, a.PubliclyAccessibleSpaces, a.LawEnforcement = true, true, true, true
				a.RBIException = "victims"
			}),
			fire: []string{"art5.1h_exception", "annex3.1a"}, quiet: []string{"art5.1h"}, expect: pactum.OutcomeRefer},
		{name: "post-event RBI for law enforcement",
			edit: ai(func(a *pactum.AIActProfile) {
				a.RemoteBiometricIdentification, a.PubliclyAccessibleSpaces, a.LawEnforcement = true, true, true
			}),
			fire: []string{"annex3.1a"}, quiet: []string{"art5.1h", "art5.1h_exception"}},
	}
}

// highRiskCases cover Annex III derogations and profiling, research that
// stays in the lab and Annex I safety components.
func highRiskCases() []ruleCase {
	return []ruleCase{
		{name: "recruitment with a preparatory-task derogation",
			edit: ai(func(a *pactum.AIActProfile) { a.AnnexIII, a.Derogation = []string{"4a"}, "preparatory_task" }),
			fire: []string{"art6.3_derogation"}, quiet: []string{"annex3.4a", "art6.3_profiling", "highrisk.risk_data"},
			expect: pactum.OutcomeApprove},
		{name: "recruitment with a derogation but profiling",
			edit: ai(func(a *pactum.AIActProfile) {
				a.AnnexIII, a.Derogation, a.ProfilesNaturalPersons = []string{"4a"}, "preparatory_task", true
			}),
			fire: []string{"annex3.4a", "art6.3_profiling", "highrisk.risk_data"}, quiet: []string{"art6.3_derogation"},
			expect: pactum.OutcomeRefer},
		{name: "recruitment without derogation",
			edit:  ai(func(a *pactum.AIActProfile) { a.AnnexIII = []string{"4a"} }),
			fire:  []string{"annex3.4a", "highrisk.risk_data", "highrisk.documentation_oversight", "highrisk.conformity_registration"},
			quiet: []string{"art6.3_derogation", "art6.3_profiling", "highrisk.research_only"}},
		{name: "profiling without an Annex III item",
			edit:  ai(func(a *pactum.AIActProfile) { a.Derogation, a.ProfilesNaturalPersons = "preparatory_task", true }),
			quiet: []string{"art6.3_profiling", "art6.3_derogation", "highrisk.risk_data"}},
		{name: "high-risk research that stays in the lab",
			edit: both(ai(func(a *pactum.AIActProfile) { a.AnnexIII = []string{"5b"} }),
				work(func(w *pactum.AIWork) { w.Purpose, w.IntendsEUMarket = "research", false })),
			fire:  []string{"annex3.5b", "highrisk.research_only"},
			quiet: []string{"highrisk.risk_data", "highrisk.documentation_oversight", "highrisk.conformity_registration"}},
		{name: "high-risk research with open weights is released",
			edit: both(ai(func(a *pactum.AIActProfile) { a.AnnexIII = []string{"5b"} }),
				work(func(w *pactum.AIWork) { w.Purpose, w.IntendsEUMarket, w.OpenWeights = "research", false, true })),
			fire: []string{"highrisk.risk_data"}, quiet: []string{"highrisk.research_only"}},
		{name: "Annex I safety component", at: "2027-08-02", edit: ai(func(a *pactum.AIActProfile) { a.SafetyComponent = true }),
			fire: []string{"art6.1_annex_i"}, expect: pactum.OutcomeRefer},
		{name: "Annex I safety component before Art. 6(1) applies", at: "2027-08-01",
			edit: ai(func(a *pactum.AIActProfile) { a.SafetyComponent = true }), quiet: []string{"art6.1_annex_i"}},
	}
}

// transparencyCases cover the Art. 50 transparency duties.
func transparencyCases() []ruleCase {
	return []ruleCase{
		{name: "chatbot", at: "2026-08-02", edit: ai(func(a *pactum.AIActProfile) { a.InteractsWithPersons = true }),
			fire: []string{"art50.1"}, expect: pactum.OutcomeApprove},
		{name: "chatbot before Art. 50 applies", at: "2026-08-01", edit: ai(func(a *pactum.AIActProfile) { a.InteractsWithPersons = true }),
			quiet: []string{"art50.1"}},
		{name: "law-enforcement chatbot",
			edit:  ai(func(a *pactum.AIActProfile) { a.InteractsWithPersons, a.LawEnforcement = true, true }),
			quiet: []string{"art50.1"}},
		{name: "declared synthetic content", edit: ai(func(a *pactum.AIActProfile) { a.SyntheticContent = true }),
			fire: []string{"art50.2"}},
		{name: "synthetic content for law enforcement",
			edit:  ai(func(a *pactum.AIActProfile) { a.SyntheticContent, a.LawEnforcement = true, true }),
			quiet: []string{"art50.2", "art50.1"}},
		{name: "image generator generates synthetic content", edit: work(func(w *pactum.AIWork) { w.OutputModalities = []string{"image"} }),
			fire: []string{"art50.2"}},
		{name: "synthetic content in lab-only research",
			edit: both(ai(func(a *pactum.AIActProfile) { a.SyntheticContent = true }),
				work(func(w *pactum.AIWork) { w.Purpose, w.IntendsEUMarket = "research", false })),
			quiet: []string{"art50.2"}},
		{name: "emotion recognition for law enforcement",
			edit: ai(func(a *pactum.AIActProfile) {
				a.EmotionRecognition, a.EmotionSetting, a.LawEnforcement = true, "other", true
			}),
			fire: []string{"annex3.1c"}, quiet: []string{"art50.3"}},
		{name: "deep fakes", edit: ai(func(a *pactum.AIActProfile) { a.DeepFakes = true }), fire: []string{"art50.4_deep_fakes"}},
		{name: "deep fakes in lab-only research",
			edit: both(ai(func(a *pactum.AIActProfile) { a.DeepFakes = true }),
				work(func(w *pactum.AIWork) { w.Purpose, w.IntendsEUMarket = "research", false })),
			quiet: []string{"art50.4_deep_fakes"}},
		{name: "public-interest text", edit: ai(func(a *pactum.AIActProfile) { a.PublicInterestText = true }),
			fire: []string{"art50.4_text"}},
		{name: "public-interest text under editorial control",
			edit:  ai(func(a *pactum.AIActProfile) { a.PublicInterestText, a.HumanEditorialControl = true, true }),
			quiet: []string{"art50.4_text"}},
	}
}

// gpaiCases cover general-purpose models (Chapter V). llmInput's 6PD is
// 1.008e23.
func gpaiCases() []ruleCase {
	return []ruleCase{
		{name: "7B model just above 1e23 FLOP", base: llmInput, at: "2025-08-02",
			fire:   []string{"gpai.art53_documentation", "gpai.art53_copyright", "gpai.art53_summary", "compute.estimates_disagree"},
			quiet:  []string{"gpai.art54_representative", "gpai.open_source", "gpai.systemic_notification", "gpai.modifier", "art50.2"},
			expect: pactum.OutcomeApprove},
		{name: "7B model before Chapter V applies", base: llmInput, at: "2025-08-01",
			fire:  []string{"compute.estimates_disagree"},
			quiet: []string{"gpai.art53_documentation", "gpai.art53_copyright", "gpai.art53_summary"}},
		{name: "7B model just below 1e23 FLOP", base: llmInput, edit: work(func(w *pactum.AIWork) { w.TrainingTokens = 2.38e12 }),
			quiet: []string{"gpai.art53_documentation", "gpai.art53_copyright", "gpai.art53_summary"}},
		{name: "above 1e23 FLOP but no generative modality", base: llmInput,
			edit:  work(func(w *pactum.AIWork) { w.OutputModalities = []string{"tabular"} }),
			quiet: []string{"gpai.art53_copyright", "gpai.art53_summary", "gpai.art53_documentation"}},
		{name: "GPAI from Norway needs a representative", base: llmInput,
			edit: func(in *pactum.ScreeningInput) { in.Organization.Country = "NO" },
			fire: []string{"gpai.art54_representative"}},
		{name: "open-weights GPAI from Norway", base: llmInput,
			edit:  both(func(in *pactum.ScreeningInput) { in.Organization.Country = "NO" }, work(func(w *pactum.AIWork) { w.OpenWeights = true })),
			fire:  []string{"gpai.open_source", "gpai.art53_copyright", "gpai.art53_summary"},
			quiet: []string{"gpai.art54_representative", "gpai.art53_documentation"}},
		{name: "open-weights model with systemic risk", base: llmInput,
			edit: work(func(w *pactum.AIWork) { w.OpenWeights, w.ParameterCount, w.TrainingTokens = true, 7e10, 2.4e13 }),
			fire: []string{"gpai.art53_documentation", "gpai.systemic_notification"}, quiet: []string{"gpai.open_source"}},
		{name: "70B model just above 1e25 FLOP", base: llmInput,
			edit:  work(func(w *pactum.AIWork) { w.ParameterCount, w.TrainingTokens = 7e10, 2.4e13 }),
			fire:  []string{"gpai.systemic_notification", "gpai.systemic_obligations", "compute.threshold_ambiguous"},
			quiet: []string{"gpai.near_systemic"}, expect: pactum.OutcomeRefer},
		{name: "70B model just below 1e25 FLOP", base: llmInput,
			edit:  work(func(w *pactum.AIWork) { w.ParameterCount, w.TrainingTokens = 7e10, 2.38e13 }),
			fire:  []string{"gpai.near_systemic"},
			quiet: []string{"gpai.systemic_notification", "gpai.systemic_obligations", "compute.threshold_ambiguous"}},
		{name: "declared 7.01e24 FLOP is near the systemic threshold", base: llmInput,
			edit: work(func(w *pactum.AIWork) { w.ParameterCount, w.PlannedTrainingFLOP = 0, 7.01e24 }),
			fire: []string{"gpai.near_systemic"}},
		{name: "declared 6.99e24 FLOP is not near", base: llmInput,
			edit:  work(func(w *pactum.AIWork) { w.ParameterCount, w.PlannedTrainingFLOP = 0, 6.99e24 }),
			quiet: []string{"gpai.near_systemic"}},
		{name: "both estimates above 1e25 are not ambiguous", base: llmInput,
			edit:  both(mode(pactum.ModeLargeScale, 6e6), work(func(w *pactum.AIWork) { w.ParameterCount, w.TrainingTokens = 1e11, 2e13 })),
			fire:  []string{"gpai.systemic_notification"},
			quiet: []string{"compute.threshold_ambiguous", "compute.estimates_disagree"}},
		{name: "fine-tune above a third of its base", base: llmInput,
			edit: work(func(w *pactum.AIWork) { w.FineTune, w.BaseModel, w.BaseModelFLOP = true, "base-7b", 3e23 }),
			fire: []string{"gpai.modifier", "gpai.art53_copyright"}, quiet: []string{"gpai.systemic_notification"}},
		{name: "fine-tune just below a third of its base", base: llmInput,
			edit:  work(func(w *pactum.AIWork) { w.FineTune, w.BaseModel, w.BaseModelFLOP = true, "base-7b", 3.03e23 }),
			quiet: []string{"gpai.modifier", "gpai.art53_copyright", "gpai.art53_documentation"}},
		{name: "fine-tune of an unknown base above 3.3e22", base: llmInput,
			edit: work(func(w *pactum.AIWork) {
				w.FineTune, w.BaseModel, w.ParameterCount, w.TrainingTokens = true, "mystery", 7e9, 8.1e11 // 3.40e22
			}),
			fire: []string{"gpai.modifier"}},
		{name: "fine-tune of an unknown base below 3.3e22", base: llmInput,
			edit: both(mode(pactum.ModeFastLane, 15000), work(func(w *pactum.AIWork) {
				w.FineTune, w.BaseModel, w.ParameterCount, w.TrainingTokens = true, "mystery", 7e9, 7.8e11 // 3.28e22
			})),
			quiet: []string{"gpai.modifier"}},
		{name: "fine-tune of a systemic-risk model above 3.3e24", base: llmInput,
			edit: work(func(w *pactum.AIWork) {
				w.FineTune, w.BaseModel, w.BaseModelSystemicRisk, w.PlannedTrainingFLOP = true, "frontier", true, 3.4e24
			}),
			fire: []string{"gpai.modifier", "gpai.systemic_notification", "gpai.systemic_obligations"}},
		{name: "fine-tune of a systemic-risk model below 3.3e24", base: llmInput,
			edit: work(func(w *pactum.AIWork) {
				w.FineTune, w.BaseModel, w.BaseModelSystemicRisk, w.PlannedTrainingFLOP = true, "frontier", true, 3.2e24
			}),
			quiet: []string{"gpai.modifier", "gpai.systemic_notification"}},
	}
}

// computeEstimateCases cover the agreement of the two compute estimates.
// 20,000 H100-hours at 0.5 give 3.56e22 FLOP.
func computeEstimateCases() []ruleCase {
	return []ruleCase{
		{name: "6PD 32 % above the hardware estimate", edit: work(func(w *pactum.AIWork) { w.ParameterCount, w.TrainingTokens = 1e9, 7.84e12 }),
			fire: []string{"compute.estimates_disagree"}, expect: pactum.OutcomeApprove},
		{name: "6PD 29 % above the hardware estimate", edit: work(func(w *pactum.AIWork) { w.ParameterCount, w.TrainingTokens = 1e9, 7.66e12 }),
			quiet: []string{"compute.estimates_disagree"}},
	}
}

// dataRightsCases cover text-and-data-mining opt-outs.
func dataRightsCases() []ruleCase {
	return []ruleCase{
		{name: "web crawl ignoring opt-outs", base: llmInput, edit: work(func(w *pactum.AIWork) { w.DataProvenance.TDMOptOutsHonoured = false }),
			fire: []string{"data.tdm_opt_outs"}, expect: pactum.OutcomeRefer},
		{name: "web crawl honouring opt-outs", base: llmInput, quiet: []string{"data.tdm_opt_outs"}},
		{name: "licensed data need not honour opt-outs", edit: work(func(w *pactum.AIWork) { w.DataProvenance.TDMOptOutsHonoured = false }),
			quiet: []string{"data.tdm_opt_outs"}},
	}
}

// annexIIIItemCases check that every Annex III item fires from 2026-08-02,
// not the day before, and not when derogated.
func annexIIIItemCases() []ruleCase {
	var cases []ruleCase
	for _, code := range pactum.AnnexIIIItems {
		code := code
		edit := ai(func(a *pactum.AIActProfile) { a.AnnexIII = []string{code} })
		cases = append(cases,
			ruleCase{name: "Annex III " + code, at: "2026-08-02", edit: edit, fire: []string{"annex3." + code},
				expect: pactum.OutcomeRefer},
			ruleCase{name: "Annex III " + code + " before it applies", at: "2026-08-01", edit: edit, quiet: []string{"annex3." + code},
				expect: pactum.OutcomeApprove},
			ruleCase{name: "Annex III " + code + " derogated", edit: ai(func(a *pactum.AIActProfile) {
				a.AnnexIII, a.Derogation = []string{code}, "narrow_procedural_task"
			}), quiet: []string{"annex3." + code}},
		)
	}
	return cases
}

// ethicsSectionCases check that every ethics section refers, and only on
// its own yes.
func ethicsSectionCases() []ruleCase {
	var cases []ruleCase
	sections := []struct {
		id  string
		set func(e *pactum.EthicsAssessment) *pactum.EthicsAnswer
	}{
		{"human_embryos", func(e *pactum.EthicsAssessment) *pactum.EthicsAnswer { return &e.HumanEmbryos }},
		{"humans", func(e *pactum.EthicsAssessment) *pactum.EthicsAnswer { return &e.Humans }},
		{"human_cells", func(e *pactum.EthicsAssessment) *pactum.EthicsAnswer { return &e.HumanCells }},
		{"personal_data", func(e *pactum.EthicsAssessment) *pactum.EthicsAnswer { return &e.PersonalData }},
		{"animals", func(e *pactum.EthicsAssessment) *pactum.EthicsAnswer { return &e.Animals }},
		{"non_eu_countries", func(e *pactum.EthicsAssessment) *pactum.EthicsAnswer { return &e.NonEUCountries }},
		{"environment_health_safety", func(e *pactum.EthicsAssessment) *pactum.EthicsAnswer { return &e.EnvironmentHealthSafety }},
		{"artificial_intelligence", func(e *pactum.EthicsAssessment) *pactum.EthicsAnswer { return &e.ArtificialIntelligence }},
		{"other", func(e *pactum.EthicsAssessment) *pactum.EthicsAnswer { return &e.Other }},
	}
	for i, s := range sections {
		s, other := s, sections[(i+1)%len(sections)]
		cases = append(cases,
			ruleCase{name: "ethics " + s.id + " yes", edit: func(in *pactum.ScreeningInput) {
				*s.set(&in.Proposal.Ethics) = pactum.EthicsAnswer{Yes: true, Details: "Issue and mitigation."}
			}, fire: []string{"ethics." + s.id}, expect: pactum.OutcomeRefer},
			ruleCase{name: "ethics " + s.id + " no, details given, another section yes", edit: func(in *pactum.ScreeningInput) {
				*s.set(&in.Proposal.Ethics) = pactum.EthicsAnswer{Details: "Considered; not applicable."}
				*other.set(&in.Proposal.Ethics) = pactum.EthicsAnswer{Yes: true, Details: "Issue."}
			}, quiet: []string{"ethics." + s.id}},
		)
	}
	return cases
}

func TestRules(t *testing.T) {
	s := policy.NewScreener(mustDefault(t))
	for _, tc := range ruleCases() {
		t.Run(tc.name, func(t *testing.T) {
			base := tc.base
			if base == nil {
				base = cleanInput
			}
			in := base()
			if tc.at != "" {
				in.At = day(tc.at)
			}
			if tc.edit != nil {
				tc.edit(in)
			}
			// A case must describe a proposal the API would accept, or it
			// tests a situation that cannot arise.
			if err := in.Proposal.ValidateAgainst(nil, in.Systems); err != nil {
				t.Fatalf("the case's proposal is invalid: %v", err)
			}
			d := mustScreen(t, s, in)
			checkFires(t, d, tc.fire, tc.quiet)
			if tc.expect != "" && d.Outcome != tc.expect {
				t.Errorf("outcome = %s, want %s; findings: %v", d.Outcome, tc.expect, ids(d))
			}
			if tc.name == "clean proposal fires nothing" && len(beyondPassed(d)) != 0 {
				t.Errorf("clean proposal has findings: %v", ids(d))
			}
			for _, f := range d.Findings {
				if f.Basis == "" || f.Message == "" || strings.Contains(f.Message, "{{") {
					t.Errorf("finding %s: basis %q, message %q", f.RuleID, f.Basis, f.Message)
				}
				if (f.Effect == pactum.EffectRefer) != (f.Referral != "") {
					t.Errorf("finding %s: effect %s with referral %q", f.RuleID, f.Effect, f.Referral)
				}
			}
		})
	}
}

// TestEveryRuleIsCovered fails when a rule of the embedded ruleset has no
// case that fires it or none that keeps it quiet, so that adding a rule
// without tests, or renaming one, cannot go unnoticed.
func TestEveryRuleIsCovered(t *testing.T) {
	fired, quiet := map[string]bool{}, map[string]bool{}
	for _, tc := range ruleCases() {
		for _, id := range tc.fire {
			fired[id] = true
		}
		for _, id := range tc.quiet {
			quiet[id] = true
		}
	}
	known := map[string]bool{}
	for _, r := range mustDefault(t).Rules() {
		known[r.ID] = true
		if !fired[r.ID] {
			t.Errorf("rule %s has no case that fires it", r.ID)
		}
		if !quiet[r.ID] {
			t.Errorf("rule %s has no case where it narrowly does not fire", r.ID)
		}
	}
	var stale []string
	for id := range fired {
		if !known[id] {
			stale = append(stale, id)
		}
	}
	for id := range quiet {
		if !known[id] {
			stale = append(stale, id)
		}
	}
	sort.Strings(stale)
	if len(stale) > 0 {
		t.Errorf("cases name rules the ruleset lacks: %v", stale)
	}
}

func ids(d *pactum.ScreeningDecision) []string {
	out := make([]string, len(d.Findings))
	for i, f := range d.Findings {
		out[i] = f.RuleID
	}
	return out
}
