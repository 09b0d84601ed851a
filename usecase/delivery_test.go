// SPDX-License-Identifier: EUPL-1.2

package usecase_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/allocate"
	"github.com/pactum/pactum/catalog"
	"github.com/pactum/pactum/mail/mailtest"
	"github.com/pactum/pactum/mock"
	"github.com/pactum/pactum/solver"
	"github.com/pactum/pactum/sqlstore"
	"github.com/pactum/pactum/sqlstore/storetest"
	"github.com/pactum/pactum/usecase"
	"github.com/pactum/pactum/webhook"
)

// mailingApp returns the use cases over db with e-mail notices on.
func mailingApp(tb testing.TB, db *sqlstore.DB, now func() time.Time) *usecase.App {
	tb.Helper()
	rubric, err := catalog.Rubric()
	if err != nil {
		tb.Fatal(err)
	}
	return usecase.New(usecase.Config{Store: db, Screener: mock.Approving(), Allocator: allocate.New(solver.Options{}), Rubric: rubric,
		Now: now, EmailNotices: true})
}

func templates(tb testing.TB) *pactum.NotifyTemplates {
	tb.Helper()
	t, err := catalog.NotifyTemplates()
	if err != nil {
		tb.Fatal(err)
	}
	return t
}

// fakeMailer records what it sends, or fails while fail is set.
type fakeMailer struct {
	mu   sync.Mutex
	sent []*pactum.EmailMessage
	fail bool
}

func (m *fakeMailer) SendMail(_ context.Context, msg *pactum.EmailMessage) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail {
		return errors.New("421 try again later")
	}
	m.sent = append(m.sent, msg)
	return nil
}

func deliveries(t *testing.T, uc *usecase.App, ctx context.Context, f pactum.DeliveryFilter) []*pactum.Delivery {
	t.Helper()
	f.Limit = 1000
	ds, _, err := uc.FindDeliveries(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// TestDeliveryOutbox: a submission writes, in its own transaction, the
// applicant's notices of receipt, screening and (fast lane) decision, an
// e-mail delivery for each kind they did not turn off, and one webhook
// delivery per event for a subscription naming the kind. The worker sends
// them with the templates and a stable Message-ID; the webhook is signed.
func TestDeliveryOutbox(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		uc := mailingApp(t, w.db, w.clock.Now)
		mgr, app := storetest.As(w.f.Manager), storetest.As(w.f.ApplicantA)

		var mu sync.Mutex
		var posted []string
		var secret string
		hook := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			mu.Lock()
			defer mu.Unlock()
			if err := webhook.Verify(secret, r.Header.Get(webhook.SignatureHeader), body, time.Now(), webhook.DefaultTolerance); err != nil {
				t.Errorf("webhook signature: %v", err)
			}
			posted = append(posted, r.Header.Get(webhook.DeliveryHeader))
		}))
		defer hook.Close()
		sub, err := uc.CreateWebhook(mgr, pactum.WebhookInput{Name: "site CSC", Site: "CSC", URL: hook.URL,
			Kinds: []string{pactum.NotifySubmitted}})
		if err != nil {
			t.Fatal(err)
		}
		secret = sub.Secret
		if !strings.HasPrefix(secret, "whsec_") {
			t.Fatalf("secret %q", secret)
		}
		if subs, _ := uc.FindWebhooks(mgr); len(subs) != 1 || subs[0].Secret != "" {
			t.Fatalf("listed subscriptions %+v: want one, without its secret", subs)
		}
		if _, err := uc.CreateWebhook(app, pactum.WebhookInput{Name: "x", URL: hook.URL}); pactum.ErrorCode(err) != pactum.EFORBIDDEN {
			t.Fatalf("applicant subscribing: %v", err)
		}
		if _, err := uc.CreateWebhook(mgr, pactum.WebhookInput{Name: "x", URL: "ftp://h/"}); pactum.ErrorCode(err) != pactum.EINVALID {
			t.Fatalf("ftp URL: %v", err)
		}

		if _, err := uc.SetNotificationPreference(app, pactum.NotificationPreference{Kind: "nope"}); pactum.ErrorCode(err) != pactum.EINVALID {
			t.Fatalf("unknown kind: %v", err)
		}
		prefs, err := uc.SetNotificationPreference(app, pactum.NotificationPreference{Kind: pactum.NotifyScreening, Email: false})
		if err != nil {
			t.Fatal(err)
		}
		if i := slices.IndexFunc(prefs, func(p pactum.NotificationPreference) bool { return p.Kind == pactum.NotifyScreening }); i < 0 || prefs[i].Email {
			t.Fatalf("preferences %+v", prefs)
		}

		p := storetest.NewProposal(w.f.Call.ID)
		if err := uc.SubmitNewProposal(app, p); err != nil {
			t.Fatal(err)
		}
		ns, _, err := uc.FindNotifications(app, pactum.NotificationFilter{ProposalID: &p.ID})
		if err != nil {
			t.Fatal(err)
		}
		kinds := map[string]bool{}
		for _, n := range ns {
			kinds[n.Kind] = true
		}
		if !kinds[pactum.NotifySubmitted] || !kinds[pactum.NotifyScreening] {
			t.Fatalf("notifications of the submission: %v", kinds)
		}
		all := deliveries(t, uc, mgr, pactum.DeliveryFilter{})
		var emails, hooks int
		for _, d := range all {
			switch d.Channel {
			case pactum.ChannelEmail:
				emails++
				if d.Kind == pactum.NotifyScreening {
					t.Errorf("an e-mail of a kind the applicant turned off: %+v", d)
				}
				if d.Target != w.f.ApplicantA.Email {
					t.Errorf("e-mail to %s", d.Target)
				}
			case pactum.ChannelWebhook:
				hooks++
				if d.Kind != pactum.NotifySubmitted || d.Target != sub.ID {
					t.Errorf("webhook delivery %+v", d)
				}
			}
		}
		if emails != len(ns)-1 || hooks != 1 {
			t.Fatalf("%d e-mail and %d webhook deliveries for %d notices", emails, hooks, len(ns))
		}

		if _, _, err := uc.FindDeliveries(app, pactum.DeliveryFilter{}); pactum.ErrorCode(err) != pactum.EFORBIDDEN {
			t.Fatalf("applicant listing deliveries: %v", err)
		}
		m := &fakeMailer{}
		wk := &usecase.DeliveryWorker{Owner: "w1", Mailer: m, Webhooks: webhook.New(5 * time.Second), Templates: templates(t),
			MailDomain: "test.pactum"}
		r, err := uc.DeliverDue(context.Background(), wk)
		if err != nil {
			t.Fatal(err)
		}
		if r.Delivered != emails+hooks || len(m.sent) != emails || len(posted) != 1 {
			t.Fatalf("round %+v: %d mails, %d posts", r, len(m.sent), len(posted))
		}
		for _, msg := range m.sent {
			if !strings.HasPrefix(msg.Subject, "[pactum] ") || !strings.HasSuffix(msg.MessageID, "@test.pactum>") {
				t.Errorf("mail %+v", msg)
			}
		}
		if r, _ := uc.DeliverDue(context.Background(), wk); r.Claimed != 0 {
			t.Fatalf("delivered deliveries claimed again: %+v", r)
		}
		if n := len(deliveries(t, uc, mgr, pactum.DeliveryFilter{State: ptr(pactum.DeliveryDelivered)})); n != emails+hooks {
			t.Fatalf("%d delivered", n)
		}
	})
}

// TestDeliveryRetriesAndDeadLetter: a failing delivery is retried after a
// growing backoff (not before it is due), is dead after
// MaxDeliveryAttempts, and an access manager's retry sends it again.
func TestDeliveryRetriesAndDeadLetter(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		uc := mailingApp(t, w.db, w.clock.Now)
		mgr := storetest.As(w.f.Manager)
		if err := uc.NotifyForTest(mgr, &pactum.Notification{UserID: w.f.ApplicantA.ID, Kind: pactum.NotifyIncident,
			Subject: "S", Body: "B"}); err != nil {
			t.Fatal(err)
		}
		m := &fakeMailer{fail: true}
		wk := &usecase.DeliveryWorker{Owner: "w1", Mailer: m, Templates: templates(t), Jitter: func() float64 { return 0.5 }}
		var last time.Duration
		for attempt := 1; attempt <= pactum.MaxDeliveryAttempts; attempt++ {
			r, err := uc.DeliverDue(context.Background(), wk)
			if err != nil {
				t.Fatal(err)
			}
			if r.Claimed != 1 {
				t.Fatalf("attempt %d: claimed %d", attempt, r.Claimed)
			}
			d := deliveries(t, uc, mgr, pactum.DeliveryFilter{})[0]
			if d.Attempts != attempt || !strings.Contains(d.LastError, "421") {
				t.Fatalf("attempt %d: %+v", attempt, d)
			}
			if attempt == pactum.MaxDeliveryAttempts {
				if d.State != pactum.DeliveryDead {
					t.Fatalf("after %d attempts: %s", attempt, d.State)
				}
				break
			}
			wait := d.NextAt.Sub(w.clock.Now())
			if wait != pactum.DeliveryBackoff(attempt, 0.5) || wait <= last {
				t.Fatalf("attempt %d: next in %s (before: %s)", attempt, wait, last)
			}
			last = wait
			if r, _ := uc.DeliverDue(context.Background(), wk); r.Claimed != 0 {
				t.Fatal("claimed before due")
			}
			w.clock.Advance(wait)
		}
		dead := deliveries(t, uc, mgr, pactum.DeliveryFilter{State: ptr(pactum.DeliveryDead)})
		if len(dead) != 1 {
			t.Fatalf("dead letters: %d", len(dead))
		}
		if c, err := w.db.CountDeliveries(context.Background()); err != nil || c != (pactum.DeliveryCounts{Dead: 1}) {
			t.Fatalf("counts for the metrics: %+v %v", c, err)
		}
		if _, err := uc.RetryDelivery(storetest.As(w.f.Auditor), dead[0].ID); pactum.ErrorCode(err) != pactum.EFORBIDDEN {
			t.Fatalf("auditor retrying: %v", err)
		}
		if _, err := uc.RetryDelivery(mgr, "nope"); pactum.ErrorCode(err) != pactum.ENOTFOUND {
			t.Fatalf("unknown id: %v", err)
		}
		d, err := uc.RetryDelivery(mgr, dead[0].ID)
		if err != nil || d.State != pactum.DeliveryPending || d.Attempts != 0 {
			t.Fatalf("retry: %+v %v", d, err)
		}
		m.fail = false
		if r, err := uc.DeliverDue(context.Background(), wk); err != nil || r.Delivered != 1 || len(m.sent) != 1 {
			t.Fatalf("after retry: %+v %v", r, err)
		}
		if _, err := uc.RetryDelivery(mgr, dead[0].ID); pactum.ErrorCode(err) != pactum.ECONFLICT {
			t.Fatalf("retrying a delivered one: %v", err)
		}
	})
}

// TestDeliveryLeaseExpiry: a worker that claimed deliveries and stopped
// before finishing (a crash) leaves them to another after the lease; the
// late first worker's outcome is then ignored. This is where a notice can
// be sent twice, with the same Message-ID.
func TestDeliveryLeaseExpiry(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		uc := mailingApp(t, w.db, w.clock.Now)
		if err := uc.NotifyForTest(context.Background(), &pactum.Notification{UserID: w.f.ApplicantA.ID, Kind: pactum.NotifyIncident,
			Subject: "S", Body: "B"}); err != nil {
			t.Fatal(err)
		}
		var claimed []*pactum.Delivery
		err := pactum.Update(context.Background(), w.db, nil, func(tx pactum.Tx) error {
			var err error
			claimed, err = tx.ClaimDeliveries(context.Background(), "crashed", []string{pactum.ChannelEmail}, tx.Now(), tx.Now().Add(time.Minute), 10)
			return err
		})
		if err != nil || len(claimed) != 1 {
			t.Fatalf("claim: %d %v", len(claimed), err)
		}
		m := &fakeMailer{}
		wk := &usecase.DeliveryWorker{Owner: "w2", Mailer: m, Templates: templates(t), MailDomain: "d"}
		if r, _ := uc.DeliverDue(context.Background(), wk); r.Claimed != 0 {
			t.Fatal("a leased delivery was claimed by another worker")
		}
		w.clock.Advance(time.Minute)
		if r, err := uc.DeliverDue(context.Background(), wk); err != nil || r.Delivered != 1 {
			t.Fatalf("after the lease: %+v %v", r, err)
		}
		if m.sent[0].MessageID != claimed[0].MessageID("d") {
			t.Fatalf("Message-ID %s, want %s", m.sent[0].MessageID, claimed[0].MessageID("d"))
		}
		err = pactum.Update(context.Background(), w.db, nil, func(tx pactum.Tx) error {
			claimed[0].State = pactum.DeliveryDead
			ok, err := tx.FinishDelivery(context.Background(), claimed[0], "crashed")
			if ok {
				t.Error("the crashed worker's late outcome was stored")
			}
			if err != nil {
				return err
			}
			n, err := tx.MarkDelivered(context.Background(), []string{claimed[0].ID}, "crashed", tx.Now())
			if n != 0 {
				t.Error("the crashed worker's late delivery was marked")
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	})
}

// TestDeliveryTwoInstances: two instances (each its own store handle and
// App, as two servers on one database) with their workers started at
// once deliver 300 notices to the real SMTP server exactly once each.
func TestDeliveryTwoInstances(t *testing.T) {
	srv := mailtest.Get(t)
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		dbs := []*sqlstore.DB{w.db}
		if dialect == sqlstore.Postgres {
			db2, err := sqlstore.Open(context.Background(), w.dsn, sqlstore.Options{Now: w.clock.Now})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db2.Close() })
			dbs = append(dbs, db2)
		} else {
			dbs = append(dbs, w.db) // SQLite: one writer per database file, so one handle
		}
		domain := randomDomain(t)
		from := "pactum@" + domain
		const n = 300
		uc0 := mailingApp(t, dbs[0], w.clock.Now)
		var batch []*pactum.Notification
		for i := range n {
			batch = append(batch, &pactum.Notification{UserID: w.f.ApplicantA.ID, Kind: pactum.NotifyIncident,
				Subject: fmt.Sprintf("Two instances %d", i), Body: "B"})
			if len(batch) == 100 {
				if err := uc0.NotifyForTest(context.Background(), batch...); err != nil {
					t.Fatal(err)
				}
				batch = nil
			}
		}
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i, db := range dbs {
			uc := mailingApp(t, db, w.clock.Now)
			wk := &usecase.DeliveryWorker{Owner: fmt.Sprintf("instance-%d", i), Mailer: srv.Mailer(t, from, 4), Templates: templates(t),
				MailDomain: domain, Batch: 20, Concurrency: 4}
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				for {
					r, err := uc.DeliverDue(context.Background(), wk)
					if err != nil {
						t.Error(err)
						return
					}
					if r.Failed+r.Dead > 0 {
						t.Errorf("%s: %+v", wk.Owner, r)
					}
					if r.Claimed == 0 {
						return
					}
				}
			}()
		}
		close(start)
		wg.Wait()
		msgs, total := srv.Search(t, "from:"+from, 1000)
		seen := map[string]int{}
		for _, m := range msgs {
			if !strings.HasSuffix(m.MessageID, "@"+domain) {
				t.Errorf("Message-ID %s", m.MessageID)
			}
			seen[m.MessageID]++
		}
		if total != n || len(seen) != n {
			t.Fatalf("Mailpit holds %d messages of this test, %d distinct Message-IDs; want %d each", total, len(seen), n)
		}
		mgr := storetest.As(w.f.Manager)
		if d := deliveries(t, uc0, mgr, pactum.DeliveryFilter{State: ptr(pactum.DeliveryDelivered)}); len(d) != n {
			t.Fatalf("%d delivered", len(d))
		}
		text := srv.Text(t, msgs[0].ID)
		if !strings.Contains(text, "B") || !strings.Contains(text, "pactum notifications list") {
			t.Fatalf("body from the template: %q", text)
		}
	})
}

func randomDomain(tb testing.TB) string {
	b := make([]byte, 6)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	return "t" + hex.EncodeToString(b) + ".pactum.test"
}
