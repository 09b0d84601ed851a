// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// answered returns the template with every questionnaire answer set to no,
// except those in yes.
func answered(tmpl string, yes ...string) string {
	re := regexp.MustCompile(`(?m)^  ([a-z_0-9]+): ""$`)
	return re.ReplaceAllStringFunc(tmpl, func(line string) string {
		id := re.FindStringSubmatch(line)[1]
		for _, y := range yes {
			if y == id {
				return "  " + id + ": \"yes\""
			}
		}
		return "  " + id + ": \"no\""
	})
}

// tempFile writes data to a new file called name and returns its path.
func tempFile(t *testing.T, name, data string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestProposalTemplateScreensOffline writes the template, answers it and
// screens it offline: empty answers are refused (status 2, each question
// named), a clean one approves (0), a prohibited practice denies (7).
func TestProposalTemplateScreensOffline(t *testing.T) {
	code, tmpl, stderr := cli(t, nil, "proposals", "template", "--mode", "fast_lane")
	if code != 0 || !strings.Contains(tmpl, "questionnaire:") || !strings.Contains(tmpl, "mode: fast_lane") ||
		!strings.Contains(tmpl, "# Will the system help recruit people") || !strings.Contains(tmpl, "Annex III point 4(a)") {
		t.Fatalf("template: %d %s\n%s", code, stderr, tmpl)
	}
	org := tempFile(t, "org.json", `{"id":"o-1","legal_name":"Aleph Lingua GmbH","country":"DE","registration_number":"HRB 1",
		"founded_on":"2022-03-01","staff":24,"turnover_eur":2000000,"balance_sheet_eur":3000000}`)
	screen := func(yaml string) (int, string, string) {
		return cli(t, nil, "screen", "--org", org, "--at", "2026-09-01", tempFile(t, "p.yaml", yaml))
	}
	code, _, stderr = screen(tmpl)
	if code != exitInvalid || !strings.Contains(stderr, "questionnaire.recruitment") {
		t.Errorf("unanswered template: exit %d, %s", code, stderr)
	}
	code, out, stderr := screen(answered(tmpl))
	if code != exitOK || !strings.Contains(out, "APPROVE") {
		t.Errorf("answered no: exit %d\n%s%s", code, out, stderr)
	}
	code, out, _ = screen(answered(tmpl, "scrapes_faces"))
	if code != exitCheck || !strings.Contains(out, "DENY") || !strings.Contains(out, "art5.1e") {
		t.Errorf("face scraping: exit %d\n%s", code, out)
	}
	code, out, _ = screen(answered(tmpl, "recruitment"))
	if code != exitOK || !strings.Contains(out, "REFER") {
		t.Errorf("recruitment: exit %d\n%s", code, out)
	}
}

// TestProposalsCheckAgainstServer runs the dry run through the CLI: the
// decision is printed, nothing is stored, and a deny exits 7.
func TestProposalsCheckAgainstServer(t *testing.T) {
	w := registerApplicant(t, serveFresh(t))
	_, tmpl, _ := cli(t, nil, "proposals", "template", "--system", "leonardo-booster")
	tmpl = strings.Replace(tmpl, "call_id: CALL-ID", "call_id: "+w.call, 1)
	code, out, stderr := cli(t, w.app, "proposals", "check", tempFile(t, "p.yaml", answered(tmpl)))
	if code != exitOK || !strings.Contains(out, "APPROVE") {
		t.Errorf("check: exit %d\n%s%s", code, out, stderr)
	}
	clean := strings.Replace(answered(tmpl), "What the model is, what it will do, for whom, and what the compute buys.",
		"A model that scores citizens on their social behaviour for the city council.", 1)
	code, out, _ = cli(t, w.app, "proposals", "check", "--json", tempFile(t, "p.yaml", clean))
	if code != exitOK || !strings.Contains(out, `"text.social_scoring"`) || !strings.Contains(out, `"refer"`) {
		t.Errorf("words against answers: exit %d\n%s", code, out)
	}
	code, out, _ = cli(t, w.app, "proposals", "check", tempFile(t, "p.yaml", answered(tmpl, "scores_social_behaviour")))
	if code != exitCheck || !strings.Contains(out, "DENY") {
		t.Errorf("deny: exit %d\n%s", code, out)
	}
	code, out, _ = cli(t, w.app, "proposals", "list", "--json")
	if code != 0 || !strings.Contains(out, `"total": 0`) {
		t.Errorf("the dry run stored proposals: %s", out)
	}
}
