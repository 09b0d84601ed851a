// SPDX-License-Identifier: EUPL-1.2

package agent

import (
	"context"
	"fmt"
	"os"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/client"
)

// defaultHolder names this agent process for its lease: host and pid.
func defaultHolder() string {
	h, _ := os.Hostname()
	return fmt.Sprintf("%s:%d", h, os.Getpid())
}

// heartbeat takes or renews the agent's lease on its cluster on the server
// and reports its last result; ECONFLICT while another agent holds it.
func (a *Agent) heartbeat(ctx context.Context) error {
	body, err := client.Convert[client.AgentHeartbeatJSONRequestBody](pactum.AgentHeartbeat{Cluster: a.cfg.ClusterName, Holder: a.cfg.Holder, Result: a.lastResult})
	if err != nil {
		return err
	}
	var resp *client.AgentHeartbeatResponse
	err = a.call(ctx, "heartbeat", func(ctx context.Context) (int, []byte, error) {
		var err error
		resp, err = a.cfg.API.AgentHeartbeatWithResponse(ctx, a.cfg.Site, body)
		if err != nil {
			return 0, nil, err
		}
		return resp.StatusCode(), resp.Body, nil
	})
	if err != nil && resp != nil && resp.StatusCode() == 409 {
		msg := "another agent holds the cluster"
		if e := client.ToError(resp.Body); e != nil {
			msg = e.Message
		}
		return pactum.Errorf(pactum.ECONFLICT, "%s", msg)
	}
	return err
}
