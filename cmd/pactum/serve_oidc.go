// SPDX-License-Identifier: EUPL-1.2

package main

import (
	"context"
	"log/slog"
	"net"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/pactum/pactum"
	pactumhttp "github.com/pactum/pactum/http"
	"github.com/pactum/pactum/oidc"
	"github.com/pactum/pactum/usecase"
)

// oidcSecretEnv holds the OpenID client secret when --oidc-client-secret-file
// is not given: a secret never needs to be on the command line.
const oidcSecretEnv = "PACTUM_OIDC_CLIENT_SECRET"

// signInFlags adds serve's flags for sign-in through an OpenID provider.
func signInFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.String("oidc-issuer", "", "OpenID provider's issuer URL, e.g. https://proxy.myaccessid.org (MyAccessID) or https://kc.example/realms/hpc; enables browser sign-in at /auth/login (default: off)")
	f.String("oidc-client-id", "", "pactum's client ID at the OpenID provider")
	f.String("oidc-client-secret-file", "", "file holding pactum's client secret at the OpenID provider (default: the environment variable "+oidcSecretEnv+")")
	f.String("oidc-redirect-url", "", "pactum's callback as registered at the provider: https://HOST/auth/callback")
	f.StringSlice("oidc-scopes", []string{"openid", "email", "profile"}, "scopes to ask the provider for (MyAccessID: add eduperson_assurance or aarc for assurance)")
	f.String("oidc-assurance-claim", oidc.DefaultAssuranceClaim, "claim (ID token or userinfo) holding the identity's assurance values")
	f.StringArray("oidc-min-assurance", nil, "minimum assurance of a role, ROLE=VALUE[,VALUE...] (all needed; the acr counts too), e.g. reviewer=https://refeds.org/assurance/IAP/medium; repeatable")
	f.String("oidc-subject-suffix", "", "refuse subjects not ending in this, e.g. @myaccessid.org (MyAccessID's test@ account too)")
	f.Duration("session-ttl", pactum.DefaultSessionTTL, "how long a sign-in session lasts")
	f.Duration("session-idle", pactum.DefaultSessionIdle, "a sign-in session ends after this long without a request")
	f.String("after-login", "", "path a browser goes to after signing in (default the portal, /portal/)")
}

// signInUseCases reads the flags the use cases need: session lifetimes
// and the minimum assurance per role.
func signInUseCases(cmd *cobra.Command) (func(*usecase.Config), error) {
	ttl, _ := cmd.Flags().GetDuration("session-ttl")
	idle, _ := cmd.Flags().GetDuration("session-idle")
	if ttl <= 0 || idle <= 0 {
		return nil, pactum.Errorf(pactum.EINVALID, "--session-ttl and --session-idle must be positive durations, e.g. 12h and 2h")
	}
	reqs, _ := cmd.Flags().GetStringArray("oidc-min-assurance")
	var policy pactum.AssurancePolicy
	for _, r := range reqs {
		role, values, err := pactum.ParseAssuranceRequirement(r)
		if err != nil {
			return nil, pactum.Errorf(pactum.EINVALID, "--oidc-min-assurance: %s", pactum.ErrorMessage(err))
		}
		if policy == nil {
			policy = pactum.AssurancePolicy{}
		}
		for _, v := range values {
			if !slices.Contains(policy[role], v) {
				policy[role] = append(policy[role], v)
			}
		}
	}
	return func(c *usecase.Config) {
		c.SessionTTL, c.SessionIdle, c.Assurance = ttl, idle, policy
	}, nil
}

// signInConfig reads the provider's flags and discovers it; nil when no
// issuer is set (sign-in off).
func signInConfig(ctx context.Context, cmd *cobra.Command, sessions pactum.SessionService, logger *slog.Logger) (*pactumhttp.SignInConfig, error) {
	issuer, _ := cmd.Flags().GetString("oidc-issuer")
	if issuer == "" {
		return nil, nil
	}
	clientID, _ := cmd.Flags().GetString("oidc-client-id")
	redirect, _ := cmd.Flags().GetString("oidc-redirect-url")
	scopes, _ := cmd.Flags().GetStringSlice("oidc-scopes")
	claim, _ := cmd.Flags().GetString("oidc-assurance-claim")
	after, _ := cmd.Flags().GetString("after-login")
	suffix, _ := cmd.Flags().GetString("oidc-subject-suffix")
	if clientID == "" || redirect == "" {
		return nil, pactum.Errorf(pactum.EINVALID, "--oidc-issuer needs --oidc-client-id and --oidc-redirect-url too")
	}
	if err := secureURL(issuer); err != nil {
		return nil, pactum.Errorf(pactum.EINVALID, "--oidc-issuer %q: %v", issuer, err)
	}
	if err := secureURL(redirect); err != nil {
		return nil, pactum.Errorf(pactum.EINVALID, "--oidc-redirect-url %q: %v", redirect, err)
	}
	if u, _ := url.Parse(redirect); u.Path != "/auth/callback" {
		return nil, pactum.Errorf(pactum.EINVALID, "--oidc-redirect-url %q: its path must be /auth/callback, where pactum answers", redirect)
	}
	if after != "" && (!strings.HasPrefix(after, "/") || strings.HasPrefix(after, "//")) {
		return nil, pactum.Errorf(pactum.EINVALID, "--after-login %q: give a path on this server, such as /portal", after)
	}
	secret := os.Getenv(oidcSecretEnv)
	if path, _ := cmd.Flags().GetString("oidc-client-secret-file"); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, pactum.Errorf(pactum.EINVALID, "--oidc-client-secret-file: %v", err)
		}
		secret = strings.TrimSpace(string(b))
	}
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	rp, err := oidc.New(dctx, oidc.Config{Issuer: issuer, ClientID: clientID, ClientSecret: secret, RedirectURL: redirect,
		Scopes: scopes, AssuranceClaim: claim, SubjectSuffix: suffix})
	if err != nil {
		return nil, err
	}
	logger.Info("sign-in through OpenID provider", "issuer", issuer, "client_id", clientID, "redirect_url", redirect)
	return &pactumhttp.SignInConfig{Provider: rp, Sessions: sessions, AfterLogin: after}, nil
}

// secureURL refuses anything but https, except on the loopback
// interface (a provider or pactum on the same machine, in development).
func secureURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return pactum.Errorf(pactum.EINVALID, "not an absolute URL")
	}
	if u.Scheme == "https" {
		return nil
	}
	host := u.Hostname()
	if ip := net.ParseIP(host); u.Scheme == "http" && (host == "localhost" || ip != nil && ip.IsLoopback()) {
		return nil
	}
	return pactum.Errorf(pactum.EINVALID, "use https (http only for localhost)")
}
