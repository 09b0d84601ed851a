// SPDX-License-Identifier: EUPL-1.2

package main

import "github.com/spf13/cobra"

// extraCommands returns the commands that run without a server: screening
// and ruleset tools.
func extraCommands() []*cobra.Command {
	return nil
}
