// SPDX-License-Identifier: EUPL-1.2

package usecase

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/pactum/pactum"
)

// crossComputeAlerts records the alerts that the batch's additions to
// cumulative compute reached for the first time: on a model's estimate
// (with its declared base and prior compute) and on an organization's
// upper bound. Each is an audit event; the model's creator and, for the
// systemic-risk threshold and any upper bound, the access managers are
// notified.
func (a *App) crossComputeAlerts(ctx context.Context, tx pactum.Tx, bt *batch, added, after map[string]float64) error {
	for _, subject := range slices.Sorted(maps.Keys(added)) {
		offset, label := 0.0, ""
		var m *pactum.Model
		if num, ok := strings.CutPrefix(subject, "model:"); ok {
			n, _ := strconv.ParseInt(num, 10, 64)
			if m = bt.models[n]; m == nil {
				continue // a stored record's model, going down only
			}
			offset, label = m.BaseModelFLOP+m.PriorTrainingFLOP, m.Label()
		}
		for _, tf := range pactum.AlertsCrossed(after[subject]-added[subject], after[subject], offset, a.alertFractions) {
			al := pactum.ComputeAlert{Subject: subject, Threshold: tf[0], Fraction: tf[1], FLOP: after[subject] + offset, CrossedAt: tx.Now()}
			isNew, err := tx.InsertComputeAlert(ctx, al)
			if err != nil {
				return err
			}
			if !isNew {
				continue
			}
			subjType, subjID := "organization", strings.TrimPrefix(subject, "org:")
			if m != nil {
				subjType, subjID = "model", m.ID
			}
			if err := tx.Record("compute.threshold_alert", subjType, subjID, nil, al); err != nil {
				return err
			}
			if err := a.notifyAlert(ctx, tx, m, label, al); err != nil {
				return err
			}
			if m != nil && al.Notifiable() {
				if err := a.holdModel(ctx, tx, m, al); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// notifyAlert tells the model's creator of an alert on its estimate, and
// the access managers of the systemic-risk threshold's and of every upper
// bound's.
func (a *App) notifyAlert(ctx context.Context, tx pactum.Tx, m *pactum.Model, label string, al pactum.ComputeAlert) error {
	thr := "10^23 FLOP (general-purpose model)"
	if al.Threshold >= pactum.SystemicRiskThresholdFLOP {
		thr = "10^25 FLOP (systemic risk, AI Act Art. 51(2))"
	}
	var to []string
	var subject, body string
	if m != nil {
		subject = fmt.Sprintf("Model %s reached %.0f %% of %s", label, al.Fraction*100, thr)
		body = fmt.Sprintf("The cumulative training compute of %s is now %s FLOP (±30 %%), %.0f %% of %s. ", label, pactum.TwoSF(al.FLOP), al.Fraction*100, thr)
		if al.Notifiable() {
			body += "The provider must notify the Commission within two weeks of meeting the threshold or of knowing it will be met (Art. 52(1)): see the draft in pactum models compute. "
		}
		to = append(to, m.CreatedBy)
	} else {
		subject = fmt.Sprintf("An organization's upper bound reached %.0f %% of %s", al.Fraction*100, thr)
		body = fmt.Sprintf("Counting every GPU-hour of organization %s as training of one model gives %s FLOP. Check how its jobs are labelled. ",
			strings.TrimPrefix(al.Subject, "org:"), pactum.TwoSF(al.FLOP))
	}
	if m == nil || al.Threshold >= pactum.SystemicRiskThresholdFLOP {
		role := pactum.RoleAccessManager
		managers, _, err := tx.ListUsers(ctx, pactum.Scope{All: true}, pactum.UserFilter{Role: &role, Limit: 1000})
		if err != nil {
			return err
		}
		for _, u := range managers {
			to = append(to, u.ID)
		}
	}
	for _, id := range to {
		if err := a.notify(ctx, tx, &pactum.Notification{UserID: id, Kind: pactum.NotifyComputeAlert, Subject: subject, Body: body}); err != nil {
			return err
		}
	}
	return nil
}
