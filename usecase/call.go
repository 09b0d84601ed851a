// SPDX-License-Identifier: EUPL-1.2

package usecase

import (
	"context"
	"fmt"
	"time"

	"github.com/pactum/pactum"
)

// CreateCall opens a call. Access managers only. EINVALID for bad fields or
// systems the catalogue does not have.
func (a *App) CreateCall(ctx context.Context, c *pactum.Call) error {
	u, err := manager(ctx, "open calls")
	if err != nil {
		return err
	}
	var v pactum.Validator
	v.Merge("", c.Validate(a.clock()))
	return a.update(ctx, u, func(tx pactum.Tx) error {
		systems, err := systemMap(ctx, tx)
		if err != nil {
			return err
		}
		for i, id := range c.SystemIDs {
			v.Check(systems[id] != nil, fmt.Sprintf("system_ids[%d]", i), "names no system in the catalogue: %q", id)
		}
		if err := v.Err("The call is not valid."); err != nil {
			return err
		}
		c.ID, c.CreatedAt = newID(), tx.Now()
		c.OpensAt, c.CutoffAt = c.OpensAt.UTC().Truncate(time.Microsecond), c.CutoffAt.UTC().Truncate(time.Microsecond)
		if err := tx.InsertCall(ctx, c); err != nil {
			return err
		}
		return tx.Record("call.create", "call", c.ID, nil, c)
	})
}

// FindCallByID returns a call; any authenticated caller may read calls.
func (a *App) FindCallByID(ctx context.Context, id string) (*pactum.Call, error) {
	if _, err := actor(ctx); err != nil {
		return nil, err
	}
	return a.store.GetCall(ctx, id)
}

// FindCalls lists calls, newest first, and the total matching.
func (a *App) FindCalls(ctx context.Context, f pactum.CallFilter) ([]*pactum.Call, int, error) {
	if _, err := actor(ctx); err != nil {
		return nil, 0, err
	}
	return a.store.ListCalls(ctx, f)
}

// UpdateCallTerms changes the call's terms given in t (pactum.CallTerms),
// in one transaction, audit-logged with the call before and after.
// Access managers only (EFORBIDDEN); ENOTFOUND for an unknown call;
// EINVALID when t names no term. Setting what is set changes nothing and
// records nothing, so a retry is harmless.
func (a *App) UpdateCallTerms(ctx context.Context, id string, t pactum.CallTerms) (*pactum.Call, error) {
	u, err := manager(ctx, "change a call's terms")
	if err != nil {
		return nil, err
	}
	if t.Empty() {
		return nil, pactum.Errorf(pactum.EINVALID, "Nothing to change: give hold_models_at_systemic_risk or block_overdue_organizations.")
	}
	var out *pactum.Call
	err = a.update(ctx, u, func(tx pactum.Tx) error {
		c, err := tx.GetCall(ctx, id)
		if err != nil {
			return err
		}
		out = c
		before := *c
		if !t.Apply(c) {
			return nil
		}
		if err := tx.SetCallTerms(ctx, c); err != nil {
			return err
		}
		return tx.Record("call.update", "call", c.ID, &before, c)
	})
	if err != nil {
		return nil, err
	}
	a.cache.dropCall(id)
	return out, nil
}

// CallDemand returns, for each system of the call in the call's order,
// what its submitted proposals request and its decisions granted against
// the system's capacity. Access managers and auditors (EFORBIDDEN
// otherwise); ENOTFOUND for an unknown call.
func (a *App) CallDemand(ctx context.Context, callID string) ([]pactum.SystemDemand, error) {
	if _, err := reader(ctx, "see a call's demand"); err != nil {
		return nil, err
	}
	var out []pactum.SystemDemand
	err := pactum.View(ctx, a.store, func(q pactum.Queries) error {
		c, err := q.GetCall(ctx, callID)
		if err != nil {
			return err
		}
		req, granted, err := q.SumCallDemand(ctx, callID)
		if err != nil {
			return err
		}
		systems, err := systemMap(ctx, q)
		if err != nil {
			return err
		}
		for _, id := range c.SystemIDs {
			d := pactum.SystemDemand{SystemID: id, Requested: req[id], Granted: granted[id]}
			if s := systems[id]; s != nil {
				d.Capacity = s.CapacityPerPeriod
			}
			out = append(out, d)
		}
		return nil
	})
	return out, err
}
