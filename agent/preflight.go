// SPDX-License-Identifier: EUPL-1.2

package agent

import (
	"context"
	"fmt"
	"net/http"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/client"
	"github.com/pactum/pactum/slurm"
)

// Preflight checks, before the agent changes anything, that it may run:
// its token is a site operator's of Config.Site (EFORBIDDEN otherwise);
// the server knows the site and system (ENOTFOUND for a typo, which would
// otherwise read as "no allocations"); and the cluster's configuration
// can enforce a grant as a hard budget (slurm.CheckConfig: EINVALID naming
// the setting), when the cluster can report it.
func (a *Agent) Preflight(ctx context.Context) error {
	var me *client.GetMeResponse
	if err := a.call(ctx, "who am I", func(ctx context.Context) (int, []byte, error) {
		var err error
		me, err = a.cfg.API.GetMeWithResponse(ctx)
		if err != nil {
			return 0, nil, err
		}
		return me.StatusCode(), me.Body, nil
	}); err != nil {
		return err
	}
	u, err := client.Decode[pactum.User](me)
	if err != nil {
		return err
	}
	if u.Role != pactum.RoleSiteOperator || u.Site != a.cfg.Site {
		return pactum.Errorf(pactum.EFORBIDDEN, "The agent's token belongs to %s (%s of site %q), not to a site operator of %s: give it an operator's token of that site.",
			u.Email, u.Role, u.Site, a.cfg.Site)
	}
	params := &client.GetSiteDesiredStateParams{}
	if a.cfg.SystemID != "" {
		params.SystemId = &a.cfg.SystemID
	}
	resp, err := a.cfg.API.GetSiteDesiredStateWithResponse(ctx, a.cfg.Site, params)
	if err != nil {
		return fmt.Errorf("fetch desired state: %w", err)
	}
	if resp.StatusCode() == http.StatusNotFound {
		msg := "unknown"
		if e := client.ToError(resp.Body); e != nil {
			msg = e.Message
		}
		return pactum.Errorf(pactum.ENOTFOUND, "The server knows no site %q with system %q (%s): check --site and --system.", a.cfg.Site, a.cfg.SystemID, msg)
	}
	if resp.StatusCode() != http.StatusOK {
		return fmt.Errorf("fetch desired state: the server answered %d: %s", resp.StatusCode(), resp.Body)
	}
	cr, ok := a.cfg.Cluster.(slurm.ConfigReader)
	if !ok {
		return nil
	}
	cfg, err := cr.Config(ctx)
	if err != nil {
		return err
	}
	return slurm.CheckConfig(cfg, a.cfg.ClusterName, true)
}
