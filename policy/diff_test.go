// SPDX-License-Identifier: EUPL-1.2

package policy_test

import (
	"context"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/policy"
)

// omnibusRuleset is the embedded ruleset with Annex III and its high-risk
// obligations moved to 2027-12-02, as the unconfirmed Digital Omnibus would.
func omnibusRuleset(t *testing.T) *policy.Ruleset {
	t.Helper()
	m := fstest.MapFS{}
	err := fs.WalkDir(policy.EmbeddedFS(), ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(policy.EmbeddedFS(), path)
		if err != nil {
			return err
		}
		s := string(data)
		if path == "30-annex3.yaml" {
			s = strings.ReplaceAll(s, "valid_from: 2026-08-02", "valid_from: 2027-12-02")
		}
		if path == "00-ruleset.yaml" {
			s = strings.Replace(s, `version: "2026.12-1"`, `version: "omnibus"`, 1)
		}
		m[path] = &fstest.MapFile{Data: []byte(s)}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := policy.Load(m)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func TestDiff(t *testing.T) {
	old, new := mustDefault(t), omnibusRuleset(t)
	if old.Hash() == new.Hash() {
		t.Fatal("the rulesets hash alike")
	}
	unchanged := cleanInput()
	unchanged.Proposal.ID = "p-clean"
	recruiting := cleanInput()
	recruiting.Proposal.ID = "p-recruit"
	recruiting.Proposal.AIAct.AnnexIII = []string{"4a"}
	derogated := cleanInput()
	derogated.Proposal.ID = "p-derogated"
	derogated.Proposal.AIAct.AnnexIII = []string{"4a"}
	derogated.Proposal.AIAct.Derogation = "preparatory_task"
	broken := cleanInput()
	broken.Proposal.ID = "p-broken"
	broken.Proposal.Requests[0].SystemID = "gone"

	rows, err := policy.Diff(context.Background(), old, new, []*pactum.ScreeningInput{unchanged, recruiting, derogated, broken})
	if err != nil {
		t.Fatal(err)
	}
	ruleIDs := func(fs []pactum.Finding) []string {
		var out []string
		for _, f := range fs {
			out = append(out, f.RuleID)
		}
		return out
	}
	type row struct {
		ID             string
		Old, New       pactum.Outcome
		Changed        bool
		Added, Removed []string
		HasError       bool
	}
	var got []row
	for _, r := range rows {
		got = append(got, row{r.ProposalID, r.OldOutcome, r.NewOutcome, r.OutcomeChanged, ruleIDs(r.Added), ruleIDs(r.Removed), r.Error != ""})
	}
	want := []row{
		{ID: "p-recruit", Old: pactum.OutcomeRefer, New: pactum.OutcomeApprove, Changed: true,
			Removed: []string{"annex3.4a", "highrisk.risk_data", "highrisk.documentation_oversight", "highrisk.conformity_registration"}},
		{ID: "p-derogated", Old: pactum.OutcomeApprove, New: pactum.OutcomeApprove, Removed: []string{"art6.3_derogation"}},
		{ID: "p-broken", HasError: true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("diff rows (-want +got):\n%s", diff)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := policy.Diff(ctx, old, new, []*pactum.ScreeningInput{unchanged}); err == nil {
		t.Error("Diff ignored a cancelled context")
	}
}
