// SPDX-License-Identifier: EUPL-1.2

// Package mailtest gives tests the real SMTP server that scripts/test
// starts (Mailpit): its SMTP address in PACTUM_TEST_SMTP (host:port) and
// its HTTP API in PACTUM_TEST_MAILPIT (http://host:port). Tests that need
// it skip when these are unset, unless PACTUM_REQUIRE_SMTP=1 (as in CI),
// where a missing server fails them.
package mailtest

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/pactum/pactum/mail"
)

// Server is the test SMTP server.
type Server struct {
	Host string
	Port int
	API  string
}

// Get returns the test SMTP server, or skips (fails under
// PACTUM_REQUIRE_SMTP=1) when there is none.
func Get(tb testing.TB) *Server {
	tb.Helper()
	smtp, api := os.Getenv("PACTUM_TEST_SMTP"), os.Getenv("PACTUM_TEST_MAILPIT")
	if smtp == "" || api == "" {
		if os.Getenv("PACTUM_REQUIRE_SMTP") == "1" {
			tb.Fatal("PACTUM_REQUIRE_SMTP=1 but PACTUM_TEST_SMTP or PACTUM_TEST_MAILPIT is not set (scripts/test starts Mailpit)")
		}
		tb.Skip("no test SMTP server: set PACTUM_TEST_SMTP=host:port and PACTUM_TEST_MAILPIT=http://host:port (scripts/test does)")
	}
	host, port, err := net.SplitHostPort(smtp)
	if err != nil {
		tb.Fatalf("PACTUM_TEST_SMTP %q: %v", smtp, err)
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		tb.Fatalf("PACTUM_TEST_SMTP %q: %v", smtp, err)
	}
	return &Server{Host: host, Port: p, API: api}
}

// Mailer returns a mailer sending from from to s without TLS or
// authentication. A test gives a sender of its own, and finds its messages
// with Search("from:" + from).
func (s *Server) Mailer(tb testing.TB, from string, conns int) *mail.Mailer {
	tb.Helper()
	m, err := mail.New(mail.Config{Host: s.Host, Port: s.Port, From: from, TLS: mail.TLSNone, Conns: conns})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { m.Close() })
	return m
}

// Message is a message as Mailpit lists it.
type Message struct {
	ID        string `json:"ID"`
	MessageID string `json:"MessageID"`
	Subject   string `json:"Subject"`
	To        []struct {
		Address string `json:"Address"`
	} `json:"To"`
	Created time.Time `json:"Created"`
}

// Search returns the messages matching a Mailpit search query (for
// example `message-id:"<x@d>"` or a word), newest first.
func (s *Server) Search(tb testing.TB, query string, limit int) (msgs []Message, total int) {
	tb.Helper()
	var out struct {
		Total    int       `json:"messages_count"` // of the search's matches
		Messages []Message `json:"messages"`
	}
	s.get(tb, "/api/v1/search?limit="+strconv.Itoa(limit)+"&query="+urlQuery(query), &out)
	return out.Messages, out.Total
}

// Total returns how many messages Mailpit holds.
func (s *Server) Total(tb testing.TB) int {
	tb.Helper()
	var out struct {
		Total int `json:"total"`
	}
	s.get(tb, "/api/v1/messages?limit=1", &out)
	return out.Total
}

// Text returns a message's plain-text body.
func (s *Server) Text(tb testing.TB, id string) string {
	tb.Helper()
	var out struct {
		Text string `json:"Text"`
	}
	s.get(tb, "/api/v1/message/"+id, &out)
	return out.Text
}

func (s *Server) get(tb testing.TB, path string, v any) {
	tb.Helper()
	resp, err := http.Get(s.API + path)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("mailpit %s: %s", path, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		tb.Fatalf("mailpit %s: %v", path, err)
	}
}

func urlQuery(q string) string {
	b := make([]byte, 0, len(q)*3)
	for i := 0; i < len(q); i++ {
		c := q[i]
		if ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') || ('0' <= c && c <= '9') || c == '-' || c == '.' || c == '_' {
			b = append(b, c)
		} else {
			b = append(b, fmt.Sprintf("%%%02X", c)...)
		}
	}
	return string(b)
}

// All returns every message matching a Mailpit search query, paging
// through them.
func (s *Server) All(tb testing.TB, query string) []Message {
	tb.Helper()
	var all []Message
	for {
		var out struct {
			Total    int       `json:"messages_count"`
			Messages []Message `json:"messages"`
		}
		s.get(tb, "/api/v1/search?limit=1000&start="+strconv.Itoa(len(all))+"&query="+urlQuery(query), &out)
		all = append(all, out.Messages...)
		if len(out.Messages) == 0 || len(all) >= out.Total {
			return all
		}
	}
}
