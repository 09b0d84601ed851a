// SPDX-License-Identifier: EUPL-1.2

package agent

import (
	"os/user"
	"slices"
	"strconv"

	"github.com/pactum/pactum"
)

// siteUsers turns st's usernames into the site's logins (Config.LoginMap,
// when the site keeps one; a username it lacks is dropped) and drops the
// logins the site does not let pactum give to anyone: those in Config.DenyUsers (root and slurm by default) and local
// accounts whose UID is below Config.MinUID (system accounts; 1000 by
// default). An access manager maps people to logins; the site has the last
// word on which logins an allocation may carry. Each refusal is logged
// once per cycle. Logins the host does not know are kept: Slurm needs no
// local account for an association, and the site's directory may not be
// visible to the agent.
func (a *Agent) siteUsers(st *pactum.SiteState) {
	for i := range st.Allocations {
		x := &st.Allocations[i]
		logins := []string{}
		for _, name := range x.Users {
			login, ok := a.siteLogin(name)
			if !ok {
				a.log.Warn("user not in the site's login map: no login given", "username", name, "allocation", x.AllocationID)
				continue
			}
			if why := a.refuseLogin(login); why != "" {
				a.log.Warn("login refused: not given to any allocation", "login", login, "allocation", x.AllocationID, "why", why)
				continue
			}
			logins = append(logins, login)
		}
		x.Users = logins
	}
}

// refuseLogin says why name may not be given, or "".
func (a *Agent) refuseLogin(name string) string {
	if slices.Contains(a.cfg.DenyUsers, name) {
		return "listed in the agent's denied logins"
	}
	if a.cfg.MinUID < 0 {
		return ""
	}
	u, err := user.Lookup(name)
	if err != nil {
		return ""
	}
	if uid, err := strconv.Atoi(u.Uid); err == nil && uid < a.cfg.MinUID {
		return "a system account (UID " + u.Uid + " below " + strconv.Itoa(a.cfg.MinUID) + ")"
	}
	return ""
}
