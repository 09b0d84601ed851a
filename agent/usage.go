// SPDX-License-Identifier: EUPL-1.2

package agent

import (
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/slurm"
)

// UsageInput converts a job record read from sacct into what the server
// ingests: the job's allocated TRES × elapsed seconds, per GPU, node and
// CPU. The server charges the allocation in its own unit from these.
//
// The job's comment carries its model claim (pactum.ParseJobLabel, set by
// pactum job submit --model); Slurm's measured energy and GPU utilisation
// travel when the site gathers them.
func UsageInput(r *slurm.Record) pactum.UsageRecordInput {
	in := pactum.UsageRecordInput{
		JobID: r.JobID, Account: r.Account, Username: r.User, State: r.State, Final: r.Final,
		StartAt: timePtr(r.Start), EndAt: timePtr(r.End),
		ElapsedSeconds: r.Elapsed, GPUSeconds: r.GPUSeconds(), NodeSeconds: r.NodeSeconds(), CPUSeconds: r.CPUSeconds(),
	}
	in.Model, in.Phase = pactum.ParseJobLabel(r.Comment)
	if r.EnergyJoules > 0 {
		in.EnergyJoules = r.EnergyJoules
	}
	if u, ok := r.GPUUtilisation(); ok {
		in.GPUUtil = &u
	}
	return in
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
