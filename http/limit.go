// SPDX-License-Identifier: EUPL-1.2

package http

import (
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/go-chi/httprate"

	"github.com/pactum/pactum"
)

// Limits share the server fairly between its users: one token running 64
// concurrent 1000-item lists must not starve everyone else. Both limits
// count per user (not per token, so that minting tokens does not raise
// them) and answer 429 Too Many Requests with a Retry-After header. They
// apply to the API's authenticated endpoints only: probes, /metrics and the
// OpenAPI document are exempt.
type Limits struct {
	// Requests is how many requests each user may send per Window
	// (httprate's sliding window); zero disables the limit.
	Requests int
	Window   time.Duration
	// InFlight caps the requests each user has running at once; zero
	// disables the cap.
	InFlight int
}

// DefaultLimits are generous enough for people, scripts and the site agent
// at work, and stop a runaway loop: 1,200 requests a minute (20 a second
// sustained, bursts up to the whole budget), and 8 at once, twice the
// embedded database's readers.
var DefaultLimits = Limits{Requests: 1200, Window: time.Minute, InFlight: 8}

// limiter applies Limits.
type limiter struct {
	rate     *httprate.RateLimiter // nil when Requests is zero
	inflight int
	retry    time.Duration // the Retry-After of a refusal by the in-flight cap

	mu      sync.Mutex
	running map[string]int // requests in flight by user ID
}

func newLimiter(l Limits, refuse http.HandlerFunc) *limiter {
	lim := &limiter{inflight: l.InFlight, retry: time.Second, running: map[string]int{}}
	if l.Requests > 0 {
		lim.rate = httprate.NewRateLimiter(l.Requests, l.Window, httprate.WithLimitHandler(refuse))
	}
	return lim
}

// admit reports whether user may run r now, counting it. When it returns
// true the caller must call done(user) when r has been served; when false,
// admit has answered 429 with a Retry-After header. The cap on requests at
// once is checked first, so that a request it refuses does not spend the
// user's rate budget.
func (s *Server) admit(w http.ResponseWriter, r *http.Request, user string) bool {
	l := s.limits
	if l.inflight > 0 {
		l.mu.Lock()
		n := l.running[user]
		if n < l.inflight {
			l.running[user] = n + 1
		}
		l.mu.Unlock()
		if n >= l.inflight {
			w.Header().Set("Retry-After", fmt.Sprint(int(l.retry.Seconds())))
			s.Error(w, r, pactum.Errorf(pactum.ETOOMANY,
				"You have %d requests running; wait for one to finish (at most %d at once).", n, l.inflight))
			return false
		}
	}
	if l.rate != nil && l.rate.RespondOnLimit(w, r, user) {
		s.done(user)
		return false
	}
	return true
}

// done ends a request admit let through.
func (s *Server) done(user string) {
	l := s.limits
	if l.inflight <= 0 {
		return
	}
	l.mu.Lock()
	if l.running[user] <= 1 {
		delete(l.running, user)
	} else {
		l.running[user]--
	}
	l.mu.Unlock()
}

// rateLimited answers a request refused by the rate limit; httprate has
// set Retry-After already.
func (s *Server) rateLimited(w http.ResponseWriter, r *http.Request) {
	s.Error(w, r, pactum.Errorf(pactum.ETOOMANY,
		"Too many requests: at most %d every %d seconds for each user; retry after %s seconds.",
		s.cfg.Limits.Requests, int(s.cfg.Limits.Window.Seconds()), w.Header().Get("Retry-After")))
}
