// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"context"
	"sort"
	"time"
)

// AgentLeaseTTL is how long an agent's lease on its cluster lasts without
// renewal: another agent may take over the cluster only after that.
const AgentLeaseTTL = 5 * time.Minute

// AgentHeartbeat is what a site agent sends at every cycle: the cluster it
// runs for, who it is, and how its last cycle went.
type AgentHeartbeat struct {
	Cluster string `json:"cluster"`
	// Holder names the agent process, e.g. "login1:4242".
	Holder string `json:"holder"`
	// Result is the last cycle's outcome, e.g. "ok" or its error.
	Result string `json:"result"`
}

// Validate checks a heartbeat.
func (h *AgentHeartbeat) Validate() error {
	var v Validator
	v.Check(ValidClusterName(h.Cluster), "cluster", "must be a cluster name (lower-case letters, digits, '_', '-')")
	v.Check(h.Holder != "" && len(h.Holder) <= 200, "holder", "is required (at most 200 characters)")
	v.Check(len(h.Result) <= 2000, "result", "must be at most 2000 characters")
	return v.Err("The heartbeat is not valid.")
}

// AgentLease is the lease of one agent on a site's cluster.
type AgentLease struct {
	Site      string    `json:"site"`
	Cluster   string    `json:"cluster"`
	Holder    string    `json:"holder"`
	Result    string    `json:"result"`
	RenewedAt time.Time `json:"renewed_at"`
	ExpiresAt time.Time `json:"expires_at"`
}

// AgentWrites keep the agents' leases.
type AgentWrites interface {
	// ClaimAgentLease stores l unless another holder's lease on the same
	// (site, cluster) expires after l.RenewedAt, and returns the lease as
	// it stands afterwards (the other holder's, if so).
	ClaimAgentLease(ctx context.Context, l AgentLease) (*AgentLease, error)
}

// DefaultAgentSilentAfter is how long a site's agent may go without
// contact (a heartbeat) before pactum shows it as silent: three lease
// lifetimes, so that one slow cycle or a restart does not raise it.
const DefaultAgentSilentAfter = 3 * AgentLeaseTTL

// AgentState says how recently a site's agent was heard from.
type AgentState string

// The agent states.
const (
	// AgentOK: the agent made contact within the silence threshold.
	AgentOK AgentState = "ok"
	// AgentSilent: the agent made contact once, but not within the
	// threshold; the site's accounts are no longer reconciled.
	AgentSilent AgentState = "silent"
	// AgentNever: no agent of the site has ever made contact (the site
	// may not run one).
	AgentNever AgentState = "never"
)

// AgentStatus is a site's agent on one cluster as last heard from, or a
// site whose agents never made contact (Cluster empty, State AgentNever).
type AgentStatus struct {
	Site    string `json:"site"`
	Cluster string `json:"cluster,omitempty"`
	// Holder and Result are the last heartbeat's.
	Holder      string     `json:"holder,omitempty"`
	Result      string     `json:"result,omitempty"`
	LastContact *time.Time `json:"last_contact,omitempty"`
	State       AgentState `json:"state"`
	// Silent is State == AgentSilent, for filters and alerts.
	Silent bool `json:"silent"`
	// SilentAfter is the threshold applied, in seconds.
	SilentAfterSeconds int64 `json:"silent_after_seconds"`
}

// AgentStatuses returns the agents' states at now: one per lease, and one
// of state AgentNever for each of sites without a lease; by site, then
// cluster. A lease renewed more than silentAfter ago is silent.
func AgentStatuses(sites []string, leases []AgentLease, now time.Time, silentAfter time.Duration) []AgentStatus {
	seen := map[string]bool{}
	var out []AgentStatus
	for _, l := range leases {
		seen[l.Site] = true
		at := l.RenewedAt
		st := AgentStatus{Site: l.Site, Cluster: l.Cluster, Holder: l.Holder, Result: l.Result, LastContact: &at,
			State: AgentOK, SilentAfterSeconds: int64(silentAfter / time.Second)}
		if now.Sub(l.RenewedAt) > silentAfter {
			st.State, st.Silent = AgentSilent, true
		}
		out = append(out, st)
	}
	for _, s := range sites {
		if !seen[s] {
			seen[s] = true
			out = append(out, AgentStatus{Site: s, State: AgentNever, SilentAfterSeconds: int64(silentAfter / time.Second)})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Site != out[j].Site {
			return out[i].Site < out[j].Site
		}
		return out[i].Cluster < out[j].Cluster
	})
	return out
}

// AgentQueries read the agents' leases.
type AgentQueries interface {
	// ListAgentLeases returns every lease, by site then cluster.
	ListAgentLeases(ctx context.Context) ([]AgentLease, error)
}
