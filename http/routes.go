// SPDX-License-Identifier: EUPL-1.2

package http

import (
	"errors"
	"fmt"
	"net/http"
	"slices"

	"github.com/pactum/pactum"
)

// route is one authenticated endpoint: a ServeMux pattern and the handler
// method serving it.
type route struct {
	pattern string
	handler func(*Server, http.ResponseWriter, *http.Request)
}

// apiRoutes lists every authenticated endpoint. Each entity's file declares
// its own table next to its handlers; this is where they meet, so the mux
// and Routes cannot disagree.
func apiRoutes() []route {
	return slices.Concat(userRoutes, systemRoutes, organizationRoutes, callRoutes, proposalRoutes,
		allocationRoutes, reviewerRoutes, reviewRoutes, allocationRunRoutes, notificationRoutes,
		usageRoutes, awardRoutes, siteRoutes, auditRoutes, screeningRoutes, modelRoutes,
		incidentRoutes, outcomeRoutes, obligationRoutes, transparencyRoutes, agentRoutes, deliveryRoutes, siteOpsRoutes)
}

// Routes returns the patterns of every API endpoint, e.g. "GET /api/v1/me".
// The OpenAPI test checks each is documented.
func Routes() []string {
	out := []string{"GET /livez", "GET /readyz", "GET /healthz", "GET /metrics", "GET /api/v1/openapi.json"}
	for _, r := range slices.Concat(apiRoutes(), publicRoutes) {
		out = append(out, r.pattern)
	}
	return out
}

// routes registers every API endpoint behind the same chain: the caller is
// authenticated, the request validated against the API document, an
// Idempotency-Key honoured, and only then the handler runs. A route the
// document lacks is an error.
func (s *Server) routes(mux *http.ServeMux) error {
	for _, rt := range apiRoutes() {
		op, err := s.api.operation(rt.pattern)
		if err != nil {
			return err
		}
		h, limit := rt.handler, bodyLimit(rt.pattern)
		mux.HandleFunc(rt.pattern, s.authed(rt.pattern, func(w http.ResponseWriter, r *http.Request, u *pactum.User) {
			s.validated(w, r, op, limit, func(w http.ResponseWriter, r *http.Request) {
				s.idempotent(w, r, u, func(w http.ResponseWriter, r *http.Request) { h(s, w, r) })
			})
		}))
	}
	for _, rt := range publicRoutes {
		op, err := s.api.operation(rt.pattern)
		if err != nil {
			return err
		}
		h := rt.handler
		mux.HandleFunc(rt.pattern, s.public(func(_ *Server, w http.ResponseWriter, r *http.Request) {
			s.validated(w, r, op, MaxBodyBytes, func(w http.ResponseWriter, r *http.Request) { h(s, w, r) })
		}))
	}
	return nil
}

// bodyLimit is the most a route's request body may hold: MaxBodyBytes
// unless bodyLimits raises it.
func bodyLimit(pattern string) int64 {
	if n, ok := bodyLimits[pattern]; ok {
		return n
	}
	return MaxBodyBytes
}

// respond is how every handler answers: err, if any, through the one error
// mapping; otherwise v as JSON with status (204 sends no body, and a
// rawJSON value is sent as it is).
func (s *Server) respond(w http.ResponseWriter, r *http.Request, status int, v any, err error) {
	switch {
	case err != nil:
		s.Error(w, r, err)
	case status == http.StatusNoContent:
		w.WriteHeader(status)
	default:
		writeJSON(w, status, v)
	}
}

// readBody decodes the body and writes the error response itself, so a
// handler only has to return when it reports false.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request, v any) bool {
	return s.readBodyLimit(w, r, v, MaxBodyBytes)
}

// readBodyLimit is readBody with a body limit of its own.
func (s *Server) readBodyLimit(w http.ResponseWriter, r *http.Request, v any, limit int64) bool {
	err := decodeLimit(w, r, v, limit)
	if errors.Is(err, errTooLarge) {
		s.writeError(w, http.StatusRequestEntityTooLarge, &pactum.Error{Code: pactum.EINVALID,
			Message: fmt.Sprintf("The request body is larger than %d MiB.", limit>>20)})
		return false
	} else if err != nil {
		s.Error(w, r, err)
		return false
	}
	return true
}

// readQuery reports whether the query parameters q read are valid, and
// otherwise writes the error response itself, as readBody does.
func (s *Server) readQuery(w http.ResponseWriter, r *http.Request, q *query) bool {
	if err := q.err(); err != nil {
		s.Error(w, r, err)
		return false
	}
	return true
}

// configured reports whether a service the endpoint needs was wired, and
// answers 500 otherwise: a server built without the agent's services
// (tests of other parts) serves everything else.
func (s *Server) configured(w http.ResponseWriter, r *http.Request, ok bool) bool {
	if !ok {
		s.Error(w, r, pactum.Errorf(pactum.EINTERNAL, "This server has no usage accounting configured."))
	}
	return ok
}

// listOf is the body of a list response: items, one page out of total.
// An empty page encodes as [] rather than null.
func listOf[T any](items []T, total int) list[T] {
	if items == nil {
		items = []T{}
	}
	return list[T]{Items: items, Total: total}
}
