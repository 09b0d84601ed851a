// SPDX-License-Identifier: EUPL-1.2

package web

import (
	"bytes"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/pactum/pactum"
)

// The applicant's pages: the open calls, the proposal wizard (drafts
// saved step by step, what is missing per step, a live pre-screen through
// the ScreenProposal dry run, submission), acknowledging an award's
// conditions, and the organization's models against the AI Act's compute
// thresholds. Every rule stays in the use cases: the wizard only moves
// form values into a pactum.Proposal and shows what the use cases answer.

// wizardStep is one step of the proposal wizard.
type wizardStep struct {
	ID, Label string
}

// wizardSteps are the wizard's steps in order; the last checks and
// submits.
var wizardSteps = []wizardStep{
	{"project", "Project"}, {"resources", "Resources"}, {"ai", "AI work"}, {"aiact", "AI Act questions"},
	{"ethics", "Ethics"}, {"pledges", "Pledges"}, {"team", "Team"}, {"submit", "Check and submit"},
}

// stepOf names the step where a proposal field (as the validator names
// it) is filled in.
func stepOf(field string) string {
	head, _, _ := strings.Cut(field, ".")
	head, _, _ = strings.Cut(head, "[")
	switch head {
	case "requests":
		return "resources"
	case "ai_work":
		return "ai"
	case "ai_act", "questionnaire":
		return "aiact"
	case "ethics":
		return "ethics"
	case "pledges":
		return "pledges"
	case "team":
		return "team"
	}
	return "project"
}

// fieldLabel names a validator field for people: "requests[0].amount"
// becomes "request 1: amount", "ai_work.intended_use" "intended use".
func fieldLabel(field string) string {
	parts := strings.Split(field, ".")
	if len(parts) > 1 && (parts[0] == "ai_work" || parts[0] == "ai_act" || parts[0] == "ethics") {
		parts = parts[1:]
	}
	for i, s := range parts {
		if name, idx, ok := strings.Cut(s, "["); ok {
			n, err := strconv.Atoi(strings.TrimSuffix(idx, "]"))
			if err == nil {
				s = strings.TrimSuffix(name, "s") + " " + strconv.Itoa(n+1)
			}
		}
		parts[i] = strings.ReplaceAll(s, "_", " ")
	}
	if parts[0] == "questionnaire" {
		return "question"
	}
	return strings.Join(parts, ": ")
}

// missingField is a validator's field error placed in its step.
type missingField struct {
	Field, Label, Message string
}

// check is what the dry run says about a draft: what is missing or wrong
// by step, or, when nothing is, the screening's findings.
type check struct {
	Missing  map[string][]missingField
	Count    int
	Decision *pactum.ScreeningDecision
}

// MissingIn lists what is missing in step id.
func (c *check) MissingIn(id string) []missingField {
	if c == nil {
		return nil
	}
	return c.Missing[id]
}

// wizardPage is one step of the wizard.
type wizardPage struct {
	P    *pactum.Proposal
	Call *pactum.Call
	// New: no draft yet (the project step creates it).
	New     bool
	Step    wizardStep
	Steps   []wizardStep
	Next    string
	Systems []requestRow
	Q       *pactum.Questionnaire
	// Sections groups the questionnaire by section, in order.
	Sections []questionSection
	Ethics   []ethicsRow
	Team     []pactum.TeamMember
	Check    *check
	Optional string
	Lists    wizardLists
	// Saved: the step was just saved.
	Saved bool
}

func init() {
	// The wizard's template helpers.
	funcs["has"] = func(list []string, s string) bool { return slices.Contains(list, s) }
	funcs["add"] = func(a, b int) int { return a + b }
	funcs["outcome"] = func(o pactum.Outcome) string {
		switch o {
		case pactum.OutcomeApprove:
			return "Submitted now, nothing stands in the way: in the fast lane it would be approved at once."
		case pactum.OutcomeRefer:
			return "Submitted now, it would go to a person for review first."
		case pactum.OutcomeDeny:
			return "Submitted now, it would be refused."
		}
		return string(o)
	}
	funcs["effect"] = func(e pactum.Effect, referral string) string {
		switch e {
		case pactum.EffectDeny:
			return "Would be refused"
		case pactum.EffectRefer:
			if referral != "" {
				return "Goes to " + referral + " review"
			}
			return "Goes to review"
		case pactum.EffectCondition:
			return "A condition of the award"
		case pactum.EffectInfo:
			return "For your information"
		}
		return string(e)
	}
}

// wizardLists are the choices the AI work step offers.
type wizardLists struct {
	ModelTypes, Modalities, Sources, Purposes []string
}

// requestRow is one system the call offers, with what the draft asks of
// it.
type requestRow struct {
	S   *pactum.System
	Req pactum.ResourceRequest
	Has bool
}

// questionSection is a section of the questionnaire.
type questionSection struct {
	Name, Label string
	Questions   []questionRow
}

// sectionLabels name the questionnaire's sections in plain words.
var sectionLabels = map[string]string{
	"prohibited":      "Practices the AI Act prohibits (Art. 5)",
	"high_risk":       "High-risk uses (Art. 6(2), Annex III)",
	"transparency":    "Transparency towards people (Art. 50)",
	"general_purpose": "General-purpose models (Art. 51 to 55)",
	"product_safety":  "Safety components of products (Art. 6(1), Annex I)",
}

// questionRow is a question with the draft's answer.
type questionRow struct {
	pactum.Question
	Answer pactum.Answer
}

// ethicsRow is a section of the ethics table with its answer.
type ethicsRow struct {
	Name, Label string
	A           pactum.EthicsAnswer
}

// ethicsLabels are the Horizon Europe ethics table's sections in plain
// words.
var ethicsLabels = map[string]string{
	"human_embryos": "Human embryonic stem cells or embryos", "humans": "Research with people (participants)",
	"human_cells": "Human cells or tissues", "personal_data": "Personal data",
	"animals": "Animals", "non_eu_countries": "Work in or with non-EU countries",
	"environment_health_safety": "Environment, health and safety", "artificial_intelligence": "Artificial intelligence ethics issues",
	"other": "Other ethics issues",
}

// openCallsPage lists the calls open now and the caller's drafts.
type openCallsPage struct {
	Calls   []openCall
	Drafts  []*pactum.Proposal
	Systems map[string]*pactum.System
}

// openCall is a call with its systems' names.
type openCall struct {
	*pactum.Call
	Systems []*pactum.System
}

func (p *Portal) openCalls(r *http.Request, v *view) (string, error) {
	ctx, s := r.Context(), p.cfg.Services
	now := p.cfg.Now()
	calls, _, err := s.FindCalls(ctx, pactum.CallFilter{OpenAt: &now, Limit: listLimit})
	if err != nil {
		return "", err
	}
	systems, err := p.systemMap(r)
	if err != nil {
		return "", err
	}
	d := &openCallsPage{Systems: systems}
	for _, c := range calls {
		oc := openCall{Call: c}
		for _, id := range c.SystemIDs {
			if sys := systems[id]; sys != nil {
				oc.Systems = append(oc.Systems, sys)
			}
		}
		d.Calls = append(d.Calls, oc)
	}
	if v.User.Role == pactum.RoleApplicant {
		st := pactum.ProposalDraft
		if d.Drafts, _, err = s.FindProposals(ctx, pactum.ProposalFilter{State: &st, Limit: listLimit}); err != nil {
			return "", err
		}
	}
	v.Title, v.Nav, v.Data = "Open calls", "apply", d
	return "wizard_calls", nil
}

// systemMap is the catalogue by system id.
func (p *Portal) systemMap(r *http.Request) (map[string]*pactum.System, error) {
	list, err := p.cfg.Services.FindSystems(r.Context())
	if err != nil {
		return nil, err
	}
	m := make(map[string]*pactum.System, len(list))
	for _, s := range list {
		m[s.ID] = s
	}
	return m, nil
}

// newDraft is the wizard's first step before a draft exists.
func (p *Portal) newDraft(r *http.Request, v *view) (string, error) {
	c, err := p.cfg.Services.FindCallByID(r.Context(), r.PathValue("call"))
	if err != nil {
		return "", err
	}
	pr := &pactum.Proposal{ProposalInput: pactum.ProposalInput{CallID: c.ID}}
	if v.Form != nil {
		_ = applyStep(pr, "project", v.Form, nil) // a refused form shows what was typed
	}
	d := &wizardPage{P: pr, Call: c, New: true, Step: wizardSteps[0], Steps: wizardSteps, Next: wizardSteps[1].ID}
	v.Title, v.Nav, v.Data = "New proposal: "+c.Title, "apply", d
	return "wizard", nil
}

// createDraft saves the project step as a new draft.
func (p *Portal) createDraft(r *http.Request, v *view) (string, error) {
	pr := &pactum.Proposal{ProposalInput: pactum.ProposalInput{CallID: r.PathValue("call")}}
	if err := applyStep(pr, "project", r.PostForm, nil); err != nil {
		return "", err
	}
	if err := p.cfg.Services.CreateProposal(r.Context(), pr); err != nil {
		return "", err
	}
	return Prefix + "drafts/" + pr.ID + "?step=" + nextStep(r.PostForm, "project"), nil
}

// nextStep is where the wizard goes after saving step: the next step, or
// the same one when the person asked only to save.
func nextStep(f url.Values, step string) string {
	if f.Get("go") == "save" {
		return step
	}
	if g := f.Get("go"); g != "" && g != "next" && slices.ContainsFunc(wizardSteps, func(s wizardStep) bool { return s.ID == g }) {
		return g
	}
	for i, s := range wizardSteps {
		if s.ID == step && i+1 < len(wizardSteps) {
			return wizardSteps[i+1].ID
		}
	}
	return step
}

// wizard shows one step of a draft, with what is missing.
func (p *Portal) wizard(r *http.Request, v *view) (string, error) {
	ctx, s := r.Context(), p.cfg.Services
	pr, err := s.FindProposalByID(ctx, r.PathValue("id"))
	if err != nil {
		return "", err
	}
	if pr.State != pactum.ProposalDraft {
		return "", pactum.Errorf(pactum.ECONFLICT, "This proposal is %s, no longer a draft: see its page.", pr.State)
	}
	c, err := s.FindCallByID(ctx, pr.CallID)
	if err != nil {
		return "", err
	}
	stepID := r.URL.Query().Get("step")
	if v.Form != nil && v.Form.Get("step") != "" {
		stepID = v.Form.Get("step")
	}
	i := slices.IndexFunc(wizardSteps, func(s wizardStep) bool { return s.ID == stepID })
	if i < 0 {
		i = 0
	}
	q, err := p.questionnaire(r)
	if err != nil {
		return "", err
	}
	d := &wizardPage{P: pr, Call: c, Step: wizardSteps[i], Steps: wizardSteps, Q: q, Saved: r.URL.Query().Get("saved") == "1",
		Lists: wizardLists{pactum.ModelTypes, pactum.Modalities, pactum.DataSources, pactum.Purposes}}
	if i+1 < len(wizardSteps) {
		d.Next = wizardSteps[i+1].ID
	}
	// The check reads the draft as saved; a refused form is then shown
	// with what was typed.
	if d.Check, err = p.dryRun(r, pr, q); err != nil {
		return "", err
	}
	if v.Form != nil && v.Form.Get("step") == d.Step.ID {
		_ = applyStep(pr, d.Step.ID, v.Form, q)
	}
	if err := p.fillStep(r, d); err != nil {
		return "", err
	}
	v.Title, v.Nav, v.Data = "Proposal: "+d.Step.Label, "apply", d
	if strings.TrimSpace(pr.Title) != "" {
		v.Title = pr.Title + ": " + d.Step.Label
	}
	return "wizard", nil
}

// fillStep prepares what step d.Step shows.
func (p *Portal) fillStep(r *http.Request, d *wizardPage) error {
	pr := d.P
	switch d.Step.ID {
	case "resources":
		systems, err := p.systemMap(r)
		if err != nil {
			return err
		}
		for _, id := range d.Call.SystemIDs {
			row := requestRow{S: systems[id]}
			if row.S == nil {
				continue
			}
			if req := pr.Request(id); req != nil {
				row.Req, row.Has = *req, true
			}
			d.Systems = append(d.Systems, row)
		}
	case "aiact":
		if d.Q != nil {
			idx := map[string]int{}
			for _, q := range d.Q.Questions {
				j, ok := idx[q.Section]
				if !ok {
					j = len(d.Sections)
					idx[q.Section] = j
					label := sectionLabels[q.Section]
					if label == "" {
						label = strings.ReplaceAll(q.Section, "_", " ")
					}
					d.Sections = append(d.Sections, questionSection{Name: q.Section, Label: label})
				}
				d.Sections[j].Questions = append(d.Sections[j].Questions, questionRow{Question: q, Answer: pr.Questionnaire[q.ID]})
			}
		}
	case "ethics":
		for _, s := range pr.Ethics.Sections() {
			d.Ethics = append(d.Ethics, ethicsRow{Name: s.Name, Label: ethicsLabels[s.Name], A: s.Answer})
		}
	case "pledges":
		d.Optional = strings.Join(pr.Pledges.Optional, ", ")
	case "team":
		d.Team = append(slices.Clone(pr.Team), pactum.TeamMember{})
	}
	return nil
}

// questionnaire is the ruleset's questionnaire, nil when it has none.
func (p *Portal) questionnaire(r *http.Request) (*pactum.Questionnaire, error) {
	q, err := p.cfg.Services.Questionnaire(r.Context())
	if pactum.ErrorCode(err) == pactum.ENOTFOUND {
		return nil, nil
	}
	return q, err
}

// dryRun screens pr as if submitted now (the ScreenProposal use case,
// which stores nothing), every question of the questionnaire included so
// that one left unanswered is named. EINVALID becomes the missing fields
// by step; any other refusal is the page's error.
func (p *Portal) dryRun(r *http.Request, pr *pactum.Proposal, q *pactum.Questionnaire) (*check, error) {
	in := pr.ProposalInput
	if q != nil {
		answers := q.Template()
		for id, a := range pr.Questionnaire {
			answers[id] = a
		}
		in.Questionnaire = answers
	}
	dec, err := p.cfg.Services.ScreenProposal(r.Context(), &in)
	switch {
	case err == nil:
		return &check{Missing: map[string][]missingField{}, Decision: dec}, nil
	case pactum.ErrorCode(err) == pactum.EINVALID:
		return newCheck(pactum.ErrorFields(err), q), nil
	}
	return nil, err
}

// newCheck places the fields a refusal names in their steps. A few
// unanswered questions are named by their text; many are counted.
func newCheck(fields []pactum.FieldError, q *pactum.Questionnaire) *check {
	c := &check{Missing: map[string][]missingField{}}
	var unanswered []missingField
	for _, f := range fields {
		m := missingField{Field: f.Field, Label: fieldLabel(f.Field), Message: f.Message}
		if id, ok := strings.CutPrefix(f.Field, "questionnaire."); ok && q != nil {
			if i := slices.IndexFunc(q.Questions, func(x pactum.Question) bool { return x.ID == id }); i >= 0 {
				m.Label = q.Questions[i].Text
				unanswered = append(unanswered, m)
				continue
			}
		}
		st := stepOf(f.Field)
		c.Missing[st] = append(c.Missing[st], m)
		c.Count++
	}
	if len(unanswered) > 3 {
		unanswered = []missingField{{Field: "questionnaire", Label: "questions",
			Message: strconv.Itoa(len(unanswered)) + " of " + strconv.Itoa(len(q.Questions)) + " not answered yet (yes, no or unsure)"}}
	}
	c.Missing["aiact"] = append(c.Missing["aiact"], unanswered...)
	c.Count += len(unanswered)
	return c
}

// saveStep saves one step's form into the draft.
func (p *Portal) saveStep(r *http.Request, v *view) (string, error) {
	ctx, s := r.Context(), p.cfg.Services
	pr, err := s.FindProposalByID(ctx, r.PathValue("id"))
	if err != nil {
		return "", err
	}
	step := r.PostForm.Get("step")
	q, err := p.questionnaire(r)
	if err != nil {
		return "", err
	}
	if err := applyStep(pr, step, r.PostForm, q); err != nil {
		return "", err
	}
	if err := s.UpdateProposal(ctx, pr); err != nil {
		return "", err
	}
	return Prefix + "drafts/" + pr.ID + "?step=" + nextStep(r.PostForm, step) + "&saved=1", nil
}

// prescreen answers the wizard's live check (htmx): the step's form as
// typed, over the saved draft, screened by the dry run; nothing is saved.
func (p *Portal) prescreen(w http.ResponseWriter, r *http.Request) {
	u, csrf, err := p.cfg.Session(r)
	if err != nil {
		p.fail(w, r, nil, err)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxForm)
	if err := r.ParseForm(); err != nil {
		p.fail(w, r, nil, pactum.Errorf(pactum.EINVALID, "The form could not be read: it is too large or malformed."))
		return
	}
	v := &view{User: u, CSRF: csrf, Now: p.cfg.Now()}
	r = r.WithContext(pactum.NewContextWithUser(r.Context(), u))
	pr, err := p.cfg.Services.FindProposalByID(r.Context(), r.PathValue("id"))
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	q, err := p.questionnaire(r)
	if err != nil {
		p.fail(w, r, v, err)
		return
	}
	d := &wizardPage{P: pr, Steps: wizardSteps}
	if err := applyStep(pr, r.PostForm.Get("step"), r.PostForm, q); err != nil {
		d.Check = newCheck(pactum.ErrorFields(err), q)
	} else if d.Check, err = p.dryRun(r, pr, q); err != nil {
		p.fail(w, r, v, err)
		return
	}
	v.Data = d
	var buf bytes.Buffer
	if err := p.pages["wizard"].ExecuteTemplate(&buf, "prescreen", v); err != nil {
		p.cfg.Logger.Error("portal: render prescreen", "err", err)
		http.Error(w, "Internal error.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

// submitDraft submits the draft once the dry run finds nothing missing
// (the questionnaire answered in full included).
func (p *Portal) submitDraft(r *http.Request, v *view) (string, error) {
	ctx, s := r.Context(), p.cfg.Services
	pr, err := s.FindProposalByID(ctx, r.PathValue("id"))
	if err != nil {
		return "", err
	}
	q, err := p.questionnaire(r)
	if err != nil {
		return "", err
	}
	c, err := p.dryRun(r, pr, q)
	if err != nil {
		return "", err
	}
	if c.Count > 0 {
		e := &pactum.Error{Code: pactum.EINVALID, Message: "The proposal is not complete yet: fill in what each step lists."}
		for _, st := range wizardSteps {
			for _, m := range c.Missing[st.ID] {
				e.Fields = append(e.Fields, pactum.FieldError{Field: m.Field, Message: m.Message})
			}
		}
		return "", e
	}
	if _, err := s.SubmitProposal(ctx, pr.ID); err != nil {
		return "", err
	}
	return Prefix + "proposals/" + pr.ID + "?done=submitted", nil
}

// applyStep moves step's form values into pr. Numbers that do not parse
// are EINVALID naming the field; everything else is the use case's to
// judge.
func applyStep(pr *pactum.Proposal, step string, f url.Values, q *pactum.Questionnaire) error {
	var v pactum.Validator
	on := func(name string) bool { return f.Get(name) != "" }
	switch step {
	case "project":
		pr.Title, pr.Summary = f.Get("title"), f.Get("summary")
		pr.Mode = pactum.AccessMode(f.Get("mode"))
		pr.DurationMonths = formWhole(&v, f, "duration_months", "duration_months")
	case "resources":
		var reqs []pactum.ResourceRequest
		for _, id := range f["system"] {
			if strings.TrimSpace(f.Get("amount."+id)+f.Get("storage."+id)+f.Get("gpus."+id)) == "" {
				continue
			}
			field := "requests[" + strconv.Itoa(len(reqs)) + "]"
			reqs = append(reqs, pactum.ResourceRequest{SystemID: id, Amount: formNumber(&v, f, "amount."+id, field+".amount"),
				StorageTB: formNumber(&v, f, "storage."+id, field+".storage_tb"), GPUs: formWhole(&v, f, "gpus."+id, field+".gpus"),
				Support: f.Get("support." + id)})
		}
		pr.Requests = reqs
	case "ai":
		w := &pr.AIWork
		w.ModelType, w.Purpose = f.Get("model_type"), f.Get("purpose")
		w.InputModalities, w.OutputModalities = f["input_modalities"], f["output_modalities"]
		w.ParameterCount = formNumber(&v, f, "parameter_count", "ai_work.parameter_count")
		w.TrainingTokens = formNumber(&v, f, "training_tokens", "ai_work.training_tokens")
		w.PlannedTrainingFLOP = formNumber(&v, f, "planned_training_flop", "ai_work.planned_training_flop")
		w.FineTune, w.BaseModel = on("fine_tune"), f.Get("base_model")
		w.IntendedUse, w.Market = f.Get("intended_use"), f.Get("market")
		w.IntendsEUMarket, w.OpenWeights, w.CivilianOnly = on("intends_eu_market"), on("open_weights"), on("civilian_only")
		w.DataProvenance.Sources = f["sources"]
		w.DataProvenance.PersonalData, w.DataProvenance.SpecialCategoryData = on("personal_data"), on("special_category_data")
		w.DataProvenance.TDMOptOutsHonoured = on("tdm_opt_outs_honoured")
		w.DataProvenance.Description = f.Get("data_description")
	case "aiact":
		if q == nil {
			break
		}
		answers := map[string]pactum.Answer{}
		for _, x := range q.Questions {
			if a := f.Get("q." + x.ID); a != "" {
				answers[x.ID] = pactum.Answer(a)
			}
		}
		if len(answers) == 0 {
			answers = nil
		}
		pr.Questionnaire = answers
	case "ethics":
		for _, name := range pactum.EthicsSections {
			a := pr.Ethics.Answer(name)
			a.Yes, a.Details = f.Get("ethics."+name) == "yes", f.Get("ethics."+name+".details")
		}
	case "pledges":
		pl := &pr.Pledges
		pl.GovernanceStrategy, pl.HighRiskMapping, pl.AILiteracy = on("governance_strategy"), on("high_risk_mapping"), on("ai_literacy")
		pl.Optional = nil
		for _, o := range strings.Split(f.Get("optional"), ",") {
			if o = strings.TrimSpace(o); o != "" {
				pl.Optional = append(pl.Optional, o)
			}
		}
	case "team":
		var team []pactum.TeamMember
		for i := 0; i <= 50; i++ {
			k := "team." + strconv.Itoa(i) + "."
			m := pactum.TeamMember{Name: f.Get(k + "name"), Email: f.Get(k + "email"), Organization: f.Get(k + "organization")}
			if strings.TrimSpace(m.Name+m.Email+m.Organization) != "" {
				team = append(team, m)
			}
		}
		pr.Team = team
	case "submit", "":
	default:
		v.Add("step", "is not a step of the wizard")
	}
	return v.Err("Some values could not be read.")
}

// acknowledge meets one of an allocation's conditions with the
// applicant's statement (the AcknowledgeCondition use case).
func (p *Portal) acknowledge(r *http.Request, v *view) (string, error) {
	id := r.PathValue("id")
	if _, err := p.cfg.Services.AcknowledgeCondition(r.Context(), id, r.PostForm.Get("rule_id"), r.PostForm.Get("statement")); err != nil {
		return "", err
	}
	return Prefix + "allocations/" + id + "?done=acknowledged", nil
}
