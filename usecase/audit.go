// SPDX-License-Identifier: EUPL-1.2

package usecase

import (
	"context"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/audit"
)

// FindAuditEvents lists events in chain order, every event committed
// before the call included. Access managers and auditors only; EFORBIDDEN
// otherwise.
func (a *App) FindAuditEvents(ctx context.Context, f pactum.AuditFilter) ([]*pactum.AuditEvent, int, error) {
	if _, err := reader(ctx, "read the audit log"); err != nil {
		return nil, 0, err
	}
	if err := a.store.SealAudit(ctx); err != nil {
		return nil, 0, err
	}
	return a.store.ListAuditEvents(ctx, f)
}

// VerifyAudit seals the events committed so far and walks the whole chain,
// reporting the first bad event. Access managers and auditors only.
func (a *App) VerifyAudit(ctx context.Context) (*pactum.AuditReport, error) {
	if _, err := reader(ctx, "read the audit log"); err != nil {
		return nil, err
	}
	if err := a.store.SealAudit(ctx); err != nil {
		return nil, err
	}
	return VerifyAudit(ctx, a.store)
}

// VerifyAudit walks the whole chain of s in one consistent snapshot,
// streaming, and reports the first bad event. It needs no caller: `pactum
// audit verify` runs it offline against the database itself. Pins hold
// events to the hashes that signed checkpoints state (audit.Verifier.Pin).
func VerifyAudit(ctx context.Context, s pactum.Store, pins ...*audit.Checkpoint) (*pactum.AuditReport, error) {
	var rep *pactum.AuditReport
	err := pactum.View(ctx, s, func(q pactum.Queries) error {
		var err error
		rep, err = verifyChain(ctx, q, pins, nil)
		return err
	})
	return rep, err
}

// verifyChain checks the chain as q sees it against its head record and
// pins, handing each verified row to also (when not nil) as it goes: the
// one walk that plain verification and --state share. Events committed
// but not yet sealed (PostgreSQL's sequencer runs just after commit) are
// counted, and handed to also after the chain, in the order they will be
// sealed: the tables already hold what they record. Hashing and also run
// beside the reading (audit.Pipe); the walk stops at the first bad row.
func verifyChain(ctx context.Context, q pactum.Queries, pins []*audit.Checkpoint, also func(*pactum.AuditRow)) (*pactum.AuditReport, error) {
	seq, hash, err := q.GetAuditHead(ctx)
	if pactum.ErrorCode(err) == pactum.ENOTFOUND {
		return &pactum.AuditReport{OK: false, FirstBad: &pactum.AuditProblem{Reason: "the audit head record is missing"}}, nil
	} else if err != nil {
		return nil, err
	}
	v := audit.NewVerifier()
	for _, p := range pins {
		v.Pin(p.Seq, p.Hash)
	}
	pipe := audit.NewPipe(func(r *pactum.AuditRow) bool {
		if !v.AddRow(r) {
			return false
		}
		if also != nil {
			also(r)
		}
		return true
	})
	err = q.ScanAuditRows(ctx, pipe.Add)
	pipe.Close()
	if err != nil {
		return nil, err
	}
	rep := v.Report(seq, hash)
	err = q.ScanPendingAudit(ctx, func(e *pactum.AuditEvent) bool {
		rep.Pending++
		if also != nil {
			also(&pactum.AuditRow{ID: []byte(e.ID), ActorID: []byte(e.ActorID), Action: []byte(e.Action),
				SubjectType: []byte(e.SubjectType), SubjectID: []byte(e.SubjectID), Before: e.Before, After: e.After})
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	return rep, nil
}
