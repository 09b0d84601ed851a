// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"context"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/pactum/pactum/client"
)

func newOutcomesCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "outcomes", Aliases: []string{"outcome"},
		Short: "Record what came of an allocation: publications, models, datasets, products, funding",
		Long: `The holder of an allocation (a member of the holding organization) records what
came of its compute: publications (DOI, title, venue, year), models released
(name, link, licence, open weights or not, optionally the pactum model),
datasets, products and follow-on funding. Outcomes are listed per allocation,
per organization and, for access managers and auditors, per call; only the
holding organization, the hosting site, access managers and auditors see them.
Every change is audit-logged.`}
	cmd.AddCommand(newOutcomesAddCmd(e), newOutcomesListCmd(e), newOutcomesRemoveCmd(e))
	return cmd
}

func newOutcomesAddCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "add KIND --allocation ID --title TEXT [fields]",
		Short: "Record an outcome of an allocation (members of the holding organization)",
		Long: `KIND is publication, model, dataset, product or funding; each takes its fields:

  publication  --title --doi (10.NNNN/…; doi: and https://doi.org/ forms accepted) --venue --year
  model        --title (its name) --url --licence --open-weights=true|false [--model ID]
  dataset      --title --url --licence [--doi]
  product      --title [--url]
  funding      --title (the programme) --funder --amount-eur

--description adds a free text to any. A field that does not apply to the
kind is refused (exit status 2), naming it.`,
		Example: `  pactum outcomes add publication --allocation 0190f3c2-... --title "Legal LMs" --doi 10.48550/arXiv.2611.01234 --venue "ACL 2026" --year 2026
  pactum outcomes add model --allocation 0190f3c2-... --title lex-7b --url https://huggingface.co/aleph/lex-7b --licence Apache-2.0 --open-weights=true
  pactum outcomes add funding --allocation 0190f3c2-... --title "Series A" --funder "EIC Accelerator" --amount-eur 2500000`,
		Args:      cobra.ExactArgs(1),
		ValidArgs: []string{"publication", "model", "dataset", "product", "funding"},
		RunE: func(cmd *cobra.Command, args []string) error {
			f := cmd.Flags()
			alloc, _ := f.GetString("allocation")
			title, _ := f.GetString("title")
			in := client.OutcomeInput{AllocationId: alloc, Kind: client.OutcomeKind(args[0]), Title: title,
				Doi: optString(cmd, "doi"), Venue: optString(cmd, "venue"), Url: optString(cmd, "url"), Licence: optString(cmd, "licence"),
				ModelId: optString(cmd, "model"), Funder: optString(cmd, "funder"), Description: optString(cmd, "description")}
			if f.Changed("year") {
				y, _ := f.GetInt("year")
				in.Year = &y
			}
			if f.Changed("open-weights") {
				b, _ := f.GetBool("open-weights")
				in.OpenWeights = &b
			}
			if f.Changed("amount-eur") {
				a, _ := f.GetFloat64("amount-eur")
				in.AmountEur = &a
			}
			return call(cmd, e, func(ctx context.Context, c *client.ClientWithResponses) (*client.AddOutcomeResponse, error) {
				return c.AddOutcomeWithResponse(ctx, &client.AddOutcomeParams{}, in)
			}, func(resp *client.AddOutcomeResponse) error {
				o := resp.JSON201
				fmt.Fprintf(e.stdout, "Outcome %s recorded: %s %s\n", o.Id, o.Kind, escape(o.Title, false))
				return nil
			})
		},
	}
	f := cmd.Flags()
	f.String("allocation", "", "the allocation's ID (required)")
	f.String("title", "", "the title or name (required)")
	f.String("doi", "", "a DOI, 10.NNNN/SUFFIX (publication, dataset)")
	f.String("venue", "", "where it was published (publication)")
	f.Int("year", 0, "the year of publication (publication)")
	f.String("url", "", "an http(s) link (model, dataset, product)")
	f.String("licence", "", "the licence, e.g. Apache-2.0 (model, dataset)")
	f.Bool("open-weights", false, "whether the model's weights are open (model; required there)")
	f.String("model", "", "the pactum model released (model)")
	f.String("funder", "", "who funds (funding)")
	f.Float64("amount-eur", 0, "the amount in euros (funding)")
	f.String("description", "", "a free text")
	_ = cmd.MarkFlagRequired("allocation")
	_ = cmd.MarkFlagRequired("title")
	jsonFlag(cmd)
	return cmd
}

func newOutcomesListCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "list", Short: "List outcomes per allocation, organization or call (--call: access managers and auditors)",
		Example: `  pactum outcomes list --allocation 0190f3c2-...
  pactum outcomes list --call 0190f3a1-... --kind publication`,
		Args: cobra.NoArgs}
	cmd.Flags().String("allocation", "", "only this allocation's")
	cmd.Flags().String("org", "", "only this organization's")
	cmd.Flags().String("call", "", "only this call's (access managers and auditors)")
	cmd.Flags().String("kind", "", "only this kind: publication, model, dataset, product or funding")
	return listCmd(e, cmd, listing[*client.ListOutcomesResponse, client.Outcome]{
		send: func(ctx context.Context, c *client.ClientWithResponses, cmd *cobra.Command, _ []string) (*client.ListOutcomesResponse, error) {
			l, o := pageParams(cmd)
			p := &client.ListOutcomesParams{AllocationId: optString(cmd, "allocation"), OrganizationId: optString(cmd, "org"),
				CallId: optString(cmd, "call"), Limit: l, Offset: o}
			if k := optString(cmd, "kind"); k != nil {
				p.Kind = (*client.OutcomeKind)(k)
			}
			return c.ListOutcomesWithResponse(ctx, p)
		},
		page: func(r *client.ListOutcomesResponse) ([]client.Outcome, int) { return r.JSON200.Items, r.JSON200.Total },
		cols: columns[client.Outcome]{
			header: []string{"ID", "ALLOCATION", "KIND", "TITLE", "DETAILS"},
			row: func(o client.Outcome) []string {
				return []string{o.Id, o.AllocationId, string(o.Kind), o.Title, outcomeDetails(o)}
			},
		},
		paged: true,
	})
}

// outcomeDetails summarises an outcome's kind-specific fields.
func outcomeDetails(o client.Outcome) string {
	var parts []string
	add := func(s *string) {
		if s != nil && *s != "" {
			parts = append(parts, *s)
		}
	}
	switch o.Kind {
	case client.OutcomeKindPublication:
		if o.Doi != nil {
			parts = append(parts, "doi:"+*o.Doi)
		}
		add(o.Venue)
		if o.Year != nil {
			parts = append(parts, strconv.Itoa(*o.Year))
		}
	case client.OutcomeKindModel, client.OutcomeKindDataset, client.OutcomeKindProduct:
		add(o.Url)
		add(o.Licence)
		if o.OpenWeights != nil {
			parts = append(parts, "open weights: "+yesNo(*o.OpenWeights))
		}
	case client.OutcomeKindFunding:
		add(o.Funder)
		if o.AmountEur != nil {
			parts = append(parts, "EUR "+fmtNum(*o.AmountEur))
		}
	}
	out := ""
	for i, p := range parts {
		if i > 0 {
			out += "; "
		}
		out += p
	}
	return out
}

func newOutcomesRemoveCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "remove ID",
		Short: "Remove an outcome (members of the holding organization; audit-logged)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := apiClient(cmd, e)
			if err != nil {
				return err
			}
			resp, err := c.RemoveOutcomeWithResponse(cmd.Context(), args[0], &client.RemoveOutcomeParams{})
			if err := called(resp, err); err != nil {
				return err
			}
			if wantJSON(cmd) {
				return writeJSONValue(e.stdout, map[string]any{"id": args[0], "removed": true})
			}
			fmt.Fprintf(e.stdout, "Outcome %s removed.\n", args[0])
			return nil
		},
	}
	cmd.Flags().Bool("json", false, `print {"id":…,"removed":true} instead of a sentence`)
	return cmd
}
