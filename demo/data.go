// SPDX-License-Identifier: EUPL-1.2

package demo

import (
	"time"

	"github.com/pactum/pactum"
)

// startup is one applicant organization of the demo with its proposal and
// what the access manager will do if it reaches review.
type startup struct {
	org       pactum.Organization
	applicant pactum.User
	proposal  pactum.Proposal
	// review is the access manager's decision if screening sends the
	// proposal to review and no panel ranks it (the fast lane's
	// referrals); nil leaves it there. Panel-ranked proposals are decided
	// by the allocation run instead.
	review *pactum.DecisionInput
	// ethics is the ethics reviewer's verdict if the proposal is referred
	// to ethics review (default: accept).
	ethics *pactum.ReviewInput
	// peer are the peer reviewers' scores, one set per reviewer in the
	// rubric's order (excellence, impact, implementation, responsibility).
	peer [][4]int
	// reply is the applicant's reply to the reviews.
	reply string
	// yes are the questionnaire's questions the applicant answers yes;
	// every other question is answered no. The answers, not declared AI
	// Act codes, give the proposal its AI Act profile, as for an applicant
	// who has never read the Act.
	yes []string
	// model is the model the startup registers and trains, nil for none:
	// its jobs then run unattributed.
	model *modelPlan
}

// modelPlan is a model and the jobs that train it on each system.
type modelPlan struct {
	model pactum.Model
	jobs  map[string][]demoJob // by system ID
}

// demoJob is a job the demo runs on a simulated cluster.
type demoJob struct {
	gpus    int
	runs    time.Duration
	phase   pactum.Phase
	comment string // for a job without a model's claim
}

// reviewer is one of the demo's reviewers with the profile they write.
type reviewer struct {
	user pactum.User
	// profile holds the expertise and affiliations; an affiliation's
	// organization is matched to the registered one by name.
	profile pactum.ReviewerProfile
}

func reviewers() []reviewer {
	expert := func(keywords ...string) pactum.ReviewerProfile { return pactum.ReviewerProfile{Expertise: keywords} }
	// Anna Nowak left an applicant organization recently: an apparent
	// conflict of interest the demo shows.
	nowak := expert("language_model", "text")
	nowak.Affiliations = []pactum.Affiliation{{Organization: "Atlas Foundation Models SAS",
		From: pactum.MustDate("2023-06-01"), Until: pactum.MustDate("2025-09-30")}}
	return []reviewer{
		{user: pactum.User{Email: "lena.vogel@uni-heidelberg.example", Name: "Dr. Lena Vogel"}, profile: expert("language_model", "text", "multilingual")},
		{user: pactum.User{Email: "marco.rossi@polimi.example", Name: "Prof. Marco Rossi"}, profile: expert("language_model", "code", "foundation")},
		{user: pactum.User{Email: "anna.nowak@inria.example", Name: "Dr. Anna Nowak"}, profile: nowak},
		{user: pactum.User{Email: "sofia.almeida@ethics-board.example", Name: "Dr. Sofia Almeida"}, profile: expert("ethics", "gdpr", "medical")},
	}
}

func llm(params, tokens, flop float64) pactum.AIWork {
	return pactum.AIWork{ModelType: "language_model", InputModalities: []string{"text"}, OutputModalities: []string{"text", "code"},
		ParameterCount: params, TrainingTokens: tokens, PlannedTrainingFLOP: flop, Utilisation: 0.4,
		Purpose: "product_development", IntendsEUMarket: true, CivilianOnly: true}
}

var corePledges = pactum.AIPactPledges{GovernanceStrategy: true, HighRiskMapping: true, AILiteracy: true}

// startups returns the demo's cast: realistic European AI companies (the
// names are invented) whose proposals exercise every route through
// screening.
func startups() []startup {
	return []startup{alephLingua(), sentimo(), medScan(), voxa(), ferrum(), atlas(), nordHire(), pacificFrontier()}
}

// alephLingua is a clean fast-lane LLM: approved at submission, with the AI
// Act's transparency duties attached as conditions.
func alephLingua() startup {
	w := llm(7e9, 150e9, 6.5e21)
	w.IntendedUse = "Drafting and summarising assistance for law firms, in German, French and Italian."
	w.Market = "Legal-tech SaaS in the EU"
	w.DataProvenance = pactum.DataProvenance{Sources: []string{"public_datasets", "licensed"}, TDMOptOutsHonoured: true,
		Description: "EUR-Lex, national gazettes and case law licensed from two publishers; no personal data beyond public judgments, pseudonymised."}
	return startup{
		model: &modelPlan{model: pactum.Model{Name: "lex-7b", Version: "1", ParameterCount: 7e9, TrainingTokens: 150e9},
			jobs: map[string][]demoJob{"leonardo-booster": {{gpus: 8, runs: 3 * time.Hour, phase: pactum.PhasePreTraining}}}},
		org: pactum.Organization{LegalName: "Aleph Lingua GmbH", Country: "DE", RegistrationNumber: "HRB 221904 (München)",
			FoundedOn: pactum.MustDate("2022-03-01"), Staff: 24, TurnoverEUR: 2_100_000, BalanceSheetEUR: 3_400_000},
		applicant: pactum.User{Email: "ada@aleph-lingua.example", Name: "Ada Berger"},
		yes:       []string{"talks_with_people", "generates_content"},
		proposal: pactum.Proposal{ProposalInput: pactum.ProposalInput{Mode: pactum.ModeFastLane, Title: "Lex-7B: a European legal-domain language model", ProposalContent: pactum.ProposalContent{
			Summary:        "Continued pre-training of an open 7B model on 150B tokens of European legal text, then instruction tuning.",
			Requests:       []pactum.ResourceRequest{{SystemID: "leonardo-booster", Amount: 20000, StorageTB: 40}},
			DurationMonths: 3,
			AIWork:         w,
			Pledges:        corePledges,
		}}},
	}
}

// sentimo recognises employees' emotions: a prohibited practice, refused
// outright (AI Act Art. 5(1)(f)).
func sentimo() startup {
	w := pactum.AIWork{ModelType: "vision", InputModalities: []string{"video", "audio"}, OutputModalities: []string{"structured"},
		ParameterCount: 300e6, TrainingTokens: 0, PlannedTrainingFLOP: 2e20, Utilisation: 0.35, CivilianOnly: true,
		IntendedUse: "Score call-centre agents' mood and stress from webcam video to inform shift managers.",
		Purpose:     "product_development", IntendsEUMarket: true,
		DataProvenance: pactum.DataProvenance{Sources: []string{"user_data"}, PersonalData: true, SpecialCategoryData: true,
			Description: "Recorded webcam sessions of customers' employees."}}
	return startup{
		org: pactum.Organization{LegalName: "Sentimo Analytics Oy", Country: "FI", RegistrationNumber: "3145926-1",
			FoundedOn: pactum.MustDate("2021-09-14"), Staff: 18, TurnoverEUR: 1_200_000, BalanceSheetEUR: 900_000},
		applicant: pactum.User{Email: "eero@sentimo.example", Name: "Eero Laine"},
		yes:       []string{"recognises_emotions_workplace", "worker_management", "profiles_people"},
		proposal: pactum.Proposal{ProposalInput: pactum.ProposalInput{Mode: pactum.ModeFastLane, Title: "Workforce mood analytics from call-centre video", ProposalContent: pactum.ProposalContent{
			Summary:        "Train a multimodal model that infers employees' emotions from video and voice during calls.",
			Requests:       []pactum.ResourceRequest{{SystemID: "mn5-acc", Amount: 8000, StorageTB: 30}},
			DurationMonths: 2,
			AIWork:         w,
			Ethics: pactum.EthicsAssessment{Humans: pactum.EthicsAnswer{Yes: true, Details: "Employees are recorded at work."},
				PersonalData: pactum.EthicsAnswer{Yes: true, Details: "Video and voice of identifiable employees."}},
			Pledges: corePledges,
		}}},
	}
}

// medScan does medical imaging on health data: sent to ethics review,
// accepted with conditions.
func medScan() startup {
	w := pactum.AIWork{ModelType: "vision", InputModalities: []string{"image"}, OutputModalities: []string{"structured"},
		ParameterCount: 600e6, PlannedTrainingFLOP: 1.5e21, Utilisation: 0.4, CivilianOnly: true,
		IntendedUse: "Flag suspected ischaemic stroke on non-contrast CT for priority reading by radiologists.",
		Purpose:     "both", IntendsEUMarket: true,
		DataProvenance: pactum.DataProvenance{Sources: []string{"proprietary"}, PersonalData: true, SpecialCategoryData: true,
			Description: "1.2 million pseudonymised CT studies from three partner hospitals under a data-sharing agreement."}}
	return startup{
		org: pactum.Organization{LegalName: "MedScan Diagnostics S.r.l.", Country: "IT", RegistrationNumber: "MI-2611458",
			FoundedOn: pactum.MustDate("2019-05-20"), Staff: 45, TurnoverEUR: 4_800_000, BalanceSheetEUR: 6_100_000},
		applicant: pactum.User{Email: "giulia@medscan.example", Name: "Giulia Conti"},
		yes:       []string{"product_safety_component"},
		proposal: pactum.Proposal{ProposalInput: pactum.ProposalInput{Mode: pactum.ModeFastLane, Title: "StrokeTriage: CT triage model for acute stroke", ProposalContent: pactum.ProposalContent{
			Summary:        "Train a 3D vision transformer on pseudonymised CT studies to prioritise suspected strokes.",
			Requests:       []pactum.ResourceRequest{{SystemID: "leonardo-booster", Amount: 12000, StorageTB: 120}},
			DurationMonths: 3,
			AIWork:         w,
			Ethics: pactum.EthicsAssessment{
				Humans:       pactum.EthicsAnswer{Yes: true, Details: "Retrospective patient data; approved by the hospitals' ethics committees (ref. CE-2025-114)."},
				PersonalData: pactum.EthicsAnswer{Yes: true, Details: "Health data (GDPR Art. 9), pseudonymised at source; DPIA completed."}},
			Pledges: corePledges,
		}}},
		ethics: &pactum.ReviewInput{Recommendation: pactum.RecommendAcceptWithConditions,
			Conditions:           []string{"Keep the CT data and its derivatives in the EU.", "Report any re-identification incident within 72 hours."},
			CommentsForApplicant: "Ethics approvals and DPIA are on file; safeguards are adequate with the conditions below."},
		review: &pactum.DecisionInput{Accept: true, Reason: "Ethics review passed: ethics approvals and DPIA on file. Conditions: keep the data in the EU; report any re-identification incident within 72 hours."},
	}
}

// voxa does speech synthesis: approved, with the duty to mark synthetic
// audio.
func voxa() startup {
	w := pactum.AIWork{ModelType: "speech", InputModalities: []string{"text"}, OutputModalities: []string{"speech"},
		ParameterCount: 1.2e9, TrainingTokens: 40e9, PlannedTrainingFLOP: 3e20, Utilisation: 0.35, CivilianOnly: true,
		IntendedUse: "Expressive text-to-speech for audiobooks and accessibility in 24 EU languages.",
		Purpose:     "product_development", IntendsEUMarket: true,
		DataProvenance: pactum.DataProvenance{Sources: []string{"licensed", "public_datasets"}, TDMOptOutsHonoured: true,
			Description: "Licensed studio recordings from consenting voice actors and public-domain audiobooks."}}
	return startup{
		org: pactum.Organization{LegalName: "Voxa Speech, Lda.", Country: "PT", RegistrationNumber: "516234871",
			FoundedOn: pactum.MustDate("2023-01-10"), Staff: 12, TurnoverEUR: 600_000, BalanceSheetEUR: 1_100_000},
		applicant: pactum.User{Email: "ines@voxa.example", Name: "Inês Rocha"},
		yes:       []string{"generates_content", "talks_with_people"},
		proposal: pactum.Proposal{ProposalInput: pactum.ProposalInput{Mode: pactum.ModeFastLane, Title: "Voxa-TTS: expressive speech synthesis for 24 EU languages", ProposalContent: pactum.ProposalContent{
			Summary:        "Train a 1.2B-parameter multilingual TTS model with prosody control.",
			Requests:       []pactum.ResourceRequest{{SystemID: "mn5-acc", Amount: 6000, StorageTB: 25}},
			DurationMonths: 2,
			AIWork:         w,
			Pledges:        corePledges,
		}}},
	}
}

// ferrum trains a small robotics model in the playground, on Karolina (node-
// hours).
func ferrum() startup {
	w := pactum.AIWork{ModelType: "reinforcement_learning", InputModalities: []string{"image", "structured"}, OutputModalities: []string{"structured"},
		ParameterCount: 80e6, PlannedTrainingFLOP: 5e19, Utilisation: 0.3, CivilianOnly: true,
		IntendedUse: "Grasp policies for picking mixed items in warehouses.", Purpose: "research",
		DataProvenance: pactum.DataProvenance{Sources: []string{"synthetic_private"}, Description: "Simulated grasps generated in-house."}}
	return startup{
		org: pactum.Organization{LegalName: "Ferrum Robotics s.r.o.", Country: "CZ", RegistrationNumber: "17845321",
			FoundedOn: pactum.MustDate("2024-02-01"), Staff: 9, TurnoverEUR: 150_000, BalanceSheetEUR: 400_000},
		applicant: pactum.User{Email: "jan@ferrum.example", Name: "Jan Novák"},
		proposal: pactum.Proposal{ProposalInput: pactum.ProposalInput{Mode: pactum.ModePlayground, Title: "Grasp policy pre-training for warehouse robots", ProposalContent: pactum.ProposalContent{
			Summary:        "Explore scaling of a vision-based grasping policy trained in simulation.",
			Requests:       []pactum.ResourceRequest{{SystemID: "karolina-gpu", Amount: 300, StorageTB: 5}},
			DurationMonths: 1,
			AIWork:         w,
			Pledges:        corePledges,
		}}},
	}
}

// atlas trains a 70B open foundation model in large scale: a general-purpose
// AI model under the AI Act; always reviewed; accepted with a cut.
func atlas() startup {
	w := llm(70e9, 2e12, 9e23)
	w.OutputModalities = []string{"text", "code"}
	w.OpenWeights = true
	w.IntendedUse = "Open-weights multilingual foundation model for European languages, for downstream fine-tuning."
	w.Market = "Open release plus enterprise support"
	w.DataProvenance = pactum.DataProvenance{Sources: []string{"web_crawl", "public_datasets", "licensed"}, TDMOptOutsHonoured: true,
		PersonalData: true, Description: "Filtered Common Crawl (robots.txt and TDM opt-outs honoured), Wikipedia, licensed news archives."}
	return startup{
		// Atlas-70B v2 continues the pre-training of v1, which took
		// 7.4·10^24 FLOP at another centre, on JUPITER and MareNostrum 5:
		// the model approaches 10^25, and pactum drafts the provider's
		// Art. 52 notification.
		model: &modelPlan{model: pactum.Model{Name: "atlas-70b", Version: "2", BaseModel: "atlas-70b@1 (trained elsewhere)",
			PriorTrainingFLOP: 7.4e24, ParameterCount: 70e9, TrainingTokens: 1e12, DeclaredMFU: 0.38},
			jobs: map[string][]demoJob{
				"jupiter-booster": {{gpus: 1024, runs: 10 * 24 * time.Hour, phase: pactum.PhasePreTraining},
					{gpus: 64, runs: 12 * time.Hour, phase: pactum.PhaseEvaluation}},
				"mn5-acc": {{gpus: 128, runs: 8 * 24 * time.Hour, phase: pactum.PhasePreTraining}},
			}},
		org: pactum.Organization{LegalName: "Atlas Foundation Models SAS", Country: "FR", RegistrationNumber: "912 345 678 RCS Paris",
			FoundedOn: pactum.MustDate("2023-06-01"), Staff: 120, TurnoverEUR: 30_000_000, BalanceSheetEUR: 55_000_000},
		applicant: pactum.User{Email: "claire@atlas-models.example", Name: "Claire Dubois"},
		yes:       []string{"talks_with_people", "generates_content"},
		proposal: pactum.Proposal{ProposalInput: pactum.ProposalInput{Mode: pactum.ModeLargeScale, Title: "Atlas-70B: an open multilingual foundation model", ProposalContent: pactum.ProposalContent{
			Summary:           "Pre-train a 70B dense transformer on 2T tokens covering all 24 official EU languages.",
			Requests:          []pactum.ResourceRequest{{SystemID: "jupiter-booster", Amount: 1_200_000, StorageTB: 800}, {SystemID: "mn5-acc", Amount: 40_000, StorageTB: 50}},
			DurationMonths:    12,
			AIWork:            w,
			Ethics:            pactum.EthicsAssessment{PersonalData: pactum.EthicsAnswer{Yes: true, Details: "Web text may contain personal data; PII filtering and opt-out handling documented."}},
			Pledges:           corePledges,
			MinViableFraction: 0.75,
			Team: []pactum.TeamMember{{Name: "Claire Dubois", Email: "claire@atlas-models.example", Organization: "Atlas Foundation Models SAS"},
				{Name: "Jonas Berg", Email: "jonas.berg@kth.example", Organization: "KTH Royal Institute of Technology"}},
		}}},
		ethics: &pactum.ReviewInput{Recommendation: pactum.RecommendAcceptWithConditions,
			Conditions:           []string{"Publish the data-filtering and opt-out documentation with the weights."},
			CommentsForApplicant: "PII filtering and TDM opt-out handling are credible; documenting them publicly is a condition."},
		peer:  [][4]int{{5, 4, 4, 4}, {4, 4, 5, 4}},
		reply: "We will publish the scaling runs on 512 GH200 GPUs the reviewers asked for before the full run.",
	}
}

// nordHire ranks candidates for recruiters: high-risk (Annex III 4(a)) with
// profiling, referred; rejected after review.
func nordHire() startup {
	w := llm(3e9, 60e9, 1.1e21)
	w.OutputModalities = []string{"structured"}
	w.IntendedUse = "Rank job applicants' CVs against vacancies for recruiters."
	w.DataProvenance = pactum.DataProvenance{Sources: []string{"user_data", "proprietary"}, PersonalData: true,
		Description: "Historical applications and hiring outcomes from client companies."}
	return startup{
		org: pactum.Organization{LegalName: "NordHire AB", Country: "SE", RegistrationNumber: "559321-4567",
			FoundedOn: pactum.MustDate("2020-11-02"), Staff: 35, TurnoverEUR: 3_500_000, BalanceSheetEUR: 2_800_000},
		applicant: pactum.User{Email: "sara@nordhire.example", Name: "Sara Lindqvist"},
		yes:       []string{"recruitment", "profiles_people"},
		proposal: pactum.Proposal{ProposalInput: pactum.ProposalInput{Mode: pactum.ModeFastLane, Title: "Candidate ranking model for recruiters", ProposalContent: pactum.ProposalContent{
			Summary:        "Fine-tune a 3B model to score and rank applicants for vacancies.",
			Requests:       []pactum.ResourceRequest{{SystemID: "lumi-g", Amount: 16000, StorageTB: 10}},
			DurationMonths: 3,
			AIWork:         w,
			Ethics:         pactum.EthicsAssessment{PersonalData: pactum.EthicsAnswer{Yes: true, Details: "CVs and hiring outcomes of identifiable applicants."}},
			Pledges:        corePledges,
		}}},
		ethics: &pactum.ReviewInput{Recommendation: pactum.RecommendReject,
			CommentsForApplicant: "Historical hiring outcomes encode past bias; no bias audit or human-oversight design was provided."},
		review: &pactum.DecisionInput{Accept: false, Reason: "Ethics review: historical hiring outcomes encode past bias and no bias audit or human-oversight design was provided. You may reapply with both."},
	}
}

// pacificFrontier applies from outside the EU and associated countries:
// ineligible.
func pacificFrontier() startup {
	w := llm(13e9, 300e9, 2.4e22)
	w.IntendedUse = "General-purpose chat assistant."
	w.DataProvenance = pactum.DataProvenance{Sources: []string{"web_crawl"}, TDMOptOutsHonoured: true, Description: "Web crawl."}
	return startup{
		org: pactum.Organization{LegalName: "Pacific Frontier AI, Inc.", Country: "US", RegistrationNumber: "DE-7712345",
			FoundedOn: pactum.MustDate("2021-04-12"), Staff: 60, TurnoverEUR: 9_000_000, BalanceSheetEUR: 12_000_000},
		applicant: pactum.User{Email: "sam@pacificfrontier.example", Name: "Sam Carter"},
		yes:       []string{"talks_with_people", "generates_content"},
		proposal: pactum.Proposal{ProposalInput: pactum.ProposalInput{Mode: pactum.ModeFastLane, Title: "Frontier-13B chat assistant", ProposalContent: pactum.ProposalContent{
			Summary:        "Pre-train a 13B chat model.",
			Requests:       []pactum.ResourceRequest{{SystemID: "leonardo-booster", Amount: 40000, StorageTB: 50}},
			DurationMonths: 3,
			AIWork:         w,
			Pledges:        corePledges,
		}}},
	}
}
