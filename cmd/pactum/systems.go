// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"context"
	"fmt"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/pactum/pactum/client"
)

func newSystemsCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "systems", Short: "The EuroHPC systems catalogue"}
	cmd.AddCommand(newSystemsListCmd(e), newSystemsShowCmd(e))
	return cmd
}

func newSystemsListCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "list", Short: "List the systems offered to the scheme", Args: cobra.NoArgs}
	return listCmd(e, cmd, listing[*client.ListSystemsResponse, client.System]{
		send: func(ctx context.Context, c *client.ClientWithResponses, _ *cobra.Command, _ []string) (*client.ListSystemsResponse, error) {
			return c.ListSystemsWithResponse(ctx)
		},
		page: func(r *client.ListSystemsResponse) ([]client.System, int) { return r.JSON200.Items, r.JSON200.Total },
		cols: columns[client.System]{
			header: []string{"ID", "NAME", "SITE", "ACCELERATOR", "NODES×GPUS", "TFLOP/S/GPU", "CAPACITY/PERIOD", "STACK"},
			row: func(s client.System) []string {
				return []string{s.Id, s.Name, s.Site + " (" + s.Country + ")", s.Accelerator, fmt.Sprintf("%d×%d", s.Nodes, s.GpusPerNode),
					fmtNum(s.PeakTflopsPerGpu), fmtNum(s.CapacityPerPeriod) + " " + unitShort(string(s.Unit)), string(s.Software)}
			},
		},
	})
}

func newSystemsShowCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{Use: "show ID", Short: "Show one system", Args: cobra.ExactArgs(1)}
	return requestCmd(e, cmd, byID((*client.ClientWithResponses).GetSystemWithResponse), func(resp *client.GetSystemResponse) error {
		s := resp.JSON200
		return keyValues(e.stdout, [][2]string{{"id", s.Id}, {"name", s.Name}, {"site", s.Site}, {"country", s.Country},
			{"partition", s.Partition}, {"accelerator", s.Accelerator}, {"nodes", strconv.Itoa(s.Nodes)},
			{"gpus per node", strconv.Itoa(s.GpusPerNode)}, {"peak TFLOP/s per GPU (BF16)", fmtNum(s.PeakTflopsPerGpu)},
			{"unit", string(s.Unit)}, {"capacity per period", fmtNum(s.CapacityPerPeriod)}, {"software", string(s.Software)},
			{"scheduler", string(s.Scheduler)},
			{"TDP per GPU", orUnknown(s.TdpWattsPerGpu, fmtNum(s.TdpWattsPerGpu)+" W")},
			{"node overhead", orUnknown(s.NodeOverhead, "×"+fmtNum(s.NodeOverhead))},
			{"PUE", orUnknown(s.Pue, fmtNum(s.Pue))},
			{"grid intensity", orUnknown(s.GridGco2PerKwh, fmtNum(s.GridGco2PerKwh)+" gCO2e/kWh")},
			{"MFU planning band", orUnknown(s.MfuHigh, fmtNum(s.MfuLow)+"–"+fmtNum(s.MfuHigh))},
			{"energy source", str(&s.EnergySource)}})
	})
}

// orUnknown returns text, or "-" when the figure it shows is zero: the
// catalogue entry does not know it.
func orUnknown(x float64, text string) string {
	if x == 0 {
		return "-"
	}
	return text
}
