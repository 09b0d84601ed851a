// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"math"
	"regexp"
	"strings"
)

// RubricCriterion is one criterion of a call's peer-review rubric. Reviewers
// score it 0–5; Threshold is the lowest mean score across reviewers that
// passes (0: no threshold).
type RubricCriterion struct {
	ID          string  `json:"id"`
	Name        string  `json:"name"`
	Description string  `json:"description"`
	Weight      float64 `json:"weight"`
	Threshold   float64 `json:"threshold"`
}

// Rubric is a call's published peer-review rubric. The default is data
// (catalog/rubric.json); an access manager may replace it for a call until
// the first peer review is written, so that every proposal is judged by
// the same rules.
type Rubric struct {
	Version  string            `json:"version"`
	Criteria []RubricCriterion `json:"criteria"`
	// PassScore is the lowest weighted mean (0–5) that passes.
	PassScore float64 `json:"pass_score"`
	// MinReviewers is how many peer reviews each proposal needs.
	MinReviewers int `json:"min_reviewers"`
	// ReplyDays is the applicant's window to reply to the reviews.
	ReplyDays int `json:"reply_days"`
}

var criterionRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// Validate checks the rubric: named criteria with positive weights summing
// to 1, thresholds and the pass score within 0–5, 1–10 reviewers and a reply
// window of 0–60 days.
func (r *Rubric) Validate() error {
	var v Validator
	v.Check(strings.TrimSpace(r.Version) != "" && len(r.Version) <= 100, "version", "is required (at most 100 characters)")
	v.Text("version", r.Version, false)
	v.Check(len(r.Criteria) > 0 && len(r.Criteria) <= 12, "criteria", "must list 1 to 12 criteria")
	seen := map[string]bool{}
	var sum float64
	for i, c := range r.Criteria {
		f := "criteria[" + itoa(i) + "]"
		v.Check(criterionRE.MatchString(c.ID), f+".id", "must be a lower-case identifier (letters, digits, underscores)")
		v.Check(!seen[c.ID], f+".id", "is listed twice")
		seen[c.ID] = true
		v.Check(strings.TrimSpace(c.Name) != "" && len(c.Name) <= 200, f+".name", "is required (at most 200 characters)")
		v.Text(f+".name", c.Name, false)
		v.Check(len(c.Description) <= 2000, f+".description", "must be at most 2000 characters")
		v.Text(f+".description", c.Description, true)
		v.Check(c.Weight > 0 && c.Weight <= 1, f+".weight", "must be above 0 and at most 1")
		v.Check(c.Threshold >= 0 && c.Threshold <= 5, f+".threshold", "must be between 0 and 5")
		sum += c.Weight
	}
	v.Check(len(r.Criteria) == 0 || math.Abs(sum-1) < 1e-9, "criteria", "weights must add up to 1 (they add up to %g)", sum)
	v.Check(r.PassScore >= 0 && r.PassScore <= 5, "pass_score", "must be between 0 and 5")
	v.Check(r.MinReviewers >= 1 && r.MinReviewers <= 10, "min_reviewers", "must be between 1 and 10")
	v.Check(r.ReplyDays >= 0 && r.ReplyDays <= 60, "reply_days", "must be between 0 and 60")
	return v.Err("The rubric is not valid.")
}

// CriterionScore is one reviewer's score on one criterion, 0–5.
type CriterionScore struct {
	Criterion string `json:"criterion"`
	Score     int    `json:"score"`
}

// Weighted returns the weighted score of one review's scores. The scores
// must have been validated against the rubric (ReviewInput.Validate).
func (r *Rubric) Weighted(scores []CriterionScore) float64 {
	var w float64
	for _, c := range r.Criteria {
		for _, s := range scores {
			if s.Criterion == c.ID {
				w += c.Weight * float64(s.Score)
			}
		}
	}
	return w
}

// CriterionMean is the mean score of one criterion across reviewers.
type CriterionMean struct {
	Criterion string  `json:"criterion"`
	Mean      float64 `json:"mean"`
	Passes    bool    `json:"passes"`
}

// RubricVerdict is the rubric applied to a proposal's peer reviews.
type RubricVerdict struct {
	// Score is the weighted mean of the criterion means, 0–5.
	Score  float64         `json:"score"`
	Means  []CriterionMean `json:"means"`
	Passes bool            `json:"passes"`
	// Failing explains each threshold missed, for the applicant.
	Failing []string `json:"failing,omitempty"`
}

// Assess applies the rubric to the scores of a proposal's peer reviews
// (one slice per review): each criterion's mean across reviewers must reach
// its threshold and the weighted mean the pass score. No reviews fail.
func (r *Rubric) Assess(reviews [][]CriterionScore) RubricVerdict {
	out := RubricVerdict{Means: []CriterionMean{}}
	if len(reviews) == 0 {
		out.Failing = []string{"No peer review was submitted."}
		return out
	}
	out.Passes = true
	for _, c := range r.Criteria {
		var sum float64
		for _, scores := range reviews {
			for _, s := range scores {
				if s.Criterion == c.ID {
					sum += float64(s.Score)
				}
			}
		}
		mean := sum / float64(len(reviews))
		ok := mean >= c.Threshold-1e-9
		out.Means = append(out.Means, CriterionMean{Criterion: c.ID, Mean: mean, Passes: ok})
		out.Score += c.Weight * mean
		if !ok {
			out.Passes = false
			out.Failing = append(out.Failing, c.Name+": mean "+fmtScore(mean)+" is below the threshold "+fmtScore(c.Threshold)+".")
		}
	}
	if out.Score < r.PassScore-1e-9 {
		out.Passes = false
		out.Failing = append(out.Failing, "Weighted score "+fmtScore(out.Score)+" is below the pass score "+fmtScore(r.PassScore)+".")
	}
	return out
}

func fmtScore(x float64) string {
	return strings.TrimRight(strings.TrimRight(formatFloat(x, 2), "0"), ".")
}
