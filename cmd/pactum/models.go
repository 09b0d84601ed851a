// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/audit"
	"github.com/pactum/pactum/client"
)

func newModelsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "models", Aliases: []string{"model"}, Short: "Register models and follow their training compute against the AI Act thresholds"}
	cmd.AddCommand(newModelsCreateCmd(e), newModelsListCmd(e), newModelsComputeCmd(e), newModelsDocumentCmd(e), newModelsVerifyDocumentCmd(e),
		newModelsAcknowledgeCmd(e))
	return cmd
}

func newModelsCreateCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "create NAME@VERSION",
		Short: "Register a model that jobs can be attributed to (applicants; access managers with --org)",
		Long: `Register a model of your organization. Jobs submitted with
'pactum job submit --model NAME@VERSION --phase PHASE' are counted for it: the
label travels in the job's Slurm comment, the site agent reads it back from
sacct, and the server counts the job only if the model is the allocation's
organization's.

Declared figures make the supervision record more exact: parameters and
tokens give the architecture-based estimate 6·P·D beside the measured one;
--mfu is the model FLOP utilisation your runs achieve (used where Slurm does
not measure GPU utilisation); a fine-tune names its base model and the base
model's compute, which counts towards the cumulative total, as does compute
spent on the model elsewhere (--prior-flop).`,
		Example: `  pactum models create aleph-7b@1 --params 7e9 --tokens 2e12 --mfu 0.35
  pactum models create aleph-7b-chat@1 --base-model aleph-7b@1 --base-model-flop 8.4e22`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, version, ok := pactum.ParseModelLabel(args[0])
			if !ok || version == "" {
				return pactum.Errorf(pactum.EINVALID, "%q is not a model label: use NAME@VERSION (letters, digits, '.', '_', '-').", args[0])
			}
			in := client.ModelInput{Name: name, Version: version, OrganizationId: optString(cmd, "org"), BaseModel: optString(cmd, "base-model")}
			for flag, dst := range map[string]**float64{"base-model-flop": &in.BaseModelFlop, "prior-flop": &in.PriorTrainingFlop,
				"params": &in.ParameterCount, "tokens": &in.TrainingTokens, "mfu": &in.DeclaredMfu} {
				if cmd.Flags().Changed(flag) {
					v, _ := cmd.Flags().GetFloat64(flag)
					*dst = &v
				}
			}
			if cmd.Flags().Changed("base-systemic-risk") {
				v := true
				in.BaseModelSystemicRisk = &v
			}
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.CreateModelResponse, error) {
				return c.CreateModelWithResponse(ctx, in)
			}, func(resp *client.CreateModelResponse) error {
				m := resp.JSON201
				fmt.Fprintf(e.stdout, "Registered model %s@%s (%s). Submit its jobs with:\n  pactum job submit --allocation ID --model %s@%s --phase pre-training -- train.sh\n",
					m.Name, m.Version, m.Id, m.Name, m.Version)
				return nil
			})
		},
	}
	cmd.Flags().String("org", "", "organization ID (access managers; applicants register their own organization's)")
	cmd.Flags().String("base-model", "", "the model this one modifies, e.g. aleph-7b@1 or an external name")
	cmd.Flags().Float64("base-model-flop", 0, "the base model's training compute in FLOP, e.g. 8.4e22")
	cmd.Flags().Bool("base-systemic-risk", false, "the base model is a general-purpose model with systemic risk")
	cmd.Flags().Float64("prior-flop", 0, "compute already spent training this model elsewhere, in FLOP")
	cmd.Flags().Float64("params", 0, "parameter count, e.g. 7e9")
	cmd.Flags().Float64("tokens", 0, "training tokens, e.g. 2e12")
	cmd.Flags().Float64("mfu", 0, "declared model FLOP utilisation, 0–1 (default: the system's planning band)")
	jsonFlag(cmd)
	return cmd
}

func newModelsListCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "list", Short: "List the models you may see", Args: cobra.NoArgs}
	cmd.Flags().String("org", "", "only this organization's models")
	cmd.Flags().String("label", "", "only models with this NAME or NAME@VERSION")
	return listCmd(e, cmd, listing[*client.ListModelsResponse, client.Model]{
		send: func(ctx context.Context, c *client.ClientWithResponses, cmd *cobra.Command, _ []string) (*client.ListModelsResponse, error) {
			l, o := pageParams(cmd)
			return c.ListModelsWithResponse(ctx, &client.ListModelsParams{OrganizationId: optString(cmd, "org"), Label: optString(cmd, "label"), Limit: l, Offset: o})
		},
		page: func(r *client.ListModelsResponse) ([]client.Model, int) { return r.JSON200.Items, r.JSON200.Total },
		cols: columns[client.Model]{
			header: []string{"ID", "MODEL", "ORGANIZATION", "BASE MODEL", "CREATED"},
			row: func(m client.Model) []string {
				return []string{m.Id, m.Name + "@" + m.Version, m.OrganizationId, orEmpty(m.BaseModel), m.CreatedAt.Format(time.DateOnly)}
			},
		},
		paged: true,
	})
}

func newModelsComputeCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "compute ID|NAME@VERSION",
		Short: "A model's cumulative training compute, energy and AI Act thresholds",
		Long: `Show a model's supervision record: cumulative training compute measured on the
scheme's systems (GPU-seconds × peak × utilisation, with the method named) and
6·P·D from the declared figures, each with the ±30 % band the Commission's
guidelines accept and two significant figures; the GPU-hours of each phase
(evaluation and inference are shown but do not count); energy and CO₂e; the
burn rate and the projected dates of crossing 10^23 and 10^25 FLOP; the
organization's upper bound (every GPU-hour counted as training of this model);
and, when the model meets or will meet 10^25 FLOP, the draft of the provider's
Art. 52 notification with its two-week deadline.`,
		Example: `  pactum models compute aleph-7b@1
  pactum models compute 0190f3c2-... --json`,
		Args: cobra.ExactArgs(1),
	}
	return requestCmd(e, cmd, byID((*client.ClientWithResponses).GetModelComputeWithResponse), func(resp *client.GetModelComputeResponse) error {
		return printModelCompute(e, resp.JSON200)
	})
}

func printModelCompute(e *env, mc *client.ModelCompute) error {
	fig := func(f client.ModelFigure) string {
		return fmt.Sprintf("%s FLOP (±30 %%: %s–%s)", f.Display, pactum.TwoSF(f.Low), pactum.TwoSF(f.High))
	}
	kv := [][2]string{{"model", mc.Model.Name + "@" + mc.Model.Version + " (" + mc.Model.Id + ")"},
		{"as of", fmt.Sprintf("%s, audit position %d", mc.At.Format(time.RFC3339), mc.AuditSeq)},
		{"training compute", fig(mc.Training)}, {"  method", mc.Training.Method},
		{"cumulative", fig(mc.Cumulative)}}
	if mc.Cumulative.Method != mc.Training.Method {
		kv = append(kv, [2]string{"  method", mc.Cumulative.Method})
	}
	if mc.SixPd != nil {
		kv = append(kv, [2]string{"6·P·D (declared)", fig(*mc.SixPd)})
	}
	kv = append(kv, [2]string{"upper bound", fig(mc.UpperBound) + " — every GPU-hour of the organization"},
		[2]string{"training GPU-hours", fmtNum(mc.GpuHours)},
		[2]string{"energy", fmt.Sprintf("%s MWh, %s t CO₂e (%s)", pactum.TwoSFPlain(mc.EnergyMwh), pactum.TwoSFPlain(mc.Co2eKg/1000), mc.EnergyMethod)},
		[2]string{"burn rate", fmt.Sprintf("%s FLOP/day over the last %d days", pactum.TwoSF(mc.BurnRateFlopPerDay), mc.BurnWindowDays)},
		[2]string{"remaining grant", pactum.TwoSF(mc.RemainingGrantFlop) + " FLOP at the planning utilisation"})
	for _, c := range mc.Crossings {
		state := "not reached"
		switch {
		case c.Reached:
			state = "REACHED (" + string(orEmpty(c.ReachedBy)) + ")"
		case c.ProjectedAt != nil:
			state = "projected " + c.ProjectedAt.Format(time.DateOnly)
		}
		if c.WithinGrant && !c.Reached {
			state += "; within the remaining grant"
		}
		kv = append(kv, [2]string{pactum.TwoSF(c.Threshold) + " FLOP (" + c.Name + ")", state})
	}
	if err := keyValues(e.stdout, kv); err != nil {
		return err
	}
	if len(mc.Phases) > 0 {
		fmt.Fprintln(e.stdout, "\nPHASE            TRAINING  JOBS  GPU-HOURS  FLOP      MWh    SYSTEMS")
		for _, p := range mc.Phases {
			name := string(p.Phase)
			if name == "" {
				name = "(none)"
			}
			fmt.Fprintf(e.stdout, "%-16s %-9s %5d %10s  %-8s %6s  %s\n", name, yesNo(p.Training), p.Jobs, fmtNum(p.GpuHours),
				pactum.TwoSF(p.Flop), pactum.TwoSFPlain(p.EnergyMwh), strings.Join(p.Systems, ","))
		}
	}
	for _, f := range mc.Flags {
		fmt.Fprintf(e.stdout, "\n! %s\n", f)
	}
	printHold(e, mc.Hold)
	if n := mc.Notification; n != nil {
		fmt.Fprintf(e.stdout, "\nDraft notification to the Commission (Art. 52(1)):\n\n%s", n.Text)
	}
	return nil
}

// orEmpty returns what an optional field points to, or its zero value.
func orEmpty[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

func newModelsDocumentCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "document ID|NAME@VERSION",
		Short: "The compute, training time and energy part of a model's documentation (AI Act Model Documentation Form)",
		Long: `Print the compute, training time and energy part of a model's documentation,
as the Commission's Model Documentation Form asks it of the audience: the AI
Office (FLOP to two significant figures with the method, wall-clock and
hardware days, MWh), national competent authorities (orders of magnitude and
bands) or downstream providers (none of these). The figures are computed at the
audit position they state and signed with the server's audit checkpoint key;
anyone can check the JSON form with 'pactum models verify-document'.`,
		Example: `  pactum models document atlas-70b@2 > atlas-70b-2.json
  pactum models document atlas-70b@2 --audience national-authority --html > atlas.html`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			aud, _ := cmd.Flags().GetString("audience")
			if !pactum.DocAudience(aud).Valid() {
				return pactum.Errorf(pactum.EINVALID, "--audience %q: use ai-office, national-authority or downstream.", aud)
			}
			html, _ := cmd.Flags().GetBool("html")
			params := &client.GetModelDocumentationParams{Audience: ptrTo(client.GetModelDocumentationParamsAudience(aud))}
			if html {
				params.Format = ptrTo(client.GetModelDocumentationParamsFormatHtml)
			}
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.GetModelDocumentationResponse, error) {
				return c.GetModelDocumentationWithResponse(ctx, args[0], params)
			}, func(resp *client.GetModelDocumentationResponse) error {
				_, err := e.stdout.Write(resp.Body) // the document as signed, or the page
				return err
			})
		},
	}
	cmd.Flags().String("audience", string(pactum.AudienceAIOffice), "ai-office, national-authority or downstream")
	cmd.Flags().Bool("html", false, "a printable HTML page instead of the signed JSON")
	return cmd
}

func newModelsVerifyDocumentCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "verify-document FILE --trust PUBLIC_KEY",
		Short: "Check a model documentation's signature, offline",
		Long: `Check that a model documentation (the JSON of 'pactum models document') was
signed by the holder of the audit checkpoint key and not changed since. The
public key is the one 'pactum audit keygen' printed, which the scheme
publishes; the document's audit position can then be held to the audit chain
(pactum audit verify --checkpoint).`,
		Example: `  pactum models verify-document atlas-70b-2.json --trust "$(cat audit.pub)"`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			trust, _ := cmd.Flags().GetString("trust")
			data, err := os.ReadFile(args[0])
			if err != nil {
				return pactum.Errorf(pactum.EINVALID, "%v", err)
			}
			var d pactum.ModelDocumentation
			if err := json.Unmarshal(data, &d); err != nil {
				return pactum.Errorf(pactum.EINVALID, "%s is not a model documentation: %v", args[0], err)
			}
			if err := audit.VerifyDocument(d.PublicKey, d.Signature, d.Payload(), strings.TrimSpace(trust)); err != nil {
				return &exitError{code: exitCheck, err: fmt.Errorf("%s: %w", args[0], err)}
			}
			fmt.Fprintf(e.stdout, "%s: signature OK. %s for %s, figures at audit event %d (%s).\n", args[0], d.Model, d.Audience, d.AuditSeq, d.AuditHash)
			return nil
		},
	}
	cmd.Flags().String("trust", "", "the base64 public key the document must be signed with (required)")
	_ = cmd.MarkFlagRequired("trust")
	return cmd
}

func ptrTo[T any](v T) *T { return &v }
