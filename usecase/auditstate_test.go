// SPDX-License-Identifier: EUPL-1.2

package usecase_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/pactum/pactum/sqlstore/storetest"
	"github.com/pactum/pactum/usecase"
)

func TestAuditStateDebug(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		s := newWorkflowScenario(t, dialect)
		s.submitBoth(t)
		s.technicalStage(t)
		s.ethicsStage(t)
		s.peerStage(t)
		s.conflictedSeeNothing(t)
		s.reviewsBeforeReply(t)
		s.replyStage(t)
		s.panel(t)
		run := s.allocationRun(t)
		s.awards(t, run)
		r, err := usecase.VerifyAuditState(context.Background(), s.db, nil)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.MarshalIndent(r, "", " ")
		t.Logf("%s", b)
	})
}
