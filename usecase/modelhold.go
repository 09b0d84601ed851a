// SPDX-License-Identifier: EUPL-1.2

package usecase

import (
	"context"
	"fmt"
	"strings"

	"github.com/pactum/pactum"
)

// holdModel holds m when its organization has an allocation of a call
// whose terms hold models (pactum.Call.HoldModelsAtSystemicRisk), in the
// transaction that recorded al, the alert that starts Art. 52(1)'s two
// weeks: audit-logged, and the model's creator and the access managers
// told why and what to do. A model is held once; nothing happens when it
// was held before, acknowledged or not.
func (a *App) holdModel(ctx context.Context, tx pactum.Tx, m *pactum.Model, al pactum.ComputeAlert) error {
	callID, err := tx.HoldingCall(ctx, m.OrganizationID)
	if err != nil || callID == "" {
		return err
	}
	h := &pactum.ModelHold{ModelID: m.ID, Model: m.Label(), OrganizationID: m.OrganizationID, CallID: callID,
		Reason: pactum.HoldReason(m.Label(), al), HeldAt: tx.Now()}
	isNew, err := tx.InsertModelHold(ctx, h)
	if err != nil || !isNew {
		return err
	}
	if err := tx.Record("model.hold", "model", m.ID, nil, h); err != nil {
		return err
	}
	subject := fmt.Sprintf("Model %s is held: its jobs wait for an access manager", m.Label())
	toHolder := h.Reason + " Pending jobs of " + m.Label() + " under the call's allocations are held by the sites, and pactum job submit refuses new ones there. " +
		"Prepare the Art. 52 notification (see pactum models compute " + m.ID + ") and tell the access managers when it is sent."
	toManagers := h.Reason + " Check with the provider that the Art. 52 notification is under way, then release the model with: pactum models acknowledge " +
		m.ID + " --note TEXT"
	if err := a.notify(ctx, tx, &pactum.Notification{UserID: m.CreatedBy, Kind: pactum.NotifyModelHold, Subject: subject, Body: toHolder}); err != nil {
		return err
	}
	return a.notifyManagers(ctx, tx, pactum.NotifyModelHold, subject, toManagers)
}

// notifyManagers notifies every access manager.
func (a *App) notifyManagers(ctx context.Context, tx pactum.Tx, kind, subject, body string) error {
	role := pactum.RoleAccessManager
	managers, _, err := tx.ListUsers(ctx, pactum.Scope{All: true}, pactum.UserFilter{Role: &role, Limit: 1000})
	if err != nil {
		return err
	}
	for _, u := range managers {
		if err := a.notify(ctx, tx, &pactum.Notification{UserID: u.ID, Kind: kind, Subject: subject, Body: body}); err != nil {
			return err
		}
	}
	return nil
}

// AcknowledgeModelHold releases a held model with the access manager's
// note, recorded in the audit log; the model's creator is told. Access
// managers only (EFORBIDDEN for other roles that may see the model,
// ENOTFOUND for a model the caller may not see); EINVALID for an empty
// note; ECONFLICT for a model that was never held. Acknowledging again
// returns the first acknowledgement unchanged, so a retried request is
// harmless.
func (a *App) AcknowledgeModelHold(ctx context.Context, ref, note string) (*pactum.ModelHold, error) {
	u, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	var out *pactum.ModelHold
	err = a.update(ctx, u, func(tx pactum.Tx) error {
		m, err := visibleModel(ctx, tx, u, ref)
		if err != nil {
			return err
		}
		if !pactum.HasRole(u, pactum.RoleAccessManager) {
			return pactum.Errorf(pactum.EFORBIDDEN, "Only access managers acknowledge a model's hold.")
		}
		if err := pactum.ValidateHoldNote(note); err != nil {
			return err
		}
		h, err := tx.GetModelHold(ctx, m.ID)
		if pactum.ErrorCode(err) == pactum.ENOTFOUND {
			return pactum.Errorf(pactum.ECONFLICT, "Model %s is not held: there is nothing to acknowledge.", m.Label())
		} else if err != nil {
			return err
		}
		if !h.Held() {
			out = h // a retried request changes nothing
			return nil
		}
		now := tx.Now()
		h.AcknowledgedAt, h.AcknowledgedBy, h.Note = &now, u.ID, strings.TrimSpace(note)
		if err := tx.AcknowledgeModelHold(ctx, h); err != nil {
			return err
		}
		out = h
		if err := tx.Record("model.acknowledge_hold", "model", m.ID, nil, h); err != nil {
			return err
		}
		return a.notify(ctx, tx, &pactum.Notification{UserID: m.CreatedBy, Kind: pactum.NotifyModelHold,
			Subject: fmt.Sprintf("Model %s is released", m.Label()),
			Body:    fmt.Sprintf("An access manager acknowledged the hold of %s: %s The sites release its held jobs at their next cycle.", m.Label(), h.Note)})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
