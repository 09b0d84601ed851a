// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"slices"
	"strings"
	"unicode"
)

// The weights of Affinity's matches: the kind of model says most about who
// can judge the work, then what goes in and out of it, then the words of
// its title and intended use.
const (
	affinityModelType = 3
	affinityModality  = 2
	affinityWord      = 1
)

// stopWords are frequent words that say nothing about expertise.
var stopWords = map[string]bool{
	"about": true, "across": true, "after": true, "also": true, "based": true, "being": true, "between": true, "both": true,
	"data": true, "each": true, "every": true, "from": true, "have": true, "into": true, "large": true, "model": true,
	"models": true, "more": true, "only": true, "other": true, "over": true, "such": true, "than": true, "that": true,
	"their": true, "them": true, "then": true, "these": true, "this": true, "through": true, "train": true,
	"training": true, "under": true, "used": true, "using": true, "when": true, "which": true, "while": true,
	"will": true, "with": true, "within": true, "work": true,
}

// words returns the distinct lower-case words of s of at least four letters
// that are not stop words, in order of first appearance.
func words(s string) []string {
	var out []string
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '_' }) {
		if len([]rune(w)) >= 4 && !stopWords[w] && !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	return out
}

// Affinity scores how well expertise keywords fit proposal p, and says why:
// 3 for the model type (e.g. "language_model"), 2 for each input or output
// modality (e.g. "speech"), 1 for each word of the title or intended use
// (e.g. "legal"). Keywords are compared lower-case; multi-word keywords
// match when every word appears.
func Affinity(p *Proposal, expertise []string) (int, []string) {
	keys := map[string]bool{}
	for _, k := range expertise {
		keys[strings.ToLower(strings.TrimSpace(k))] = true
	}
	score := 0
	matched := []string{}
	if keys[p.AIWork.ModelType] {
		score += affinityModelType
		matched = append(matched, "model type "+p.AIWork.ModelType)
	}
	var mods []string
	for _, m := range append(slices.Clone(p.AIWork.InputModalities), p.AIWork.OutputModalities...) {
		if !slices.Contains(mods, m) {
			mods = append(mods, m)
		}
	}
	for _, m := range mods {
		if keys[m] {
			score += affinityModality
			matched = append(matched, "modality "+m)
		}
	}
	text := words(p.Title + " " + p.AIWork.IntendedUse)
	for _, k := range expertise {
		k = strings.ToLower(strings.TrimSpace(k))
		if k == "" || k == p.AIWork.ModelType || slices.Contains(mods, k) {
			continue
		}
		kw := words(k)
		if len(kw) == 0 {
			continue
		}
		all := true
		for _, w := range kw {
			if !slices.Contains(text, w) {
				all = false
				break
			}
		}
		if all && !slices.Contains(matched, "topic "+k) {
			score += affinityWord
			matched = append(matched, "topic "+k)
		}
	}
	return score, matched
}

// Candidate is a reviewer who may be assigned, with their current load
// (active assignments in any call).
type Candidate struct {
	User    *User
	Profile *ReviewerProfile
	Load    int
}

// AssignmentPlan is the input of PlanAssignments.
type AssignmentPlan struct {
	Stage ReviewStage
	// Proposals need reviewers at Stage.
	Proposals []*Proposal
	// Candidates may review; only those with EthicsExpertise for ethics.
	Candidates []Candidate
	// Min is how many active reviewers each proposal needs.
	Min int
	// Assigned lists each proposal's reviewers already assigned for the
	// stage (they count towards Min and are not chosen again).
	Assigned map[string][]string
	// Excluded marks [proposal ID, reviewer ID] pairs that must never be
	// assigned: active conflicts, recusals.
	Excluded map[[2]string]bool
}

// PlannedAssignment is one assignment PlanAssignments chose.
type PlannedAssignment struct {
	ProposalID string
	ReviewerID string
	Affinity   int
	Matched    []string
}

// PlanAssignments chooses reviewers deterministically:
//   - excluded pairs (conflicts) are never chosen, nor a reviewer twice for
//     one proposal, nor for ethics a reviewer without EthicsExpertise;
//   - the proposals with the fewest eligible reviewers choose first, so
//     scarce experts go where nobody else can serve (ties by proposal ID);
//   - load is balanced: nobody is given more than the fair share
//     ceil((current loads + assignments needed) / eligible reviewers)
//     while someone under it is eligible;
//   - within that, the best Affinity wins, then the lighter load, then the
//     user ID.
//
// It returns the assignments and the proposals left short, with the reason.
func PlanAssignments(in AssignmentPlan) ([]PlannedAssignment, []AssignmentShortfall) {
	eligible := func(c Candidate) bool {
		if in.Stage != StageEthics {
			return true
		}
		return c.Profile != nil && slices.Contains(c.Profile.Expertise, EthicsExpertise)
	}
	var cands []Candidate
	for _, c := range in.Candidates {
		if eligible(c) {
			cands = append(cands, c)
		}
	}
	slices.SortFunc(cands, func(a, b Candidate) int { return strings.Compare(a.User.ID, b.User.ID) })
	load := map[string]int{}
	total := 0
	for _, c := range cands {
		load[c.User.ID] = c.Load
		total += c.Load
	}
	need := map[string]int{}
	avail := map[string]int{}
	for _, p := range in.Proposals {
		n := in.Min - len(in.Assigned[p.ID])
		if n < 0 {
			n = 0
		}
		need[p.ID] = n
		total += n
		for _, c := range cands {
			if !in.Excluded[[2]string{p.ID, c.User.ID}] && !slices.Contains(in.Assigned[p.ID], c.User.ID) {
				avail[p.ID]++
			}
		}
	}
	fair := 0
	if len(cands) > 0 {
		fair = (total + len(cands) - 1) / len(cands)
	}
	order := slices.Clone(in.Proposals)
	slices.SortFunc(order, func(a, b *Proposal) int {
		if avail[a.ID] != avail[b.ID] {
			return avail[a.ID] - avail[b.ID]
		}
		return strings.Compare(a.ID, b.ID)
	})
	var out []PlannedAssignment
	var short []AssignmentShortfall
	for _, p := range order {
		if need[p.ID] == 0 {
			continue
		}
		type scored struct {
			c        Candidate
			affinity int
			matched  []string
		}
		var opts []scored
		for _, c := range cands {
			if in.Excluded[[2]string{p.ID, c.User.ID}] || slices.Contains(in.Assigned[p.ID], c.User.ID) {
				continue
			}
			var exp []string
			if c.Profile != nil {
				exp = c.Profile.Expertise
			}
			a, m := Affinity(p, exp)
			opts = append(opts, scored{c, a, m})
		}
		slices.SortFunc(opts, func(a, b scored) int {
			ua, ub := load[a.c.User.ID] < fair, load[b.c.User.ID] < fair
			if ua != ub {
				if ua {
					return -1
				}
				return 1
			}
			if a.affinity != b.affinity {
				return b.affinity - a.affinity
			}
			if la, lb := load[a.c.User.ID], load[b.c.User.ID]; la != lb {
				return la - lb
			}
			return strings.Compare(a.c.User.ID, b.c.User.ID)
		})
		n := min(need[p.ID], len(opts))
		for _, o := range opts[:n] {
			out = append(out, PlannedAssignment{ProposalID: p.ID, ReviewerID: o.c.User.ID, Affinity: o.affinity, Matched: o.matched})
			load[o.c.User.ID]++
		}
		if n < need[p.ID] {
			reason := "not enough reviewers without a conflict of interest"
			if in.Stage == StageEthics {
				reason = "not enough reviewers with ethics expertise and without a conflict of interest"
			}
			short = append(short, AssignmentShortfall{ProposalID: p.ID, Needed: need[p.ID], Found: n, Reason: reason})
		}
	}
	return out, short
}
