// SPDX-License-Identifier: EUPL-1.2

package demo

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/agent"
	"github.com/pactum/pactum/client"
	"github.com/pactum/pactum/retry"
	"github.com/pactum/pactum/slurm"
	"github.com/pactum/pactum/slurm/slurmsim"
)

// SiteRun is what one system's site agent did in the demo.
type SiteRun struct {
	Site        string `json:"site"`
	System      string `json:"system"`
	Allocations int    `json:"allocations"`
	Activated   int    `json:"activated"`
	// Jobs ran on the simulated cluster; Accepted of their records were
	// stored, and Duplicate when sacct was read again.
	Jobs      int `json:"jobs"`
	Accepted  int `json:"accepted"`
	Duplicate int `json:"duplicate"`
}

// runSites plays the hosting sites: for each system with allocations, its
// operator runs the site agent against a simulated Slurm cluster
// (slurmsim.Cluster, in memory). The agent provisions the accounts, held
// until the applicants acknowledge their award conditions; each allocation
// then runs a GPU job, which the agent accounts; a second read of sacct
// changes nothing.
func (sc *scenario) runSites() error {
	dir, err := os.MkdirTemp("", "pactum-demo-agents-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	usernames, err := sc.clusterUsernames()
	if err != nil {
		return err
	}
	bySystem := map[string][]client.Allocation{}
	for _, a := range sc.allocs {
		bySystem[a.SystemId] = append(bySystem[a.SystemId], a)
	}
	used := map[string]float64{}
	var runs []SiteRun
	for _, sys := range sortedKeys(bySystem) {
		st := &siteStage{scenario: sc, dir: dir, system: sys, site: sc.systems[sys].Site, allocs: bySystem[sys], usernames: usernames}
		run, err := st.play(used)
		if err != nil {
			return err
		}
		runs = append(runs, run)
	}
	slices.SortFunc(runs, func(x, y SiteRun) int { return strings.Compare(x.System, y.System) })
	sc.res.Sites = runs
	for _, al := range sc.allocs {
		if ps := sc.res.proposal(al.ProposalId); ps != nil {
			if ps.Used == nil {
				ps.Used = map[string]float64{}
			}
			ps.Used[al.SystemId] += used[al.Id]
		}
	}
	return nil
}

// clusterUsernames gives each applicant a cluster username, which makes
// them a member of their organization's allocations, and returns the
// usernames by organization.
func (sc *scenario) clusterUsernames() (map[string]string, error) {
	usernames := map[string]string{}
	for _, a := range sc.actors {
		ur, err := sc.mgr.GetUserWithResponse(sc.ctx, a.userID)
		if err := expect(ur, err, 200, "read applicant"); err != nil {
			return nil, err
		}
		name, _, _ := strings.Cut(ur.JSON200.Email, "@")
		if !pactum.ValidUsername(name) {
			name = "u" + strings.ReplaceAll(strings.ToLower(name), ".", "")
		}
		sr, err := sc.mgr.SetUsernameWithResponse(sc.ctx, a.userID, client.UsernameInput{Username: name})
		if err := expect(sr, err, 200, "set the cluster username of "+ur.JSON200.Email); err != nil {
			return nil, err
		}
		usernames[a.orgID] = name
	}
	return usernames, nil
}

// siteStage is one system's site agent at work in the demo.
type siteStage struct {
	*scenario
	dir, system, site string
	allocs            []client.Allocation
	usernames         map[string]string // by organization
	cluster           *slurmsim.Cluster
	siteAgent         *agent.Agent
}

// play provisions the system's allocations, meets their conditions, runs
// and accounts a job for each, reads sacct again, and records each
// allocation's usage in used.
func (st *siteStage) play(used map[string]float64) (SiteRun, error) {
	run := SiteRun{Site: st.site, System: st.system, Allocations: len(st.allocs)}
	if err := st.start(); err != nil {
		return run, err
	}
	defer st.siteAgent.Close()
	rep, err := st.cycle()
	if err != nil {
		return run, err
	}
	run.Activated = len(rep.Activated)
	st.progress("%s's agent provisioned %d allocations on %s (%d Slurm changes)", st.site, len(rep.Activated), st.system, len(rep.Applied))
	if err := st.meetConditions(); err != nil {
		return run, err
	}
	if _, err := st.cycle(); err != nil {
		return run, err
	}
	if run.Jobs, err = st.runJobs(); err != nil {
		return run, err
	}
	if rep, err = st.cycle(); err != nil {
		return run, err
	}
	run.Accepted = rep.Accepted
	if rep, err = st.cycle(); err != nil {
		return run, err
	}
	run.Duplicate = rep.Duplicate
	st.progress("%s's agent accounted %d jobs on %s; reading sacct again found %d duplicates", st.site, run.Accepted, st.system, run.Duplicate)
	st.res.Checks = append(st.res.Checks, Check{What: "re-read " + st.system + "'s sacct: every job again, none counted twice",
		Result: fmt.Sprintf("%d accepted, then %d duplicates", run.Accepted, run.Duplicate), OK: run.Accepted == run.Jobs && run.Duplicate == run.Jobs})
	for _, al := range st.allocs {
		sr, err := st.member(al).GetAllocationUsageWithResponse(st.ctx, al.Id)
		if err := expect(sr, err, 200, "read usage"); err != nil {
			return run, err
		}
		used[al.Id] = sr.JSON200.Used
	}
	return run, nil
}

// start creates the site's operator and its agent on a new simulated
// cluster.
func (st *siteStage) start() error {
	email := "ops-" + st.system + "@" + strings.ToLower(st.site) + ".example"
	site := st.site
	api, _, err := st.newUser(client.UserInput{Email: email, Name: site + " operations", Role: client.SiteOperator, Site: &site},
		"agent", "create the operator of "+site, client.SiteAgent) // the agent's token makes only its requests
	if err != nil {
		return err
	}
	st.cluster = slurmsim.New(st.system, nil)
	noWait := func(context.Context, time.Duration) error { return nil }
	st.siteAgent, err = agent.New(agent.Config{API: api, Cluster: st.cluster, Site: site, SystemID: st.system, ClusterName: st.system,
		StateDir: filepath.Join(st.dir, st.system), Overlap: time.Hour, Reconcile: &retry.Policy{Sleep: noWait, Attempts: 5}})
	return err
}

func (st *siteStage) cycle() (*agent.Report, error) {
	rep, err := st.siteAgent.Cycle(st.ctx)
	if err != nil {
		return nil, fmt.Errorf("demo: site agent of %s: %w", st.system, err)
	}
	return rep, nil
}

// member returns the client of the applicant whose organization holds al.
func (st *siteStage) member(al client.Allocation) *client.ClientWithResponses {
	if a := st.actor(al); a != nil {
		return a.c
	}
	return nil
}

// actor is the applicant of al's organization.
func (st *siteStage) actor(al client.Allocation) *actor {
	for _, a := range st.actors {
		if a.orgID == al.OrganizationId {
			return a
		}
	}
	return nil
}

// meetConditions has the applicants meet their award conditions, which
// opens the accounts.
func (st *siteStage) meetConditions() error {
	for _, al := range st.allocs {
		if al.Conditions == nil {
			continue
		}
		for _, f := range *al.Conditions {
			kr, err := st.member(al).AcknowledgeConditionWithResponse(st.ctx, al.Id, f.RuleId, client.AcknowledgeInput{
				Statement: "We meet this obligation and document how: " + f.Message})
			if err := expect(kr, err, 200, "acknowledge "+f.RuleId); err != nil {
				return err
			}
		}
	}
	return nil
}

// runJobs runs each allocation's jobs: those of its organization's model
// plan on this system, each claiming the model and its phase in its
// comment as pactum job submit writes it; otherwise one unattributed 8-GPU
// job of three hours.
func (st *siteStage) runJobs() (int, error) {
	jobs := 0
	for _, al := range st.allocs {
		st.cluster.User = st.usernames[al.OrganizationId]
		plan := []demoJob{{gpus: 8, runs: 3 * time.Hour}}
		label := ""
		if a := st.actor(al); a != nil && a.s.model != nil && len(a.s.model.jobs[st.system]) > 0 {
			plan, label = a.s.model.jobs[st.system], a.s.model.model.Label()
		}
		for _, j := range plan {
			comment := j.comment
			if label != "" {
				comment = pactum.JobLabel(label, j.phase)
			}
			id, err := st.cluster.Submit(st.ctx, slurm.SubmitRequest{Account: pactum.AllocationAccount(al.Id), GPUs: j.gpus,
				Time: j.runs + time.Hour, Wrap: "train.sh", Comment: comment})
			if err != nil {
				return jobs, fmt.Errorf("demo: submit on %s: %w", st.system, err)
			}
			if err := st.cluster.Finish(id, j.runs, ""); err != nil {
				return jobs, err
			}
			jobs++
		}
	}
	return jobs, nil
}
