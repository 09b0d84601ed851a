// SPDX-License-Identifier: EUPL-1.2

package policy

import (
	"encoding/json"
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/pactum/pactum"
)

// ToJSON returns a proposal (or screening) file as JSON: JSON as it is,
// YAML converted, so that applicants may write the commented YAML of
// ProposalTemplate. EINVALID when it is neither.
func ToJSON(data []byte) ([]byte, error) {
	if json.Valid(data) {
		return data, nil
	}
	var v any
	if err := yaml.Unmarshal(data, &v); err != nil {
		return nil, pactum.Errorf(pactum.EINVALID, "The file is neither JSON nor YAML: %v.", err)
	}
	if _, ok := v.(map[string]any); !ok {
		return nil, pactum.Errorf(pactum.EINVALID, "The file must hold an object (a mapping).")
	}
	out, err := json.Marshal(v)
	if err != nil {
		return nil, pactum.Errorf(pactum.EINVALID, "The file cannot be read as JSON: %v.", err)
	}
	return out, nil
}

// ProposalTemplate writes a complete, commented example proposal in YAML
// for mode (its caps from the access-mode catalogue) requesting system,
// with every question of the ruleset's questionnaire to answer. The answers
// are left empty on purpose: a proposal is refused until each is yes, no
// or unsure.
func ProposalTemplate(rs *Ruleset, mode pactum.CallMode, system *pactum.System) string {
	amount := 20000.0
	if mode.MaxGPUHours > 0 && amount > mode.MaxGPUHours {
		amount = mode.MaxGPUHours
	}
	amount = max(amount, mode.MinGPUHours)
	if system.Unit == pactum.UnitNodeHours && system.GPUsPerNode > 0 {
		amount /= float64(system.GPUsPerNode)
	}
	months := min(3, max(1, mode.MaxDurationMonths))
	var b strings.Builder
	fmt.Fprintf(&b, `# A pactum proposal (ruleset %s). Fill it in, then check it before submitting:
#   pactum proposals check proposal.yaml      (screens it on the server, stores nothing)
#   pactum screen --org org.json proposal.yaml (offline, with the built-in rules)
#   pactum proposals create --file proposal.yaml --submit
# The JSON Schema of a proposal is served at /api/v1/schemas/proposal.
call_id: CALL-ID            # the call you apply to: pactum calls list
mode: %s
title: Multilingual 7B model for customer support
# Describe the work honestly in plain words: screening reads the title,
# summary, intended use and data description, and compares them with your
# answers to the questionnaire below.
summary: >
  What the model is, what it will do, for whom, and what the compute buys.
requests:
  - system_id: %s        # pactum systems list
    amount: %g               # in the system's unit (%s)
    storage_tb: 10
duration_months: %d
software: any                # cuda, rocm or any
min_viable_fraction: 0.5     # below this share of the request, refuse rather than cut
ai_work:
  model_type: language_model # %s
  input_modalities: [text]
  output_modalities: [text]  # %s
  parameter_count: 7.0e9
  training_tokens: 2.0e11
  planned_training_flop: 0   # your own estimate; 0 when you have none (6·P·D and the hardware estimate are computed)
  utilisation: 0             # model FLOP utilisation 0–1; 0 for the default 0.5
  fine_tune: false
  base_model: ""             # for a fine-tune: the model you start from
  base_model_flop: 0         # its training compute, when known
  prior_training_flop: 0     # compute already spent training this model elsewhere (thresholds are cumulative)
  compute_split:             # how the request divides; the hardware estimate counts pre-training and fine-tuning
    pre_training: 0.7
    fine_tuning: 0.1
    evaluation_inference: 0.1
    experiments: 0.1
  intended_use: Who will use the model, for what, and who decides on its outputs.
  purpose: product_development  # research, product_development or both
  intends_eu_market: true
  open_weights: false
  civilian_only: true        # EuroHPC access is for work focused on civilian applications
  data_provenance:
    sources: [public_datasets]  # %s
    personal_data: false
    special_category_data: false
    tdm_opt_outs_honoured: true
    description: Where the training data comes from and how it was obtained.
# The AI Act profile follows from your answers below; declare facts here only
# if you know the AI Act (see /api/v1/schemas/proposal, AIActProfile). A model
# above 1e23 FLOP that generates language, or images or video from text, is
# presumed general-purpose; if it is trained for one narrow task (speech
# recognition, text-to-speech, upscaling, weather, music …), say why here:
ai_act:
  narrow_task_rebuttal: ""
ethics:                      # Horizon Europe ethics issues table: details required for yes
  personal_data: {"yes": false}
pledges:                     # the three AI Pact core pledges (required for the playground and fast lane)
  governance_strategy: true
  high_risk_mapping: true
  ai_literacy: true
`, rs.Version(), mode.Mode, system.ID, amount, system.Unit, months,
		strings.Join(pactum.ModelTypes, ", "), strings.Join(pactum.Modalities, ", "), strings.Join(pactum.DataSources, ", "))
	writeQuestionnaireTemplate(&b, rs)
	return b.String()
}

// writeQuestionnaireTemplate writes the questionnaire section: each
// question and its help as comments, its answer left empty.
func writeQuestionnaireTemplate(b *strings.Builder, rs *Ruleset) {
	q := rs.Questionnaire()
	if q == nil {
		return
	}
	b.WriteString("# Answer every question yes, no or unsure. Unsure is fine: a person will go\n" +
		"# through the question with you. An empty answer is refused: there is no default.\nquestionnaire:\n")
	section := ""
	for _, x := range q.Questions {
		if x.Section != section {
			section = x.Section
			fmt.Fprintf(b, "  # --- %s\n", strings.ReplaceAll(section, "_", " "))
		}
		for _, line := range wrapWords(x.Text, 88) {
			fmt.Fprintf(b, "  # %s\n", line)
		}
		for _, line := range wrapWords(x.Help+" ("+x.Basis+")", 86) {
			fmt.Fprintf(b, "  #   %s\n", line)
		}
		fmt.Fprintf(b, "  %s: \"\"\n", x.ID)
	}
}

func wrapWords(s string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		if line != "" && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	if line != "" {
		lines = append(lines, line)
	}
	return lines
}
