// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/mail"
	"os"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/catalog"
	pmail "github.com/pactum/pactum/mail"
	"github.com/pactum/pactum/usecase"
	"github.com/pactum/pactum/webhook"
)

// notifyFlags adds serve's flags for delivering notifications.
func notifyFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.String("smtp-host", "", "SMTP server that e-mails notifications (none: notifications are not e-mailed)")
	f.Int("smtp-port", 587, "its port")
	f.String("smtp-user", "", "SMTP user name (none: no authentication)")
	f.String("smtp-password-file", "", "file holding the SMTP password (or set PACTUM_SMTP_PASSWORD)")
	f.String("smtp-from", "", "the notifications' From address, e.g. pactum@eurohpc.example (required with --smtp-host)")
	f.String("smtp-tls", pmail.TLSMandatory, "mandatory (STARTTLS), opportunistic, implicit (port 465) or none (a server on loopback)")
	f.String("notify-templates", "", "e-mail templates file (the format of the embedded catalog/notify.json) instead of the embedded ones")
	f.Int("delivery-concurrency", 4, "e-mails and webhooks each server sends at once (0: deliver nothing from this server)")
	f.Int("delivery-batch", 100, "deliveries a worker claims at a time")
	f.Duration("delivery-poll", time.Second, "how often an idle worker looks for due deliveries")
	f.Duration("webhook-timeout", 10*time.Second, "how long a webhook receiver has to answer")
}

// notifySetup is what serve's notification flags configure.
type notifySetup struct {
	email bool
	// sweep, silentAfter: the notice sweep's interval (0: none) and how
	// long an agent may be silent.
	sweep, silentAfter time.Duration
	worker             *usecase.DeliveryWorker
	mailer             *pmail.Mailer
}

// notifyConfig reads serve's notification flags; nil worker when this
// server delivers nothing.
func notifyConfig(cmd *cobra.Command) (*notifySetup, error) {
	f := cmd.Flags()
	host, _ := f.GetString("smtp-host")
	conc, _ := f.GetInt("delivery-concurrency")
	batch, _ := f.GetInt("delivery-batch")
	poll, _ := f.GetDuration("delivery-poll")
	timeout, _ := f.GetDuration("webhook-timeout")
	if conc < 0 || conc > 256 || batch < 1 || batch > 10000 || poll <= 0 || timeout <= 0 {
		return nil, pactum.Errorf(pactum.EINVALID, "--delivery-concurrency 0..256, --delivery-batch 1..10000, --delivery-poll and --webhook-timeout positive")
	}
	s := &notifySetup{email: host != ""}
	s.sweep, _ = f.GetDuration("sweep-interval")
	s.silentAfter, _ = f.GetDuration("agent-silent-after")
	if s.silentAfter <= 0 {
		return nil, pactum.Errorf(pactum.EINVALID, "--agent-silent-after: give a positive duration")
	}
	tpl, err := notifyTemplates(cmd)
	if err != nil {
		return nil, err
	}
	owner := make([]byte, 4)
	_, _ = rand.Read(owner)
	hostname, _ := os.Hostname()
	w := &usecase.DeliveryWorker{Owner: fmt.Sprintf("%s-%d-%s", hostname, os.Getpid(), hex.EncodeToString(owner)),
		Templates: tpl, Batch: batch, Concurrency: conc, Poll: poll, Webhooks: webhook.New(timeout)}
	if host != "" {
		port, _ := f.GetInt("smtp-port")
		user, _ := f.GetString("smtp-user")
		from, _ := f.GetString("smtp-from")
		tls, _ := f.GetString("smtp-tls")
		password := os.Getenv("PACTUM_SMTP_PASSWORD")
		if path, _ := f.GetString("smtp-password-file"); path != "" {
			data, err := os.ReadFile(path)
			if err != nil {
				return nil, pactum.Errorf(pactum.EINVALID, "--smtp-password-file: %v", err)
			}
			password = strings.TrimRight(string(data), "\r\n")
		}
		if from == "" {
			return nil, pactum.Errorf(pactum.EINVALID, "--smtp-from: give the notifications' From address with --smtp-host")
		}
		s.mailer, err = pmail.New(pmail.Config{Host: host, Port: port, Username: user, Password: password, From: from, TLS: tls, Conns: max(conc, 1)})
		if err != nil {
			return nil, err
		}
		w.Mailer = s.mailer
		if a, err := mail.ParseAddress(from); err == nil {
			if _, domain, ok := strings.Cut(a.Address, "@"); ok {
				w.MailDomain = domain
			}
		}
	}
	if conc > 0 {
		s.worker = w
	}
	return s, nil
}

func notifyTemplates(cmd *cobra.Command) (*pactum.NotifyTemplates, error) {
	path, _ := cmd.Flags().GetString("notify-templates")
	if path == "" {
		return catalog.NotifyTemplates()
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, pactum.Errorf(pactum.EINVALID, "--notify-templates: %v", err)
	}
	t, err := catalog.ParseNotifyTemplates(data)
	if err != nil {
		return nil, fmt.Errorf("--notify-templates %s: %w", path, err)
	}
	return t, nil
}

// startDeliveries registers the delivery metrics and runs the worker and
// the notice sweep (allocations expiring, agents silent) until ctx ends;
// the returned channel closes when both have stopped.
func startDeliveries(ctx context.Context, a *app, s *notifySetup, logger *slog.Logger) (<-chan struct{}, error) {
	done := make(chan struct{})
	counts := func(pick func(pactum.DeliveryCounts) int) func() float64 {
		return func() float64 {
			c, err := a.db.CountDeliveries(ctx)
			if err != nil {
				return -1
			}
			return float64(pick(c))
		}
	}
	attempts := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "pactum_notification_delivery_attempts_total",
		Help: "Attempts to deliver a notification by this server, by channel and outcome (delivered, failed)."}, []string{"channel", "outcome"})
	for _, c := range []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "pactum_notification_deliveries_pending",
			Help: "Notification deliveries (e-mail, webhook) not yet sent, in the whole database."}, counts(func(c pactum.DeliveryCounts) int { return c.Pending })),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "pactum_notification_deliveries_dead",
			Help: "Notification deliveries given up after every attempt failed (the dead letters), in the whole database."}, counts(func(c pactum.DeliveryCounts) int { return c.Dead })),
		attempts,
	} {
		if err := a.registry.Register(c); err != nil {
			return nil, fmt.Errorf("register metrics: %w", err)
		}
	}
	swept := make(chan struct{})
	if s.sweep > 0 {
		go func() { defer close(swept); a.uc.RunNoticeSweeper(ctx, s.sweep, s.silentAfter) }()
	} else {
		close(swept)
	}
	if s.worker == nil {
		go func() { <-swept; close(done) }()
		return done, nil
	}
	s.worker.Observe = func(d *pactum.Delivery, err error) {
		outcome := "delivered"
		if err != nil {
			outcome = "failed"
		}
		attempts.WithLabelValues(d.Channel, outcome).Inc()
	}
	logger.Info("delivering notifications", "worker", s.worker.Owner, "email", s.worker.Mailer != nil, "concurrency", s.worker.Concurrency)
	go func() {
		defer close(done)
		a.uc.RunDeliveryWorker(ctx, s.worker)
		<-swept
		if s.mailer != nil {
			_ = s.mailer.Close()
		}
	}()
	return done, nil
}
