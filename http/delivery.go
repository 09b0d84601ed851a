// SPDX-License-Identifier: EUPL-1.2

package http

import (
	"net/http"

	"github.com/pactum/pactum"
)

// deliveryRoutes serve the delivery of notifications: the outbox and its
// dead letters, the caller's e-mail preferences, webhook subscriptions.
var deliveryRoutes = []route{
	{"GET /api/v1/notifications/deliveries", (*Server).handleListDeliveries},
	{"POST /api/v1/notifications/deliveries/{id}/retry", (*Server).handleRetryDelivery},
	{"GET /api/v1/notifications/preferences", (*Server).handleListPreferences},
	{"PUT /api/v1/notifications/preferences", (*Server).handleSetPreference},
	{"GET /api/v1/webhooks", (*Server).handleListWebhooks},
	{"POST /api/v1/webhooks", (*Server).handleCreateWebhook},
	{"DELETE /api/v1/webhooks/{id}", (*Server).handleDeleteWebhook},
}

func (s *Server) handleListDeliveries(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Deliveries != nil) {
		return
	}
	q := query{r: r}
	q.only("state", "channel", "notification_id", "limit", "offset")
	f := pactum.DeliveryFilter{State: q.str("state"), Channel: q.str("channel"), NotificationID: q.str("notification_id")}
	f.Limit, f.Offset = q.page()
	if !s.readQuery(w, r, &q) {
		return
	}
	items, total, err := s.cfg.Deliveries.FindDeliveries(r.Context(), f)
	s.respond(w, r, http.StatusOK, listOf(items, total), err)
}

func (s *Server) handleRetryDelivery(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Deliveries != nil) {
		return
	}
	d, err := s.cfg.Deliveries.RetryDelivery(r.Context(), r.PathValue("id"))
	s.respond(w, r, http.StatusOK, d, err)
}

type preferenceList struct {
	Items []pactum.NotificationPreference `json:"items"`
}

type preferenceInput struct {
	Kind  string `json:"kind"`
	Email bool   `json:"email"`
}

func (s *Server) handleListPreferences(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Deliveries != nil) {
		return
	}
	ps, err := s.cfg.Deliveries.NotificationPreferences(r.Context())
	s.respond(w, r, http.StatusOK, preferenceList{Items: ps}, err)
}

func (s *Server) handleSetPreference(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Deliveries != nil) {
		return
	}
	var in preferenceInput
	if !s.readBody(w, r, &in) {
		return
	}
	ps, err := s.cfg.Deliveries.SetNotificationPreference(r.Context(), pactum.NotificationPreference{Kind: in.Kind, Email: in.Email})
	s.respond(w, r, http.StatusOK, preferenceList{Items: ps}, err)
}

func (s *Server) handleListWebhooks(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Deliveries != nil) {
		return
	}
	ws, err := s.cfg.Deliveries.FindWebhooks(r.Context())
	s.respond(w, r, http.StatusOK, listOf(ws, len(ws)), err)
}

func (s *Server) handleCreateWebhook(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Deliveries != nil) {
		return
	}
	var in pactum.WebhookInput
	if !s.readBody(w, r, &in) {
		return
	}
	sub, err := s.cfg.Deliveries.CreateWebhook(r.Context(), in)
	s.respond(w, r, http.StatusCreated, sub, err)
}

func (s *Server) handleDeleteWebhook(w http.ResponseWriter, r *http.Request) {
	if !s.configured(w, r, s.cfg.Deliveries != nil) {
		return
	}
	err := s.cfg.Deliveries.DeleteWebhook(r.Context(), r.PathValue("id"))
	s.respond(w, r, http.StatusNoContent, nil, err)
}
