// SPDX-License-Identifier: EUPL-1.2

package http_test

import (
	"bytes"
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/client"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// agentCast is a scenario for the site agent: Ada's fast-lane award on
// LUMI-G (CSC), Bob of another organization, and CSC's operator.
type agentCast struct {
	*scenario
	bob, op *client.ClientWithResponses
	alloc   client.Allocation
}

// TestSiteAgentAPI walks the site agent's endpoints through the generated
// client, decoding every response strictly against the OpenAPI document:
// a cluster username, the desired state, conditions and admission, usage
// ingestion and reads, drift reports.
func TestSiteAgentAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		s := newScenario(t, dialect)
		c := &agentCast{scenario: s, bob: s.bob(t)}
		c.op = s.user(t, client.UserInput{Email: "ops@csc.example", Name: "Ops", Role: client.SiteOperator, Site: ptr("CSC")})
		c.award(t)
		c.usernames(t)
		d := c.desiredState(t)
		c.admission(t, d)
		c.usage(t, d)
		c.models(t, d)
		c.drift(t, d)
	})
}

// award has Ada's fast-lane proposal on LUMI-G approved; the default rules
// attach transparency conditions (AI Act Art. 50) to the award.
func (c *agentCast) award(t *testing.T) {
	ctx, alice := c.ctx, c.alice
	cr, err := alice.CreateProposalWithBodyWithResponse(ctx, &client.CreateProposalParams{Submit: ptr(true)}, "application/json",
		bytes.NewReader(proposalJSON(t, c.callID, func(p *pactum.Proposal) { p.Requests[0].SystemID = "lumi-g" })))
	want(t, cr, err, 201, cr.Body)
	p := strict[client.Proposal](t, cr.Body)
	ar, err := alice.ListAllocationsWithResponse(ctx, &client.ListAllocationsParams{ProposalId: &p.Id})
	want(t, ar, err, 200, ar.Body)
	c.alloc = strict[client.AllocationList](t, ar.Body).Items[0]
	if c.alloc.Conditions == nil || len(*c.alloc.Conditions) == 0 {
		t.Fatalf("expected award conditions from the default rules: %+v", c.alloc)
	}
}

// usernames has the manager give Ada her cluster username (she may not set
// it herself, and it must be a valid one), and register Cy with his.
func (c *agentCast) usernames(t *testing.T) {
	ctx := c.ctx
	me, err := c.alice.GetMeWithResponse(ctx)
	want(t, me, err, 200, me.Body)
	ur, err := c.manager.SetUsernameWithResponse(ctx, me.JSON200.Id, client.UsernameInput{Username: "ada"})
	want(t, ur, err, 200, ur.Body)
	if u := strict[client.User](t, ur.Body); u.Username == nil || *u.Username != "ada" {
		t.Fatalf("username: %+v", u)
	}
	ur, err = c.alice.SetUsernameWithResponse(ctx, me.JSON200.Id, client.UsernameInput{Username: "ada2"})
	want(t, ur, err, 403, ur.Body)
	ur, err = c.manager.SetUsernameWithResponse(ctx, me.JSON200.Id, client.UsernameInput{Username: "Ada Lovelace"})
	want(t, ur, err, 400, ur.Body)
	cu, err := c.manager.CreateUserWithResponse(ctx, client.UserInput{Email: "cy@aleph.example", Name: "Cy", Role: client.Applicant,
		OrganizationId: &c.orgA, Username: ptr("cy")})
	want(t, cu, err, 201, cu.Body)
}

// desiredState checks what the operator is told: the account exists,
// suspended until the conditions are met, with both members. It returns
// the award's desired state.
func (c *agentCast) desiredState(t *testing.T) client.DesiredAllocation {
	ctx, alloc := c.ctx, c.alloc
	dr, err := c.op.GetSiteDesiredStateWithResponse(ctx, "CSC", &client.GetSiteDesiredStateParams{})
	want(t, dr, err, 200, dr.Body)
	st := strict[client.SiteState](t, dr.Body)
	if st.Root != "pactum" || len(st.Allocations) != 1 {
		t.Fatalf("desired state: %+v", st)
	}
	d := st.Allocations[0]
	if d.Account != pactum.AllocationAccount(alloc.Id) || !d.Suspended || d.Remove || !slices.Equal(d.Users, []string{"ada", "cy"}) ||
		d.Unit != client.GpuHours || d.Amount != alloc.Amount || d.State != client.PendingProvisioning {
		t.Errorf("desired allocation: %+v", d)
	}
	dr, err = c.alice.GetSiteDesiredStateWithResponse(ctx, "CSC", &client.GetSiteDesiredStateParams{})
	want(t, dr, err, 403, dr.Body)
	// A typo in the system is a 404, not an empty list an agent would
	// apply by removing everything.
	typo := "leonardo"
	dr, err = c.op.GetSiteDesiredStateWithResponse(ctx, "CSC", &client.GetSiteDesiredStateParams{SystemId: &typo})
	want(t, dr, err, 404, dr.Body)
	return d
}

// admission checks that admission explains every reason, and that meeting
// the conditions and provisioning the account removes them.
func (c *agentCast) admission(t *testing.T, d client.DesiredAllocation) {
	ctx, alice, alloc := c.ctx, c.alice, c.alloc
	adr, err := alice.GetAdmissionWithResponse(ctx, alloc.Id)
	want(t, adr, err, 200, adr.Body)
	ad := strict[client.Admission](t, adr.Body)
	if ad.Allowed || len(ad.Unmet) == 0 || len(ad.Reasons) != 1+len(ad.Unmet) || ad.Username == nil || *ad.Username != "ada" {
		t.Fatalf("admission before: %+v", ad)
	}
	cl, err := alice.ListConditionsWithResponse(ctx, alloc.Id)
	want(t, cl, err, 200, cl.Body)
	conds := strict[client.ConditionStatusList](t, cl.Body)
	for _, cond := range conds.Items {
		if cond.Met {
			t.Fatalf("condition met before acknowledgement: %+v", cond)
		}
		kr, err := c.bob.AcknowledgeConditionWithResponse(ctx, alloc.Id, cond.RuleId, client.AcknowledgeInput{Statement: "Not ours."})
		want(t, kr, err, 404, kr.Body)
		kr, err = alice.AcknowledgeConditionWithResponse(ctx, alloc.Id, cond.RuleId, client.AcknowledgeInput{Statement: "Outputs are marked as AI-generated; users are told they talk to a machine."})
		want(t, kr, err, 200, kr.Body)
		if got := strict[client.ConditionStatus](t, kr.Body); !got.Met || got.AcknowledgedAt == nil {
			t.Fatalf("acknowledged: %+v", got)
		}
	}
	tr, err := c.op.TransitionAllocationWithResponse(ctx, alloc.Id, client.TransitionInput{State: client.Active, Reason: ptr("provisioned")})
	want(t, tr, err, 200, tr.Body)
	adr, err = alice.GetAdmissionWithResponse(ctx, alloc.Id)
	want(t, adr, err, 200, adr.Body)
	if ad := strict[client.Admission](t, adr.Body); !ad.Allowed || len(ad.Reasons) != 0 || ad.Account != d.Account {
		t.Fatalf("admission after: %+v", ad)
	}
	dr, err := c.op.GetSiteDesiredStateWithResponse(ctx, "CSC", &client.GetSiteDesiredStateParams{SystemId: ptr("lumi-g")})
	want(t, dr, err, 200, dr.Body)
	if d := strict[client.SiteState](t, dr.Body).Allocations[0]; d.Suspended || d.State != client.Active {
		t.Errorf("desired after: %+v", d)
	}
}

// usage has the operator post records, whose replays are duplicates, and
// the organization read its totals and records.
func (c *agentCast) usage(t *testing.T, d client.DesiredAllocation) {
	ctx, alice, alloc := c.ctx, c.alice, c.alloc
	start := c.clock.Now().Add(-time.Hour)
	end := start.Add(30 * time.Minute)
	batch := client.UsageBatch{Cluster: "lumi", Records: []client.UsageRecordInput{
		{JobId: "7001", Account: d.Account, Username: "ada", State: "COMPLETED", Final: true, StartAt: &start, EndAt: &end,
			ElapsedSeconds: 1800, GpuSeconds: 8 * 1800, NodeSeconds: 1800, CpuSeconds: 56 * 1800},
		{JobId: "7002", Account: d.Account, Username: "cy", State: "RUNNING", StartAt: &start,
			ElapsedSeconds: 600, GpuSeconds: 4 * 600, NodeSeconds: 600, CpuSeconds: 28 * 600},
		{JobId: "7003", Account: "someone-else", Username: "cy", State: "COMPLETED", Final: true},
	}}
	ir, err := c.op.IngestUsageWithResponse(ctx, batch)
	want(t, ir, err, 200, ir.Body)
	res := strict[client.UsageIngest](t, ir.Body)
	if res.Accepted != 2 || res.Rejected != 1 || res.Results[2].Reason == nil || !strings.Contains(*res.Results[2].Reason, "site CSC") {
		t.Fatalf("ingest: %+v", res)
	}
	ir, err = c.op.IngestUsageWithResponse(ctx, batch)
	want(t, ir, err, 200, ir.Body)
	if res := strict[client.UsageIngest](t, ir.Body); res.Duplicate != 2 || res.Accepted != 0 {
		t.Fatalf("replay: %+v", res)
	}
	ir, err = alice.IngestUsageWithResponse(ctx, batch)
	want(t, ir, err, 403, ir.Body)

	sr, err := alice.GetAllocationUsageWithResponse(ctx, alloc.Id)
	want(t, sr, err, 200, sr.Body)
	sum := strict[client.UsageSummary](t, sr.Body)
	if sum.Jobs != 2 || sum.GpuSeconds != 8*1800+4*600 || sum.ChargeSeconds != sum.GpuSeconds || len(sum.Users) != 2 ||
		sum.Users[0].Username != "ada" || sum.Used != float64(sum.GpuSeconds)/3600 || sum.LimitSeconds != int64(alloc.Amount)*3600 {
		t.Fatalf("summary: %+v", sum)
	}
	sr, err = c.bob.GetAllocationUsageWithResponse(ctx, alloc.Id)
	want(t, sr, err, 404, sr.Body)
	rr, err := alice.ListUsageRecordsWithResponse(ctx, alloc.Id, &client.ListUsageRecordsParams{Final: ptr(false)})
	want(t, rr, err, 200, rr.Body)
	recs := strict[client.UsageRecordList](t, rr.Body)
	if recs.Total != 1 || recs.Items[0].JobId != "7002" || recs.Items[0].Username != "cy" || recs.Items[0].EndAt != nil {
		t.Fatalf("running records: %+v", recs)
	}
	rr, err = alice.ListUsageRecordsWithResponse(ctx, alloc.Id, &client.ListUsageRecordsParams{Username: ptr("ada")})
	want(t, rr, err, 200, rr.Body)
	if recs := strict[client.UsageRecordList](t, rr.Body); recs.Total != 1 || recs.Items[0].ChargeSeconds != 8*1800 {
		t.Fatalf("Ada's records: %+v", recs)
	}
}

// models registers Ada's model, ingests a job that claims it, and reads
// the model's compute record, strictly against the document.
func (c *agentCast) models(t *testing.T, d client.DesiredAllocation) {
	ctx, alice := c.ctx, c.alice
	mr, err := alice.CreateModelWithResponse(ctx, client.ModelInput{Name: "lex", Version: "2", ParameterCount: ptr(1e9), TrainingTokens: ptr(1e11)})
	want(t, mr, err, 201, mr.Body)
	m := strict[client.Model](t, mr.Body)
	mr, err = c.bob.CreateModelWithResponse(ctx, client.ModelInput{Name: "lex", Version: "2", OrganizationId: &m.OrganizationId})
	want(t, mr, err, 403, mr.Body)
	start := c.clock.Now().Add(-time.Hour)
	phase := client.PhasePreTraining
	batch := client.UsageBatch{Cluster: "lumi", Records: []client.UsageRecordInput{
		{JobId: "7100", Account: d.Account, Username: "ada", State: "RUNNING", StartAt: &start, ElapsedSeconds: 3600,
			GpuSeconds: 8 * 3600, NodeSeconds: 3600, CpuSeconds: 56 * 3600, Model: ptr("lex@2"), Phase: &phase,
			GpuUtil: ptr(0.8), EnergyJoules: ptr(int64(4_000_000))},
	}}
	ir, err := c.op.IngestUsageWithResponse(ctx, batch)
	want(t, ir, err, 200, ir.Body)
	if res := strict[client.UsageIngest](t, ir.Body); res.Accepted != 1 {
		t.Fatalf("ingest: %+v", res)
	}
	cr, err := alice.GetModelComputeWithResponse(ctx, m.Id)
	want(t, cr, err, 200, cr.Body)
	mc := strict[client.ModelCompute](t, cr.Body)
	if mc.Training.Flop != 8*3600*191.5e12*0.8 || mc.MeasuredShare != 1 || mc.SixPd == nil || mc.SixPd.Flop != 6e20 ||
		len(mc.Crossings) != 2 || mc.EnergyMeasuredShare != 1 {
		t.Errorf("compute: %+v", mc)
	}
	cr, err = c.bob.GetModelComputeWithResponse(ctx, m.Id)
	want(t, cr, err, 404, cr.Body)
	lr, err := c.manager.ListModelsWithResponse(ctx, &client.ListModelsParams{Label: ptr("lex@2")})
	want(t, lr, err, 200, lr.Body)
	if l := strict[client.ModelList](t, lr.Body); l.Total != 1 || l.Items[0].Id != m.Id {
		t.Errorf("manager's list: %+v", l)
	}
	sr, err := alice.GetAllocationUsageWithResponse(ctx, c.alloc.Id)
	want(t, sr, err, 200, sr.Body)
	if sum := strict[client.UsageSummary](t, sr.Body); sum.Models == nil || len(*sum.Models) != 2 {
		t.Errorf("the allocation's usage by model: %+v", sum.Models)
	}
}

// drift checks that drift reports, from the site's operator only, go to
// the audit log.
func (c *agentCast) drift(t *testing.T, d client.DesiredAllocation) {
	ctx := c.ctx
	rep := client.DriftReport{Cluster: "lumi", Items: []client.DriftItem{{Account: d.Account, Action: "set_limits gres/gpu=1200000", Found: "GrpTRESMins=gres/gpu=9999999"}}}
	fr, err := c.op.ReportDriftWithResponse(ctx, "CSC", rep)
	want(t, fr, err, 204, fr.Body)
	fr, err = c.alice.ReportDriftWithResponse(ctx, "CSC", rep)
	want(t, fr, err, 403, fr.Body)
	er, err := c.manager.ListAuditEventsWithResponse(ctx, &client.ListAuditEventsParams{SubjectType: ptr("site")})
	want(t, er, err, 200, er.Body)
	if evs := strict[client.AuditEventList](t, er.Body); evs.Total != 1 || evs.Items[0].Action != "site.drift" {
		t.Errorf("drift in the audit log: %+v", evs)
	}
	c.siteOps(t, d)
}

// siteOps checks that the drift reported is listed to the site's
// operator and access managers, not to applicants, and that the site's
// usage ingestion is shown.
func (c *agentCast) siteOps(t *testing.T, d client.DesiredAllocation) {
	ctx := c.ctx
	lr, err := c.op.ListDriftReportsWithResponse(ctx, "CSC", nil)
	want(t, lr, err, 200, lr.Body)
	if l := strict[client.SiteDriftList](t, lr.Body); l.Total != 1 || len(l.Items) != 1 || l.Items[0].Site != "CSC" || l.Items[0].Cluster != "lumi" ||
		l.Items[0].Items[0].Account != d.Account || l.Items[0].Items[0].Found != "GrpTRESMins=gres/gpu=9999999" {
		t.Errorf("drift listed: %+v", l)
	}
	lr, err = c.manager.ListDriftReportsWithResponse(ctx, "CSC", &client.ListDriftReportsParams{Limit: ptr(1)})
	want(t, lr, err, 200, lr.Body)
	lr, err = c.alice.ListDriftReportsWithResponse(ctx, "CSC", nil)
	want(t, lr, err, 403, lr.Body)
	lr, err = c.manager.ListDriftReportsWithResponse(ctx, "Atlantis", nil)
	want(t, lr, err, 404, lr.Body)
	lr, err = c.manager.ListDriftReportsWithResponse(ctx, "CSC", &client.ListDriftReportsParams{Limit: ptr(501)})
	want(t, lr, err, 400, lr.Body)
	ur, err := c.op.GetUsageIngestStatusWithResponse(ctx, "CSC")
	want(t, ur, err, 200, ur.Body)
	if l := strict[client.UsageClusterList](t, ur.Body); l.Total != 1 || l.Items[0].Cluster != "lumi" || l.Items[0].Site != "CSC" ||
		l.Items[0].Records == 0 || l.Items[0].LastBatchAt == nil || l.Items[0].LastWritten == 0 {
		t.Errorf("usage ingestion: %+v", l)
	}
	ur, err = c.alice.GetUsageIngestStatusWithResponse(ctx, "CSC")
	want(t, ur, err, 403, ur.Body)
}

func TestUsageBadInput(t *testing.T) {
	e := newEnv(t, "sqlite")
	e.user(t, client.UserInput{Email: "ops@csc.example", Name: "Ops", Role: client.SiteOperator, Site: ptr("CSC")})
	tr, err := e.manager.CreateTokenWithResponse(context.Background(), userID(t, e, "ops@csc.example"), client.TokenInput{Name: "raw"})
	want(t, tr, err, 201, tr.Body)
	token := tr.JSON201.Secret
	cases := []struct {
		name   string
		body   string
		status int
		field  string
	}{
		{"unknown field", `{"cluster":"lumi","records":[{"job_id":"1","charge_seconds":5}]}`, 400, "records[0].charge_seconds"},
		{"no records", `{"cluster":"lumi"}`, 400, "records"},
		{"bad cluster", `{"cluster":"Lumi","records":[]}`, 400, "cluster"},
		{"wrong type", `{"cluster":"lumi","records":[{"job_id":"1"},{"job_id":1}]}`, 400, "records[1].job_id"},
	}
	for _, tc := range cases {
		status, body := e.raw(t, "POST", "/api/v1/usage", token, "application/json", []byte(tc.body))
		if status != tc.status {
			t.Errorf("%s: HTTP %d, want %d: %v", tc.name, status, tc.status, body)
			continue
		}
		if _, ok := fieldsOf(body)[tc.field]; !ok {
			t.Errorf("%s: no error for field %s: %v", tc.name, tc.field, body)
		}
	}
	// Larger than a batch may be: 413 before anything is decoded.
	big := append([]byte(`{"cluster":"lumi","records":[`), bytes.Repeat([]byte(`{"job_id":"1","account":"x","username":"u","state":"COMPLETED","final":true,"elapsed_seconds":1,"gpu_seconds":1,"node_seconds":1,"cpu_seconds":1},`), 70000)...)
	big = append(big[:len(big)-1], "]}"...)
	if status, _ := e.raw(t, "POST", "/api/v1/usage", token, "application/json", big); status != 413 {
		t.Errorf("a %d MiB body: HTTP %d, want 413", len(big)>>20, status)
	}
	// A body of one record more than a batch may hold fits the byte limit.
	var recs []map[string]any
	for range pactum.MaxUsageBatch + 1 {
		recs = append(recs, map[string]any{"job_id": "1", "account": "x", "username": "u", "state": "COMPLETED", "final": true,
			"elapsed_seconds": 1, "gpu_seconds": 1, "node_seconds": 1, "cpu_seconds": 1})
	}
	b, _ := json.Marshal(map[string]any{"cluster": "lumi", "records": recs})
	if status, body := e.raw(t, "POST", "/api/v1/usage", token, "application/json", b); status != 400 || fieldsOf(body)["records"] == "" {
		t.Errorf("too many records: HTTP %d %v", status, body)
	}
	if status, body := e.raw(t, "GET", "/api/v1/sites/CSC/desired?system=lumi-g", token, "", nil); status != 400 || fieldsOf(body)["system"] == "" {
		t.Errorf("unknown query parameter: HTTP %d %v", status, body)
	}
}

func userID(t *testing.T, e *env, email string) string {
	t.Helper()
	lr, err := e.manager.ListUsersWithResponse(context.Background(), &client.ListUsersParams{Email: &email})
	want(t, lr, err, 200, lr.Body)
	if lr.JSON200.Total != 1 {
		t.Fatalf("no user %s", email)
	}
	return lr.JSON200.Items[0].Id
}
