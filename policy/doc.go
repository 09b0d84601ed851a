// SPDX-License-Identifier: EUPL-1.2

// Package policy screens proposals against a versioned ruleset: eligibility
// for EuroHPC access, the AI Act (Art. 5 prohibitions, Annex III high risk,
// Art. 6(3) derogations, Art. 50 transparency, Chapter V general-purpose
// models), the Horizon Europe ethics table and the AI Pact pledges.
//
// Rules are data, not Go code. A ruleset is a set of YAML files (embedded
// under rules/, replaceable from a directory) in which every rule has an id,
// a legal basis, a CEL condition, an effect (deny, refer, condition, info),
// a message for the applicant and validity dates. Thresholds and country
// lists are ruleset parameters, also data. Rules compile once, at Load; a
// ruleset that does not compile is refused with every problem named by
// file, rule and reason.
//
// Screening runs in three steps, chosen for speed and explainability:
//  1. Go turns the proposal, its organization and the call into a flat set
//     of typed facts (proposal.mode, org.country, compute.flop_max, …),
//     including the training-compute estimates, which are arithmetic rather
//     than policy.
//  2. The ruleset's derived facts (named CEL expressions such as
//     derived.gpai) are evaluated once, in order.
//  3. Every rule valid on the decision date is evaluated against the same
//     activation; the findings of those that fire make the decision. A rule
//     that fires and comes into force later within the requested allocation
//     period attaches a condition naming its date.
//
// Before step 1, the questionnaire's answers (when the proposal has them)
// are merged into the declared AI Act profile, and every "unsure" refers;
// the text checks then compare the proposal's words with that profile.
//
// A flat activation of precomputed values is used instead of handing CEL the
// Go structs: field access through reflection costs far more than an index
// lookup, and declaring every fact with its type makes a misspelt field a
// load error rather than a rule that silently never fires.
//
// For speed, conditions and derived facts written in the subset of CEL
// the embedded ruleset uses are also compiled from their checked ASTs into
// Go closures over the activation's typed values (native.go): no name
// lookup, no boxing, no allocation, and only the rules valid in the period
// are run. CEL still parses, type-checks and lints every expression, and
// evaluates any that fall outside the subset; tests and a fuzz target
// check the two evaluations agree (TestNativeMatchesCEL,
// FuzzNativeMatchesCEL, and FuzzLoadRuleset on arbitrary rules). When some
// rule is not native, the conditions run as one combined CEL program
// returning a list of booleans (one Eval instead of one per rule: each
// Eval has a fixed cost comparable to a simple condition), and fact names
// resolve through a collision-free table built at load. Facts are computed
// lazily on first read and activations are pooled. Screening a typical
// proposal (150 words of text) against the full ruleset takes 18–20 µs on
// a shared two-core machine (BenchmarkScreen, -cpu 1; 25–31 µs with CEL's
// interpreter in the same runs), of which the text checks take 5–6 µs
// (BenchmarkTextChecks).
//
// # Ruleset files
//
// Every *.yaml file in the ruleset directory is a mapping with any of:
//
//	version: "2026.12-1"          # exactly one file declares it
//	description: …
//	params:                        # constants, usable as params.NAME
//	  gpai_flop_threshold: 1.0e23  # numbers, strings, booleans, lists of strings
//	derived:                       # named expressions, usable as derived.NAME,
//	  - name: gpai                 # evaluated once per screening, in order
//	    expr: …
//	questions:                     # the plain-language questionnaire, in order
//	  - id: recruitment            # answered yes, no or unsure in a proposal
//	    section: high_risk         # prohibited, high_risk, product_safety, transparency, general_purpose
//	    text: Will the system help recruit people …?
//	    help: Annex III point 4(a): "…"   # must name its Art. or Annex
//	    basis: AI Act Annex III point 4(a)
//	    referral: ethics           # the review an "unsure" asks for
//	    sets: {annex_iii: "4a"}    # AI Act profile facts a yes establishes
//	text:                          # words checked against answers (textmatch.go)
//	  negation_window: 4
//	  negations: [not, never, …]
//	  checks:
//	    - id: recruitment          # finding text.recruitment
//	      label: annex3.4          # practice or area, for the corpus test
//	      questions: [recruitment] # a yes or unsure to any agrees with the words
//	      all: [[recruit*, cv, …], [rank*, screen*, …]]   # every group in one sentence
//	rules:
//	  - id: art5.1f                # unique; lower case, digits, . _ -
//	    basis: AI Act Art. 5(1)(f) # required
//	    effect: deny               # deny, refer, condition or info
//	    referral: legal            # refer only: ethics, technical or legal
//	    valid_from: 2025-02-02     # optional, inclusive, by the decision's UTC date
//	    valid_to: 2027-12-01       # optional, inclusive
//	    when: <CEL bool over the facts, params and derived facts>
//	    message: The system infers emotions in the {{ai_act.emotion_setting}} setting …
//	    description: why the rule reads as it does (not part of the hash)
//
// Messages may quote any fact, derived fact or parameter as {{name}},
// {{name:flop}} (two significant figures) or {{name:percent}}. The facts
// are listed by Facts and `pactum rules list --json`; the Go code requires
// the parameter default_utilisation.
//
// Screener implements pactum.Screener. It is safe for concurrent use and
// deterministic. Lint and Diff serve the `pactum rules` commands.
package policy
