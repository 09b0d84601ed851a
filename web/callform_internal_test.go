// SPDX-License-Identifier: EUPL-1.2

package web

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pactum/pactum"
)

// FuzzReadCallForm: whatever is posted, the form reader answers a call or
// EINVALID, never panics; every mode it keeps is one of the catalogue's,
// and a call it accepts has times it could read.
func FuzzReadCallForm(f *testing.F) {
	f.Add("title=Spring&opens_at=2027-03-01T09:00&cutoff_at=2027-04-01T09:00:30&system=lumi-g&mode=fast_lane&fast_lane.max_gpu_hours=1e400&fast_lane.max_duration_months=3&fast_lane.decision_working_days=4")
	f.Add("mode=nope&mode=large_scale&large_scale.min_gpu_hours=NaN&large_scale.max_duration_months=-1")
	f.Add("opens_at=2027-13-45T25:61&cutoff_at=&mode=playground&playground.max_gpu_hours=1,000")
	f.Fuzz(func(t *testing.T, form string) {
		v, err := url.ParseQuery(form)
		if err != nil {
			return
		}
		c, err := readCallForm(v)
		if err != nil {
			if pactum.ErrorCode(err) != pactum.EINVALID {
				t.Fatalf("%q: %v", form, err)
			}
			return
		}
		for _, m := range c.Modes {
			if !m.Mode.Valid() {
				t.Fatalf("%q: mode %q kept", form, m.Mode)
			}
		}
		// A blank time (spaces too) is not given: the use case then
		// names it as required.
		if (strings.TrimSpace(v.Get("opens_at")) != "" && c.OpensAt.IsZero()) || c.OpensAt.Location() != time.UTC {
			t.Fatalf("%q: opens at %v", form, c.OpensAt)
		}
	})
}

// TestReadCallForm: the form's seconds are optional; every field it
// cannot read is named with the API's name.
func TestReadCallForm(t *testing.T) {
	c, err := readCallForm(url.Values{"opens_at": {"2027-03-01T09:00"}, "cutoff_at": {"2027-04-01T09:00:30"}, "mode": {"development"},
		"development.max_gpu_hours": {"12,000"}, "development.max_duration_months": {"6"}, "development.decision_working_days": {"10"}})
	if err != nil || !c.CutoffAt.Equal(time.Date(2027, 4, 1, 9, 0, 30, 0, time.UTC)) || c.Modes[0].MaxGPUHours != 12000 || c.Modes[0].Rolling {
		t.Fatalf("%+v %v", c, err)
	}
	_, err = readCallForm(url.Values{"opens_at": {"tomorrow"}, "mode": {"development", "warp"}, "development.max_gpu_hours": {"lots"}, "development.max_duration_months": {"6.5"}})
	got := map[string]bool{}
	for _, f := range pactum.ErrorFields(err) {
		got[f.Field] = true
	}
	for _, want := range []string{"opens_at", "modes", "modes[0].max_gpu_hours", "modes[0].max_duration_months", "modes[0].decision_working_days"} {
		if !got[want] {
			t.Errorf("%s not named: %v", want, err)
		}
	}
}
