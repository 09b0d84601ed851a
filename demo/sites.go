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

// member is an organization's applicant as the site stage needs it.
type member struct {
	userID string
	c      *client.ClientWithResponses
}

// runSites plays the hosting sites: for each system with allocations, its
// operator runs the site agent against a simulated Slurm cluster
// (slurmsim.Cluster, in memory). The agent provisions the accounts, held
// until the applicants acknowledge their award conditions; each allocation
// then runs a GPU job, which the agent accounts; a second read of sacct
// changes nothing.
func runSites(ctx context.Context, mgr *client.ClientWithResponses, serverURL string, members map[string]member,
	allocs []client.Allocation, systems map[string]client.System, progress func(string, ...any)) ([]SiteRun, map[string]float64, []Check, error) {
	dir, err := os.MkdirTemp("", "pactum-demo-agents-")
	if err != nil {
		return nil, nil, nil, err
	}
	defer os.RemoveAll(dir)

	// Cluster usernames make the applicants members of their allocations.
	usernames := map[string]string{} // by organization
	for org, m := range members {
		ur, err := mgr.GetUserWithResponse(ctx, m.userID)
		if err := expect(ur, err, 200, "read applicant"); err != nil {
			return nil, nil, nil, err
		}
		name, _, _ := strings.Cut(ur.JSON200.Email, "@")
		if !pactum.ValidUsername(name) {
			name = "u" + strings.ReplaceAll(strings.ToLower(name), ".", "")
		}
		sr, err := mgr.SetUsernameWithResponse(ctx, m.userID, client.UsernameInput{Username: name})
		if err := expect(sr, err, 200, "set the cluster username of "+ur.JSON200.Email); err != nil {
			return nil, nil, nil, err
		}
		usernames[org] = name
	}

	bySystem := map[string][]client.Allocation{}
	for _, a := range allocs {
		bySystem[a.SystemId] = append(bySystem[a.SystemId], a)
	}
	used := map[string]float64{}
	var runs []SiteRun
	var checks []Check
	for _, sys := range sortedKeys(bySystem) {
		site := systems[sys].Site
		run := SiteRun{Site: site, System: sys, Allocations: len(bySystem[sys])}
		ur, err := mgr.CreateUserWithResponse(ctx, client.UserInput{Email: "ops-" + sys + "@" + strings.ToLower(site) + ".example",
			Name: site + " operations", Role: client.SiteOperator, Site: &site})
		if err := expect(ur, err, 201, "create the operator of "+site); err != nil {
			return nil, nil, nil, err
		}
		tr, err := mgr.CreateTokenWithResponse(ctx, ur.JSON201.Id, client.TokenInput{Name: "agent"})
		if err := expect(tr, err, 201, "issue the agent's token"); err != nil {
			return nil, nil, nil, err
		}
		api, err := client.New(serverURL, tr.JSON201.Secret)
		if err != nil {
			return nil, nil, nil, err
		}
		cluster := slurmsim.New(sys, nil)
		noWait := func(context.Context, time.Duration) error { return nil }
		a, err := agent.New(agent.Config{API: api, Cluster: cluster, Site: site, SystemID: sys, ClusterName: sys,
			StateDir: filepath.Join(dir, sys), Overlap: time.Hour, Reconcile: &retry.Policy{Sleep: noWait, Attempts: 5}})
		if err != nil {
			return nil, nil, nil, err
		}
		cycle := func() (*agent.Report, error) {
			rep, err := a.Cycle(ctx)
			if err != nil {
				return nil, fmt.Errorf("demo: site agent of %s: %w", sys, err)
			}
			return rep, nil
		}
		rep, err := cycle()
		if err != nil {
			a.Close()
			return nil, nil, nil, err
		}
		run.Activated = len(rep.Activated)
		progress("%s's agent provisioned %d allocations on %s (%d Slurm changes)", site, len(rep.Activated), sys, len(rep.Applied))

		// The applicants meet their conditions; the accounts open.
		for _, al := range bySystem[sys] {
			if al.Conditions == nil {
				continue
			}
			for _, f := range *al.Conditions {
				m := members[al.OrganizationId]
				kr, err := m.c.AcknowledgeConditionWithResponse(ctx, al.Id, f.RuleId, client.AcknowledgeInput{
					Statement: "We meet this obligation and document how: " + f.Message})
				if err := expect(kr, err, 200, "acknowledge "+f.RuleId); err != nil {
					a.Close()
					return nil, nil, nil, err
				}
			}
		}
		if _, err := cycle(); err != nil {
			a.Close()
			return nil, nil, nil, err
		}

		// Each allocation runs an 8-GPU job for three hours.
		for _, al := range bySystem[sys] {
			cluster.User = usernames[al.OrganizationId]
			id, err := cluster.Submit(ctx, slurm.SubmitRequest{Account: pactum.AllocationAccount(al.Id), GPUs: 8, Time: 4 * time.Hour, Wrap: "train.sh"})
			if err != nil {
				a.Close()
				return nil, nil, nil, fmt.Errorf("demo: submit on %s: %w", sys, err)
			}
			if err := cluster.Finish(id, 3*time.Hour, ""); err != nil {
				a.Close()
				return nil, nil, nil, err
			}
			run.Jobs++
		}
		if rep, err = cycle(); err != nil {
			a.Close()
			return nil, nil, nil, err
		}
		run.Accepted = rep.Accepted
		if rep, err = cycle(); err != nil {
			a.Close()
			return nil, nil, nil, err
		}
		run.Duplicate = rep.Duplicate
		a.Close()
		progress("%s's agent accounted %d jobs on %s; reading sacct again found %d duplicates", site, run.Accepted, sys, run.Duplicate)
		checks = append(checks, Check{What: "re-read " + sys + "'s sacct: every job again, none counted twice",
			Result: fmt.Sprintf("%d accepted, then %d duplicates", run.Accepted, run.Duplicate), OK: run.Accepted == run.Jobs && run.Duplicate == run.Jobs})
		for _, al := range bySystem[sys] {
			m := members[al.OrganizationId]
			sr, err := m.c.GetAllocationUsageWithResponse(ctx, al.Id)
			if err := expect(sr, err, 200, "read usage"); err != nil {
				return nil, nil, nil, err
			}
			used[al.Id] = sr.JSON200.Used
		}
		runs = append(runs, run)
	}
	slices.SortFunc(runs, func(x, y SiteRun) int { return strings.Compare(x.System, y.System) })
	return runs, used, checks, nil
}
