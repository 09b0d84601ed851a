// SPDX-License-Identifier: EUPL-1.2

package pactum

// AIActProfile is the applicant's structured self-classification under the AI
// Act (Regulation (EU) 2024/1689). It records facts about the intended
// system, not conclusions: the screening rules draw the conclusions (a
// prohibited practice, a high-risk area, a transparency duty) and cite the
// article. Every field defaults to "no".
type AIActProfile struct {
	// Art. 5(1)(a)/(b): manipulation and exploitation of vulnerabilities.
	ManipulativeTechniques  bool `json:"manipulative_techniques"`  // subliminal, purposefully manipulative or deceptive techniques
	ExploitsVulnerabilities bool `json:"exploits_vulnerabilities"` // age, disability, social or economic situation
	SignificantHarmLikely   bool `json:"significant_harm_likely"`  // the distortion causes or is reasonably likely to cause significant harm
	// Art. 5(1)(c): social scoring, by public or private actors.
	SocialScoring bool `json:"social_scoring"`
	// Art. 5(1)(d): individual crime-risk prediction.
	CrimeRiskPrediction bool `json:"crime_risk_prediction"`
	// SolelyProfiling: the assessment rests solely on profiling or
	// personality traits (not supporting a human assessment based on
	// objective, verifiable facts).
	SolelyProfiling bool `json:"solely_profiling"`
	// Art. 5(1)(e): facial-recognition databases by untargeted scraping.
	UntargetedFaceScraping bool `json:"untargeted_face_scraping"`
	// Art. 5(1)(f): emotion recognition; EmotionSetting is "workplace",
	// "education" or "other"; EmotionPurpose is "medical", "safety",
	// "medical_or_safety" (the questionnaire's answer) or "other".
	EmotionRecognition bool   `json:"emotion_recognition"`
	EmotionSetting     string `json:"emotion_setting,omitempty"`
	EmotionPurpose     string `json:"emotion_purpose,omitempty"`
	// Art. 5(1)(g): biometric categorisation inferring race, political
	// opinions, trade-union membership, religious or philosophical beliefs,
	// sex life or sexual orientation (not sex as such).
	// CategorisationPurpose "dataset_labelling" or "law_enforcement" are
	// the exceptions; anything else is "other".
	SensitiveBiometricCategorisation bool   `json:"sensitive_biometric_categorisation"`
	CategorisationPurpose            string `json:"categorisation_purpose,omitempty"`
	// Art. 5(1)(h): real-time remote biometric identification in publicly
	// accessible spaces for law enforcement. RBIException is "victims",
	// "imminent_threat" or "serious_crime_suspect" when claimed.
	RemoteBiometricIdentification bool `json:"remote_biometric_identification"`
	RealTime                      bool `json:"real_time"`
	PubliclyAccessibleSpaces      bool `json:"publicly_accessible_spaces"`
	LawEnforcement                bool `json:"law_enforcement"`
	// PublicCrimeReporting: the system is available to the public to
	// report a crime, which the law-enforcement exception of Art. 50(1)
	// does not cover.
	PublicCrimeReporting bool   `json:"public_crime_reporting,omitempty"`
	RBIException         string `json:"rbi_exception,omitempty"`

	// AnnexIII lists the Annex III items the system falls under, as codes
	// "1a" … "8b" (area number, item letter); point 2, critical
	// infrastructure, has no lettered items and is "2".
	AnnexIII []string `json:"annex_iii,omitempty"`
	// Derogation claims an Art. 6(3) derogation: "narrow_procedural_task",
	// "improves_completed_activity", "detects_patterns" or
	// "preparatory_task"; empty for none.
	Derogation string `json:"derogation,omitempty"`
	// ProfilesNaturalPersons: an Annex III system that profiles natural
	// persons is always high-risk (Art. 6(3), last subparagraph).
	ProfilesNaturalPersons bool `json:"profiles_natural_persons"`
	// NarrowTaskRebuttal justifies that a model above the indicative GPAI
	// threshold is trained for a narrow task and so not general-purpose
	// (GPAI guidelines §20); empty for no rebuttal.
	NarrowTaskRebuttal string `json:"narrow_task_rebuttal,omitempty"`
	// FraudDetection: the system detects financial fraud, which Annex III
	// point 5(b) excepts from creditworthiness assessment.
	FraudDetection bool `json:"fraud_detection,omitempty"`
	// SafetyComponent: a safety component of (or itself) an Annex I product
	// that needs third-party conformity assessment (Art. 6(1)).
	SafetyComponent bool `json:"safety_component"`

	// Art. 50 transparency facts.
	InteractsWithPersons  bool `json:"interacts_with_persons"`  // 50(1)
	SyntheticContent      bool `json:"synthetic_content"`       // 50(2): generates audio, image, video or text
	DeepFakes             bool `json:"deep_fakes"`              // 50(4)
	PublicInterestText    bool `json:"public_interest_text"`    // 50(4): publishes text on matters of public interest
	HumanEditorialControl bool `json:"human_editorial_control"` // 50(4) exception
}

// Annex III item codes, area number then item letter, as in the Annex.
// Point 2 (critical infrastructure) has no lettered sub-points.
var AnnexIIIItems = []string{
	"1a", "1b", "1c",
	"2",
	"3a", "3b", "3c", "3d",
	"4a", "4b",
	"5a", "5b", "5c", "5d",
	"6a", "6b", "6c", "6d", "6e",
	"7a", "7b", "7c", "7d",
	"8a", "8b",
}

// The Art. 6(3) derogations.
var Derogations = []string{"narrow_procedural_task", "improves_completed_activity", "detects_patterns", "preparatory_task"}

func (a *AIActProfile) validate(v *Validator, draft bool) {
	oneOf(v, "ai_act.emotion_setting", a.EmotionSetting, "workplace", "education", "other")
	oneOf(v, "ai_act.emotion_purpose", a.EmotionPurpose, "medical", "safety", "medical_or_safety", "other")
	oneOf(v, "ai_act.categorisation_purpose", a.CategorisationPurpose, "dataset_labelling", "law_enforcement", "other")
	oneOf(v, "ai_act.rbi_exception", a.RBIException, "victims", "imminent_threat", "serious_crime_suspect")
	oneOf(v, "ai_act.derogation", a.Derogation, Derogations...)
	seen := map[string]bool{}
	for i, c := range a.AnnexIII {
		f := "ai_act.annex_iii[" + itoa(i) + "]"
		v.Check(contains(AnnexIIIItems, c), f, "must be an Annex III item code such as 1a or 4b")
		v.Check(!seen[c], f, "is listed twice")
		seen[c] = true
	}
	if !draft { // a draft may leave the setting for later
		v.Check(!a.EmotionRecognition || a.EmotionSetting != "", "ai_act.emotion_setting", "is required when emotion_recognition is set")
	}
	v.Check(len(a.NarrowTaskRebuttal) <= 2000, "ai_act.narrow_task_rebuttal", "must be at most 2000 characters")
	v.Text("ai_act.narrow_task_rebuttal", a.NarrowTaskRebuttal, true)
}

// oneOf checks that an optional enumerated field, when set, takes one of
// the allowed values.
func oneOf(v *Validator, field, value string, allowed ...string) {
	if value == "" {
		return
	}
	v.Check(contains(allowed, value), field, "must be one of %s", joinStrings(allowed))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func joinStrings(list []string) string {
	out := ""
	for i, s := range list {
		if i > 0 {
			out += ", "
		}
		out += s
	}
	return out
}

// EthicsAnswer is one section of the Horizon Europe ethics issues table.
type EthicsAnswer struct {
	Yes bool `json:"yes"`
	// Details describes the issue and its mitigation; required for "yes".
	Details string `json:"details,omitempty"`
}

// EthicsAssessment is the applicant's ethics self-assessment, the nine
// sections of the Horizon Europe ethics issues table. Any "yes" sends the
// proposal to ethics review.
type EthicsAssessment struct {
	HumanEmbryos            EthicsAnswer `json:"human_embryos"`             // 1 human embryonic stem cells and embryos
	Humans                  EthicsAnswer `json:"humans"`                    // 2 humans
	HumanCells              EthicsAnswer `json:"human_cells"`               // 3 human cells and tissues
	PersonalData            EthicsAnswer `json:"personal_data"`             // 4 personal data
	Animals                 EthicsAnswer `json:"animals"`                   // 5 animals
	NonEUCountries          EthicsAnswer `json:"non_eu_countries"`          // 6 non-EU countries
	EnvironmentHealthSafety EthicsAnswer `json:"environment_health_safety"` // 7 environment, health and safety
	ArtificialIntelligence  EthicsAnswer `json:"artificial_intelligence"`   // 8 artificial intelligence
	Other                   EthicsAnswer `json:"other"`                     // 9 other ethics issues
}

// EthicsSections are the ethics table's sections by JSON name, in table
// order.
var EthicsSections = []string{"human_embryos", "humans", "human_cells", "personal_data", "animals",
	"non_eu_countries", "environment_health_safety", "artificial_intelligence", "other"}

// Answer returns the answer of the section named name (EthicsSections),
// nil for no such section.
func (e *EthicsAssessment) Answer(name string) *EthicsAnswer {
	switch name {
	case "human_embryos":
		return &e.HumanEmbryos
	case "humans":
		return &e.Humans
	case "human_cells":
		return &e.HumanCells
	case "personal_data":
		return &e.PersonalData
	case "animals":
		return &e.Animals
	case "non_eu_countries":
		return &e.NonEUCountries
	case "environment_health_safety":
		return &e.EnvironmentHealthSafety
	case "artificial_intelligence":
		return &e.ArtificialIntelligence
	case "other":
		return &e.Other
	}
	return nil
}

// Sections returns the nine answers with their JSON names, in table order.
func (e *EthicsAssessment) Sections() []struct {
	Name   string
	Answer EthicsAnswer
} {
	out := make([]struct {
		Name   string
		Answer EthicsAnswer
	}, len(EthicsSections))
	for i, n := range EthicsSections {
		out[i].Name, out[i].Answer = n, *e.Answer(n)
	}
	return out
}

// AnyYes reports whether any section is answered "yes".
func (e *EthicsAssessment) AnyYes() bool {
	for _, s := range e.Sections() {
		if s.Answer.Yes {
			return true
		}
	}
	return false
}

// AIPactPledges records the organization's AI Pact commitments for this
// proposal. The three core pledges are required for startup fast-lane access.
type AIPactPledges struct {
	GovernanceStrategy bool `json:"governance_strategy"` // an AI governance strategy toward compliance
	HighRiskMapping    bool `json:"high_risk_mapping"`   // mapping likely high-risk systems
	AILiteracy         bool `json:"ai_literacy"`         // staff AI literacy (Art. 4)
	// Optional lists further pledges, e.g. "human_oversight",
	// "content_labelling".
	Optional []string `json:"optional,omitempty"`
}

// Core reports whether all three core pledges are made.
func (p *AIPactPledges) Core() bool {
	return p.GovernanceStrategy && p.HighRiskMapping && p.AILiteracy
}

// Validate checks the profile on its own, as proposal validation does.
// EINVALID naming every field at fault.
func (a *AIActProfile) Validate() error {
	var v Validator
	a.validate(&v, false)
	return v.Err("The AI Act profile is not valid.")
}
