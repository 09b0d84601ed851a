// SPDX-License-Identifier: EUPL-1.2

package sqlstore

import (
	"context"
	"sync"
	"time"

	"github.com/pactum/pactum"
)

// refCache keeps the reference data every submission reads: the systems
// catalogue and calls. Calls never change once opened; the catalogue
// changes rarely, is dropped here when this process changes it, and is
// re-read at least every systemsTTL so that a change made through another
// server on the same PostgreSQL database shows soon. Capacity checks never
// use it: they read the catalogue inside their statement.
//
// Cached values are shared: callers must not modify them.
type refCache struct {
	mu        sync.Mutex
	systems   map[string]*pactum.System
	systemsAt time.Time
	calls     map[string]*pactum.Call
}

const (
	systemsTTL = 30 * time.Second
	maxCalls   = 1024
)

func (c *refCache) dropSystems() {
	c.mu.Lock()
	c.systems = nil
	c.mu.Unlock()
}

// cachedSystems returns the catalogue by ID.
func (db *DB) cachedSystems(ctx context.Context) (map[string]*pactum.System, error) {
	c := &db.cache
	c.mu.Lock()
	if c.systems != nil && time.Since(c.systemsAt) < systemsTTL {
		m := c.systems
		c.mu.Unlock()
		return m, nil
	}
	c.mu.Unlock()
	m, err := systemMap(ctx, db.r)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.systems, c.systemsAt = m, time.Now()
	c.mu.Unlock()
	return m, nil
}

// cachedCall returns a call by ID, or ENOTFOUND.
func (db *DB) cachedCall(ctx context.Context, id string) (*pactum.Call, error) {
	c := &db.cache
	c.mu.Lock()
	call := c.calls[id]
	c.mu.Unlock()
	if call != nil {
		return call, nil
	}
	call, err := findCallByID(ctx, db.r, id)
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
