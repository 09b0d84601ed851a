// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The public transparency report: what the scheme funded in a period, in
// aggregate, the only view of proposals and awards that leaves the circle
// of applicants, sites, access managers and auditors.
//
// Cohort. The report counts the proposals submitted in its period (drafts
// never count) and follows them: their awards (accepted proposals), the
// GPU-hours granted by those decisions, and, to the report's time, the
// GPU-hours their allocations used, the training compute those GPU-hours
// amount to (training phases only, on the scheme's systems: a model's
// prior and base-model compute is not the scheme's and is not added) and
// their energy (with each site's PUE).
//
// Dimensions. Each table breaks the cohort down by one dimension: access
// mode, AI Act risk class (RiskClassOf the screening), model size band
// (declared parameters), compute band (the largest screening estimate of
// training compute, declared prior compute included), country of the
// organization and its sector. pactum keeps no industry sector for an
// organization; "sector" is the kind of organization the scheme
// distinguishes: startup, SME or other (IsStartup, IsSME at submission).
//
// Suppression. The privacy unit is the organization. A row whose
// proposals come from fewer than K organizations shows none of its
// figures; a row whose awards went to fewer than K organizations shows
// its proposal count but none of its award figures. Because every table
// shows its total, one suppressed row could be recovered as the total
// minus the others; so each table suppresses further rows, smallest
// first, until the suppressed rows together hold at least K organizations
// and are at least two, and suppresses the total itself when the whole
// table holds fewer than K (then every row is suppressed too). Marginal
// tables of the same cohort do not reveal their intersections (mode ×
// country) except in the case a table has one row, which these rules
// suppress when it is small.
//
// Reproducibility. A report states the audit event it was computed at
// (AuditSeq) and the chain's hash there (AuditHead); it is computed on one
// snapshot in which every committed change is sealed into the chain up to
// that event (on PostgreSQL, where events are sealed just after commit, a
// snapshot holding unsealed events is taken again). Verification replays
// the log to AuditSeq, checks the chain's hash there, rebuilds the
// organizations, systems and proposals from their snapshots (the events
// that write their rows record the whole row), derives each proposal's
// facts (FactsOf) and recomputes the tables: proposals, awards, GPU-hours
// granted and every suppression flag must agree (CompareReproduced).
// GPU-hours used are reproduced too when the report read the usage totals
// at its audit position (UsageAtSeq): each usage.ingest event records the
// GPU-seconds its batch added to each allocation, so the log sums to the
// totals. Training FLOP and energy are not: they depend on each job's
// phase, model, utilisation and measured energy, which reach pactum in
// bulk from the sites' accounting and are audited per batch by their
// counts, not per record; they are the totals at ComputedAt, held to the
// sites' own accounting instead. Their suppression is reproduced, since
// it depends on awards only. The report says so in its own text
// (ReportReproduced).

// DefaultReportK is the smallest group a published figure may describe
// unless the report says otherwise; MinReportK and MaxReportK bound it.
const (
	DefaultReportK = 5
	MinReportK     = 2
	MaxReportK     = 1000
)

// Period is a span of calendar days, From to Until exclusive.
type Period struct {
	From  Date `json:"from"`
	Until Date `json:"until"` // exclusive
}

// Contains reports whether t falls in the period.
func (p Period) Contains(t time.Time) bool {
	return !t.Before(p.From.Time()) && t.Before(p.Until.Time())
}

// String is the period as ParsePeriod reads it back: FROM..LAST, the last
// day inclusive.
func (p Period) String() string {
	return p.From.String() + ".." + DateOf(p.Until.Time().AddDate(0, 0, -1)).String()
}

// Bounds of a period.
const (
	minPeriodYear   = 2000
	maxPeriodYear   = 2999
	maxPeriodMonths = 120
)

// ParsePeriod reads a period: a year "2026", a quarter "2026-Q2", a
// month "2026-03", or a range of days "2026-01-01..2026-06-30" (both days
// included). Years lie between 2000 and 2999; a range is at most ten
// years long. EINVALID naming field period otherwise.
func ParsePeriod(s string) (Period, error) {
	bad := func(why string) (Period, error) {
		var v Validator
		v.Add("period", "%s", why)
		return Period{}, v.Err("The period is not valid.")
	}
	if len(s) > 32 {
		return bad("must be at most 32 characters: YYYY, YYYY-Qn, YYYY-MM or YYYY-MM-DD..YYYY-MM-DD")
	}
	year := func(y string) (int, bool) {
		if len(y) != 4 {
			return 0, false
		}
		n, err := strconv.Atoi(y)
		return n, err == nil && n >= minPeriodYear && n <= maxPeriodYear && y[0] != '+' && y[0] != '-'
	}
	start := func(y, m int) Date { return Date{time.Date(y, time.Month(m), 1, 0, 0, 0, 0, time.UTC)} }
	if from, to, ok := strings.Cut(s, ".."); ok {
		a, errA := ParseDate(from)
		b, errB := ParseDate(to)
		switch {
		case errA != nil || errB != nil:
			return bad("must be two dates YYYY-MM-DD..YYYY-MM-DD")
		case a.t.Year() < minPeriodYear || b.t.Year() > maxPeriodYear:
			return bad(fmt.Sprintf("must lie between %d and %d", minPeriodYear, maxPeriodYear))
		case b.t.Before(a.t):
			return bad("must not end before it starts")
		case b.t.After(a.t.AddDate(0, maxPeriodMonths, 0)):
			return bad(fmt.Sprintf("must be at most %d years long", maxPeriodMonths/12))
		}
		return Period{From: a, Until: Date{b.t.AddDate(0, 0, 1)}}, nil
	}
	switch {
	case len(s) == 4:
		if y, ok := year(s); ok {
			return Period{From: start(y, 1), Until: start(y+1, 1)}, nil
		}
	case len(s) == 7 && (s[5] == 'Q' || s[5] == 'q') && s[4] == '-':
		y, ok := year(s[:4])
		if q := s[6]; ok && q >= '1' && q <= '4' {
			m := int(q-'1')*3 + 1
			return Period{From: start(y, m), Until: Date{start(y, m).t.AddDate(0, 3, 0)}}, nil
		}
	case len(s) == 7 && s[4] == '-':
		y, ok := year(s[:4])
		m, err := strconv.Atoi(s[5:])
		if ok && err == nil && s[5] != '+' && s[5] != '-' && m >= 1 && m <= 12 {
			return Period{From: start(y, m), Until: Date{start(y, m).t.AddDate(0, 1, 0)}}, nil
		}
	}
	return bad(fmt.Sprintf("must be YYYY, YYYY-Qn, YYYY-MM or YYYY-MM-DD..YYYY-MM-DD with a year from %d to %d", minPeriodYear, maxPeriodYear))
}

// RiskClass is the AI Act class screening placed a proposal's work in.
type RiskClass string

// The risk classes, strongest first.
const (
	RiskProhibited   RiskClass = "prohibited"    // an Art. 5 practice was found
	RiskSystemicGPAI RiskClass = "gpai_systemic" // Art. 51: a GPAI model with systemic risk
	RiskHigh         RiskClass = "high_risk"     // Art. 6, Annex III
	RiskGPAI         RiskClass = "gpai"          // Art. 53: a general-purpose AI model
	RiskTransparency RiskClass = "transparency"  // Art. 50 duties only
	RiskMinimal      RiskClass = "minimal"       // none of the above
)

// RiskClasses lists the classes, strongest first.
var RiskClasses = []RiskClass{RiskProhibited, RiskSystemicGPAI, RiskHigh, RiskGPAI, RiskTransparency, RiskMinimal}

// RiskClassOf reads the class from the rules that fired: the rule IDs of
// the shipped ruleset name their article (art5.*, gpai.systemic_*,
// annex3.* and art6.*, gpai.*, art50.*). The strongest class wins; info
// findings count too, since they record what the rules established. A
// proposal never screened is minimal.
func RiskClassOf(d *ScreeningDecision) RiskClass {
	if d == nil {
		return RiskMinimal
	}
	best := len(RiskClasses) - 1
	for _, f := range d.Findings {
		var c RiskClass
		id := f.RuleID
		switch {
		case strings.HasPrefix(id, "art5."):
			c = RiskProhibited
		case strings.HasPrefix(id, "gpai.systemic"):
			c = RiskSystemicGPAI
		case strings.HasPrefix(id, "annex3.") || strings.HasPrefix(id, "art6."):
			c = RiskHigh
		case strings.HasPrefix(id, "gpai.") && f.Effect == EffectCondition:
			c = RiskGPAI
		case strings.HasPrefix(id, "art50."):
			c = RiskTransparency
		default:
			continue
		}
		best = min(best, slices.Index(RiskClasses, c))
	}
	return RiskClasses[best]
}

// SizeBand names a model's declared size: "undeclared", "<1B", "1B-10B",
// "10B-100B" or ">=100B" parameters.
func SizeBand(params float64) string {
	switch {
	case params <= 0:
		return "undeclared"
	case params < 1e9:
		return "<1B"
	case params < 1e10:
		return "1B-10B"
	case params < 1e11:
		return "10B-100B"
	default:
		return ">=100B"
	}
}

// ComputeBand names a training compute: "none", "<1e23", "1e23-1e25"
// (the indicative GPAI threshold and above) or ">=1e25" (the systemic-
// risk presumption of Art. 51(2)).
func ComputeBand(flop float64) string {
	switch {
	case flop <= 0:
		return "none"
	case flop < 1e23:
		return "<1e23"
	case flop < 1e25:
		return "1e23-1e25"
	default:
		return ">=1e25"
	}
}

// Sector is the kind of organization at t: "startup", "sme" or "other".
func Sector(o *Organization, t time.Time) string {
	switch {
	case o == nil:
		return "other"
	case o.IsStartup(t):
		return "startup"
	case o.IsSME():
		return "sme"
	default:
		return "other"
	}
}

// ReportProposal is what the report takes of one proposal: its
// dimensions and its register figures, all derived from the proposal, its
// organization and the catalogue (ReportProposalOf).
type ReportProposal struct {
	ID             string
	OrganizationID string
	Accepted       bool
	GrantedGPUHrs  float64
	// Dims are the values of ReportDimensions, in that order.
	Dims [6]string
}

// ReportDimensions are the report's tables, in order.
var ReportDimensions = []string{"mode", "risk_class", "size_band", "compute_band", "country", "sector"}

// ProposalFacts is what the time to access and the report take of a
// submitted proposal, derived from it alone (FactsOf): the store keeps it
// beside the proposal's row, so that neither decodes the proposal's
// content and screening, and the verification derives it from the
// proposals the audit log rebuilds.
type ProposalFacts struct {
	ProposalID     string
	CallID         string
	OrganizationID string
	Mode           AccessMode
	State          ProposalState
	SubmittedAt    time.Time
	DecisionDueAt  *time.Time
	DecidedAt      *time.Time
	// Accepted: the proposal was decided in favour (approved or
	// accepted); Grants are then the decision's.
	Accepted bool
	Grants   []Grant
	// RiskClass is RiskClassOf the screening; ParameterCount the declared
	// parameters; EstimateFLOP the largest screening estimate of training
	// compute.
	RiskClass      RiskClass
	ParameterCount float64
	EstimateFLOP   float64
}

// FactsOf derives a submitted proposal's facts; ok is false for a
// proposal never submitted.
func FactsOf(p *Proposal) (f ProposalFacts, ok bool) {
	if p.SubmittedAt == nil {
		return f, false
	}
	f = ProposalFacts{ProposalID: p.ID, CallID: p.CallID, OrganizationID: p.OrganizationID, Mode: p.Mode, State: p.State,
		SubmittedAt: p.SubmittedAt.UTC(), DecisionDueAt: p.DecisionDueAt, RiskClass: RiskClassOf(p.Screening),
		ParameterCount: p.AIWork.ParameterCount, Grants: []Grant{}}
	if p.Decision != nil {
		at := p.Decision.DecidedAt.UTC()
		f.DecidedAt = &at
		if p.Decision.Accept && (p.State == ProposalApproved || p.State == ProposalAccepted) {
			f.Accepted = true
			f.Grants = append(f.Grants, p.Decision.Grants...)
		}
	}
	if p.Screening != nil {
		for _, e := range p.Screening.Estimates {
			f.EstimateFLOP = math.Max(f.EstimateFLOP, e.FLOP)
		}
	}
	return f, true
}

// Timing is the facts' part the time to access measures.
func (f *ProposalFacts) Timing() ProposalTiming {
	t := ProposalTiming{ProposalID: f.ProposalID, CallID: f.CallID, OrganizationID: f.OrganizationID, Mode: f.Mode, State: f.State,
		SubmittedAt: f.SubmittedAt, DecisionDueAt: f.SubmittedAt, DecidedAt: f.DecidedAt}
	if f.DecisionDueAt != nil {
		t.DecisionDueAt = *f.DecisionDueAt
	}
	return t
}

// ReportProposalOf derives a proposal's report figures from its facts.
// org is its organization, systems the catalogue (GPU-hours of node-hour
// grants).
func ReportProposalOf(f *ProposalFacts, org *Organization, systems map[string]*System) ReportProposal {
	r := ReportProposal{ID: f.ProposalID, OrganizationID: f.OrganizationID, Accepted: f.Accepted}
	for _, g := range f.Grants {
		if s := systems[g.SystemID]; s != nil {
			r.GrantedGPUHrs += s.GPUHours(g.Amount)
		}
	}
	r.Dims = [6]string{string(f.Mode), string(f.RiskClass), SizeBand(f.ParameterCount), ComputeBand(f.EstimateFLOP)}
	r.SetOrganization(org, f.SubmittedAt)
	return r
}

// SetOrganization fills in the dimensions that depend on the proposal's
// organization o, as at its submission at: what ReportProposalOf does when
// given o.
func (r *ReportProposal) SetOrganization(o *Organization, at time.Time) {
	r.Dims[4], r.Dims[5] = "", Sector(o, at)
	if o != nil {
		r.Dims[4] = o.Country
	}
}

// ReportUsage is what an award's allocations used, to the report's time:
// GPU-hours, training FLOP and energy in MWh (from the running totals of
// usage, never the records).
type ReportUsage struct {
	GPUHours     float64
	TrainingFLOP float64
	EnergyMWh    float64
}

// ReportCell is one row of a table: a dimension's value (or "total") and
// its figures. A suppressed figure is null. Proposals, Awards and
// GPUHoursGranted are reproduced from the audit log; GPUHoursUsed,
// TrainingFLOP and EnergyMWh are not (TransparencyReport.Reproduced).
type ReportCell struct {
	Value           string   `json:"value"`
	Suppressed      bool     `json:"suppressed"`
	AwardSuppressed bool     `json:"award_suppressed"`
	Proposals       *int     `json:"proposals"`
	Awards          *int     `json:"awards"`
	GPUHoursGranted *float64 `json:"gpu_hours_granted"`
	GPUHoursUsed    *float64 `json:"gpu_hours_used"`
	TrainingFLOP    *float64 `json:"training_flop"`
	EnergyMWh       *float64 `json:"energy_mwh"`
}

// ReportTable is the cohort by one dimension, rows in value order, and
// its total.
type ReportTable struct {
	Dimension string       `json:"dimension"`
	Rows      []ReportCell `json:"rows"`
	Total     ReportCell   `json:"total"`
}

// group accumulates one row before suppression.
type group struct {
	value                        string
	orgs, awardOrgs              map[string]bool
	proposals, awards            int
	granted, used, flop, energyM float64
}

func newGroup(v string) *group {
	return &group{value: v, orgs: map[string]bool{}, awardOrgs: map[string]bool{}}
}

func (g *group) add(p *ReportProposal, u ReportUsage) {
	g.orgs[p.OrganizationID] = true
	g.proposals++
	if p.Accepted {
		g.awardOrgs[p.OrganizationID] = true
		g.awards++
		g.granted += p.GrantedGPUHrs
		g.used += u.GPUHours
		g.flop += u.TrainingFLOP
		g.energyM += u.EnergyMWh
	}
}

// BuildReportTables tabulates ps (in the given order, which fixes the
// floating-point sums: callers pass them by ID) with usage by proposal ID,
// and suppresses with k.
func BuildReportTables(ps []ReportProposal, usage map[string]ReportUsage, k int) []ReportTable {
	out := make([]ReportTable, len(ReportDimensions))
	// Every table has the same total; usage is looked up once.
	total := newGroup("total")
	us := make([]ReportUsage, len(ps))
	for i := range ps {
		if ps[i].Accepted {
			us[i] = usage[ps[i].ID]
		}
		total.add(&ps[i], us[i])
	}
	for d, dim := range ReportDimensions {
		groups := map[string]*group{}
		var last *group
		for i := range ps {
			p := &ps[i]
			v := p.Dims[d]
			g := last
			if g == nil || g.value != v {
				if g = groups[v]; g == nil {
					g = newGroup(v)
					groups[v] = g
				}
				last = g
			}
			g.add(p, us[i])
		}
		gs := make([]*group, 0, len(groups))
		for _, v := range slices.Sorted(mapKeys(groups)) {
			gs = append(gs, groups[v])
		}
		out[d] = tabulate(dim, gs, total, k)
	}
	return out
}

// SuppressCells returns which of sets (the organizations behind each row)
// are suppressed, and whether the total (their union) is: rows of fewer
// than k organizations (but not none), then further rows, smallest first,
// until the suppressed rows hold at least k organizations together and
// are at least two; the total, and with it every row, when the union
// holds fewer than k. already marks rows suppressed before (they count as
// suppressed and are kept so).
func SuppressCells(sets []map[string]bool, already []bool, k int) (rows []bool, total bool) {
	rows = make([]bool, len(sets))
	union := map[string]bool{}
	for i, s := range sets {
		rows[i] = (already != nil && already[i]) || (len(s) > 0 && len(s) < k)
		for o := range s {
			union[o] = true
		}
	}
	if len(union) > 0 && len(union) < k {
		for i := range rows {
			rows[i] = true
		}
		return rows, true
	}
	for {
		hidden, n := map[string]bool{}, 0
		for i, s := range sets {
			if rows[i] {
				n++
				for o := range s {
					hidden[o] = true
				}
			}
		}
		if n == 0 || (n >= 2 && len(hidden) >= k) {
			return rows, false
		}
		// Suppress the smallest row still shown (by organizations, then
		// by position, so the choice is reproducible).
		next := -1
		for i, s := range sets {
			if !rows[i] && len(s) > 0 && (next < 0 || len(s) < len(sets[next])) {
				next = i
			}
		}
		if next < 0 {
			// Every row is suppressed and together they are still fewer
			// than k, or one: the total would reveal them.
			return rows, true
		}
		rows[next] = true
	}
}

func tabulate(dim string, gs []*group, total *group, k int) ReportTable {
	orgSets, awardSets := make([]map[string]bool, len(gs)), make([]map[string]bool, len(gs))
	for i, g := range gs {
		orgSets[i], awardSets[i] = g.orgs, g.awardOrgs
	}
	rowSup, totalSup := SuppressCells(orgSets, nil, k)
	awardSup, totalAwardSup := SuppressCells(awardSets, rowSup, k)
	t := ReportTable{Dimension: dim, Rows: make([]ReportCell, len(gs))}
	for i, g := range gs {
		t.Rows[i] = cellOf(g, rowSup[i], awardSup[i])
	}
	t.Total = cellOf(total, totalSup, totalSup || totalAwardSup)
	return t
}

func cellOf(g *group, sup, awardSup bool) ReportCell {
	c := ReportCell{Value: g.value, Suppressed: sup, AwardSuppressed: sup || awardSup}
	if !sup {
		c.Proposals = &g.proposals
	}
	if !c.AwardSuppressed {
		c.Awards, c.GPUHoursGranted, c.GPUHoursUsed = &g.awards, &g.granted, &g.used
		c.TrainingFLOP, c.EnergyMWh = &g.flop, &g.energyM
	}
	return c
}

// TransparencyReport is a transparency report as generated, and, once
// published, as anyone may read it.
type TransparencyReport struct {
	ID     string `json:"id"`
	Period Period `json:"period"`
	K      int    `json:"k"`
	// AuditSeq and AuditHead are the audit chain's position the report
	// was computed at: the last event whose changes it counts.
	AuditSeq  int64  `json:"audit_seq"`
	AuditHead string `json:"audit_head"`
	// ComputedAt is the time of the usage totals the report read.
	ComputedAt time.Time `json:"computed_at"`
	// UsageAtSeq: the usage totals were read at AuditSeq too, so GPU-hours
	// used can be reproduced from the log. False for a report computed
	// while usage kept arriving, and for reports made before pactum
	// recorded GPU-seconds in each usage.ingest event.
	UsageAtSeq  bool          `json:"usage_at_seq,omitempty"`
	Tables      []ReportTable `json:"tables"`
	Method      string        `json:"method"`
	Reproduced  string        `json:"reproduced"`
	CreatedAt   time.Time     `json:"created_at"`
	CreatedBy   string        `json:"created_by,omitempty"`
	PublishedAt *time.Time    `json:"published_at,omitempty"`
	PublishedBy string        `json:"published_by,omitempty"`
}

// ReportMethod and ReportReproduced are stated in every report.
const (
	ReportMethod = "Cohort: the proposals submitted in the period (drafts excluded), their awards (accepted proposals) " +
		"and the GPU-hours those decisions granted; GPU-hours used, training FLOP (training phases on the scheme's systems) " +
		"and energy (MWh, with each site's PUE) of their allocations to computed_at, from pactum's running usage totals. " +
		"Sector is the kind of organization (startup, SME, other); risk class is read from the screening's findings. " +
		"Suppression: a row whose proposals come from fewer than k organizations shows no figures; a row whose awards went to " +
		"fewer than k organizations shows no award figures. So that no suppressed row can be recovered from the total, each " +
		"table suppresses further rows, smallest first, until its suppressed rows are at least two and hold at least k " +
		"organizations together; a table of fewer than k organizations suppresses its total and every row."
	ReportReproduced = "Reproduced from the audit log: proposals, awards, GPU-hours granted, GPU-hours used (when usage_at_seq " +
		"is true) and every suppression, recomputed from the organizations, systems, proposals and allocations the log rebuilds " +
		"up to audit_seq (whose hash is audit_head) and the GPU-seconds each usage batch added to each allocation, and compared " +
		"figure by figure by `pactum reports transparency verify`. Not reproduced: training FLOP and energy. Usage reaches pactum " +
		"in bulk from the sites' accounting, each batch audited as one event with its totals per allocation, not its records; " +
		"these figures come from the running totals at computed_at, checked against the sites' own accounting."
)

// ReportInput asks for a transparency report.
type ReportInput struct {
	Period string `json:"period"`
	// K is the smallest group a figure may describe; 0 means
	// DefaultReportK.
	K int `json:"k,omitempty"`
}

// TransparencyService generates, publishes and serves transparency
// reports.
type TransparencyService interface {
	// CreateTransparencyReport computes a report of the period at the
	// audit log's current position and stores it unpublished. Access
	// managers only (EFORBIDDEN); EINVALID for a bad period or k.
	CreateTransparencyReport(ctx context.Context, in ReportInput) (*TransparencyReport, error)
	// PublishTransparencyReport publishes a stored report; from then on
	// it never changes and anyone may read it. Access managers only;
	// ENOTFOUND for an unknown report, ECONFLICT when already published.
	PublishTransparencyReport(ctx context.Context, id string) (*TransparencyReport, error)
	// FindTransparencyReport returns a report: a published one to anyone,
	// with or without a user in ctx; an unpublished one to access
	// managers and auditors only, ENOTFOUND for anyone else.
	FindTransparencyReport(ctx context.Context, id string) (*TransparencyReport, error)
	// FindTransparencyReports lists reports, newest first: the published
	// ones, and to access managers and auditors the unpublished too.
	FindTransparencyReports(ctx context.Context) ([]*TransparencyReport, error)
	// VerifyTransparencyReport replays the audit log to the report's
	// position and recomputes its reproduced figures. Access managers and
	// auditors only (EFORBIDDEN); ENOTFOUND for an unknown report.
	VerifyTransparencyReport(ctx context.Context, id string) (*ReportVerification, error)
}
