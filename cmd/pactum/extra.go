// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"github.com/spf13/cobra"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/usecase"
)

// extraCommands returns the commands that run without a server: screening
// and ruleset tools.
func extraCommands() []*cobra.Command {
	return []*cobra.Command{newScreenCmd(), newRulesCmd(storedInputs)}
}

// storedInputs loads the submitted proposals of the database named by
// --data or --db, for `rules diff`.
func storedInputs(cmd *cobra.Command) ([]*pactum.ScreeningInput, error) {
	dsn, err := readOnlyDSN(cmd)
	if err != nil {
		return nil, pactum.Errorf(pactum.EINVALID, "Name the stored proposals with --data DIR or --db URL, or a file with --inputs.")
	}
	db, err := openReadOnly(cmd.Context(), dsn)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	return usecase.ScreeningInputs(cmd.Context(), db)
}
