// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"
)

// defaultPlanningMFU is used for a system whose catalogue entry has no
// MFU band: the middle of the range the reference calls typical for
// planning on H100/A100 (35–45 %).
const defaultPlanningMFU = 0.40

// PlanningMFU is the middle of the system's planning band of model FLOP
// utilisation: what a job is assumed to achieve when neither Slurm
// measured nor the provider declared anything.
func (s *System) PlanningMFU() float64 {
	if s.MFULow > 0 && s.MFUHigh >= s.MFULow {
		return (s.MFULow + s.MFUHigh) / 2
	}
	return defaultPlanningMFU
}

// NodeOverheadOrOne is the system's node overhead factor, 1 when the
// catalogue has none.
func (s *System) NodeOverheadOrOne() float64 {
	if s.NodeOverhead >= 1 {
		return s.NodeOverhead
	}
	return 1
}

// PUEOrOne is the system's power usage effectiveness, 1 when unknown.
func (s *System) PUEOrOne() float64 {
	if s.PUE >= 1 {
		return s.PUE
	}
	return 1
}

// ModelSubject and OrganizationSubject name compute totals and alerts.
func ModelSubject(num int64) string        { return fmt.Sprintf("model:%d", num) }
func OrganizationSubject(id string) string { return "org:" + id }

// AlertsCrossed returns the (threshold, fraction) pairs that a total going
// from before to after reached for the first time; offset is declared
// compute added to both (base model, prior training).
func AlertsCrossed(before, after, offset float64, fractions []float64) [][2]float64 {
	var out [][2]float64
	if after <= before {
		return out
	}
	for _, t := range ComputeThresholds {
		for _, f := range fractions {
			if line := f * t; before+offset < line && after+offset >= line {
				out = append(out, [2]float64{t, f})
			}
		}
	}
	return out
}

// ModelAllocation is what the report needs of an allocation a model ran
// on: its system and what remains of its grant.
type ModelAllocation struct {
	SystemID string
	// RemainingGPUSeconds is the grant not yet used, in GPU-seconds (a
	// node-hour grant converted with the system's GPUs per node).
	RemainingGPUSeconds int64
}

// BurnWindowDays is the window of the burn rate: a week smooths the
// weekend and queue gaps of a training run.
const BurnWindowDays = 7

// BuildModelCompute derives a model's supervision record from its running
// totals (rows), its organization's (org, for the upper bound, with mfuOf
// the declared MFU of each of the organization's models by Num), its
// daily training series, the catalogue and the allocations it ran on. now
// is the report's time. It is pure: the same inputs give the same record.
func BuildModelCompute(m *Model, rows, org []ModelUsageRow, mfuOf map[int64]float64, days []ModelDay, systems map[string]*System,
	allocs []ModelAllocation, now time.Time) *ModelCompute {
	mc := &ModelCompute{Model: m, At: now, BurnWindow: BurnWindowDays, Phases: []PhaseUsage{}, Systems: []SystemUsage{},
		Crossings: []Crossing{}, Flags: []string{}}
	today := now.Unix() / 86400
	var training, burn float64
	var trainingGPUs, measuredGPUs, allGPUs, energyGPUs int64
	var energyJ float64
	phases := map[Phase]*PhaseUsage{}
	bySystem := map[string]*SystemUsage{}
	var implausible int64
	for _, r := range rows {
		sys := systems[r.SystemID]
		pue, co2 := 1.0, 0.0
		if sys != nil {
			pue, co2 = sys.PUEOrOne(), sys.GridGCO2PerKWh
		}
		flop := ModelFLOP(sys, m.DeclaredMFU, r.GPUSeconds, r.UsageBasis)
		e := ModelEnergyJ(sys, r.GPUSeconds, r.UsageBasis) * pue
		p := phases[r.Phase]
		if p == nil {
			p = &PhaseUsage{Phase: r.Phase, Training: r.Phase.Training(), SystemsIDs: []string{}}
			phases[r.Phase] = p
		}
		p.Jobs += r.Jobs
		p.GPUHours += float64(r.GPUSeconds) / 3600
		p.FLOP += flop
		p.EnergyMWh += e / 3.6e9
		if !slices.Contains(p.SystemsIDs, r.SystemID) {
			p.SystemsIDs = append(p.SystemsIDs, r.SystemID)
		}
		s := bySystem[r.SystemID]
		if s == nil {
			s = &SystemUsage{SystemID: r.SystemID}
			if sys != nil {
				s.Site, s.Country = sys.Site, sys.Country
			}
			bySystem[r.SystemID] = s
		}
		s.GPUHours += float64(r.GPUSeconds) / 3600
		s.EnergyMWh += e / 3.6e9
		s.CO2eKg += e / 3.6e6 * co2 / 1000
		energyJ += e
		mc.CO2eKg += e / 3.6e6 * co2 / 1000
		allGPUs += r.GPUSeconds
		energyGPUs += r.EnergyGPUSeconds
		implausible += r.EnergyImplausible
		if r.Phase.Training() {
			s.FLOP += flop
			s.TrainingGPUHours += float64(r.GPUSeconds) / 3600
			training += flop
			trainingGPUs += r.GPUSeconds
			measuredGPUs += r.UtilGPUSeconds
		}
	}
	first, last := int64(math.MaxInt64), int64(-1)
	for _, d := range days {
		if d.Day > today-BurnWindowDays && d.Day <= today {
			burn += d.FLOP
		}
		if d.GPUSeconds > 0 {
			first, last = min(first, d.Day), max(last, d.Day)
		}
	}
	for _, ph := range append([]Phase{PhaseNone}, Phases...) {
		if p := phases[ph]; p != nil {
			mc.Phases = append(mc.Phases, *p)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(bySystem)) {
		mc.Systems = append(mc.Systems, *bySystem[id])
	}
	mc.GPUHours = float64(trainingGPUs) / 3600
	if trainingGPUs > 0 {
		mc.MeasuredShare = float64(measuredGPUs) / float64(trainingGPUs)
	}
	if allGPUs > 0 {
		mc.EnergyMeasuredShare = float64(energyGPUs) / float64(allGPUs)
	}
	mc.EnergyMWh = energyJ / 3.6e9
	mc.EnergyMethod = energyMethod(mc.EnergyMeasuredShare, implausible)
	method := hardwareMethod(mc.MeasuredShare, m.DeclaredMFU)
	mc.Training = NewFigure(training, method)
	offset := m.BaseModelFLOP + m.PriorTrainingFLOP
	cumMethod := method
	if offset > 0 {
		cumMethod += fmt.Sprintf("; plus declared compute: base model %s, prior training %s", TwoSF(m.BaseModelFLOP), TwoSF(m.PriorTrainingFLOP))
	}
	mc.Cumulative = NewFigure(training+offset, cumMethod)
	if m.ParameterCount > 0 && m.TrainingTokens > 0 {
		f := NewFigure(6*m.ParameterCount*m.TrainingTokens+offset, "architecture: 6 × parameters × tokens (declared)")
		mc.SixPD = &f
	}
	var upper float64
	for _, r := range org {
		upper += ModelFLOP(systems[r.SystemID], mfuOf[r.ModelNum], r.GPUSeconds, r.UsageBasis)
	}
	mc.UpperBound = NewFigure(upper+offset, "every GPU-hour of the organization, any model, phase or none, counted as training of this model")
	if last >= 0 {
		f, l := time.Unix(first*86400, 0).UTC(), time.Unix(last*86400, 0).UTC()
		mc.FirstDay, mc.LastDay = &f, &l
	}
	mc.BurnRate = burn / BurnWindowDays
	for _, al := range allocs {
		if sys := systems[al.SystemID]; sys != nil && al.RemainingGPUSeconds > 0 {
			mfu := m.DeclaredMFU
			if mfu <= 0 {
				mfu = sys.PlanningMFU()
			}
			mc.RemainingGrantFLOP += float64(al.RemainingGPUSeconds) * sys.PeakTFLOPSPerGPU * 1e12 * mfu
		}
	}
	for _, t := range []struct {
		v           float64
		name, basis string
	}{
		{GPAIThresholdFLOP, "gpai", "Commission guidelines on general-purpose AI models §17 (indicative criterion: more than 10^23 FLOP)"},
		{SystemicRiskThresholdFLOP, "systemic-risk", "AI Act Art. 51(2) (presumption above 10^25 FLOP); notification Art. 52(1)"},
	} {
		c := Crossing{Threshold: t.v, Name: t.name, Basis: t.basis}
		switch {
		case mc.Cumulative.FLOP >= t.v:
			c.Reached, c.ReachedBy = true, "estimate"
		case mc.Cumulative.High >= t.v:
			c.Reached, c.ReachedBy = true, "band"
		case mc.UpperBound.FLOP >= t.v:
			c.Reached, c.ReachedBy = true, "upper-bound"
		}
		if !c.Reached && mc.BurnRate > 0 {
			days := (t.v - mc.Cumulative.FLOP) / mc.BurnRate
			if days < 3650 {
				at := now.Add(time.Duration(days * 24 * float64(time.Hour))).UTC().Truncate(time.Hour)
				c.ProjectedAt = &at
			}
		}
		c.WithinGrant = mc.Cumulative.FLOP+mc.RemainingGrantFLOP >= t.v
		mc.Crossings = append(mc.Crossings, c)
	}
	mc.Flags = modelFlags(mc, phases)
	return mc
}

// modelFlags are the findings an access manager should look at.
func modelFlags(mc *ModelCompute, phases map[Phase]*PhaseUsage) []string {
	flags := []string{}
	var trainingH, otherH float64
	for _, p := range phases {
		if p.Training {
			trainingH += p.GPUHours
		} else {
			otherH += p.GPUHours
		}
	}
	if pre := phases[PhasePreTraining]; pre != nil && otherH > trainingH {
		flags = append(flags, fmt.Sprintf("More GPU-hours are labelled as something other than training (%.0f) than as training (%.0f): "+
			"labels are the applicant's claims; the upper bound counts them all.", otherH, trainingH))
	}
	if mc.UpperBound.FLOP >= SystemicRiskThresholdFLOP && mc.Cumulative.High < SystemicRiskThresholdFLOP {
		flags = append(flags, "The organization's upper bound reaches 10^25 FLOP although this model's estimate does not: "+
			"check how the organization's jobs are labelled.")
	}
	if t := mc.Model.ModifierThreshold(); t > 0 && mc.Training.FLOP > t {
		flags = append(flags, fmt.Sprintf("The modification's training compute, %s FLOP, is more than a third of the base model's "+
			"(threshold %s FLOP): the organization is the provider of a general-purpose model for its modification "+
			"(Commission GPAI guidelines §60–70).", TwoSF(mc.Training.FLOP), TwoSF(t)))
	}
	if c := mc.Crossings[len(mc.Crossings)-1]; c.Reached || c.WithinGrant {
		flags = append(flags, "Systemic-risk threshold: the provider owes the Commission a notification within two weeks (Art. 52(1)); "+
			"see the notification draft.")
	}
	return flags
}

func hardwareMethod(measured, declaredMFU float64) string {
	u := "the system's planning MFU (middle of its catalogue band)"
	if declaredMFU > 0 {
		u = fmt.Sprintf("the declared MFU of %.0f %%", declaredMFU*100)
	}
	switch {
	case measured >= 1:
		return "hardware: GPU-seconds × peak dense BF16 × GPU utilisation measured by Slurm (gres/gpuutil, SM activity: an upper bound on MFU)"
	case measured > 0:
		return fmt.Sprintf("hardware: GPU-seconds × peak dense BF16 × utilisation; %.0f %% of GPU-hours with utilisation measured by Slurm "+
			"(gres/gpuutil), the rest at %s", measured*100, u)
	}
	return "hardware: GPU-seconds × peak dense BF16 × " + u
}

func energyMethod(measured float64, implausible int64) string {
	var b strings.Builder
	switch {
	case measured >= 1:
		b.WriteString("measured: Slurm's node energy (ConsumedEnergyRaw) × the site's PUE")
	case measured > 0:
		fmt.Fprintf(&b, "mixed: %.0f %% of GPU-hours with Slurm's node energy (ConsumedEnergyRaw), the rest GPU TDP × GPU-hours × node overhead; all × the site's PUE", measured*100)
	default:
		b.WriteString("estimated: GPU TDP × GPU-hours × node overhead × the site's PUE (catalogue)")
	}
	if implausible > 0 {
		fmt.Fprintf(&b, "; %d implausible measurements replaced by the estimate", implausible)
	}
	return b.String()
}

// Art52Notification is the draft of the notification a provider owes the
// Commission when its model meets, or will meet, the systemic-risk
// threshold (Art. 52(1)): facts, figures with method and band, dates.
type Art52Notification struct {
	Model        string `json:"model"`
	Organization string `json:"organization"`
	Basis        string `json:"basis"`
	// Trigger is "met" (the estimate reached 10^25), "margin" (within
	// the ±30 % band), "projected" (the remaining grant reaches it).
	Trigger string `json:"trigger"`
	// KnownAt is when pactum first recorded it; DueBy is two weeks later.
	KnownAt    *time.Time   `json:"known_at,omitempty"`
	DueBy      *time.Time   `json:"due_by,omitempty"`
	Cumulative ModelFigure  `json:"cumulative"`
	SixPD      *ModelFigure `json:"six_pd,omitempty"`
	GPUHours   float64      `json:"gpu_hours"`
	Systems    []string     `json:"systems"`
	FirstDay   *time.Time   `json:"first_day,omitempty"`
	LastDay    *time.Time   `json:"last_day,omitempty"`
	Text       string       `json:"text"`
}

// Art52Draft returns the notification draft when mc's model meets or will
// meet the systemic-risk threshold, nil otherwise. knownAt is when an
// alert first recorded it (nil if none yet).
func Art52Draft(mc *ModelCompute, orgName string, knownAt *time.Time) *Art52Notification {
	c := mc.Crossings[len(mc.Crossings)-1]
	trigger := ""
	switch {
	case c.Reached && c.ReachedBy == "estimate":
		trigger = "met"
	case c.Reached && c.ReachedBy == "band":
		trigger = "margin"
	case c.WithinGrant:
		trigger = "projected"
	default:
		return nil
	}
	n := &Art52Notification{Model: mc.Model.Label(), Organization: orgName, Basis: c.Basis, Trigger: trigger,
		Cumulative: mc.Cumulative, SixPD: mc.SixPD, GPUHours: mc.GPUHours, FirstDay: mc.FirstDay, LastDay: mc.LastDay}
	for _, s := range mc.Systems {
		n.Systems = append(n.Systems, s.SystemID)
	}
	if knownAt != nil {
		k := knownAt.UTC()
		due := k.Add(NotificationDeadline)
		n.KnownAt, n.DueBy = &k, &due
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Notification under Article 52(1) of Regulation (EU) 2024/1689.\n\n")
	fmt.Fprintf(&b, "Provider: %s. Model: %s.\n", orgName, mc.Model.Label())
	switch trigger {
	case "met":
		fmt.Fprintf(&b, "The cumulative training compute of the model has met the threshold of 10^25 FLOP of Article 51(2).\n")
	case "margin":
		fmt.Fprintf(&b, "The cumulative training compute of the model is within the ±30 %% estimation margin of the threshold of 10^25 FLOP of Article 51(2).\n")
	default:
		fmt.Fprintf(&b, "The compute granted for the model's training will, if used as planned, meet the threshold of 10^25 FLOP of Article 51(2).\n")
	}
	fmt.Fprintf(&b, "Cumulative training compute: %s FLOP (band %s–%s), method: %s.\n", mc.Cumulative.Display,
		TwoSF(mc.Cumulative.Low), TwoSF(mc.Cumulative.High), mc.Cumulative.Method)
	if mc.SixPD != nil {
		fmt.Fprintf(&b, "Architecture-based estimate: %s FLOP (%s).\n", mc.SixPD.Display, mc.SixPD.Method)
	}
	fmt.Fprintf(&b, "Training GPU-hours on EuroHPC systems: %.0f, on %s.\n", mc.GPUHours, strings.Join(n.Systems, ", "))
	if mc.FirstDay != nil {
		fmt.Fprintf(&b, "Training recorded from %s to %s.\n", mc.FirstDay.Format(time.DateOnly), mc.LastDay.Format(time.DateOnly))
	}
	if n.DueBy != nil {
		fmt.Fprintf(&b, "Known since %s; the notification is due by %s.\n", n.KnownAt.Format(time.DateOnly), n.DueBy.Format(time.DateOnly))
	}
	n.Text = b.String()
	return n
}

// UsageFlags are the findings an allocation's usage by claimed phase
// raises: an allocation granted mostly for pre-training (the proposal's
// compute split, or no split, which counts the whole request as training)
// whose labelled GPU-hours are mostly evaluation, inference or other work
// (NotAsAsked). Labels are the applicant's claims, and training hidden
// under another phase would escape the model's figures (the
// organization's upper bound still counts it).
func UsageFlags(p *Proposal, shares []ModelShare) []string {
	if p == nil {
		return []string{}
	}
	return UsageFlagsOf(p.PreTrainingShare(), shares)
}

// UsageFlagsOf is UsageFlags for a grant of pre-training share
// preTrainingShare (Allocation.PreTrainingShare).
func UsageFlagsOf(preTrainingShare float64, shares []ModelShare) []string {
	flags := []string{}
	training, other := LabelledHours(shares)
	if f := NotAsAsked(preTrainingShare, training, other); f != "" {
		flags = append(flags, f)
	}
	return flags
}
