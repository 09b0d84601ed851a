// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"context"
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
