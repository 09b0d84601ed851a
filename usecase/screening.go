// SPDX-License-Identifier: EUPL-1.2

package usecase

import (
	"context"

	"github.com/pactum/pactum"
)

// ScreeningInputs returns every submitted proposal of s (drafts are not yet
// the rules' business) with its organization, call and the catalogue, as
// the screener saw them at submission, for re-screening under another
// ruleset. It needs no caller: `pactum rules diff` runs it offline against
// the database itself.
func ScreeningInputs(ctx context.Context, s pactum.Store) ([]*pactum.ScreeningInput, error) {
	var out []*pactum.ScreeningInput
	err := pactum.View(ctx, s, func(q pactum.Queries) error {
		systems, err := systemMap(ctx, q)
		if err != nil {
			return err
		}
		props, err := q.ListSubmittedProposals(ctx)
		if err != nil {
			return err
		}
		orgs := map[string]*pactum.Organization{}
		calls := map[string]*pactum.Call{}
		out = make([]*pactum.ScreeningInput, 0, len(props))
		for _, p := range props {
			if orgs[p.OrganizationID] == nil {
				if orgs[p.OrganizationID], err = q.GetOrganization(ctx, p.OrganizationID); err != nil {
					return err
				}
			}
			if calls[p.CallID] == nil {
				if calls[p.CallID], err = q.GetCall(ctx, p.CallID); err != nil {
					return err
				}
			}
			at := p.CreatedAt
			if p.SubmittedAt != nil {
				at = *p.SubmittedAt
			}
			out = append(out, &pactum.ScreeningInput{Proposal: p, Organization: orgs[p.OrganizationID], Call: calls[p.CallID], Systems: systems, At: at})
		}
		return nil
	})
	return out, err
}
