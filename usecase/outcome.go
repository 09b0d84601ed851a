// SPDX-License-Identifier: EUPL-1.2

package usecase

import (
	"context"
	"fmt"
	"strings"

	"github.com/pactum/pactum"
)

// holderOf returns the allocation of an outcome-to-be if the caller may
// see it (ENOTFOUND otherwise) and is a member of its organization
// (EFORBIDDEN otherwise), with its call.
func holderOf(ctx context.Context, tx pactum.Tx, u *pactum.User, allocationID string) (*pactum.Allocation, string, error) {
	al, _, err := visibleAllocation(ctx, tx, allocationID)
	if err != nil {
		return nil, "", err
	}
	if u.Role != pactum.RoleApplicant || u.OrganizationID != al.OrganizationID {
		return nil, "", pactum.Errorf(pactum.EFORBIDDEN, "Only members of the holding organization enter and change its outcomes.")
	}
	callID, err := tx.GetAllocationCall(ctx, al.ID)
	return al, callID, err
}

// checkOutcomeModel fails with ENOTFOUND unless modelID is "" or a model
// of organization orgID.
func checkOutcomeModel(ctx context.Context, q pactum.Queries, modelID, orgID string) error {
	if modelID == "" {
		return nil
	}
	m, err := q.GetModel(ctx, modelID)
	if err != nil && pactum.ErrorCode(err) != pactum.ENOTFOUND {
		return err
	}
	if m == nil || m.OrganizationID != orgID {
		return &pactum.Error{Code: pactum.ENOTFOUND, Message: fmt.Sprintf("Model %q not found.", modelID),
			Fields: []pactum.FieldError{{Field: "model_id", Message: "is not a model of the allocation's organization"}}}
	}
	return nil
}

// AddOutcome records what came of an allocation (pactum.AllocationOutcome):
// members of the holding organization only (EFORBIDDEN for others who
// see the allocation, ENOTFOUND for those who do not and for a model not
// of the organization); EINVALID names every wrong field, before anything
// is read. Audit-logged whole.
func (a *App) AddOutcome(ctx context.Context, in pactum.OutcomeInput) (*pactum.AllocationOutcome, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	var v pactum.Validator
	v.Check(strings.TrimSpace(in.AllocationID) != "", "allocation_id", "is required")
	v.Check(len(in.AllocationID) <= 100, "allocation_id", "must be at most 100 characters")
	v.Text("allocation_id", in.AllocationID, false)
	v.Merge("", pactum.ValidateOutcome(in.Kind, &in.OutcomeFields, a.now()))
	if err := v.Err("The outcome is not valid."); err != nil {
		return nil, err
	}
	in.Title = strings.TrimSpace(in.Title)
	var out *pactum.AllocationOutcome
	err = a.update(ctx, u, func(tx pactum.Tx) error {
		al, callID, err := holderOf(ctx, tx, u, in.AllocationID)
		if err != nil {
			return err
		}
		if err := checkOutcomeModel(ctx, tx, in.ModelID, al.OrganizationID); err != nil {
			return err
		}
		now := tx.Now()
		o := &pactum.AllocationOutcome{ID: newID(), AllocationID: al.ID, OrganizationID: al.OrganizationID, CallID: callID,
			Kind: in.Kind, OutcomeFields: in.OutcomeFields, CreatedBy: u.ID, CreatedAt: now, UpdatedAt: now, Version: 1}
		if err := tx.InsertOutcome(ctx, o); err != nil {
			return err
		}
		out = o
		return tx.Record("outcome.add", "outcome", o.ID, nil, o)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// visibleOutcome returns outcome id if the caller may see its allocation,
// ENOTFOUND otherwise.
func visibleOutcome(ctx context.Context, q pactum.Queries, u *pactum.User, id string) (*pactum.AllocationOutcome, error) {
	o, err := q.GetOutcome(ctx, id)
	if err != nil {
		return nil, err
	}
	al, site, err := q.GetAllocation(ctx, o.AllocationID)
	if err != nil {
		return nil, err
	}
	if !pactum.CanSeeAllocation(u, al, site) {
		return nil, pactum.Errorf(pactum.ENOTFOUND, "Outcome %q not found.", id)
	}
	return o, nil
}

// UpdateOutcome replaces an outcome's fields, its kind kept: members of
// the holding organization (EFORBIDDEN for others who see it, ENOTFOUND
// for those who do not); ECONFLICT when version (if not 0) is not the
// current one; EINVALID names every wrong field. Writing the fields it
// has changes nothing, so a retry is harmless. Audit-logged, before and
// after.
func (a *App) UpdateOutcome(ctx context.Context, id string, version int, f pactum.OutcomeFields) (*pactum.AllocationOutcome, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	var out *pactum.AllocationOutcome
	err = a.update(ctx, u, func(tx pactum.Tx) error {
		o, err := visibleOutcome(ctx, tx, u, id)
		if err != nil {
			return err
		}
		if _, _, err := holderOf(ctx, tx, u, o.AllocationID); err != nil {
			return err
		}
		if err := pactum.ValidateOutcome(o.Kind, &f, a.now()); err != nil {
			return err
		}
		f.Title = strings.TrimSpace(f.Title)
		if sameOutcomeFields(o.OutcomeFields, f) {
			out = o
			return nil
		}
		if version != 0 && version != o.Version {
			return pactum.Errorf(pactum.ECONFLICT, "Outcome %s was changed since version %d (it is at %d); reload and retry.", o.ID, version, o.Version)
		}
		if err := checkOutcomeModel(ctx, tx, f.ModelID, o.OrganizationID); err != nil {
			return err
		}
		before := *o
		old := o.Version
		o.OutcomeFields, o.UpdatedAt, o.Version = f, tx.Now(), old+1
		if err := tx.UpdateOutcome(ctx, o, old); err != nil {
			return err
		}
		out = o
		return tx.Record("outcome.update", "outcome", o.ID, &before, o)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// sameOutcomeFields reports whether two outcomes' fields are equal.
func sameOutcomeFields(a, b pactum.OutcomeFields) bool {
	ow := func(p *bool) int {
		switch {
		case p == nil:
			return 0
		case *p:
			return 1
		}
		return 2
	}
	if ow(a.OpenWeights) != ow(b.OpenWeights) {
		return false
	}
	a.OpenWeights, b.OpenWeights = nil, nil
	return a == b
}

// RemoveOutcome deletes an outcome: members of the holding organization
// (EFORBIDDEN for others who see it, ENOTFOUND for those who do not and
// for an outcome already removed). Audit-logged with the outcome removed.
func (a *App) RemoveOutcome(ctx context.Context, id string) error {
	u, err := actor(ctx)
	if err != nil {
		return err
	}
	return a.update(ctx, u, func(tx pactum.Tx) error {
		o, err := visibleOutcome(ctx, tx, u, id)
		if err != nil {
			return err
		}
		if _, _, err := holderOf(ctx, tx, u, o.AllocationID); err != nil {
			return err
		}
		if err := tx.DeleteOutcome(ctx, o.ID); err != nil {
			return err
		}
		return tx.Record("outcome.remove", "outcome", o.ID, o, nil)
	})
}

// FindOutcome returns an outcome whose allocation the caller may see,
// ENOTFOUND otherwise.
func (a *App) FindOutcome(ctx context.Context, id string) (*pactum.AllocationOutcome, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	return visibleOutcome(ctx, a.store, u, id)
}

// FindOutcomes lists the outcomes the caller may see, newest first,
// scoped like allocations (reviewers see none). Per allocation: ENOTFOUND
// for one the caller may not see; per organization: ENOTFOUND for an
// applicant naming another; per call: access managers and auditors only
// (EFORBIDDEN).
func (a *App) FindOutcomes(ctx context.Context, f pactum.OutcomeFilter) ([]*pactum.AllocationOutcome, int, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, 0, err
	}
	if f.CallID != nil && !pactum.CanReadAll(u) {
		return nil, 0, pactum.Errorf(pactum.EFORBIDDEN, "Only access managers and auditors list a call's outcomes.")
	}
	if f.Kind != nil && !f.Kind.Valid() {
		return nil, 0, invalid("The filter is not valid.", "kind", "must be one of publication, model, dataset, product, funding")
	}
	if f.OrganizationID != nil && !pactum.CanSeeOrganization(u, *f.OrganizationID) {
		return nil, 0, pactum.Errorf(pactum.ENOTFOUND, "Organization %q not found.", *f.OrganizationID)
	}
	if f.AllocationID != nil {
		if _, _, err := visibleAllocation(ctx, a.store, *f.AllocationID); err != nil {
			return nil, 0, err
		}
	}
	return a.store.ListOutcomes(ctx, pactum.AllocationScope(u), f)
}
