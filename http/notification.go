// SPDX-License-Identifier: EUPL-1.2

package http

import (
	"net/http"

	"github.com/pactum/pactum"
)

// notificationRoutes serve a user's notifications.
var notificationRoutes = []route{
	{"GET /api/v1/notifications", (*Server).handleListNotifications},
	{"POST /api/v1/notifications/{id}/read", (*Server).handleMarkNotificationRead},
}

func (s *Server) handleListNotifications(w http.ResponseWriter, r *http.Request) {
	q := query{r: r}
	q.only("user_id", "proposal_id", "unread", "limit", "offset")
	f := pactum.NotificationFilter{UserID: q.str("user_id"), ProposalID: q.str("proposal_id"), Unread: q.bool("unread")}
	f.Limit, f.Offset = q.page()
	if !s.readQuery(w, r, &q) {
		return
	}
	items, total, err := s.cfg.Notifications.FindNotifications(r.Context(), f)
	s.respond(w, r, http.StatusOK, listOf(items, total), err)
}

func (s *Server) handleMarkNotificationRead(w http.ResponseWriter, r *http.Request) {
	n, err := s.cfg.Notifications.MarkNotificationRead(r.Context(), r.PathValue("id"))
	s.respond(w, r, http.StatusOK, n, err)
}
