// SPDX-License-Identifier: EUPL-1.2

package http

import "testing"

func TestPathAt(t *testing.T) {
	data := []byte(`{"title":"x","requests":[{"amount":1},{"system_id":"a","amount":1e400}],"ai_work":{"m":[1,2,{"x":true}]}}`)
	for _, tc := range []struct {
		offset int64
		want   string
	}{
		{12, "title"},
		{36, "requests[0].amount"},
		{69, "requests[1].amount"},
		{91, "ai_work.m[1]"},
		{101, "ai_work.m[2].x"},
		{1000, ""},
	} {
		if got := pathAt(data, tc.offset); got != tc.want {
			t.Errorf("offset %d: got %q, want %q", tc.offset, got, tc.want)
		}
	}
}
