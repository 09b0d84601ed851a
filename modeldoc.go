// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"time"
)

// Model documentation. A provider of a general-purpose model documents
// the computational resources used to train it, the training time and the
// energy consumed (AI Act Annex XI 1(2)(d)–(e)); the Commission's Model
// Documentation Form asks them at three granularities: the AI Office
// (FLOP to at least two significant figures with the method, wall-clock
// and hardware days, MWh to two significant figures with the
// methodology), national competent authorities (FLOP as an order of
// magnitude, training time in bands, energy), and downstream providers
// (no compute or energy). pactum fills the compute, time and energy part
// from what it measured, at a stated audit position, signed with the audit
// checkpoint key so that anyone can check it.

// DocAudience is who a model documentation is for.
type DocAudience string

// The audiences of the Model Documentation Form.
const (
	AudienceAIOffice          DocAudience = "ai-office"
	AudienceNationalAuthority DocAudience = "national-authority"
	AudienceDownstream        DocAudience = "downstream"
)

// Valid reports whether a is one of the audiences.
func (a DocAudience) Valid() bool {
	return a == AudienceAIOffice || a == AudienceNationalAuthority || a == AudienceDownstream
}

// ModelDocumentation is the compute, time and energy part of a model's
// documentation for one audience.
type ModelDocumentation struct {
	Form        string      `json:"form"`
	Audience    DocAudience `json:"audience"`
	Model       string      `json:"model"`
	ModelID     string      `json:"model_id"`
	Provider    string      `json:"provider"`
	GeneratedAt time.Time   `json:"generated_at"`
	// AuditSeq and AuditHash are the audit chain position the figures
	// were computed at: every usage ingestion before it, none after.
	AuditSeq  int64  `json:"audit_seq"`
	AuditHash string `json:"audit_hash"`
	// TrainingTime: for the AI Office wall-clock days and hardware days
	// per accelerator; for national authorities a band.
	TrainingTime *DocTrainingTime `json:"training_time,omitempty"`
	// Compute: FLOP (two significant figures for the AI Office, an order
	// of magnitude for national authorities) and the method.
	Compute *DocCompute `json:"compute,omitempty"`
	// Energy in MWh to two significant figures with the methodology; not
	// for downstream providers.
	Energy *DocEnergy `json:"energy,omitempty"`
	Notes  []string   `json:"notes"`
	// PublicKey and Signature sign the document (Payload) with the audit
	// checkpoint key; empty when the server has none.
	PublicKey string `json:"public_key,omitempty"`
	Signature string `json:"signature,omitempty"`
}

// DocTrainingTime is the Form's training time.
type DocTrainingTime struct {
	WallClockDays float64       `json:"wall_clock_days,omitempty"`
	HardwareDays  []HardwareDay `json:"hardware_days,omitempty"`
	Band          string        `json:"band,omitempty"`
	From          string        `json:"from,omitempty"`
	To            string        `json:"to,omitempty"`
}

// HardwareDay is the GPU-days of one accelerator type.
type HardwareDay struct {
	Accelerator string  `json:"accelerator"`
	GPUDays     float64 `json:"gpu_days"`
}

// DocCompute is the Form's training compute.
type DocCompute struct {
	FLOP   string `json:"flop"`
	Method string `json:"method"`
}

// DocEnergy is the Form's training energy.
type DocEnergy struct {
	MWh         string `json:"mwh"`
	Methodology string `json:"methodology"`
}

// Payload is what the signature covers: the document as JSON without its
// signature (its public key included).
func (d *ModelDocumentation) Payload() []byte {
	c := *d
	c.Signature = ""
	b, err := json.Marshal(&c)
	if err != nil {
		panic(err) // only plain fields: cannot fail
	}
	return b
}

// BuildModelDocumentation fills the Form's compute, time and energy part
// for audience from mc, computed at audit position mc.AuditSeq, whose
// event's hash is hash.
func BuildModelDocumentation(mc *ModelCompute, provider string, systems map[string]*System, audience DocAudience, hash string) *ModelDocumentation {
	d := &ModelDocumentation{Form: "AI Act Model Documentation Form: computational resources, training time, energy (Annex XI 1(2)(d)-(e))",
		Audience: audience, Model: mc.Model.Label(), ModelID: mc.Model.ID, Provider: provider, GeneratedAt: mc.At,
		AuditSeq: mc.AuditSeq, AuditHash: hash, Notes: []string{}}
	if audience == AudienceDownstream {
		d.Notes = append(d.Notes, "The Form gives downstream providers no compute or energy figures.")
		return d
	}
	days := 0.0
	t := &DocTrainingTime{}
	if mc.FirstDay != nil {
		days = mc.LastDay.Sub(*mc.FirstDay).Hours()/24 + 1
		t.From, t.To = mc.FirstDay.Format(time.DateOnly), mc.LastDay.Format(time.DateOnly)
	}
	switch audience {
	case AudienceAIOffice:
		t.WallClockDays = days
		byAcc := map[string]float64{}
		for _, s := range mc.Systems {
			acc := s.SystemID
			if sys := systems[s.SystemID]; sys != nil {
				acc = sys.Accelerator
			}
			byAcc[acc] += s.TrainingGPUHours / 24
		}
		accs := make([]string, 0, len(byAcc))
		for a := range byAcc {
			accs = append(accs, a)
		}
		sort.Strings(accs)
		for _, a := range accs {
			t.HardwareDays = append(t.HardwareDays, HardwareDay{Accelerator: a, GPUDays: math.Round(byAcc[a]*10) / 10})
		}
		d.Compute = &DocCompute{FLOP: TwoSF(mc.Cumulative.FLOP), Method: mc.Cumulative.Method +
			fmt.Sprintf("; accurate within ±30 %% (%s to %s FLOP)", TwoSF(mc.Cumulative.Low), TwoSF(mc.Cumulative.High))}
	default:
		t.Band = timeBand(days)
		d.Compute = &DocCompute{FLOP: orderOfMagnitude(mc.Cumulative.FLOP), Method: mc.Cumulative.Method}
	}
	d.TrainingTime = t
	d.Energy = &DocEnergy{MWh: TwoSFPlain(mc.EnergyMWh), Methodology: mc.EnergyMethod + "; all of the model's jobs on the scheme, evaluation included"}
	if mc.MeasuredShare < 1 {
		d.Notes = append(d.Notes, fmt.Sprintf("%.0f %% of training GPU-hours had their utilisation measured by Slurm; the rest use a declared or planning MFU.", mc.MeasuredShare*100))
	}
	if mc.Model.BaseModelFLOP+mc.Model.PriorTrainingFLOP > 0 {
		d.Notes = append(d.Notes, "The cumulative compute includes compute declared by the provider for the base model or prior training, which pactum did not measure.")
	}
	return d
}

// timeBand is the national authorities' training-time band.
func timeBand(days float64) string {
	switch {
	case days < 30:
		return "less than 1 month"
	case days < 90:
		return "1 to 3 months"
	case days < 180:
		return "3 to 6 months"
	}
	return "more than 6 months"
}

// orderOfMagnitude gives x as a power of ten ("10^24").
func orderOfMagnitude(x float64) string {
	if x <= 0 {
		return "0"
	}
	return fmt.Sprintf("10^%d", int(math.Floor(math.Log10(x))))
}

// ModelDocumenter issues model documentation.
type ModelDocumenter interface {
	// ModelDocumentation returns the compute, time and energy part of a
	// model's documentation for audience, signed when the server has a
	// document key. ENOTFOUND for a model the caller may not see,
	// EINVALID for an unknown audience.
	ModelDocumentation(ctx context.Context, ref string, audience DocAudience) (*ModelDocumentation, error)
}
