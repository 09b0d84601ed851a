// SPDX-License-Identifier: EUPL-1.2

package http

import (
	"net/http"

	"github.com/pactum/pactum"
)

// siteAgentRoutes are the requests a site agent makes (package agent): its
// site's desired state, heartbeat and drift, usage ingest, allocation
// transitions (exhaustion, provisioning), and reading its own user. A
// site-agent token may make these and nothing else.
var siteAgentRoutes = map[string]bool{
	"GET /api/v1/me":                           true,
	"GET /api/v1/users/{id}":                   true, // its own user only: scopeAllows
	"GET /api/v1/sites/{site}/desired":         true,
	"POST /api/v1/sites/{site}/heartbeat":      true,
	"POST /api/v1/sites/{site}/drift":          true,
	"POST /api/v1/usage":                       true,
	"POST /api/v1/allocations/{id}/transition": true,
}

// scopeAllows reports, as EFORBIDDEN naming the scope, whether a token of
// scope may make the request r matched by the route pattern; nil if so.
//
// Scopes are enforced here, in the HTTP layer, and only here: a scope is
// a limit on the token (a credential of this front door), defined by the
// API's requests (methods and routes), not a right of the user. The use
// cases decide what the user may do, whatever the token; the scope only
// narrows which of the API's requests reach them. Offline tools act with
// no token and so have no scope.
func scopeAllows(scope pactum.TokenScope, pattern string, r *http.Request, u *pactum.User) error {
	switch scope {
	case pactum.ScopeFull, "":
		return nil
	case pactum.ScopeReadOnly:
		if r.Method == http.MethodGet || r.Method == http.MethodHead {
			return nil
		}
		return pactum.Errorf(pactum.EFORBIDDEN, "This token's scope is read-only: it may only read (GET and HEAD).")
	case pactum.ScopeSiteAgent:
		if siteAgentRoutes[pattern] && (pattern != "GET /api/v1/users/{id}" || r.PathValue("id") == u.ID) {
			return nil
		}
		return pactum.Errorf(pactum.EFORBIDDEN, "This token's scope is site-agent: it may only make the site agent's requests.")
	}
	return pactum.Errorf(pactum.EFORBIDDEN, "This token's scope %q allows nothing.", string(scope))
}
