// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"log/slog"

	pactumhttp "github.com/pactum/pactum/http"
	"github.com/pactum/pactum/usecase"
	"github.com/pactum/pactum/web"
)

// mountPortal serves the portal on srv at /portal/, signed in through the
// server's sessions; without sign-in configured its pages say so.
func mountPortal(srv *pactumhttp.Server, uc *usecase.App, signIn bool, logger *slog.Logger) error {
	cfg := web.Config{Services: uc, Session: srv.SessionUser, Logger: logger}
	if signIn {
		cfg.SignInURL = "/auth/login"
	}
	p, err := web.New(cfg)
	if err != nil {
		return err
	}
	srv.HandlePortal(web.Prefix, p)
	return nil
}
