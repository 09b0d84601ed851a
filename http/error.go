// SPDX-License-Identifier: EUPL-1.2

package http

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/pactum/pactum"
)

// codes maps the domain's error codes to HTTP status codes: the only place
// this mapping exists.
var codes = map[string]int{
	pactum.ECONFLICT:     http.StatusConflict,
	pactum.EFORBIDDEN:    http.StatusForbidden,
	pactum.EINTERNAL:     http.StatusInternalServerError,
	pactum.EINVALID:      http.StatusBadRequest,
	pactum.ENOTFOUND:     http.StatusNotFound,
	pactum.EUNAUTHORIZED: http.StatusUnauthorized,
	pactum.ETOOMANY:      http.StatusTooManyRequests,
	pactum.EUNAVAILABLE:  http.StatusServiceUnavailable,
}

// retryAfterSeconds is the Retry-After of a 503: a database restarting or
// a disk being cleared takes seconds at least.
const retryAfterSeconds = "5"

// ErrorStatus returns the HTTP status for a domain error code.
func ErrorStatus(code string) int {
	if s, ok := codes[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// errorBody is the JSON shape of every error response.
type errorBody struct {
	Error errorJSON `json:"error"`
}

// errorJSON is a domain error with the request's ID, which a user quotes
// to the operator and the operator finds in the logs.
type errorJSON struct {
	*pactum.Error
	RequestID string `json:"request_id,omitempty"`
}

// Error writes err as a JSON error response. Internal errors are logged with
// their detail and shown to the caller only as "Internal error.".
func (s *Server) Error(w http.ResponseWriter, r *http.Request, err error) {
	code := pactum.ErrorCode(err)
	if code == pactum.EINTERNAL && s.cfg.Unavailable != nil && s.cfg.Unavailable(err) {
		s.logger.Warn("database unavailable", slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("err", err))
		err = pactum.Errorf(pactum.EUNAVAILABLE, "The service is unavailable for a moment (its database cannot serve); retry after the seconds Retry-After gives.")
		code = pactum.EUNAVAILABLE
	}
	if code == pactum.EUNAVAILABLE {
		w.Header().Set("Retry-After", retryAfterSeconds)
	}
	if code == pactum.EINTERNAL {
		s.logger.Error("internal error", slog.String("request_id", RequestID(r.Context())), slog.String("method", r.Method),
			slog.String("path", r.URL.Path), slog.Any("err", err))
	}
	s.writeError(w, ErrorStatus(code), &pactum.Error{Code: code, Message: pactum.ErrorMessage(err), Fields: pactum.ErrorFields(err)})
}

func (s *Server) writeError(w http.ResponseWriter, status int, e *pactum.Error) {
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="pactum"`)
	}
	writeJSON(w, status, errorBody{Error: errorJSON{Error: e, RequestID: w.Header().Get(RequestIDHeader)}})
}

// readyReason says why readiness failed, without internals: a full disk is
// named (an operator can act on it), anything else is the database.
func readyReason(err error) string {
	if strings.Contains(err.Error(), "disk full") {
		return "disk full"
	}
	return "database unavailable"
}
