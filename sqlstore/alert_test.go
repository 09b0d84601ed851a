// SPDX-License-Identifier: EUPL-1.2

package sqlstore_test

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/sqlstore/storetest"
)

// TestComputeAlertsOfSubjects: one read returns each subject's alerts in
// the order the subjects were named (not the keys' collation), each
// subject's by threshold and fraction; a recorded alert is not recorded
// twice; no subject, no alert.
func TestComputeAlertsOfSubjects(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		s := newStore(t, dialect)
		ctx := context.Background()
		model, org := pactum.ModelSubject(7), pactum.OrganizationSubject(s.f.OrgA.ID)
		alert := func(subject string, threshold, fraction float64) pactum.ComputeAlert {
			return pactum.ComputeAlert{Subject: subject, Threshold: threshold, Fraction: fraction, FLOP: threshold * fraction, CrossedAt: t0}
		}
		// Inserted out of order, and one of another subject.
		in := []pactum.ComputeAlert{alert(model, 1e25, 1), alert(org, 1e23, 1), alert(model, 1e23, 0.8),
			alert(pactum.ModelSubject(8), 1e23, 1), alert(model, 1e23, 1)}
		err := pactum.Update(ctx, s.db, s.f.Manager, func(tx pactum.Tx) error {
			for _, a := range in {
				if ok, err := tx.InsertComputeAlert(ctx, a); err != nil || !ok {
					t.Errorf("insert %+v: %v %v", a, ok, err)
				}
			}
			if ok, err := tx.InsertComputeAlert(ctx, in[0]); err != nil || ok {
				t.Errorf("second insert of %+v: recorded %v, %v", in[0], ok, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.db.ListComputeAlerts(ctx, org, model)
		if err != nil {
			t.Fatal(err)
		}
		want := []pactum.ComputeAlert{alert(org, 1e23, 1), alert(model, 1e23, 0.8), alert(model, 1e23, 1), alert(model, 1e25, 1)}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("alerts of org then model (-want +got):\n%s", d)
		}
		if got, err := s.db.ListComputeAlerts(ctx); err != nil || len(got) != 0 {
			t.Errorf("alerts of no subject: %v %v", got, err)
		}
	})
}
