// SPDX-License-Identifier: EUPL-1.2

package http_test

import (
	"slices"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/client"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// TestModelHoldAPI: the call's hold term (PATCH), a held model in the
// compute record, admission and desired state, and its acknowledgement,
// strictly against the document, on both engines.
func TestModelHoldAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		s := newScenario(t, dialect)
		c := &agentCast{scenario: s, bob: s.bob(t)}
		c.op = s.user(t, client.UserInput{Email: "ops@csc.example", Name: "Ops", Role: client.SiteOperator, Site: ptr("CSC")})
		ctx, mgr, alice := s.ctx, s.manager, s.alice

		ur, err := alice.UpdateCallWithResponse(ctx, s.callID, client.CallUpdate{HoldModelsAtSystemicRisk: ptr(true)})
		want(t, ur, err, 403, ur.Body)
		ur, err = mgr.UpdateCallWithResponse(ctx, s.callID, client.CallUpdate{})
		want(t, ur, err, 400, ur.Body)
		ur, err = mgr.UpdateCallWithResponse(ctx, "nope", client.CallUpdate{HoldModelsAtSystemicRisk: ptr(true)})
		want(t, ur, err, 404, ur.Body)
		ur, err = mgr.UpdateCallWithResponse(ctx, s.callID, client.CallUpdate{HoldModelsAtSystemicRisk: ptr(true)})
		want(t, ur, err, 200, ur.Body)
		if call := strict[client.Call](t, ur.Body); !call.HoldModelsAtSystemicRisk {
			t.Fatalf("call: %+v", call)
		}

		c.award(t)
		mr, err := alice.CreateModelWithResponse(ctx, client.ModelInput{Name: "lex", Version: "2", PriorTrainingFlop: ptr(9.9e24)})
		want(t, mr, err, 201, mr.Body)
		m := strict[client.Model](t, mr.Body)
		mr, err = alice.CreateModelWithResponse(ctx, client.ModelInput{Name: "lex", Version: "3"})
		want(t, mr, err, 201, mr.Body)
		other := strict[client.Model](t, mr.Body)

		start := s.clock.Now().Add(-31 * 24 * time.Hour)
		end := start.Add(30 * 24 * time.Hour)
		phase := client.PhasePreTraining
		ir, err := c.op.IngestUsageWithResponse(ctx, client.UsageBatch{Cluster: "lumi", Records: []client.UsageRecordInput{{
			JobId: "1", Account: pactum.AllocationAccount(c.alloc.Id), Username: "ada", State: "COMPLETED", Final: true,
			StartAt: &start, EndAt: &end, ElapsedSeconds: 30 * 86400, GpuSeconds: 1024 * 30 * 86400, NodeSeconds: 256 * 30 * 86400,
			CpuSeconds: 8192 * 30 * 86400, Model: ptr("lex@2"), Phase: &phase}}})
		want(t, ir, err, 200, ir.Body)

		cr, err := alice.GetModelComputeWithResponse(ctx, m.Id)
		want(t, cr, err, 200, cr.Body)
		if mc := strict[client.ModelCompute](t, cr.Body); mc.Hold == nil || mc.Hold.AcknowledgedAt != nil || mc.Hold.CallId != s.callID {
			t.Fatalf("hold: %+v", mc.Hold)
		}
		ar, err := alice.GetAdmissionWithResponse(ctx, c.alloc.Id)
		want(t, ar, err, 200, ar.Body)
		if ad := strict[client.Admission](t, ar.Body); ad.HeldModels == nil || !slices.Equal(*ad.HeldModels, []string{"lex@2"}) {
			t.Errorf("admission: %+v", ad.HeldModels)
		}
		dr, err := c.op.GetSiteDesiredStateWithResponse(ctx, "CSC", &client.GetSiteDesiredStateParams{})
		want(t, dr, err, 200, dr.Body)
		if st := strict[client.SiteState](t, dr.Body); st.Allocations[0].HeldModels == nil || !slices.Equal(*st.Allocations[0].HeldModels, []string{"lex@2"}) {
			t.Errorf("desired state: %+v", st.Allocations[0].HeldModels)
		}

		ack := client.ModelHoldAck{Note: "The provider notified the AI Office."}
		kr, err := alice.AcknowledgeModelHoldWithResponse(ctx, m.Id, &client.AcknowledgeModelHoldParams{}, ack)
		want(t, kr, err, 403, kr.Body)
		kr, err = c.bob.AcknowledgeModelHoldWithResponse(ctx, m.Id, &client.AcknowledgeModelHoldParams{}, ack)
		want(t, kr, err, 404, kr.Body)
		kr, err = mgr.AcknowledgeModelHoldWithResponse(ctx, other.Id, &client.AcknowledgeModelHoldParams{}, ack)
		want(t, kr, err, 409, kr.Body)
		kr, err = mgr.AcknowledgeModelHoldWithResponse(ctx, m.Id, &client.AcknowledgeModelHoldParams{}, client.ModelHoldAck{Note: ""})
		want(t, kr, err, 400, kr.Body)
		kr, err = mgr.AcknowledgeModelHoldWithResponse(ctx, m.Id, &client.AcknowledgeModelHoldParams{}, ack)
		want(t, kr, err, 200, kr.Body)
		if h := strict[client.ModelHold](t, kr.Body); h.AcknowledgedAt == nil || h.Note == nil || *h.Note != ack.Note || h.Model != "lex@2" {
			t.Fatalf("acknowledged: %+v", h)
		}
		ar, err = alice.GetAdmissionWithResponse(ctx, c.alloc.Id)
		want(t, ar, err, 200, ar.Body)
		if ad := strict[client.Admission](t, ar.Body); ad.HeldModels != nil && len(*ad.HeldModels) != 0 {
			t.Errorf("held after the acknowledgement: %v", *ad.HeldModels)
		}
	})
}
