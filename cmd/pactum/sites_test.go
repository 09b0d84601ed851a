// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"net/http"
	"strings"
	"testing"
)

// TestSitesDriftAndIngest: drift an agent reports is listed by "sites
// drift" as a block per report or as JSON, to the site's operator and to
// access managers; another site is not found for the operator; "sites
// ingest" lists the clusters with no usage yet.
func TestSitesDriftAndIngest(t *testing.T) {
	mgr := serveFresh(t)
	ops, _ := as(t, mgr, "ops@csc.example", "site_operator", "--site", "CSC")
	for _, path := range []string{"/api/v1/sites/CSC/drift", "/api/v1/sites/CSC/heartbeat"} {
		body := `{"cluster":"lumi","items":[{"account":"a0193","action":"set_limits gres/gpu=6000","found":"GrpTRESMins=gres/gpu=999999"}]}`
		if strings.HasSuffix(path, "heartbeat") {
			body = `{"cluster":"lumi","holder":"uan01:1","result":"ok"}`
		}
		req, _ := http.NewRequest("POST", mgr["PACTUM_SERVER"]+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+ops["PACTUM_TOKEN"])
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode/100 != 2 {
			t.Fatalf("%s: %d", path, resp.StatusCode)
		}
	}
	if code, out, stderr := cli(t, ops, "sites", "drift", "CSC"); code != 0 || !strings.Contains(out, "cluster lumi") ||
		!strings.Contains(out, "a0193: found GrpTRESMins=gres/gpu=999999; restored by set_limits gres/gpu=6000") {
		t.Errorf("sites drift: %d\n%s%s", code, out, stderr)
	}
	var list struct {
		Items []struct {
			Site  string `json:"site"`
			Items []struct {
				Account string `json:"account"`
			} `json:"items"`
		} `json:"items"`
		Total int `json:"total"`
	}
	cliJSON(t, mgr, &list, "sites", "drift", "CSC", "--limit", "5", "--json")
	if list.Total != 1 || list.Items[0].Site != "CSC" || list.Items[0].Items[0].Account != "a0193" {
		t.Errorf("sites drift --json: %+v", list)
	}
	if code, _, _ := cli(t, ops, "sites", "drift", "CINECA"); code != exitNotFound {
		t.Errorf("another site's drift: exit %d", code)
	}
	if code, _, stderr := cli(t, mgr, "sites", "drift", "CSC", "--limit", "501"); code != exitInvalid || !strings.Contains(stderr, "limit") {
		t.Errorf("--limit 501: exit %d %s", code, stderr)
	}
	if code, out, _ := cli(t, ops, "sites", "ingest", "CSC"); code != 0 || !strings.Contains(out, "CLUSTER") || !strings.Contains(out, "lumi") {
		t.Errorf("sites ingest: %d\n%s", code, out)
	}
}
