// SPDX-License-Identifier: EUPL-1.2

package slurm

import (
	"context"
	"fmt"
	"strings"

	pactum "github.com/pactum/pactum"
)

// ConfigReader reads the running configuration of a cluster, as
// "scontrol show config" prints it: setting → value.
type ConfigReader interface {
	Config(ctx context.Context) (map[string]string, error)
}

// Config implements ConfigReader with scontrol.
func (c *Client) Config(ctx context.Context) (map[string]string, error) {
	out, err := output(ctx, c.Runner, "scontrol", "show", "config")
	if err != nil {
		return nil, fmt.Errorf("read the cluster's configuration: %w", err)
	}
	return ParseConfig(string(out)), nil
}

// ParseConfig parses "scontrol show config" (lines "Key = value").
func ParseConfig(out string) map[string]string {
	cfg := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			cfg[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return cfg
}

// CheckConfig returns EINVALID, naming each setting to change, unless the
// configuration lets a grant be a hard budget on cluster: its ClusterName
// is cluster; AccountingStorageEnforce includes associations, limits and
// qos (else GrpTRESMins and the allocation's QOS are not enforced);
// PriorityType is priority/multifactor (else no usage is counted against
// GrpTRESMins); and, when gpus is set, gres/gpu is in
// AccountingStorageTRES (else GPU minutes are neither counted nor
// limited). Decaying usage (PriorityDecayHalfLife,
// PriorityUsageResetPeriod) is allowed: the allocation's QOS has NoDecay.
func CheckConfig(cfg map[string]string, cluster string, gpus bool) error {
	var v pactum.Validator
	v.Check(cfg["ClusterName"] == cluster, "ClusterName", "is %q, but the agent was told the cluster is %q", cfg["ClusterName"], cluster)
	enforce := strings.Split(cfg["AccountingStorageEnforce"], ",")
	for _, want := range []string{"associations", "limits", "qos"} {
		has := false
		for _, e := range enforce {
			has = has || strings.TrimSpace(e) == want
		}
		v.Check(has, "AccountingStorageEnforce", "is %q: add %s, or Slurm does not enforce a grant", cfg["AccountingStorageEnforce"], want)
	}
	v.Check(cfg["PriorityType"] == "priority/multifactor", "PriorityType", "is %q: set priority/multifactor, or Slurm counts no usage against limits", cfg["PriorityType"])
	if gpus {
		v.Check(strings.Contains(","+cfg["AccountingStorageTRES"]+",", ",gres/gpu,"), "AccountingStorageTRES",
			"is %q: add gres/gpu, or GPU minutes are neither counted nor limited", cfg["AccountingStorageTRES"])
	}
	return v.Err("The Slurm configuration cannot enforce a grant as a hard budget.")
}
