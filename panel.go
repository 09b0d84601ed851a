// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"slices"
	"strings"
)

// PanelAdjustment overrides the panel score of one proposal, with the
// panel's reason.
type PanelAdjustment struct {
	ProposalID    string  `json:"proposal_id"`
	Score         float64 `json:"score"`
	Justification string  `json:"justification"`
}

// PanelInput is the panel's ranking session for a call.
type PanelInput struct {
	Adjustments []PanelAdjustment `json:"adjustments,omitempty"`
}

// PanelEntry is one ranked proposal.
type PanelEntry struct {
	ProposalID     string  `json:"proposal_id"`
	OrganizationID string  `json:"organization_id"`
	Title          string  `json:"title"`
	Reviews        int     `json:"reviews"`
	ReviewScore    float64 `json:"review_score"`
	// Score is the panel's score: the reviews' rubric score unless the
	// panel adjusted it.
	Score   float64       `json:"score"`
	Passes  bool          `json:"passes"`
	Verdict RubricVerdict `json:"verdict"`
	Rank    int           `json:"rank"`
	Note    string        `json:"note,omitempty"`
}

// RankPanel ranks entries: passing proposals first, then by score, highest
// first, ties by proposal ID (the earlier submission, IDs being time
// ordered), so the same scores always give the same ranking. It sets Rank.
func RankPanel(entries []*PanelEntry) {
	slices.SortStableFunc(entries, func(a, b *PanelEntry) int {
		if a.Passes != b.Passes {
			if a.Passes {
				return -1
			}
			return 1
		}
		if a.Score != b.Score {
			if a.Score > b.Score {
				return -1
			}
			return 1
		}
		return strings.Compare(a.ProposalID, b.ProposalID)
	})
	for i, e := range entries {
		e.Rank = i + 1
	}
}

// PanelRecord is the panel's verdict on one proposal, kept with its review
// track: the score an allocation run weights it by, its rank in the call,
// whether it passes the rubric, the panel's note, and what the reviews
// said before any adjustment.
type PanelRecord struct {
	Score       float64       `json:"score"`
	Rank        int           `json:"rank"`
	Passes      bool          `json:"passes"`
	Note        string        `json:"note,omitempty"`
	ReviewScore float64       `json:"review_score"`
	Reviews     int           `json:"reviews"`
	Verdict     RubricVerdict `json:"verdict"`
}

// Record returns the entry's verdict as the panel keeps it.
func (e *PanelEntry) Record() *PanelRecord {
	return &PanelRecord{Score: e.Score, Rank: e.Rank, Passes: e.Passes, Note: e.Note, ReviewScore: e.ReviewScore, Reviews: e.Reviews, Verdict: e.Verdict}
}

// SetPanel shows the panel's verdict on the track (nil shows none).
func (t *ReviewTrack) SetPanel(pr *PanelRecord) {
	if pr == nil {
		return
	}
	t.PanelScore, t.PanelRank, t.Passes, t.PanelNote = &pr.Score, &pr.Rank, &pr.Passes, pr.Note
}
