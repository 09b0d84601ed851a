// SPDX-License-Identifier: EUPL-1.2

// Package slurm drives a Slurm cluster's accounting through its command-line
// tools (sacctmgr, sacct, sbatch, squeue) for the site agent: it creates the
// account tree (pactum root → organization → allocation), sets GrpTRESMins
// from an award, suspends and resumes, reads usage back from sacct, and
// submits jobs under an allocation's account. It knows nothing about SQL or
// the pactum server; the agent feeds it desired state and posts its records.
//
// Every command goes through a Runner, so tests fake the cluster at the exec
// boundary, and slurmsim.Cluster fakes it at the Accounting/Jobs boundary.
//
// # What was verified on Slurm 22.05.8 (Debian 12), scripts/slurm/up.sh
//
//   - GrpTRESMins needs PriorityType=priority/multifactor; with
//     PriorityDecayHalfLife=0 and PriorityUsageResetPeriod=NONE it is a hard
//     budget. Slurm compares whole used minutes (floor(TRES-seconds/60)).
//   - gres/gpu minutes are enforced (pending reason AssocGrpGRESMinutes) once
//     gres/gpu is in AccountingStorageTRES. node minutes are enforced too
//     (AssocGrpNodeMinutes), so node-hour awards map to "node" minutes, not
//     to cpu minutes. On shared nodes (CR_Core) every job on a node is
//     charged a whole node, which is what a node-hour award means anyway.
//   - A limit holds only jobs that ask for that TRES: under an exhausted
//     gres/gpu budget a CPU-only job still runs. A site that must stop
//     those too needs a cpu or billing limit beside the GPU one, or a
//     partition that requires GPUs.
//   - AccountingStorageEnforce=...,safe works: a job whose own worst case
//     (TRES × time limit) exceeds the remaining budget is held at submission
//     with the same reason, so a 2-GPU job with --time=1 never starts under a
//     1 GPU-minute limit. Usage therefore reaches the limit only when jobs
//     run to their time limit; without safe it overshoots by whatever the
//     last admitted jobs use.
//   - Suspension: GrpSubmitJobs=0 makes sbatch fail at once
//     (AssocGrpSubmitJobsLimit); GrpJobs=0 keeps jobs already queued from
//     starting (pending reason AssocGrpJobsLimit). Neither stops running
//     jobs. Suspend sets both; Resume sets both to -1.
//   - sacctmgr exits 1 for "Nothing new added." (add of an existing
//     account or user association), "Nothing modified" and "Nothing
//     deleted"; all are success here, except that "Nothing modified" for
//     an account that does not exist is ENOTFOUND.
//   - Slurm lower-cases account names, descriptions and organizations.
//   - sacctmgr fails in milliseconds with "Connection refused" while
//     slurmdbd is down; IsTransient recognises that so a retry can wait.
//
// # Usage cursor
//
// sacct without --state returns every job that was pending or running at
// some point of [--starttime, --endtime], so reading windows that overlap
// by a margin (NextWindow) never loses a job that ends after a window was
// read: it is still running at the next window's start. A running job is
// reported with Final=false and its usage so far; the server keeps one
// record per (cluster, job id) and replaces it until Final. The margin
// covers records that slurmctld had queued for a stopped slurmdbd.
package slurm
