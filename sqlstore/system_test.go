// SPDX-License-Identifier: EUPL-1.2

package sqlstore_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/catalog"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// TestSystemsRoundTrip: the catalogue reads back from the store as it was
// written, energy and utilisation figures included, on both engines; an
// entry without those figures (zero: not catalogued) is stored and read
// back as such, and replacing it with the figures stores them.
func TestSystemsRoundTrip(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		s := newStore(t, dialect)
		ctx := context.Background()
		want, err := catalog.Systems()
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.db.ListSystems(ctx)
		if err != nil {
			t.Fatal(err)
		}
		byID := pactum.SystemsByID(got)
		for _, w := range want {
			if d := cmp.Diff(w, byID[w.ID]); d != "" {
				t.Errorf("%s (-catalogue +stored):\n%s", w.ID, d)
			}
		}

		sys := pactum.NewContextWithUser(ctx, pactum.SystemUser())
		bare := *pactum.SystemsByID(want)["vega-gpu"]
		bare.TDPWattsPerGPU, bare.NodeOverhead, bare.PUE, bare.GridGCO2PerKWh, bare.MFULow, bare.MFUHigh, bare.EnergySource = 0, 0, 0, 0, 0, 0, ""
		if err := s.uc.UpsertSystems(sys, []*pactum.System{&bare}); err != nil {
			t.Fatal(err)
		}
		if g, err := s.db.GetSystem(ctx, "vega-gpu"); err != nil || *g != bare {
			t.Fatalf("an entry without energy figures: %+v %v", g, err)
		}
		full := pactum.SystemsByID(want)["vega-gpu"]
		if err := s.uc.UpsertSystems(sys, []*pactum.System{full}); err != nil {
			t.Fatal(err)
		}
		if g, err := s.db.GetSystem(ctx, "vega-gpu"); err != nil || *g != *full {
			t.Fatalf("the entry with its figures again: %+v %v", g, err)
		}
	})
}
