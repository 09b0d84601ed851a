// SPDX-License-Identifier: EUPL-1.2

package usecase_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/mail/mailtest"
	"github.com/pactum/pactum/sqlstore"
	"github.com/pactum/pactum/sqlstore/storetest"
	"github.com/pactum/pactum/usecase"
)

// BenchmarkDeliver10k e-mails 10,000 notices to the test SMTP server
// (Mailpit, PACTUM_TEST_SMTP): committed 100 to a transaction, as a busy
// use case would write them, and sent by two workers (as two instances
// would run them) of 8 connections each. "queued" commits all 10,000
// first, then starts the workers: the drain rate. "live" commits as fast
// as it can while the workers run; "paced" commits 200 notices a second
// (below the drain rate) while they run: the delay a notice waits from
// its transaction's commit to its arrival at the SMTP server (Mailpit's
// receipt time), p50 and p99, when the queue is not backed up.
// Each iteration is the whole 10,000; run it with -benchtime 1x:
//
//	go test -run '^$' -bench Deliver10k -benchtime 1x ./usecase/
func BenchmarkDeliver10k(b *testing.B) {
	srv := mailtest.Get(b)
	for _, dialect := range storetest.Dialects {
		for _, mode := range []struct {
			name string
			live bool
			rate int // notices a second; 0: as fast as the store commits
		}{{"queued", false, 0}, {"live", true, 0}, {"paced", true, 200}} {
			b.Run(dialect+"/"+mode.name, func(b *testing.B) {
				for b.Loop() {
					benchDeliver(b, srv, dialect, mode.live, mode.rate, 10_000)
				}
			})
		}
	}
}

func benchDeliver(b *testing.B, srv *mailtest.Server, dialect string, live bool, rate, n int) {
	b.StopTimer()
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, storetest.DSN(b, dialect), sqlstore.Options{Now: time.Now})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	f := storetest.Seed(b, db, time.Now().UTC().Truncate(time.Microsecond))
	uc := mailingApp(b, db, time.Now)
	domain := randomDomain(b)
	from := "bench@" + domain
	const perTx = 100
	commits := make([]time.Time, n/perTx)
	produce := func() {
		began := time.Now()
		for t := range n / perTx {
			if rate > 0 {
				time.Sleep(time.Until(began.Add(time.Duration(t*perTx) * time.Second / time.Duration(rate))))
			}
			batch := make([]*pactum.Notification, perTx)
			for i := range batch {
				batch[i] = &pactum.Notification{UserID: f.ApplicantA.ID, Kind: pactum.NotifyIncident,
					Subject: fmt.Sprintf("bench %d %d", t, i), Body: "A notice of the delivery benchmark."}
			}
			if err := uc.NotifyForTest(ctx, batch...); err != nil {
				b.Error(err)
				return
			}
			commits[t] = time.Now()
		}
	}
	if !live {
		produce()
	}
	b.StartTimer()
	start := time.Now()
	wctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for i := range 2 {
		wk := &usecase.DeliveryWorker{Owner: fmt.Sprintf("bench-%d", i), Mailer: srv.Mailer(b, from, 8), Templates: templates(b),
			MailDomain: domain, Batch: 200, Concurrency: 8, Poll: 10 * time.Millisecond}
		wg.Go(func() { uc.RunDeliveryWorker(wctx, wk) })
	}
	if live {
		produce()
	}
	mgr := storetest.As(f.Manager)
	for {
		_, pending, err := uc.FindDeliveries(mgr, pactum.DeliveryFilter{State: ptr(pactum.DeliveryPending), Limit: 1})
		if err != nil {
			b.Fatal(err)
		}
		if pending == 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	elapsed := time.Since(start)
	stop()
	wg.Wait()
	b.StopTimer()
	if _, dead, _ := uc.FindDeliveries(mgr, pactum.DeliveryFilter{State: ptr(pactum.DeliveryDead), Limit: 1}); dead != 0 {
		b.Fatalf("%d dead", dead)
	}
	msgs := srv.All(b, "from:"+from)
	if len(msgs) != n {
		b.Fatalf("Mailpit received %d of %d", len(msgs), n)
	}
	delays := make([]time.Duration, 0, n)
	for _, m := range msgs {
		fields := strings.Fields(strings.TrimPrefix(m.Subject, "[pactum] "))
		t, err := strconv.Atoi(fields[1])
		if err != nil || len(fields) != 3 {
			b.Fatalf("subject %q", m.Subject)
		}
		delays = append(delays, m.Created.Sub(commits[t]))
	}
	slices.Sort(delays)
	b.ReportMetric(float64(n)/elapsed.Seconds(), "notices/s")
	b.ReportMetric(float64(delays[len(delays)/2].Milliseconds()), "p50-ms")
	b.ReportMetric(float64(delays[len(delays)*99/100].Milliseconds()), "p99-ms")
	b.ReportMetric(0, "ns/op")
	b.StartTimer()
}
