// SPDX-License-Identifier: EUPL-1.2

package http

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/pactum/pactum"
)

// replay says how to answer a retry whose first request's work committed
// but whose answer was never stored (the server stopped in between): with
// status, and the resource's current representation served by its GET.
type replay struct {
	status int
	// get is the resource's GET path with "{id}" standing for its ID.
	get string
	// fromPath takes the ID from the request's own {id}; otherwise it is
	// the subject the work's first audit event names (a created resource).
	fromPath bool
}

// replays lists the state-changing endpoints whose answer is a resource
// that has a GET of its own. A retry of any other endpoint whose answer was
// lost learns what was changed from an error that names it (see recovered).
var replays = map[string]replay{
	"POST /api/v1/proposals":                       {http.StatusCreated, "/api/v1/proposals/{id}", false},
	"PUT /api/v1/proposals/{id}":                   {http.StatusOK, "/api/v1/proposals/{id}", true},
	"POST /api/v1/proposals/{id}/submit":           {http.StatusOK, "/api/v1/proposals/{id}", true},
	"POST /api/v1/proposals/{id}/decision":         {http.StatusOK, "/api/v1/proposals/{id}", true},
	"POST /api/v1/proposals/{id}/withdraw":         {http.StatusOK, "/api/v1/proposals/{id}", true},
	"POST /api/v1/proposals/{id}/override/confirm": {http.StatusOK, "/api/v1/proposals/{id}", true},
	"POST /api/v1/calls":                           {http.StatusCreated, "/api/v1/calls/{id}", false},
	"POST /api/v1/organizations":                   {http.StatusCreated, "/api/v1/organizations/{id}", false},
	"POST /api/v1/users":                           {http.StatusCreated, "/api/v1/users/{id}", false},
	"PUT /api/v1/users/{id}/username":              {http.StatusOK, "/api/v1/users/{id}", true},
	"PUT /api/v1/reviewers/{id}":                   {http.StatusOK, "/api/v1/reviewers/{id}", true},
	"POST /api/v1/allocations/{id}/transition":     {http.StatusOK, "/api/v1/allocations/{id}", true},
	"POST /api/v1/calls/{id}/allocation-runs":      {http.StatusCreated, "/api/v1/allocation-runs/{id}", false},
	"POST /api/v1/allocation-runs/{id}/publish":    {http.StatusOK, "/api/v1/allocation-runs/{id}", true},
	"POST /api/v1/sites/{site}/drift":              {http.StatusNoContent, "", false},
	"DELETE /api/v1/tokens/{id}":                   {http.StatusNoContent, "", false},
}

// replayStatus is the status a request answers with once its work has
// committed, as the store's commit marker records it; 0 when the endpoint's
// answer cannot be rebuilt.
func replayStatus(r *http.Request) int { return replays[r.Pattern].status }

// recovered answers a retry whose first request's work committed but whose
// answer was lost: the status the request answers with and the resource's
// current representation, read by its GET as the same caller, marked
// Idempotent-Replayed. Where the answer cannot be rebuilt (a token's
// secret is shown once) the retry gets a conflict naming what was changed,
// so the client can find it, never a second run of the work.
func (s *Server) recovered(w http.ResponseWriter, r *http.Request, key, subjectType, subjectID string) {
	rp, ok := replays[r.Pattern]
	if !ok || !rp.fromPath && rp.get != "" && subjectID == "" {
		what := ""
		if subjectID != "" {
			what = fmt.Sprintf(" (it changed %s %s)", subjectType, subjectID)
		}
		s.Error(w, r, pactum.Errorf(pactum.ECONFLICT, "The request with Idempotency-Key %q was carried out%s, but its answer was lost when the server stopped; look the result up instead of retrying.",
			key, what))
		return
	}
	if rp.get == "" {
		w.Header().Set("Idempotent-Replayed", "true")
		w.WriteHeader(rp.status)
		return
	}
	id := subjectID
	if rp.fromPath {
		id = r.PathValue("id")
	}
	get := r.Clone(r.Context())
	get.Method, get.Body, get.ContentLength = http.MethodGet, http.NoBody, 0
	get.URL.Path, get.URL.RawPath, get.URL.RawQuery = strings.ReplaceAll(rp.get, "{id}", id), "", ""
	get.RequestURI = get.URL.RequestURI()
	get.Header.Del("Idempotency-Key")
	rec := httptest.NewRecorder()
	s.mux.ServeHTTP(rec, get)
	if rec.Code != http.StatusOK {
		// The resource is gone or no longer visible to the caller: say
		// so, as its GET does.
		copyHeader(w.Header(), rec.Header())
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		return
	}
	copyHeader(w.Header(), rec.Header())
	w.Header().Set("Idempotent-Replayed", "true")
	w.WriteHeader(rp.status)
	_, _ = w.Write(rec.Body.Bytes())
}

func copyHeader(dst, src http.Header) {
	for k, v := range src {
		dst[k] = v
	}
}
