// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"fmt"
	"strconv"
	"time"
)

// Attribution that cannot be gamed (issue 12, point 8): phase labels are
// the applicant's claims, so an allocation granted mostly for pre-training
// whose labelled GPU-hours are mostly evaluation, inference or other work
// is flagged in its usage summary (UsageFlags) and, the first time the
// flag appears at ingestion, recorded once (UsageFlag) and notified to the
// access managers and the allocation's holder.

// MostlyPreTraining is the pre-training share from which a grant counts as
// given mostly for pre-training.
const MostlyPreTraining = 0.5

// PreTrainingShare is the share of p's request planned for pre-training:
// its compute split's, or 1 without a split, which counts the whole
// request as training (as ComputeSplit.TrainingShare does). An allocation
// keeps its proposal's (Allocation.PreTrainingShare).
func (p *Proposal) PreTrainingShare() float64 {
	if s := p.AIWork.ComputeSplit; s != nil {
		return s.PreTraining
	}
	return 1
}

// UsageFlagNotAsAsked is the kind of the flag raised when an allocation
// granted mostly for pre-training is used mostly for something else.
const UsageFlagNotAsAsked = "not_as_asked"

// NotAsAsked returns the flag of an allocation granted with
// preTrainingShare whose jobs label trainingHours GPU-hours as training
// (pre-training, fine-tuning, synthetic data) and otherHours as
// evaluation, inference or other work; "" when the grant was not mostly
// for pre-training or the labelled hours are not mostly other work.
// Unattributed hours count neither way: they are not a label.
func NotAsAsked(preTrainingShare, trainingHours, otherHours float64) string {
	if preTrainingShare < MostlyPreTraining || !(otherHours > trainingHours) {
		return ""
	}
	return fmt.Sprintf("This allocation was granted mostly for pre-training, but its jobs label %.0f GPU-hours as "+
		"evaluation, inference or other work and %.0f as training: check the labels (the organization's upper bound counts them all).",
		otherHours, trainingHours)
}

// LabelledHours sums shares' GPU-hours labelled as training and as other
// work; unattributed shares count in neither.
func LabelledHours(shares []ModelShare) (training, other float64) {
	for _, sh := range shares {
		switch {
		case sh.Phase.Training():
			training += sh.GPUHours
		case sh.Phase != PhaseNone:
			other += sh.GPUHours
		}
	}
	return training, other
}

// UsageFlag records, once per allocation and kind, that its labelled
// usage first met a flag's condition at ingestion: for
// UsageFlagNotAsAsked, that its jobs' labelled GPU-hours became mostly
// evaluation, inference or other work. Raised says whether the flag was
// raised then (the grant was mostly for pre-training) and so notified;
// the grant never changes, so the answer is recorded once either way and
// the proposal is never read for it again.
type UsageFlag struct {
	AllocationID       string    `json:"allocation_id"`
	Kind               string    `json:"kind"`
	Raised             bool      `json:"raised"`
	TrainingGPUSeconds int64     `json:"training_gpu_seconds"`
	OtherGPUSeconds    int64     `json:"other_gpu_seconds"`
	FlaggedAt          time.Time `json:"flagged_at"`
	// Message is NotAsAsked's, when raised.
	Message string `json:"message,omitempty"`
}

// AllocationPhaseUsage is an allocation's GPU-seconds labelled with one
// phase, all models together.
type AllocationPhaseUsage struct {
	AllocationID string
	Phase        Phase
	GPUSeconds   int64
}

// MostlyOtherWork returns, for each allocation of rows (in the order of
// its first row), a UsageFlag of kind UsageFlagNotAsAsked, not yet
// raised, when its labelled GPU-seconds are mostly evaluation, inference
// or other work; unattributed rows count neither way. The caller raises
// each (RaiseNotAsAsked) with its grant's pre-training share.
func MostlyOtherWork(rows []AllocationPhaseUsage, at time.Time) []UsageFlag {
	var out []UsageFlag
	idx := map[string]int{}
	for _, r := range rows {
		i, ok := idx[r.AllocationID]
		if !ok {
			i = len(out)
			idx[r.AllocationID] = i
			out = append(out, UsageFlag{AllocationID: r.AllocationID, Kind: UsageFlagNotAsAsked, FlaggedAt: at})
		}
		switch {
		case r.Phase.Training():
			out[i].TrainingGPUSeconds += r.GPUSeconds
		case r.Phase != PhaseNone:
			out[i].OtherGPUSeconds += r.GPUSeconds
		}
	}
	kept := out[:0]
	for _, f := range out {
		if f.OtherGPUSeconds > f.TrainingGPUSeconds {
			kept = append(kept, f)
		}
	}
	return kept
}

// RaiseNotAsAsked decides f for a grant of preTrainingShare: raised, with
// NotAsAsked's message, when the grant was mostly for pre-training.
func (f *UsageFlag) RaiseNotAsAsked(preTrainingShare float64) {
	f.Message = NotAsAsked(preTrainingShare, float64(f.TrainingGPUSeconds)/3600, float64(f.OtherGPUSeconds)/3600)
	f.Raised = f.Message != ""
}

// NotAsAskedNotice is the notification of a raised flag to one user:
// the access managers and the proposal's applicant.
func NotAsAskedNotice(userID string, f *UsageFlag, al *Allocation, p *Proposal) *Notification {
	return &Notification{UserID: userID, ProposalID: p.ID, Kind: NotifyUsageFlag,
		Subject: "Allocation " + al.ID + " on " + al.SystemID + " is used mostly for other work than pre-training",
		Body: f.Message + " The allocation was granted to “" + p.Title + "” with " +
			strconv.FormatFloat(100*p.PreTrainingShare(), 'f', 0, 64) + " % of its request planned for pre-training " +
			"(pactum usage summary " + al.ID + ")."}
}
