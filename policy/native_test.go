// SPDX-License-Identifier: EUPL-1.2

package policy_test

import (
	"context"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/policy"
)

// Every condition and derived fact of the embedded ruleset runs natively:
// the screening benchmark's speed depends on it, and a rule edited out of
// the native subset would silently fall back to CEL.
func TestEmbeddedRulesetIsNative(t *testing.T) {
	if n := policy.NotNative(mustDefault(t)); len(n) > 0 {
		t.Errorf("not native: %v", n)
	}
}

// The native conditions agree with CEL's, rule by rule and derived fact by
// derived fact, on random proposals: thousands of them, each fact drawn
// from values that sit on either side of the rules' thresholds and lists.
func TestNativeMatchesCEL(t *testing.T) {
	rs := mustDefault(t)
	r := rand.New(rand.NewPCG(1, 2))
	checked := 0
	for range 3000 {
		in := randomInput(r.IntN)
		msg, err := policy.NativeMismatch(rs, in)
		if err != nil {
			if checked < 5 {
				t.Log(err)
			}
			continue // an input Screen refuses, such as a negative amount
		}
		checked++
		if msg != "" {
			t.Fatalf("%s\ninput: %+v", msg, in.Proposal)
		}
	}
	if checked < 2000 {
		t.Errorf("only %d of 3000 random inputs could be screened", checked)
	}
}

// operatorRules uses every operator of the native subset, on every type,
// and derived facts that fail (an index out of range is outside the
// subset, so CEL evaluates it and fails), to check that && and || absorb
// errors as CEL does and that other operators pass them on.
const operatorRules = `version: "t1"
params:
  default_utilisation: 0.5
  eu_member_states: [AT, BE, BG, HR, CY, CZ, DK, EE, FI, FR, DE]
derived:
  - name: first_source
    expr: data.sources[0]
  - name: scaled
    expr: "-ai.parameter_count * 2.0 / (ai.training_tokens - 1.0) + 1.0"
  - name: picked
    expr: "ai.fine_tune ? ai.input_modalities + [ai.model_type, \"x\"] : []"
  - name: label
    expr: "ai.open_weights ? ai.model_type : ai.purpose"
  - name: count
    expr: size(ai.output_modalities)
rules:
  - {id: r.and_absorbs, basis: B, effect: info, message: m, when: 'ai.fine_tune && derived.first_source == "web_crawl"'}
  - {id: r.or_absorbs, basis: B, effect: info, message: m, when: 'derived.first_source == "licensed" || ai.open_weights'}
  - {id: r.and_left_error, basis: B, effect: info, message: m, when: 'derived.first_source == "x" && ai.open_weights'}
  - {id: r.or_left_error, basis: B, effect: info, message: m, when: '!(derived.first_source == "x") || ai.fine_tune'}
  - {id: r.not_passes, basis: B, effect: info, message: m, when: '!(derived.first_source == "x")'}
  - {id: r.ternary_error, basis: B, effect: info, message: m, when: '(derived.first_source == "licensed" ? 1.0 : 2.0) > 1.5'}
  - {id: r.ternary, basis: B, effect: info, message: m, when: '(ai.fine_tune ? ai.base_model_flop : compute.flop_max) >= 1e23'}
  - {id: r.arith, basis: B, effect: info, message: m, when: 'derived.scaled < 0.5 || derived.scaled != derived.scaled'}
  - {id: r.cross, basis: B, effect: info, message: m, when: 'size(ai.input_modalities) < 2.0 && derived.count <= 1 && size(data.sources) == 2'}
  - {id: r.size_str, basis: B, effect: info, message: m, when: 'size(org.country) == 2 && ai.model_type.size() > 5'}
  - {id: r.strcmp, basis: B, effect: info, message: m, when: 'ai.model_type < "m" || derived.label >= "r"'}
  - {id: r.in_short, basis: B, effect: info, message: m, when: '"text" in derived.picked || ai.model_type in ["forecasting", "vision"]'}
  - {id: r.in_long, basis: B, effect: info, message: m, when: 'org.country in params.eu_member_states'}
  - {id: r.in_dynamic, basis: B, effect: info, message: m, when: 'ai.purpose in [ai.model_type, org.country, "research"]'}
  - {id: r.sets, basis: B, effect: info, message: m, when: 'sets.contains(params.eu_member_states, [org.country]) != sets.intersects(data.sources, ["licensed"])'}
  - {id: r.bools, basis: B, effect: info, message: m, when: 'ai.open_weights == ai.fine_tune && (ai.civilian_only != true)'}
  - {id: r.neg, basis: B, effect: info, message: m, when: '-compute.flop_max < -1e22 && proposal.duration_months * 2.0 > 5.0'}
`

func TestNativeOperatorsMatchCEL(t *testing.T) {
	rs := mustLoad(t, map[string]string{"r.yaml": operatorRules})
	if n := policy.NotNative(rs); !slices.Equal(n, []string{"derived.first_source", "derived.count"}) {
		t.Fatalf("not native: %v (want only the index and the int)", n)
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 3000 {
		in := randomInput(r.IntN)
		msg, err := policy.NativeMismatch(rs, in)
		if err == nil && msg != "" {
			t.Fatalf("%s\ninput: %+v", msg, in.Proposal)
		}
	}
}

// FuzzNativeMatchesCEL draws a proposal from the fuzzer's bytes and checks
// the native conditions against CEL's on it.
func FuzzNativeMatchesCEL(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	f.Add([]byte("\xff\x00\x7f\x80 pactum native"))
	rs := mustDefault(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		next := func(n int) int {
			if len(data) == 0 {
				return 0
			}
			b := int(data[0])
			data = data[1:]
			return b % n
		}
		in := randomInput(next)
		if msg, err := policy.NativeMismatch(rs, in); err == nil && msg != "" {
			t.Fatalf("%s\ninput: %+v", msg, in.Proposal)
		}
		// And Screen, which runs them, still decides.
		if d, err := policy.NewScreener(rs).Screen(context.Background(), in); err == nil && d.Outcome != pactum.OutcomeOf(d.Findings) {
			t.Fatalf("outcome %s does not follow from %v", d.Outcome, d.Findings)
		}
	})
}

// Pools the random inputs draw from: values on either side of the rules'
// thresholds, the parameters' list members and a few strangers.
var (
	strPool = []string{"", "text", "image", "video", "audio", "speech", "code", "time_series", "tabular",
		"language_model", "forecasting", "vision", "research", "product_development", "both",
		"workplace", "education", "other", "medical", "safety", "medical_or_safety", "dataset_labelling",
		"law_enforcement", "victims", "imminent_threat", "serious_crime_suspect", "web_crawl", "licensed",
		"public_datasets", "synthetic", "4a", "1a", "2", "6d", "8b", "DE", "NO", "US", "\x00é"}
	numPool = []float64{0, -1, 0.3, 0.5, 1, 3, 7, 12, 24, 49, 50, 250, 1e6, 7e9, 7e10, 4e11, 2.4e12, 1.5e13,
		1e22, 9.9e22, 1e23, 3e23, 7.7e24, 1e25, 1.3e25, 3e25, 1e30, math.Inf(1), math.NaN()}
	countries = []string{"DE", "NO", "FR", "CH", "US", "IL", "", "UA", "xx"}
)

// randomInput returns llmInput with every field a fact reads drawn by
// next(n), which returns a number in [0, n).
func randomInput(next func(n int) int) *pactum.ScreeningInput {
	in := llmInput()
	p := in.Proposal
	fill(reflect.ValueOf(&p.AIWork).Elem(), next)
	fill(reflect.ValueOf(&p.AIAct).Elem(), next)
	fill(reflect.ValueOf(&p.Ethics).Elem(), next)
	fill(reflect.ValueOf(&p.Pledges).Elem(), next)
	if next(3) == 0 {
		p.AIWork.ComputeSplit = nil
	}
	modes := []pactum.AccessMode{pactum.ModeFastLane, pactum.ModeLargeScale, pactum.ModePlayground, "bogus"}
	p.Mode = modes[next(len(modes))]
	p.DurationMonths = []int{0, 1, 3, 6, 12, 36}[next(6)]
	systems := []string{"mn5-acc", "karolina-gpu"}
	p.Requests = p.Requests[:0]
	for range next(3) + 1 {
		p.Requests = append(p.Requests, pactum.ResourceRequest{SystemID: systems[next(len(systems))],
			Amount: []float64{1, 1000, 20000, 5e5, 3e6}[next(5)]})
	}
	answers := []pactum.Answer{pactum.AnswerNo, pactum.AnswerNo, pactum.AnswerYes, pactum.AnswerUnsure}
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range p.Questionnaire {
			if !yield(k) {
				return
			}
		}
	}) {
		p.Questionnaire[k] = answers[next(len(answers))]
	}
	if next(5) == 0 {
		p.Questionnaire = nil
	}
	o := in.Organization
	o.Country = countries[next(len(countries))]
	o.Staff = []int{0, 9, 49, 50, 249, 250, 5000}[next(7)]
	o.TurnoverEUR = []int64{0, 2e6, 5e7, 6e7}[next(4)]
	o.FoundedOn = pactum.MustDate([]string{"2025-01-01", "2021-03-01", "2010-06-30"}[next(3)])
	return in
}

// fill sets the bool, string, float64 and []string fields of the struct v,
// and those of its nested structs, from the pools.
func fill(v reflect.Value, next func(n int) int) {
	for i := range v.NumField() {
		f := v.Field(i)
		switch f.Kind() {
		case reflect.Bool:
			f.SetBool(next(2) == 1)
		case reflect.String:
			f.SetString(strPool[next(len(strPool))])
		case reflect.Float64:
			f.SetFloat(numPool[next(len(numPool))])
		case reflect.Slice:
			if f.Type().Elem().Kind() == reflect.String {
				var l []string
				for range next(4) {
					l = append(l, strPool[next(len(strPool))])
				}
				f.Set(reflect.ValueOf(l))
			}
		case reflect.Struct:
			fill(f, next)
		case reflect.Pointer:
			if f.Type().Elem().Kind() == reflect.Struct && next(2) == 1 {
				f.Set(reflect.New(f.Type().Elem()))
				fill(f.Elem(), next)
			}
		}
	}
}
