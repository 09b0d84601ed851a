// SPDX-License-Identifier: EUPL-1.2

package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// TestPortalOpenCall: the access manager's form starts from the
// catalogue's terms; a form the use case or the form reader refuses comes
// back with every field named and what was typed kept, and opens nothing;
// a good one opens the call on the terms typed and shows them; applicants
// can neither see the form nor post it.
func TestPortalOpenCall(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newPortalWorld(t, dialect, nil)
		mgr := storetest.As(w.f.Manager)
		_, before, err := w.app.FindCalls(mgr, pactum.CallFilter{})
		if err != nil {
			t.Fatal(err)
		}
		calls := func() int {
			t.Helper()
			_, n, err := w.app.FindCalls(mgr, pactum.CallFilter{})
			if err != nil {
				t.Fatal(err)
			}
			return n
		}

		resp, body := w.get(t, w.f.Manager, "/portal/")
		wantPage(t, resp, body, `href="/portal/calls/new"`)
		resp, body = w.get(t, w.f.Manager, "/portal/calls/new")
		wantPage(t, resp, body, "Open a call", `name="csrf_token"`, `name="mode" value="fast_lane"`,
			`name="fast_lane.max_gpu_hours" inputmode="decimal" value="50000"`, `name="system" value="leonardo-booster" checked`,
			`name="large_scale.min_gpu_hours" inputmode="decimal" value="50000"`)
		if strings.Contains(body, `name="mode" value="fast_lane" checked`) {
			t.Error("a fresh form offers a mode the manager did not choose")
		}

		// Refused: a cap that is not a number, a cut-off before the
		// opening, a control character in the title. All named at once.
		bad := url.Values{"title": {"Spring\x07 call"}, "opens_at": {"2027-03-01T09:00"}, "cutoff_at": {"2027-02-01T09:00"},
			"system": {"leonardo-booster"}, "mode": {"fast_lane"}, "fast_lane.min_gpu_hours": {"0"}, "fast_lane.max_gpu_hours": {"lots"},
			"fast_lane.max_duration_months": {"3"}, "fast_lane.decision_working_days": {"4"}, "fast_lane.auto_approve": {"1"}}
		resp, body = w.post(t, w.f.Manager, "/portal/calls/new", bad)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `role="alert"`) || !strings.Contains(body, "modes[0].max gpu hours") ||
			!strings.Contains(body, `value="lots"`) || !strings.Contains(body, `name="mode" value="fast_lane" checked`) {
			t.Fatalf("refused form: %d\n%s", resp.StatusCode, body)
		}
		bad.Set("fast_lane.max_gpu_hours", "20000")
		resp, body = w.post(t, w.f.Manager, "/portal/calls/new", bad)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "cutoff at") || !strings.Contains(body, "<strong>title</strong>") {
			t.Fatalf("refused call: %d\n%s", resp.StatusCode, body)
		}
		bad.Set("title", "Spring call")
		bad.Set("cutoff_at", "2027-04-01T09:00")
		bad["system"] = []string{"leonardo-booster", "no-such-machine"}
		resp, body = w.post(t, w.f.Manager, "/portal/calls/new", bad)
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "no-such-machine") {
			t.Fatalf("unknown system: %d\n%s", resp.StatusCode, body)
		}
		if n := calls(); n != before {
			t.Fatalf("refused forms opened %d calls", n-before)
		}

		// Applicants cannot see or post the form.
		resp, _ = w.get(t, w.f.ApplicantA, "/portal/calls/new")
		if resp.StatusCode != http.StatusForbidden {
			t.Errorf("applicant's form: %d", resp.StatusCode)
		}
		bad["system"] = []string{"leonardo-booster"}
		resp, _ = w.post(t, w.f.ApplicantA, "/portal/calls/new", bad)
		if resp.StatusCode != http.StatusForbidden || calls() != before {
			t.Errorf("applicant's post: %d, %d calls opened", resp.StatusCode, calls()-before)
		}

		// Accepted: fast lane capped at 20,000 GPU-hours, the other terms
		// as typed, held models at risk.
		bad.Set("hold_models_at_systemic_risk", "1")
		resp, _ = w.post(t, w.f.Manager, "/portal/calls/new", bad)
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/portal/calls/") || !strings.HasSuffix(loc, "?done=opened") {
			t.Fatalf("open: %d %s", resp.StatusCode, loc)
		}
		id := strings.TrimSuffix(strings.TrimPrefix(loc, "/portal/calls/"), "?done=opened")
		c, err := w.app.FindCallByID(mgr, id)
		if err != nil {
			t.Fatal(err)
		}
		want := pactum.CallMode{Mode: pactum.ModeFastLane, MaxGPUHours: 20000, MaxDurationMonths: 3, DecisionWorkingDays: 4, AutoApprove: true}
		if c.Title != "Spring call" || len(c.Modes) != 1 || c.Modes[0] != want || !c.HoldModelsAtSystemicRisk || c.BlockOverdueOrganizations ||
			len(c.SystemIDs) != 1 || c.SystemIDs[0] != "leonardo-booster" || !c.OpensAt.Equal(time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)) {
			t.Fatalf("opened call: %+v", c)
		}
		resp, body = w.get(t, w.f.Manager, loc)
		wantPage(t, resp, body, "The call is open on the terms below", "Spring call", "20,000", "leonardo-booster", "approved at submission", "is held until")
	})
}
