// SPDX-License-Identifier: EUPL-1.2

package usecase

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/pactum/pactum"
)

// RankPanel ranks the call's proposals at the panel stage by their peer
// reviews under the call's rubric, applies the panel's adjustments, stores
// each proposal's score, rank and verdict and moves it to the decision
// stage. Access managers only. EINVALID for an adjustment of a proposal
// not at the panel stage or without a justification; ECONFLICT before the
// cut-off of a call offering a mode that is not rolling
// (pactum.Call.CheckRankable).
func (a *App) RankPanel(ctx context.Context, callID string, in pactum.PanelInput) ([]*pactum.PanelEntry, error) {
	u, err := manager(ctx, "rank proposals")
	if err != nil {
		return nil, err
	}
	var out []*pactum.PanelEntry
	err = a.update(ctx, u, func(tx pactum.Tx) error {
		call, err := tx.GetCall(ctx, callID)
		if err != nil {
			return err
		}
		if err := call.CheckRankable(tx.Now(), "rank the panel"); err != nil {
			return err
		}
		rubric, err := a.callRubric(ctx, tx, callID)
		if err != nil {
			return err
		}
		if out, err = panelEntries(ctx, tx, callID, rubric); err != nil {
			return err
		}
		if err := adjust(out, in, rubric); err != nil {
			return err
		}
		pactum.RankPanel(out)
		for _, e := range out {
			if err := rank(ctx, tx, e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// panelEntries applies the rubric to the counted peer reviews of every
// proposal of the call at the panel stage.
func panelEntries(ctx context.Context, tx pactum.Tx, callID string, rubric *pactum.Rubric) ([]*pactum.PanelEntry, error) {
	props, err := tx.ListProposalsAtStage(ctx, callID, pactum.StagePanel)
	if err != nil {
		return nil, err
	}
	out := make([]*pactum.PanelEntry, 0, len(props))
	for _, p := range props {
		reviews, err := tx.ListCountedReviews(ctx, p.ID, pactum.StagePeer)
		if err != nil {
			return nil, err
		}
		sheets := make([][]pactum.CriterionScore, len(reviews))
		for i, r := range reviews {
			sheets[i] = r.Scores
		}
		v := rubric.Assess(sheets)
		out = append(out, &pactum.PanelEntry{ProposalID: p.ID, OrganizationID: p.OrganizationID, Title: p.Title, Reviews: len(sheets),
			ReviewScore: v.Score, Score: v.Score, Passes: v.Passes, Verdict: v})
	}
	return out, nil
}

// adjust applies the panel's adjustments to the entries and decides which
// pass: a panel may move a score, never a criterion's threshold, so a
// proposal that failed one still fails.
func adjust(entries []*pactum.PanelEntry, in pactum.PanelInput, rubric *pactum.Rubric) error {
	byID := map[string]*pactum.PanelEntry{}
	for _, e := range entries {
		byID[e.ProposalID] = e
	}
	var v pactum.Validator
	for i, adj := range in.Adjustments {
		f := fmt.Sprintf("adjustments[%d]", i)
		e := byID[adj.ProposalID]
		v.Check(e != nil, f+".proposal_id", "names no proposal of the call at the panel stage: %q", adj.ProposalID)
		v.Check(adj.Score >= 0 && adj.Score <= 5, f+".score", "must be between 0 and 5")
		v.Check(strings.TrimSpace(adj.Justification) != "" && len(adj.Justification) <= 5000, f+".justification",
			"is required: a panel that departs from the reviews says why (at most 5000 characters)")
		v.Text(f+".justification", adj.Justification, true)
		if e != nil && adj.Score >= 0 && adj.Score <= 5 {
			e.Score, e.Note = adj.Score, adj.Justification
		}
	}
	for _, e := range entries {
		criteria := e.Reviews > 0
		for _, m := range e.Verdict.Means {
			criteria = criteria && m.Passes
		}
		e.Passes = criteria && e.Score >= rubric.PassScore-1e-9
	}
	return v.Err("The panel's ranking is not valid.")
}

// rank stores a ranked entry's verdict and moves its proposal on to the
// decision stage.
func rank(ctx context.Context, tx pactum.Tx, e *pactum.PanelEntry) error {
	t, _, err := tx.GetReviewTrack(ctx, e.ProposalID)
	if err != nil {
		return err
	}
	oldVersion := t.Version
	if err := t.Advance(tx.Now()); err != nil {
		return err
	}
	if err := saveTrack(ctx, tx, t, e.Record(), oldVersion); err != nil {
		return err
	}
	return tx.Record("review.rank", "proposal", e.ProposalID, map[string]any{"stage": pactum.StagePanel},
		map[string]any{"stage": t.Stage, "score": e.Score, "review_score": e.ReviewScore, "rank": e.Rank, "passes": e.Passes, "note": e.Note})
}

// FindRanking returns the call's ranked proposals, best first. Access
// managers and auditors only.
func (a *App) FindRanking(ctx context.Context, callID string) ([]*pactum.PanelEntry, error) {
	if _, err := reader(ctx, "read the panel's ranking"); err != nil {
		return nil, err
	}
	if _, err := a.store.GetCall(ctx, callID); err != nil {
		return nil, err
	}
	out, err := a.store.ListRanking(ctx, callID)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b *pactum.PanelEntry) int {
		if a.Rank != b.Rank {
			return a.Rank - b.Rank
		}
		return strings.Compare(a.ProposalID, b.ProposalID)
	})
	return out, nil
}
