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
//     activation; the findings of those that fire make the decision.
//
// A flat activation of precomputed values is used instead of handing CEL the
// Go structs: field access through reflection costs far more than an index
// lookup, and declaring every fact with its type makes a misspelt field a
// load error rather than a rule that silently never fires.
//
// Screener implements pactum.Screener. It is safe for concurrent use and
// deterministic. Lint and Diff serve the `pactum rules` commands.
package policy
