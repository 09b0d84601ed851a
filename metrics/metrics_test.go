// SPDX-License-Identifier: EUPL-1.2

package metrics_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/metrics"
	"github.com/pactum/pactum/usecase"
)

func family(t *testing.T, reg *prometheus.Registry, name string) *dto.MetricFamily {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf
		}
	}
	return nil
}

// TestTimeToDecision: a decision three days after submission is one
// observation of three days, labelled by who decided; the decision is
// counted by outcome.
func TestTimeToDecision(t *testing.T) {
	reg := prometheus.NewRegistry()
	d, err := metrics.New(reg, nil)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	p := &pactum.Proposal{State: pactum.ProposalAccepted, SubmittedAt: &at,
		Decision: &pactum.ProposalDecision{Accept: true, DecidedAt: at.Add(72 * time.Hour)}}
	d.ProposalDecided(p, usecase.DecidedByManager)
	mf := family(t, reg, "pactum_time_to_decision_seconds")
	if mf == nil || len(mf.GetMetric()) != 1 {
		t.Fatalf("time to decision: %v", mf)
	}
	h := mf.GetMetric()[0].GetHistogram()
	if h.GetSampleCount() != 1 || h.GetSampleSum() != 72*3600 || mf.GetMetric()[0].GetLabel()[0].GetValue() != "manager" {
		t.Errorf("time to decision: %v", mf)
	}
	dec := family(t, reg, "pactum_decisions_total")
	if dec == nil || dec.GetMetric()[0].GetCounter().GetValue() != 1 {
		t.Errorf("decisions: %v", dec)
	}
	if _, err := metrics.New(reg, nil); err == nil {
		t.Error("registering the domain metrics twice on one registry succeeded")
	}
}

// TestAgentsReadFailure: when the agents cannot be read, the scrape
// still succeeds, without their gauges.
func TestAgentsReadFailure(t *testing.T) {
	reg := prometheus.NewRegistry()
	fail := true
	at := time.Unix(1_800_000_000, 0)
	err := metrics.RegisterAgents(reg, func(context.Context) ([]pactum.AgentStatus, error) {
		if fail {
			return nil, errors.New("database down")
		}
		return []pactum.AgentStatus{{Site: "CSC", Cluster: "lumi", LastContact: &at, State: pactum.AgentSilent, Silent: true},
			{Site: "IT4I", State: pactum.AgentNever}}, nil
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if mf := family(t, reg, "pactum_agent_silent"); mf != nil {
		t.Errorf("gauges from a failed read: %v", mf)
	}
	fail = false
	silent := family(t, reg, "pactum_agent_silent")
	last := family(t, reg, "pactum_agent_last_contact_timestamp_seconds")
	if silent == nil || len(silent.GetMetric()) != 1 || silent.GetMetric()[0].GetGauge().GetValue() != 1 {
		t.Errorf("silent: %v", silent)
	}
	if last == nil || last.GetMetric()[0].GetGauge().GetValue() != 1_800_000_000 {
		t.Errorf("last contact: %v", last)
	}
}
