// SPDX-License-Identifier: EUPL-1.2

package http

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// RequestIDHeader carries a request's ID: taken from the request when it
// is sane (a reverse proxy's), else made up, and echoed in the response,
// whose error body repeats it (Error.request_id) for users to quote.
const RequestIDHeader = "X-Request-Id"

// requestInfo is what the request log learns while a request is served:
// who made it, once authenticated.
type requestInfo struct {
	id   string
	user atomic.Pointer[string]
}

type requestInfoKey struct{}

// RequestID returns the ID of the request ctx belongs to, "" outside one.
func RequestID(ctx context.Context) string {
	if info, _ := ctx.Value(requestInfoKey{}).(*requestInfo); info != nil {
		return info.id
	}
	return ""
}

// setRequestUser records the authenticated user of the request of ctx for
// its log line.
func setRequestUser(ctx context.Context, userID string) {
	if info, _ := ctx.Value(requestInfoKey{}).(*requestInfo); info != nil {
		info.user.Store(&userID)
	}
}

// requestID returns the incoming ID when it is 1-128 characters of
// letters, digits and "-_.:@/+=" (what proxies and tracers send), else a
// new random one: anything else could forge log lines or flood them.
func requestID(in string) string {
	if in != "" && len(in) <= 128 && !strings.ContainsFunc(in, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_.:@/+=", r))
	}) {
		return in
	}
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// beginRequest gives the request its ID, echoes it in the response and
// returns the request carrying its requestInfo.
func beginRequest(w http.ResponseWriter, r *http.Request) (*http.Request, *requestInfo) {
	info := &requestInfo{id: requestID(r.Header.Get(RequestIDHeader))}
	w.Header().Set(RequestIDHeader, info.id)
	return r.WithContext(context.WithValue(r.Context(), requestInfoKey{}, info)), info
}

// quiet routes are logged at debug level only: probes and scrapes come
// every few seconds and say nothing about the users.
func quiet(route string) bool {
	switch route {
	case "GET /livez", "GET /readyz", "GET /healthz", "GET /metrics":
		return true
	}
	return false
}

// logRequest writes the request's log line: its ID, method, path, route,
// status, duration in milliseconds and authenticated user (empty before
// authentication).
func (s *Server) logRequest(r *http.Request, info *requestInfo, route string, status int, d time.Duration) {
	level := slog.LevelInfo
	switch {
	case status >= 500:
		level = slog.LevelError
	case quiet(route):
		level = slog.LevelDebug
	}
	if !s.logger.Enabled(r.Context(), level) {
		return
	}
	user := ""
	if u := info.user.Load(); u != nil {
		user = *u
	}
	s.logger.LogAttrs(r.Context(), level, "request",
		slog.String("request_id", info.id), slog.String("method", r.Method), slog.String("path", r.URL.Path),
		slog.String("route", route), slog.Int("status", status), slog.Float64("duration_ms", float64(d.Microseconds())/1000),
		slog.String("user", user), slog.String("remote", r.RemoteAddr))
}

// LogAuthFailure logs a refused sign-in or token at warning level: how
// the caller tried (auth: "token", "oidc", …), why it failed, the
// request's ID and the client's address. Never pass a secret in reason;
// token failures pass the error's message, which names no token.
func (s *Server) LogAuthFailure(r *http.Request, auth, reason string) {
	attrs := []slog.Attr{slog.String("request_id", RequestID(r.Context())), slog.String("auth", auth),
		slog.String("reason", reason), slog.String("path", r.URL.Path), slog.String("remote", r.RemoteAddr)}
	if fwd := r.Header.Get("X-Forwarded-For"); fwd != "" {
		if len(fwd) > 200 {
			fwd = fwd[:200]
		}
		attrs = append(attrs, slog.String("forwarded_for", fwd))
	}
	s.logger.LogAttrs(r.Context(), slog.LevelWarn, "authentication failed", attrs...)
}
