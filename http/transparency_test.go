// SPDX-License-Identifier: EUPL-1.2

package http_test

import (
	"bytes"
	"encoding/csv"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/client"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// TestTransparencyAPI: time to access and the transparency report through
// the API, strictly against the document, on both engines: an applicant
// may do none of it; a report is created, refused to the public until
// published, then read without a token as JSON, CSV and a printable page
// without script; it verifies against the audit log.
func TestTransparencyAPI(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		s := newScenario(t, dialect)
		ctx, mgr, alice := s.ctx, s.manager, s.alice
		cr, err := alice.CreateProposalWithBodyWithResponse(ctx, &client.CreateProposalParams{Submit: ptr(true)}, "application/json",
			bytes.NewReader(proposalJSON(t, s.callID, func(p *pactum.Proposal) { p.Requests[0].SystemID = "lumi-g" })))
		want(t, cr, err, 201, cr.Body)

		tr, err := mgr.GetTimeToAccessWithResponse(ctx, &client.GetTimeToAccessParams{CallId: &s.callID})
		want(t, tr, err, 200, tr.Body)
		if r := strict[client.TimeToAccessReport](t, tr.Body); r.ByMode == nil || len(*r.ByMode) != 1 || (*r.ByMode)[0].Decided != 1 {
			t.Fatalf("time to access: %s", tr.Body)
		}
		tr, err = alice.GetTimeToAccessWithResponse(ctx, &client.GetTimeToAccessParams{})
		want(t, tr, err, 403, tr.Body)
		tr, err = mgr.GetTimeToAccessWithResponse(ctx, &client.GetTimeToAccessParams{CallId: ptr("nope")})
		want(t, tr, err, 404, tr.Body)
		format := client.GetTimeToAccessParamsFormatCsv
		tr, err = mgr.GetTimeToAccessWithResponse(ctx, &client.GetTimeToAccessParams{Format: &format})
		want(t, tr, err, 200, tr.Body)
		rows, err := csv.NewReader(bytes.NewReader(tr.Body)).ReadAll()
		if err != nil || len(rows) != 2 || rows[0][0] != "proposal_id" || rows[1][9] != "true" {
			t.Fatalf("time-to-access CSV: %q %v", tr.Body, err)
		}
		or, err := mgr.ListOverdueProposalsWithResponse(ctx)
		want(t, or, err, 200, or.Body)
		if l := strict[client.TimeToAccessList](t, or.Body); l.Total != 0 {
			t.Fatalf("overdue: %s", or.Body)
		}

		rr, err := alice.CreateTransparencyReportWithResponse(ctx, &client.CreateTransparencyReportParams{},
			client.TransparencyReportInput{Period: "2020..2021"})
		want(t, rr, err, 403, rr.Body)
		rr, err = mgr.CreateTransparencyReportWithResponse(ctx, &client.CreateTransparencyReportParams{},
			client.TransparencyReportInput{Period: "2026-13"})
		want(t, rr, err, 400, rr.Body)
		period := s.clock.Now().Format("2006")
		rr, err = mgr.CreateTransparencyReportWithResponse(ctx, &client.CreateTransparencyReportParams{},
			client.TransparencyReportInput{Period: period, K: ptr(2)})
		want(t, rr, err, 201, rr.Body)
		rep := strict[client.TransparencyReport](t, rr.Body)
		if rep.AuditSeq <= 0 || rep.PublishedAt != nil || rep.Tables == nil || len(*rep.Tables) != 6 || rep.Reproduced == "" {
			t.Fatalf("report: %s", rr.Body)
		}

		// Unpublished: the public and Ada get 404, the manager reads it.
		code, _ := s.raw(t, "GET", "/api/v1/public/transparency/"+rep.Id, "", "", nil)
		if code != 404 {
			t.Errorf("public read of an unpublished report: HTTP %d", code)
		}
		gr, err := alice.GetTransparencyReportWithResponse(ctx, rep.Id, &client.GetTransparencyReportParams{})
		want(t, gr, err, 404, gr.Body)
		gr, err = mgr.GetTransparencyReportWithResponse(ctx, rep.Id, &client.GetTransparencyReportParams{})
		want(t, gr, err, 200, gr.Body)

		pr, err := alice.PublishTransparencyReportWithResponse(ctx, rep.Id, &client.PublishTransparencyReportParams{})
		want(t, pr, err, 403, pr.Body)
		pr, err = mgr.PublishTransparencyReportWithResponse(ctx, rep.Id, &client.PublishTransparencyReportParams{})
		want(t, pr, err, 200, pr.Body)
		pr, err = mgr.PublishTransparencyReportWithResponse(ctx, rep.Id, &client.PublishTransparencyReportParams{})
		want(t, pr, err, 409, pr.Body)

		// Published: anyone, without a token, through the client too.
		anon, err := client.NewClientWithResponses(s.url)
		if err != nil {
			t.Fatal(err)
		}
		pg, err := anon.GetPublicTransparencyReportWithResponse(ctx, rep.Id, &client.GetPublicTransparencyReportParams{})
		want(t, pg, err, 200, pg.Body)
		if got := strict[client.TransparencyReport](t, pg.Body); got.PublishedAt == nil || got.AuditHead != rep.AuditHead {
			t.Fatalf("public report: %s", pg.Body)
		}
		pl, err := anon.ListPublicTransparencyReportsWithResponse(ctx)
		want(t, pl, err, 200, pl.Body)
		if l := strict[client.TransparencyReportList](t, pl.Body); l.Total != 1 {
			t.Fatalf("public list: %s", pl.Body)
		}
		// The authenticated routes still want a token.
		ag, err := anon.GetTransparencyReportWithResponse(ctx, rep.Id, &client.GetTransparencyReportParams{})
		want(t, ag, err, 401, ag.Body)

		for _, f := range []string{"csv", "html"} {
			resp, err := http.Get(s.url + "/api/v1/public/transparency/" + rep.Id + "?format=" + f)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/"+f) {
				t.Fatalf("%s: HTTP %d %s", f, resp.StatusCode, resp.Header.Get("Content-Type"))
			}
			switch f {
			case "csv":
				rows, err := csv.NewReader(bytes.NewReader(body)).ReadAll()
				if err != nil || rows[0][0] != "dimension" || len(rows) < 13 { // 6 tables, each a row and a total at least
					t.Errorf("CSV: %q %v", body, err)
				}
			case "html":
				if bytes.Contains(body, []byte("<script")) || !bytes.Contains(body, []byte(strconv.Itoa(rep.AuditSeq))) ||
					resp.Header.Get("Content-Security-Policy") == "" {
					t.Errorf("page: %s", body)
				}
			}
		}

		vr, err := mgr.VerifyTransparencyReportWithResponse(ctx, rep.Id)
		want(t, vr, err, 200, vr.Body)
		if v := strict[client.ReportVerification](t, vr.Body); !v.Ok || !v.ChainOk || v.Compared == 0 {
			t.Fatalf("verification: %s", vr.Body)
		}
		vr, err = alice.VerifyTransparencyReportWithResponse(ctx, rep.Id)
		want(t, vr, err, 403, vr.Body)
	})
}
