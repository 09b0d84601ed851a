// SPDX-License-Identifier: EUPL-1.2

// Package web renders pactum's portal: server-side HTML pages
// (html/template) for each role, on the same use cases as the API, with
// the same authorization. It decides nothing: every figure on a page comes
// from a use case, and what a use case refuses the page does not show.
//
// The portal runs without a build step and loads nothing from elsewhere:
// the pages, their style sheet and the vendored htmx 2 are embedded, and
// charts are drawn as SVG on the server, each with a text alternative. The
// Content-Security-Policy allows scripts and styles from the server only,
// and no inline script or style. State-changing forms carry the session's
// CSRF token, which the session layer (Config.Session) checks.
//
// Who signs in, and how, is the session layer's business (package http's
// SessionUser): the portal is told the user of each request, or that
// there is none, and then sends the browser to sign in.
package web
