// SPDX-License-Identifier: EUPL-1.2

package sqlstore

import (
	"sync"

	"github.com/pactum/pactum"
)

// runCache keeps the last runs GetRun decoded. A run's result (its
// outcomes, systems, changes and input: most of a megabyte of JSON for
// 2,000 proposals) never changes once inserted; only its state,
// publication and version do, and GetRun reads those from the row every
// time. Decoding the result was most of a run page's time (12 ms of CPU,
// and on PostgreSQL the transfer of the column on top). Entries are
// clones, and so is what GetRun returns: callers may change their copy.
// A run that is not in the table (deleted, or inserted by a transaction
// that rolled back) is not found whatever the cache holds, as the header
// row is read first.
type runCache struct {
	mu    sync.Mutex
	runs  map[string]cachedRun
	order []string // oldest first
}

type cachedRun struct {
	run *pactum.AllocationRun
	in  *pactum.AllocationRunInput
}

// maxCachedRuns bounds the cache: a few calls' runs and their what-ifs.
const maxCachedRuns = 16

func newRunCache() *runCache { return &runCache{runs: map[string]cachedRun{}} }

// get returns clones of the cached run and input, or false.
func (c *runCache) get(id string) (*pactum.AllocationRun, *pactum.AllocationRunInput, bool) {
	if c == nil {
		return nil, nil, false
	}
	c.mu.Lock()
	e, ok := c.runs[id]
	c.mu.Unlock()
	if !ok {
		return nil, nil, false
	}
	return e.run.Clone(), e.in.Clone(), true
}

// put keeps clones of run and in, forgetting the oldest entry when full.
func (c *runCache) put(run *pactum.AllocationRun, in *pactum.AllocationRunInput) {
	if c == nil {
		return
	}
	e := cachedRun{run: run.Clone(), in: in.Clone()}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.runs[run.ID]; ok {
		return
	}
	if len(c.order) >= maxCachedRuns {
		delete(c.runs, c.order[0])
		c.order = c.order[1:]
	}
	c.runs[run.ID] = e
	c.order = append(c.order, run.ID)
}
