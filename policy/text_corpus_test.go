// SPDX-License-Identifier: EUPL-1.2

package policy_test

import (
	"os"
	"sort"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/policy"
)

type corpusItem struct {
	Labels []string `yaml:"labels"`
	Text   string   `yaml:"text"`
}

func readCorpus(t *testing.T, path string) []corpusItem {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var items []corpusItem
	if err := yaml.Unmarshal(data, &items); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return items
}

// textLabels screens text as the summary of an otherwise clean proposal
// with every question answered no and an empty AI Act profile, and
// returns the labels of the text checks that referred it.
func textLabels(t *testing.T, s *policy.Screener, labelOf map[string]string, text string) map[string]bool {
	t.Helper()
	in := cleanInput()
	in.Proposal.Title = "AI work"
	in.Proposal.Summary = text
	in.Proposal.AIWork.IntendedUse = "As described in the summary."
	d := mustScreen(t, s, in)
	out := map[string]bool{}
	for _, f := range d.Findings {
		if id, ok := strings.CutPrefix(f.RuleID, "text."); ok {
			out[labelOf[id]] = true
		}
	}
	return out
}

// TestTextCorpus runs the text checks over the labelled corpus in
// testdata (clean descriptions of ordinary AI work, and descriptions of
// prohibited practices and high-risk uses) and reports precision and
// recall per practice and area. The floors guard against regressions; the
// figures are logged (go test -run TestTextCorpus -v ./policy/).
func TestTextCorpus(t *testing.T) {
	rs := mustDefault(t)
	s := policy.NewScreener(rs)
	labelOf := map[string]string{}
	for _, c := range rs.TextChecks() {
		labelOf[c.ID] = c.Label
	}
	clean := readCorpus(t, "testdata/corpus-clean.yaml")
	risky := readCorpus(t, "testdata/corpus-risky.yaml")
	if len(clean) < 100 || len(risky) < 100 {
		t.Fatalf("corpus: %d clean, %d risky; want at least 100 of each", len(clean), len(risky))
	}
	tp, fp, fn := map[string]int{}, map[string]int{}, map[string]int{}
	cleanFlagged := 0
	for _, it := range append(clean, risky...) {
		got := textLabels(t, s, labelOf, it.Text)
		if len(it.Labels) == 0 && len(got) > 0 {
			cleanFlagged++
			t.Logf("clean item flagged %v: %s", keys(got), it.Text)
		}
		want := map[string]bool{}
		for _, l := range it.Labels {
			want[l] = true
			if got[l] {
				tp[l]++
			} else {
				fn[l]++
				t.Logf("missed %s: %s", l, it.Text)
			}
		}
		for l := range got {
			if !want[l] {
				fp[l]++
				if len(it.Labels) > 0 {
					t.Logf("extra %s: %s", l, it.Text)
				}
			}
		}
	}
	labels := map[string]bool{}
	for _, m := range []map[string]int{tp, fp, fn} {
		for l := range m {
			labels[l] = true
		}
	}
	var sumTP, sumFP, sumFN int
	t.Logf("%-9s %4s %4s %4s %9s %6s", "label", "tp", "fp", "fn", "precision", "recall")
	for _, l := range keys(labels) {
		p, r := ratio(tp[l], tp[l]+fp[l]), ratio(tp[l], tp[l]+fn[l])
		t.Logf("%-9s %4d %4d %4d %9.2f %6.2f", l, tp[l], fp[l], fn[l], p, r)
		sumTP, sumFP, sumFN = sumTP+tp[l], sumFP+fp[l], sumFN+fn[l]
		if tp[l]+fn[l] > 0 && r < 0.6 {
			t.Errorf("%s: recall %.2f below 0.60", l, r)
		}
		if tp[l]+fp[l] > 0 && p < 0.75 {
			t.Errorf("%s: precision %.2f below 0.75", l, p)
		}
	}
	mp, mr := ratio(sumTP, sumTP+sumFP), ratio(sumTP, sumTP+sumFN)
	t.Logf("%-9s %4d %4d %4d %9.2f %6.2f", "all", sumTP, sumFP, sumFN, mp, mr)
	t.Logf("clean descriptions flagged: %d of %d", cleanFlagged, len(clean))
	if mp < 0.9 || mr < 0.8 {
		t.Errorf("overall precision %.2f, recall %.2f: want at least 0.90 and 0.80", mp, mr)
	}
	if float64(cleanFlagged) > 0.03*float64(len(clean)) {
		t.Errorf("%d of %d clean descriptions referred: at most 3 %% may be", cleanFlagged, len(clean))
	}
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

var _ = pactum.AnswerYes
