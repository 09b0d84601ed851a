// SPDX-License-Identifier: EUPL-1.2

package policy_test

import "github.com/pactum/pactum"

// systemicReviewCases cover issue 10 point 3: no estimate at or within the
// ±30 % margin of 1e25 FLOP is approved automatically, and a declared
// figure that no independent estimate confirms is flagged. llmInput's 6PD
// is 1.008e23, its hardware estimate 3.56e22.
func systemicReviewCases() []ruleCase {
	return []ruleCase{
		{name: "declared 2e25 FLOP in the fast lane is never approved", base: llmInput,
			edit:   work(func(w *pactum.AIWork) { w.PlannedTrainingFLOP = 2e25 }),
			fire:   []string{"gpai.systemic_review", "compute.declared_disagrees", "gpai.systemic_notification"},
			expect: pactum.OutcomeRefer},
		{name: "declared 7.01e24 FLOP is within the margin", base: llmInput,
			edit:   work(func(w *pactum.AIWork) { w.ParameterCount, w.PlannedTrainingFLOP = 0, 7.01e24 }),
			fire:   []string{"gpai.systemic_review"},
			quiet:  []string{"gpai.systemic_notification"},
			expect: pactum.OutcomeRefer},
		{name: "declared 6.99e24 FLOP is outside the margin", base: llmInput,
			edit:  work(func(w *pactum.AIWork) { w.ParameterCount, w.PlannedTrainingFLOP = 0, 6.99e24 }),
			quiet: []string{"gpai.systemic_review"}},
		{name: "non-generative model above 1e25 FLOP is reviewed all the same", base: llmInput,
			edit: work(func(w *pactum.AIWork) {
				w.OutputModalities, w.ParameterCount, w.TrainingTokens = []string{"tabular"}, 7e10, 2.4e13
			}),
			fire:   []string{"gpai.systemic_review"},
			quiet:  []string{"gpai.systemic_notification"},
			expect: pactum.OutcomeRefer},
		{name: "fine-tune whose cumulative compute nears 1e25", base: llmInput,
			edit: work(func(w *pactum.AIWork) {
				w.FineTune, w.BaseModel, w.BaseModelFLOP = true, "base-70b", 6.9e24 // + 1.008e23
			}),
			fire: []string{"gpai.systemic_review"}},
		{name: "fine-tune whose cumulative compute stays below the margin", base: llmInput,
			edit: work(func(w *pactum.AIWork) {
				w.FineTune, w.BaseModel, w.BaseModelFLOP = true, "base-70b", 6.85e24
			}),
			quiet: []string{"gpai.systemic_review"}},
		{name: "declared figure 39 % off the nearer estimate", base: llmInput,
			edit: work(func(w *pactum.AIWork) { w.PlannedTrainingFLOP = 1.4e23 }),
			fire: []string{"compute.declared_disagrees"}, expect: pactum.OutcomeRefer},
		{name: "declared figure 29 % off the nearer estimate", base: llmInput,
			edit:  work(func(w *pactum.AIWork) { w.PlannedTrainingFLOP = 1.3e23 }),
			quiet: []string{"compute.declared_disagrees"}},
		{name: "declared figure far from the hardware estimate alone", base: llmInput,
			edit:  work(func(w *pactum.AIWork) { w.ParameterCount, w.PlannedTrainingFLOP = 0, 1e21 }),
			quiet: []string{"compute.declared_disagrees"}},
	}
}

// hoursCases cover issue 12 point 6: requested GPU-hours that cannot
// deliver the planned training compute, or far exceed it, are flagged.
// cleanInput's 20,000 H100-hours deliver 3.21e22 to 3.92e22 FLOP at the
// test band 0.45–0.55.
func hoursCases() []ruleCase {
	tokens := func(d float64) func(*pactum.ScreeningInput) {
		return work(func(w *pactum.AIWork) { w.TrainingTokens = d })
	}
	return []ruleCase{
		{name: "6PD 4.2e22 FLOP is more than the hours deliver", edit: tokens(7e12), fire: []string{"compute.hours_insufficient"}},
		{name: "6PD 3.9e22 FLOP fits the hours at the band's high end", edit: tokens(6.5e12), quiet: []string{"compute.hours_insufficient"}},
		{name: "6PD 1.02e22 FLOP is less than a third of what the hours deliver", edit: tokens(1.7e12), fire: []string{"compute.hours_excessive"}},
		{name: "6PD 1.08e22 FLOP is just over a third", edit: tokens(1.8e12), quiet: []string{"compute.hours_excessive"}},
		{name: "a declared figure is the one checked", edit: work(func(w *pactum.AIWork) { w.PlannedTrainingFLOP = 5e22 }),
			fire: []string{"compute.hours_insufficient"}},
	}
}

// legalBasisCases cover issue 10 point 8: the law-enforcement exceptions of
// Art. 50(1) and 50(4) as the Article draws them, and Annex III point 2
// without lettered sub-points.
func legalBasisCases() []ruleCase {
	return []ruleCase{
		{name: "law-enforcement chatbot is exempt from Art. 50(1)",
			edit:  ai(func(a *pactum.AIActProfile) { a.InteractsWithPersons, a.LawEnforcement = true, true }),
			quiet: []string{"art50.1"}},
		{name: "public crime-reporting chatbot is not exempt from Art. 50(1)",
			edit: ai(func(a *pactum.AIActProfile) {
				a.InteractsWithPersons, a.LawEnforcement, a.PublicCrimeReporting = true, true, true
			}),
			fire: []string{"art50.1"}},
		{name: "deep fakes authorised by law for law enforcement",
			edit:  ai(func(a *pactum.AIActProfile) { a.DeepFakes, a.LawEnforcement = true, true }),
			quiet: []string{"art50.4_deep_fakes"}},
		{name: "public-interest text for law enforcement",
			edit:  ai(func(a *pactum.AIActProfile) { a.PublicInterestText, a.LawEnforcement = true, true }),
			quiet: []string{"art50.4_text"}},
		{name: "Annex III point 2 is coded 2",
			edit: ai(func(a *pactum.AIActProfile) { a.AnnexIII = []string{"2"} }),
			fire: []string{"annex3.2"}, expect: pactum.OutcomeRefer},
	}
}

// exceptionCases cover issue 10 point 6: every exception taken or test
// passed leaves an info finding with its basis.
func exceptionCases() []ruleCase {
	return []ruleCase{
		{name: "established in the EU", fire: []string{"elig.establishment_passed"}},
		{name: "established outside the EU and associated countries",
			edit:  func(in *pactum.ScreeningInput) { in.Organization.Country = "US" },
			quiet: []string{"elig.establishment_passed"}},
		{name: "SME in an SME-only mode", fire: []string{"elig.sme_passed"}},
		{name: "large company in an SME-only mode",
			edit:  func(in *pactum.ScreeningInput) { in.Organization.Staff = 400 },
			quiet: []string{"elig.sme_passed"}},
		{name: "emotions at work for safety", at: "2026-09-01",
			edit: ai(func(a *pactum.AIActProfile) {
				a.EmotionRecognition, a.EmotionSetting, a.EmotionPurpose = true, "workplace", "safety"
			}),
			fire: []string{"art5.1f_exception"}, quiet: []string{"art5.1f"}},
		{name: "emotions outside work and education",
			edit: ai(func(a *pactum.AIActProfile) {
				a.EmotionRecognition, a.EmotionSetting, a.EmotionPurpose = true, "other", "safety"
			}),
			quiet: []string{"art5.1f_exception"}},
		{name: "biometric categorisation to label lawful datasets",
			edit: ai(func(a *pactum.AIActProfile) {
				a.SensitiveBiometricCategorisation, a.CategorisationPurpose = true, "dataset_labelling"
			}),
			fire: []string{"art5.1g_exception"}, quiet: []string{"art5.1g"}},
		{name: "biometric categorisation for another purpose",
			edit: ai(func(a *pactum.AIActProfile) {
				a.SensitiveBiometricCategorisation, a.CategorisationPurpose = true, "other"
			}),
			quiet: []string{"art5.1g_exception"}},
		{name: "fraud detection is carved out of 5(b)",
			edit: ai(func(a *pactum.AIActProfile) { a.FraudDetection = true }),
			fire: []string{"annex3.5b_fraud_detection"}, expect: pactum.OutcomeApprove},
		{name: "fraud detection beside credit scoring",
			edit:  ai(func(a *pactum.AIActProfile) { a.FraudDetection, a.AnnexIII = true, []string{"5b"} }),
			quiet: []string{"annex3.5b_fraud_detection"}},
		{name: "fine-tune under a third of its base", base: llmInput,
			edit: work(func(w *pactum.AIWork) { w.FineTune, w.BaseModel, w.BaseModelFLOP = true, "base-7b", 3.03e23 }),
			fire: []string{"gpai.modifier_below_third"}, quiet: []string{"gpai.modifier"}},
		{name: "fine-tune over a third of its base", base: llmInput,
			edit:  work(func(w *pactum.AIWork) { w.FineTune, w.BaseModel, w.BaseModelFLOP = true, "base-7b", 3e23 }),
			quiet: []string{"gpai.modifier_below_third"}},
	}
}

// gpaiScopeCases cover issue 10 point 5: the narrow-task rebuttal and the
// generative modalities of the GPAI guidelines. llmInput's 6PD is 1.008e23.
func gpaiScopeCases() []ruleCase {
	return []ruleCase{
		{name: "narrow model above 1e23 rebuts GPAI status", base: llmInput,
			edit: ai(func(a *pactum.AIActProfile) {
				a.NarrowTaskRebuttal = "Trained only to transcribe Estonian speech; it performs no other task."
			}),
			fire:  []string{"gpai.narrow_rebuttal"},
			quiet: []string{"gpai.art53_documentation", "gpai.art53_copyright", "gpai.art53_summary"}},
		{name: "narrow model below 1e23 needs no rebuttal", base: llmInput,
			edit: both(work(func(w *pactum.AIWork) { w.TrainingTokens = 2.38e12 }),
				ai(func(a *pactum.AIActProfile) { a.NarrowTaskRebuttal = "Speech recognition only." })),
			quiet: []string{"gpai.narrow_rebuttal"}},
		{name: "text-to-speech declared as audio is general-purpose", base: llmInput,
			edit: work(func(w *pactum.AIWork) { w.ModelType, w.OutputModalities = "speech", []string{"audio"} }),
			fire: []string{"gpai.art53_copyright", "art50.2"}},
		{name: "image upscaler is not general-purpose", base: llmInput,
			edit: work(func(w *pactum.AIWork) {
				w.ModelType, w.InputModalities, w.OutputModalities = "vision", []string{"image"}, []string{"image"}
			}),
			fire:  []string{"art50.2"},
			quiet: []string{"gpai.art53_copyright", "gpai.art53_documentation"}},
		{name: "text-to-image is general-purpose", base: llmInput,
			edit: work(func(w *pactum.AIWork) {
				w.ModelType, w.InputModalities, w.OutputModalities = "diffusion", []string{"text"}, []string{"image"}
			}),
			fire: []string{"gpai.art53_copyright"}},
	}
}

// computeShareCases cover issue 10 point 4: the hardware estimate counts
// the training share, and prior compute on the same model counts toward the
// cumulative thresholds. cleanInput's 6PD (3.54e22) matches its hardware
// estimate (3.56e22).
func computeShareCases() []ruleCase {
	half := &pactum.ComputeSplit{PreTraining: 0.5, Experiments: 0.3, EvaluationInference: 0.2}
	return []ruleCase{
		{name: "hardware estimate counts only the training share",
			edit: work(func(w *pactum.AIWork) { w.ComputeSplit = half }),
			fire: []string{"compute.estimates_disagree"}},
		{name: "a split that is all training changes nothing",
			edit:  work(func(w *pactum.AIWork) { w.ComputeSplit = &pactum.ComputeSplit{PreTraining: 0.7, FineTuning: 0.3} }),
			quiet: []string{"compute.estimates_disagree"}},
		{name: "prior compute takes the model past 1e25", base: llmInput,
			edit: work(func(w *pactum.AIWork) { w.PriorTrainingFLOP = 9.95e24 }),
			fire: []string{"gpai.systemic_notification", "gpai.systemic_review"}, expect: pactum.OutcomeRefer},
		{name: "prior compute leaves the model below 1e25", base: llmInput,
			edit:  work(func(w *pactum.AIWork) { w.PriorTrainingFLOP = 9.85e24 }),
			fire:  []string{"gpai.systemic_review"},
			quiet: []string{"gpai.systemic_notification"}},
	}
}
