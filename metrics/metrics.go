// SPDX-License-Identifier: EUPL-1.2

// Package metrics exports pactum's domain metrics to Prometheus, beside
// the HTTP ones of package http: submissions, screening outcomes and the
// rules that fired, decisions and the time they took, usage ingest and
// its lag, and each site agent's last contact. Domain implements
// usecase.Observer, so the use cases stay free of Prometheus; the agents'
// gauges are read from the store at scrape time (RegisterAgents). Wiring
// is in cmd/pactum.
package metrics

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/usecase"
)

// Domain counts what the use cases did. Create it with New.
type Domain struct {
	submissions    *prometheus.CounterVec
	screenings     *prometheus.CounterVec
	findings       *prometheus.CounterVec
	decisions      *prometheus.CounterVec
	timeToDecision *prometheus.HistogramVec
	usageRecords   *prometheus.CounterVec
	ingestLag      prometheus.Histogram
	lastIngest     *prometheus.GaugeVec
	now            func() time.Time
}

var _ usecase.Observer = (*Domain)(nil)

// decisionBuckets span a fast-lane approval (seconds) to a regular call's
// months, in seconds.
var decisionBuckets = []float64{
	1, 60, 3600, 6 * 3600, 86400, 3 * 86400, 7 * 86400, 14 * 86400, 30 * 86400, 60 * 86400, 90 * 86400, 180 * 86400,
}

// lagBuckets span an agent's minute cycle to days of backlog, in seconds.
var lagBuckets = []float64{30, 60, 120, 300, 600, 1800, 3600, 3 * 3600, 6 * 3600, 86400, 3 * 86400, 7 * 86400}

// New registers the domain metrics on reg. now is the clock of the
// last-ingest gauge (time.Now when nil).
func New(reg prometheus.Registerer, now func() time.Time) (*Domain, error) {
	if now == nil {
		now = time.Now
	}
	d := &Domain{
		now: now,
		submissions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pactum_proposals_submitted_total", Help: "Proposals submitted (and screened), by access mode.",
		}, []string{"mode"}),
		screenings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pactum_screenings_total", Help: "Screenings of submitted proposals, by outcome and the route taken (approved, in_review, rejected).",
		}, []string{"outcome", "route"}),
		findings: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pactum_screening_findings_total", Help: "Screening findings, by rule and effect (deny, refer, condition, info).",
		}, []string{"rule", "effect"}),
		decisions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pactum_decisions_total", Help: "Proposals decided, by outcome (approved, accepted, rejected) and by whom (screening, manager, override, allocation_run).",
		}, []string{"outcome", "by"}),
		timeToDecision: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "pactum_time_to_decision_seconds", Help: "Time from a proposal's submission to its decision, by whom it was decided.",
			Buckets: decisionBuckets,
		}, []string{"by"}),
		usageRecords: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "pactum_usage_records_total", Help: "Usage records posted by site agents, by cluster and status (accepted, duplicate, rejected).",
		}, []string{"cluster", "status"}),
		ingestLag: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "pactum_usage_ingest_lag_seconds", Help: "Time from a job's end to the ingest of its final usage record.",
			Buckets: lagBuckets,
		}),
		lastIngest: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "pactum_usage_last_ingest_timestamp_seconds", Help: "When a cluster's usage was last ingested (Unix time), by this instance.",
		}, []string{"cluster"}),
	}
	for _, c := range []prometheus.Collector{d.submissions, d.screenings, d.findings, d.decisions, d.timeToDecision,
		d.usageRecords, d.ingestLag, d.lastIngest} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return d, nil
}

// ProposalSubmitted implements usecase.Observer.
func (d *Domain) ProposalSubmitted(p *pactum.Proposal) {
	d.submissions.WithLabelValues(string(p.Mode)).Inc()
	if p.Screening == nil {
		return
	}
	d.screenings.WithLabelValues(string(p.Screening.Outcome), string(p.State)).Inc()
	for _, f := range p.Screening.Findings {
		if f.RuleID != "" {
			d.findings.WithLabelValues(f.RuleID, string(f.Effect)).Inc()
		}
	}
}

// ProposalDecided implements usecase.Observer.
func (d *Domain) ProposalDecided(p *pactum.Proposal, by string) {
	d.decisions.WithLabelValues(string(p.State), by).Inc()
	if p.Decision != nil && p.SubmittedAt != nil {
		if took := p.Decision.DecidedAt.Sub(*p.SubmittedAt); took >= 0 {
			d.timeToDecision.WithLabelValues(by).Observe(took.Seconds())
		}
	}
}

// UsageIngested implements usecase.Observer.
func (d *Domain) UsageIngested(cluster string, res *pactum.UsageIngest, lags []time.Duration) {
	for status, n := range map[string]int{"accepted": res.Accepted, "duplicate": res.Duplicate, "rejected": res.Rejected} {
		if n > 0 {
			d.usageRecords.WithLabelValues(cluster, status).Add(float64(n))
		}
	}
	for _, l := range lags {
		d.ingestLag.Observe(max(l, 0).Seconds())
	}
	d.lastIngest.WithLabelValues(cluster).Set(float64(d.now().Unix()))
}

// agents is the collector of the agents' gauges.
type agents struct {
	list        func(context.Context) ([]pactum.AgentStatus, error)
	logger      *slog.Logger
	lastContact *prometheus.Desc
	silent      *prometheus.Desc
}

// RegisterAgents registers, on reg, each site agent's last contact and
// whether it is silent, read with list (the use case ListAgents as the
// system user) at every scrape, so that every instance reports the same
// and a silent agent shows even on an instance it never spoke to. A
// failed read is logged and leaves the gauges out of that scrape.
func RegisterAgents(reg prometheus.Registerer, list func(context.Context) ([]pactum.AgentStatus, error), logger *slog.Logger) error {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return reg.Register(&agents{list: list, logger: logger,
		lastContact: prometheus.NewDesc("pactum_agent_last_contact_timestamp_seconds",
			"When each site's agent on each cluster last made contact (a heartbeat), Unix time.", []string{"site", "cluster"}, nil),
		silent: prometheus.NewDesc("pactum_agent_silent",
			"1 when a site's agent has not made contact within the silence threshold (serve --agent-silent-after), else 0.", []string{"site", "cluster"}, nil),
	})
}

func (a *agents) Describe(ch chan<- *prometheus.Desc) {
	ch <- a.lastContact
	ch <- a.silent
}

func (a *agents) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := a.list(ctx)
	if err != nil {
		a.logger.Warn("metrics: read the agents' last contact", "err", err)
		return
	}
	for _, s := range st {
		if s.LastContact == nil {
			continue
		}
		silent := 0.0
		if s.Silent {
			silent = 1
		}
		ch <- prometheus.MustNewConstMetric(a.lastContact, prometheus.GaugeValue, float64(s.LastContact.Unix()), s.Site, s.Cluster)
		ch <- prometheus.MustNewConstMetric(a.silent, prometheus.GaugeValue, silent, s.Site, s.Cluster)
	}
}
