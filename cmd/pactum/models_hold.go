// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/client"
)

func newModelsAcknowledgeCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "acknowledge ID --note TEXT",
		Short: "Release a held model (access managers)",
		Long: `A call may hold a model's jobs once its cumulative training compute reaches the
±30 % margin of 10^25 FLOP (pactum calls update --hold-models): the sites hold
its pending jobs under the call's allocations and pactum job submit refuses new
ones there. Once you have checked with the provider that its Art. 52
notification is under way, release the model with a note saying what you
checked; the site agents release the jobs they held at their next cycle. The
acknowledgement is audit-logged and the model's creator is told.

Exit status 5 (conflict) for a model that was never held; acknowledging again
shows the first acknowledgement unchanged.`,
		Example: `  pactum models acknowledge 0190f3c2-... --note "Notification sent to the AI Office on 2 December"`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			note, _ := cmd.Flags().GetString("note")
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.AcknowledgeModelHoldResponse, error) {
				return c.AcknowledgeModelHoldWithResponse(ctx, args[0], &client.AcknowledgeModelHoldParams{}, client.ModelHoldAck{Note: note})
			}, func(resp *client.AcknowledgeModelHoldResponse) error {
				printHold(e, resp.JSON200)
				return nil
			})
		},
	}
	cmd.Flags().String("note", "", "what you checked, e.g. the provider's notification to the AI Office (required)")
	_ = cmd.MarkFlagRequired("note")
	jsonFlag(cmd)
	return cmd
}

// printHold prints a model's hold, if it has one.
func printHold(e *env, h *client.ModelHold) {
	if h == nil {
		return
	}
	if h.AcknowledgedAt == nil {
		fmt.Fprintf(e.stdout, "\nHELD since %s (call %s): %s\nRelease (access managers): pactum models acknowledge %s --note TEXT\n",
			h.HeldAt.Format(time.RFC3339), h.CallId, h.Reason, h.ModelId)
		return
	}
	fmt.Fprintf(e.stdout, "\nHeld %s, released %s by %s: %s\n", h.HeldAt.Format(time.RFC3339), h.AcknowledgedAt.Format(time.RFC3339),
		orEmpty(h.AcknowledgedBy), orEmpty(h.Note))
}

// refuseHeld returns ECONFLICT when the admission holds the model the job
// is labelled with: the site would hold the job at once.
func refuseHeld(ad *client.Admission, label string) error {
	model, _ := pactum.ParseJobLabel(label)
	if model == "" || ad.HeldModels == nil {
		return nil
	}
	for _, m := range *ad.HeldModels {
		if m == model {
			return pactum.Errorf(pactum.ECONFLICT, "The job was not submitted: model %s is held under allocation %s until an access manager acknowledges "+
				"(its compute reached the margin of 10^25 FLOP, AI Act Art. 52; see pactum models compute %s). Jobs of other models are not affected.",
				model, ad.AllocationId, model)
		}
	}
	return nil
}
