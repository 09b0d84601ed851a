// SPDX-License-Identifier: EUPL-1.2

package usecase

import (
	"context"
	"sync"
	"time"

	"github.com/pactum/pactum"
)

// refCache keeps what every submission and every request reads: the
// systems catalogue, calls, organizations, and authenticated tokens.
// Calls change little once opened (only their hold term,
// UpdateCallTerms, which drops them here); the catalogue changes rarely, is dropped
// here when this process changes it, and is re-read at least every
// systemsTTL so that a change made through another server on the same
// PostgreSQL database shows soon. Capacity checks never use it: the store
// reads the catalogue inside its reservation.
//
// Cached values are shared: callers must not modify them.
type refCache struct {
	mu        sync.Mutex
	systems   map[string]*pactum.System
	systemsAt time.Time
	calls     map[string]*pactum.Call
	orgs      map[string]cachedOrg
	tokens    map[string]cachedToken
	allocs    map[string]cachedAlloc
}

// cachedAlloc is an allocation as usage ingest reads it before its
// transaction (App.hostedAllocations).
type cachedAlloc struct {
	h  pactum.HostedAllocation
	at time.Time
}

type cachedOrg struct {
	org *pactum.Organization
	at  time.Time
}

// cachedToken is an authenticated token: the user and the token's own
// limits, so expiry is still checked on every request.
type cachedToken struct {
	user      *pactum.User
	tokenID   string
	expiresAt *time.Time
	scope     pactum.TokenScope
	at        time.Time
	// epoch is the store's credential epoch the entry was read at; an
	// entry of another epoch is read again (App.Authenticate).
	epoch int64
}

const (
	systemsTTL = 30 * time.Second
	orgsTTL    = 30 * time.Second
	// tokenTTL bounds how long a token is answered from memory. A token
	// revoked or a user deactivated or changed on any instance is read
	// afresh at once all the same: every change raises the store's
	// credential epoch, which each request compares (App.Authenticate);
	// the TTL only bounds what the epoch does not cover (a user's role
	// changed by hand in SQL).
	tokenTTL  = 30 * time.Second
	maxCalls  = 1024
	maxOrgs   = 4096
	maxTokens = 4096
	// allocsTTL bounds how long usage ingest on this instance uses an
	// allocation's state as another instance left it; see
	// App.hostedAllocations for why a stale state is harmless.
	allocsTTL = 30 * time.Second
	maxAllocs = 1 << 16
)

func (c *refCache) dropSystems() {
	c.mu.Lock()
	c.systems = nil
	c.allocs = nil // a system may have moved to another site
	c.mu.Unlock()
}

// systems returns the catalogue by ID.
func (a *App) systems(ctx context.Context) (map[string]*pactum.System, error) {
	c := &a.cache
	c.mu.Lock()
	if c.systems != nil && time.Since(c.systemsAt) < systemsTTL {
		m := c.systems
		c.mu.Unlock()
		return m, nil
	}
	c.mu.Unlock()
	m, err := systemMap(ctx, a.store)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.systems, c.systemsAt = m, time.Now()
	c.mu.Unlock()
	return m, nil
}

// systemMap reads the catalogue keyed by ID.
func systemMap(ctx context.Context, q pactum.Queries) (map[string]*pactum.System, error) {
	list, err := q.ListSystems(ctx)
	if err != nil {
		return nil, err
	}
	return pactum.SystemsByID(list), nil
}

func (c *refCache) dropCall(id string) {
	c.mu.Lock()
	delete(c.calls, id)
	c.mu.Unlock()
}

// call returns a call by ID, or ENOTFOUND.
func (a *App) call(ctx context.Context, id string) (*pactum.Call, error) {
	c := &a.cache
	c.mu.Lock()
	call := c.calls[id]
	c.mu.Unlock()
	if call != nil {
		return call, nil
	}
	call, err := a.store.GetCall(ctx, id)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.calls == nil || len(c.calls) >= maxCalls {
		c.calls = map[string]*pactum.Call{}
	}
	c.calls[id] = call
	c.mu.Unlock()
	return call, nil
}

// organization returns an organization by ID, or ENOTFOUND.
func (a *App) organization(ctx context.Context, id string) (*pactum.Organization, error) {
	c := &a.cache
	c.mu.Lock()
	e, ok := c.orgs[id]
	c.mu.Unlock()
	if ok && time.Since(e.at) < orgsTTL {
		return e.org, nil
	}
	o, err := a.store.GetOrganization(ctx, id)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.orgs == nil || len(c.orgs) >= maxOrgs {
		c.orgs = map[string]cachedOrg{}
	}
	c.orgs[id] = cachedOrg{org: o, at: time.Now()}
	c.mu.Unlock()
	return o, nil
}

// hostedAllocations returns the allocations among ids, with their sites,
// for usage ingest, from the cache where it has them: each batch names
// hundreds of allocations, and reading them was a tenth of the ingest.
// What ingest takes from them never changes (unit, amount, organization,
// system) or changes rarely and is re-read at least every allocsTTL (the
// system's site, through the catalogue). Their state may be stale: ingest
// reads it again inside its transaction before exhausting an allocation
// (crossThresholds), so a cached "active" costs one read; a cached
// "exhausted" or "suspended" of an allocation another instance has just
// resumed delays its exhaustion by at most allocsTTL, while the cluster's
// own limit already holds its jobs. This instance forgets an allocation
// whose state it changes (TransitionAllocation).
func (a *App) hostedAllocations(ctx context.Context, ids []string) ([]pactum.HostedAllocation, error) {
	c := &a.cache
	out := make([]pactum.HostedAllocation, 0, len(ids))
	var missing []string
	c.mu.Lock()
	for _, id := range ids {
		if e, ok := c.allocs[id]; ok && time.Since(e.at) < allocsTTL {
			out = append(out, e.h)
		} else {
			missing = append(missing, id)
		}
	}
	c.mu.Unlock()
	if len(missing) == 0 {
		return out, nil
	}
	found, err := a.store.ListHostedAllocations(ctx, missing)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	c.mu.Lock()
	if c.allocs == nil || len(c.allocs)+len(found) > maxAllocs {
		c.allocs = make(map[string]cachedAlloc, len(found))
	}
	for _, h := range found {
		c.allocs[h.Allocation.ID] = cachedAlloc{h: h, at: now}
	}
	c.mu.Unlock()
	return append(out, found...), nil
}

func (c *refCache) dropAllocation(id string) {
	c.mu.Lock()
	delete(c.allocs, id)
	c.mu.Unlock()
}

func (c *refCache) token(hash string) (cachedToken, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.tokens[hash]
	if !ok || time.Since(e.at) >= tokenTTL {
		return cachedToken{}, false
	}
	return e, true
}

func (c *refCache) putToken(hash string, e cachedToken) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.tokens == nil || len(c.tokens) >= maxTokens {
		c.tokens = map[string]cachedToken{}
	}
	c.tokens[hash] = e
}

// dropUser forgets every token of a user whose record changed, so that the
// next request reads it afresh.
func (c *refCache) dropUser(userID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for h, e := range c.tokens {
		if e.user.ID == userID {
			delete(c.tokens, h)
		}
	}
}

// dropToken forgets a token, by its ID, when it is revoked.
func (c *refCache) dropToken(tokenID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for h, e := range c.tokens {
		if e.tokenID == tokenID {
			delete(c.tokens, h)
		}
	}
}
