// SPDX-License-Identifier: EUPL-1.2

package http_test

import (
	"bytes"
	"testing"

	"github.com/pactum/pactum/client"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// TestDeliveryAPI: webhook subscriptions (secret once, managers only),
// the caller's e-mail preferences, and the outbox a submission fills,
// strictly against the document, on both engines.
func TestDeliveryAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		s := newScenario(t, dialect)
		ctx, mgr, alice := s.ctx, s.manager, s.alice

		in := client.WebhookInput{Name: "CSC intake", Site: ptr("CSC"), Url: "https://hooks.csc.example/pactum",
			Kinds: &[]string{"proposal.submitted"}}
		cr, err := alice.CreateWebhookWithResponse(ctx, in)
		want(t, cr, err, 403, cr.Body)
		cr, err = mgr.CreateWebhookWithResponse(ctx, client.WebhookInput{Name: "x", Url: "javascript:alert(1)"})
		want(t, cr, err, 400, cr.Body)
		cr, err = mgr.CreateWebhookWithResponse(ctx, client.WebhookInput{Name: "x", Url: "https://h.example/", Kinds: &[]string{"nope"}})
		want(t, cr, err, 400, cr.Body)
		cr, err = mgr.CreateWebhookWithResponse(ctx, in)
		want(t, cr, err, 201, cr.Body)
		hook := strict[client.Webhook](t, cr.Body)
		if hook.Secret == nil || len(*hook.Secret) < 40 {
			t.Fatalf("created without its secret: %+v", hook)
		}
		lr, err := mgr.ListWebhooksWithResponse(ctx)
		want(t, lr, err, 200, lr.Body)
		if l := strict[client.WebhookList](t, lr.Body); l.Total != 1 || l.Items[0].Secret != nil {
			t.Fatalf("listed: %s", lr.Body)
		}
		lr, err = alice.ListWebhooksWithResponse(ctx)
		want(t, lr, err, 403, lr.Body)

		pr, err := alice.SetNotificationPreferenceWithResponse(ctx, client.PreferenceInput{Kind: "nope", Email: false})
		want(t, pr, err, 400, pr.Body)
		pr, err = alice.SetNotificationPreferenceWithResponse(ctx, client.PreferenceInput{Kind: "proposal.screening", Email: false})
		want(t, pr, err, 200, pr.Body)
		gr, err := alice.ListNotificationPreferencesWithResponse(ctx)
		want(t, gr, err, 200, gr.Body)
		off := 0
		for _, p := range strict[client.PreferenceList](t, gr.Body).Items {
			if !p.Email {
				off++
				if p.Kind != "proposal.screening" {
					t.Errorf("turned off: %s", p.Kind)
				}
			}
		}
		if off != 1 {
			t.Fatalf("preferences: %s", gr.Body)
		}

		sr, err := alice.CreateProposalWithBodyWithResponse(ctx, &client.CreateProposalParams{Submit: ptr(true)}, "application/json",
			bytes.NewReader(proposalJSON(t, s.callID, nil)))
		want(t, sr, err, 201, sr.Body)
		dr, err := alice.ListDeliveriesWithResponse(ctx, &client.ListDeliveriesParams{})
		want(t, dr, err, 403, dr.Body)
		dr, err = mgr.ListDeliveriesWithResponse(ctx, &client.ListDeliveriesParams{Channel: ptr(client.ListDeliveriesParamsChannel("webhook"))})
		want(t, dr, err, 200, dr.Body)
		ds := strict[client.DeliveryList](t, dr.Body)
		if ds.Total != 1 || ds.Items[0].Target != hook.Id || ds.Items[0].Kind != "proposal.submitted" || ds.Items[0].State != client.DeliveryStatePending {
			t.Fatalf("deliveries: %s", dr.Body)
		}
		dr, err = mgr.ListDeliveriesWithResponse(ctx, &client.ListDeliveriesParams{State: ptr(client.ListDeliveriesParamsState("lost"))})
		want(t, dr, err, 400, dr.Body)
		rr, err := mgr.RetryDeliveryWithResponse(ctx, ds.Items[0].Id)
		want(t, rr, err, 200, rr.Body)
		rr, err = mgr.RetryDeliveryWithResponse(ctx, "nope")
		want(t, rr, err, 404, rr.Body)

		xr, err := mgr.DeleteWebhookWithResponse(ctx, "nope")
		want(t, xr, err, 404, xr.Body)
		xr, err = mgr.DeleteWebhookWithResponse(ctx, hook.Id)
		want(t, xr, err, 204, xr.Body)
		dr, err = mgr.ListDeliveriesWithResponse(ctx, &client.ListDeliveriesParams{State: ptr(client.ListDeliveriesParamsState("pending"))})
		want(t, dr, err, 200, dr.Body)
		if strict[client.DeliveryList](t, dr.Body).Total != 0 {
			t.Fatalf("the deleted subscription's pending delivery stays: %s", dr.Body)
		}
	})
}
