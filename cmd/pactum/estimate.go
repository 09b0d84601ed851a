// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/catalog"
)

// newEstimateCmd is `pactum estimate`: how long a training run takes on a
// system of the built-in catalogue, offline.
func newEstimateCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "estimate --system ID --gpus N (--flop X | --params P --tokens D) [--gpu-hours H]",
		Short: "Estimate the days and GPU-hours a training run takes on a system, offline",
		Long: fmt.Sprintf(`Estimate how long a training run of a given compute takes on a system: the
wall-clock days on N GPUs and the GPU-hours, at the fast end, the middle and
the slow end of the system's planning band of model FLOP utilisation (MFU):

  days      = C ÷ (GPUs × peak × MFU × 86,400 s)
  GPU-hours = C ÷ (peak × MFU × 3,600 s)          (the same on any N)

The compute C is --flop (1e23 or 2.5e24 notation), or 6 × --params ×
--tokens, the dense-transformer approximation of the GPAI guidelines. GPUs
count as the scheduler sees them: LUMI-G's are MI250X GCDs, two per module.
The estimate assumes perfect scaling and no downtime; a real run's wall
clock is longer.

With --gpu-hours, it also checks a request of that many GPU-hours (all of
them for training) against C: insufficient when they cannot deliver C even
at the band's high MFU, excessive when they exceed %g times what C needs at
its low MFU, plausible otherwise.

Works offline: the systems, their peaks and MFU bands come from the
catalogue built into pactum ("pactum systems" shows a server's), so no
server or token is needed.`, pactum.ExcessiveHoursFactor),
		Example: `  pactum estimate --system mn5-acc --gpus 512 --flop 1e23
  pactum estimate --system lumi-g --gpus 1024 --params 34.2e9 --tokens 1e12 --gpu-hours 1.6e6 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runEstimate(cmd, e) },
	}
	cmd.Flags().String("system", "", "system id in the built-in catalogue, e.g. mn5-acc")
	cmd.Flags().Int("gpus", 0, "GPUs the run uses, as the scheduler counts them")
	cmd.Flags().String("flop", "", "training compute in FLOP, e.g. 1e23 or 2.5e24")
	cmd.Flags().String("params", "", "model parameters, e.g. 7e9 (with --tokens: C = 6 × params × tokens)")
	cmd.Flags().String("tokens", "", "training tokens, e.g. 2e12 (with --params)")
	cmd.Flags().String("gpu-hours", "", "GPU-hours requested on the system, to check against the compute")
	jsonFlag(cmd)
	_ = cmd.MarkFlagRequired("system")
	_ = cmd.MarkFlagRequired("gpus")
	cmd.MarkFlagsOneRequired("flop", "params")
	cmd.MarkFlagsRequiredTogether("params", "tokens")
	cmd.MarkFlagsMutuallyExclusive("flop", "params")
	cmd.MarkFlagsMutuallyExclusive("flop", "tokens")
	return cmd
}

// estimateOutput is what `pactum estimate --json` prints: the estimate, how
// its compute was obtained and, with --gpu-hours, the check of the request.
type estimateOutput struct {
	pactum.TrainingTime
	// FLOPMethod is "given" (--flop) or "6PD" (6 × params × tokens).
	FLOPMethod string             `json:"flop_method"`
	Params     float64            `json:"params,omitempty"`
	Tokens     float64            `json:"tokens,omitempty"`
	Check      *pactum.HoursCheck `json:"check,omitempty"`
}

func runEstimate(cmd *cobra.Command, e *env) error {
	systems, err := catalog.Systems()
	if err != nil {
		return err
	}
	id, _ := cmd.Flags().GetString("system")
	sys := pactum.SystemsByID(systems)[id]
	if sys == nil {
		ids := make([]string, len(systems))
		for i, s := range systems {
			ids[i] = s.ID
		}
		return &pactum.Error{Code: pactum.EINVALID, Message: fmt.Sprintf("Unknown system %q.", id),
			Fields: []pactum.FieldError{{Field: "system", Message: "must be one of " + strings.Join(ids, ", ")}}}
	}

	var v pactum.Validator
	num := func(flag string, max float64) float64 {
		s, _ := cmd.Flags().GetString(flag)
		if !cmd.Flags().Changed(flag) {
			return 0
		}
		x, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			v.Add(flag, "%q is not a number: write it as 7e9, 1e23 or 2.5e24", s)
			return 0
		}
		v.Check(x > 0 && x <= max, flag, "must be positive and at most %g", max)
		return x
	}
	out := estimateOutput{FLOPMethod: "given"}
	flop := num("flop", pactum.MaxTrainingFLOP)
	out.Params = num("params", pactum.MaxParameterCount)
	out.Tokens = num("tokens", pactum.MaxTrainingTokens)
	hours := num("gpu-hours", sys.GPUHours(pactum.MaxAmount))
	if err := v.Err("The estimate's figures are not valid."); err != nil {
		return err
	}
	if out.Params > 0 {
		flop, out.FLOPMethod = 6*out.Params*out.Tokens, "6PD"
	}
	gpus, _ := cmd.Flags().GetInt("gpus")
	if out.TrainingTime, err = pactum.TimeToTrain(flop, sys, gpus); err != nil {
		return err
	}
	if cmd.Flags().Changed("gpu-hours") {
		c, err := pactum.CheckTrainingHours(flop, sys, hours, nil)
		if err != nil {
			return err
		}
		out.Check = &c
	}
	if wantJSON(cmd) {
		return writeJSONValue(e.stdout, out)
	}
	return printEstimate(e, sys, &out)
}

func printEstimate(e *env, sys *pactum.System, o *estimateOutput) error {
	compute := fmtFLOPs(o.FLOP) + " FLOP, as given"
	if o.FLOPMethod == "6PD" {
		compute = fmtFLOPs(o.FLOP) + " FLOP = 6 × " + fmtFLOPs(o.Params) + " parameters × " + fmtFLOPs(o.Tokens) +
			" tokens (dense-transformer approximation, GPAI guidelines Annex A)"
	}
	if err := keyValues(e.stdout, [][2]string{
		{"system", sys.ID + ": " + sys.Name + " (" + sys.Site + ", " + sys.Country + "), " + sys.Accelerator},
		{"compute", compute},
		{"GPUs", fmtNum(float64(o.GPUs)) + " of " + fmtNum(float64(sys.Nodes*sys.GPUsPerNode)) + ", " +
			fmtNum(o.PeakTFLOPSPerGPU) + " TFLOP/s peak each (dense BF16)"},
	}); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout)
	var rows [][]string
	for _, p := range []struct {
		name string
		pt   pactum.TrainingPoint
	}{{"fast", o.Fast}, {"typical", o.Typical}, {"slow", o.Slow}} {
		rows = append(rows, []string{p.name, strconv.FormatFloat(p.pt.MFU, 'g', 4, 64), fmtDays(p.pt.Days), fmtNum(math.Round(p.pt.GPUHours))})
	}
	if err := e.table([]string{"END", "MFU", "DAYS", "GPU-HOURS"}, rows); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout)
	kv := [][2]string{
		{"MFU band", fmtNum(sys.MFULow) + "–" + fmtNum(sys.MFUHigh) + " (slow–fast), the catalogue's for " + sys.Accelerator},
		{"sources", o.Source},
		{"method", o.Method},
		{"catalogue", "built into pactum (offline; no server asked)"},
	}
	if c := o.Check; c != nil {
		kv = append(kv, [2]string{"request", strings.ToUpper(string(c.Verdict)) + ": " + c.Message})
	}
	return keyValues(e.stdout, kv)
}

// fmtFLOPs formats a compute figure, or a parameter or token count, to
// three significant figures: 2.2e+23, 9.15e+09.
func fmtFLOPs(x float64) string { return strconv.FormatFloat(x, 'g', 3, 64) }

// fmtDays formats days with one decimal below 100 and whole above, two
// significant figures below one: 0.043, 5.7, 71.4, 984.
func fmtDays(d float64) string {
	switch {
	case d < 1:
		return strconv.FormatFloat(d, 'g', 2, 64)
	case d < 100:
		return strconv.FormatFloat(d, 'f', 1, 64)
	}
	return fmtNum(math.Round(d))
}
