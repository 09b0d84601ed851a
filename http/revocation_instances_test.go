// SPDX-License-Identifier: EUPL-1.2

package http_test

import (
	"testing"

	"github.com/pactum/pactum/client"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// TestTwoInstancesRevocation runs two servers on one database: a token
// revoked, or a user deactivated, on one is refused by the other on the
// very next request, although the other had just answered it from its
// token cache; reactivation is in force on both at once too.
func TestTwoInstancesRevocation(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		s := newScenario(t, dialect)
		url2, _ := s.instance(t)
		ctx := s.ctx
		me, err := s.alice.GetMeWithResponse(ctx)
		want(t, me, err, 200, me.Body)
		newToken := func(name string) *client.ClientWithResponses {
			tr, err := s.manager.CreateTokenWithResponse(ctx, me.JSON200.Id, client.TokenInput{Name: name})
			want(t, tr, err, 201, tr.Body)
			c, err := client.New(url2, tr.JSON201.Secret)
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		on2 := newToken("on the second instance")
		for range 3 { // cached on the second instance
			r, err := on2.GetMeWithResponse(ctx)
			want(t, r, err, 200, r.Body)
		}
		toks, err := s.manager.ListTokensWithResponse(ctx, me.JSON200.Id)
		want(t, toks, err, 200, toks.Body)
		var id string
		for _, tk := range toks.JSON200.Items {
			if tk.Name == "on the second instance" {
				id = tk.Id
			}
		}
		rv, err := s.manager.RevokeTokenWithResponse(ctx, id) // on the first instance
		want(t, rv, err, 204, rv.Body)
		r, err := on2.GetMeWithResponse(ctx)
		want(t, r, err, 401, r.Body)

		// Deactivation, then reactivation, of the user on the first.
		other := newToken("another")
		r, err = other.GetMeWithResponse(ctx)
		want(t, r, err, 200, r.Body)
		d, err := s.manager.DeactivateUserWithResponse(ctx, me.JSON200.Id)
		want(t, d, err, 200, d.Body)
		r, err = other.GetMeWithResponse(ctx)
		want(t, r, err, 401, r.Body)
		re, err := s.manager.ReactivateUserWithResponse(ctx, me.JSON200.Id)
		want(t, re, err, 200, re.Body)
		r, err = other.GetMeWithResponse(ctx)
		want(t, r, err, 200, r.Body)
	})
}
