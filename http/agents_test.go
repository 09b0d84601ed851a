// SPDX-License-Identifier: EUPL-1.2

package http_test

import (
	"context"
	"testing"

	"github.com/pactum/pactum/client"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// TestListAgentsAPI: after a heartbeat, GET /api/v1/agents shows the
// agent's last contact, in the documented shape; a site operator sees
// their own site and not another (404); an applicant is refused.
func TestListAgentsAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		e := newEnv(t, dialect)
		ctx := context.Background()
		op := e.user(t, client.UserInput{Email: "ops@csc.example", Name: "Ops", Role: client.SiteOperator, Site: ptr("CSC")})
		hb, err := op.AgentHeartbeatWithResponse(ctx, "CSC", client.AgentHeartbeat{Cluster: "lumi", Holder: "login1:42", Result: ptr("ok")})
		want(t, hb, err, 200, hb.Body)

		r, err := e.manager.ListAgentsWithResponse(ctx, &client.ListAgentsParams{})
		want(t, r, err, 200, r.Body)
		list := strict[client.AgentStatusList](t, r.Body)
		found := false
		for _, a := range list.Items {
			if a.Site == "CSC" && a.Cluster != nil && *a.Cluster == "lumi" {
				found = true
				if a.State != client.Ok || a.Silent || a.LastContact == nil || !a.LastContact.Equal(hb.JSON200.RenewedAt) || *a.Holder != "login1:42" {
					t.Errorf("CSC/lumi: %+v", a)
				}
			}
		}
		if !found || list.Total != len(list.Items) {
			t.Fatalf("CSC/lumi not listed: %s", r.Body)
		}

		r, err = op.ListAgentsWithResponse(ctx, &client.ListAgentsParams{})
		want(t, r, err, 200, r.Body)
		if l := strict[client.AgentStatusList](t, r.Body); l.Total != 1 || l.Items[0].Site != "CSC" {
			t.Errorf("operator's view: %s", r.Body)
		}
		r, err = op.ListAgentsWithResponse(ctx, &client.ListAgentsParams{Site: ptr("CINECA")})
		want(t, r, err, 404, r.Body)
		app, _ := e.applicant(t, "Aleph Lingua GmbH", "DE", "ada@aleph.example")
		r, err = app.ListAgentsWithResponse(ctx, &client.ListAgentsParams{})
		want(t, r, err, 403, r.Body)
	})
}
