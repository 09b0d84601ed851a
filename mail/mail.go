// SPDX-License-Identifier: EUPL-1.2

// Package mail sends pactum's e-mail over SMTP with github.com/wneessen/go-mail.
// It is a technology package: it knows SMTP, not pactum's rules; the
// delivery worker (usecase) decides what to send and when to retry.
package mail

import (
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"

	"github.com/pactum/pactum"
)

// TLS policies of Config.TLS.
const (
	TLSMandatory     = "mandatory"     // STARTTLS or refuse (the default)
	TLSOpportunistic = "opportunistic" // STARTTLS when offered
	TLSNone          = "none"          // plain SMTP, for a server on loopback (tests)
	TLSImplicit      = "implicit"      // SMTPS: TLS from the first byte (port 465)
)

// Config is an SMTP server and the sender's address.
type Config struct {
	Host string
	Port int
	// Username and Password authenticate (PLAIN or LOGIN, whichever the
	// server offers); none when Username is "".
	Username, Password string
	From               string
	TLS                string
	// Timeout bounds connecting and each command; 30 s when 0.
	Timeout time.Duration
	// Conns is how many connections are kept open for reuse; 4 when 0.
	Conns int
}

// Mailer sends e-mail, reusing up to Config.Conns connections. Safe for
// concurrent use.
type Mailer struct {
	client *gomail.Client
	from   string
	idle   chan *smtp.Client
	mu     sync.Mutex
	closed bool
}

var _ pactum.Mailer = (*Mailer)(nil)

// New checks cfg and returns a Mailer; it connects on the first send.
func New(cfg Config) (*Mailer, error) {
	if cfg.Host == "" || cfg.Port <= 0 || cfg.Port > 65535 {
		return nil, pactum.Errorf(pactum.EINVALID, "SMTP: give a host and a port in 1..65535")
	}
	if _, err := mail.ParseAddress(cfg.From); err != nil {
		return nil, pactum.Errorf(pactum.EINVALID, "SMTP from address %q: %v", cfg.From, err)
	}
	opts := []gomail.Option{gomail.WithPort(cfg.Port), gomail.WithTimeout(cmp(cfg.Timeout, 30*time.Second))}
	switch cfg.TLS {
	case "", TLSMandatory:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case TLSOpportunistic:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	default:
		return nil, pactum.Errorf(pactum.EINVALID, "SMTP TLS %q: use mandatory, opportunistic, implicit or none", cfg.TLS)
	}
	if cfg.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover), gomail.WithUsername(cfg.Username), gomail.WithPassword(cfg.Password))
	}
	c, err := gomail.NewClient(cfg.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("SMTP client: %w", err)
	}
	conns := cfg.Conns
	if conns <= 0 {
		conns = 4
	}
	return &Mailer{client: c, from: cfg.From, idle: make(chan *smtp.Client, conns)}, nil
}

func cmp(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// SendMail sends m as plain text with its Message-ID, on an idle
// connection or a new one. A connection that failed is closed, not reused.
func (m *Mailer) SendMail(ctx context.Context, msg *pactum.EmailMessage) error {
	g := gomail.NewMsg()
	if err := g.From(m.from); err != nil {
		return fmt.Errorf("from: %w", err)
	}
	if err := g.To(msg.To); err != nil {
		return fmt.Errorf("to %q: %w", msg.To, err)
	}
	g.Subject(msg.Subject)
	g.SetMessageIDWithValue(strings.Trim(msg.MessageID, "<>"))
	g.SetDate()
	g.SetGenHeader("Auto-Submitted", "auto-generated")
	g.SetBodyString(gomail.TypeTextPlain, msg.Body)
	conn, reused, err := m.conn(ctx)
	if err != nil {
		return err
	}
	err = m.client.SendWithSMTPClient(conn, g)
	if err != nil && reused {
		// An idle connection the server has since closed: once more on a
		// new one.
		_ = conn.Close()
		if conn, _, err = m.dial(ctx); err != nil {
			return err
		}
		err = m.client.SendWithSMTPClient(conn, g)
	}
	if err != nil {
		_ = conn.Close()
		return fmt.Errorf("SMTP send: %w", err)
	}
	m.put(conn)
	return nil
}

// conn returns an idle connection, or dials. (go-mail checks a reused
// connection with NOOP before sending; one that fails is closed and the
// delivery retried later.)
func (m *Mailer) conn(ctx context.Context) (c *smtp.Client, reused bool, err error) {
	select {
	case c := <-m.idle:
		return c, true, nil
	default:
	}
	return m.dial(ctx)
}

func (m *Mailer) dial(ctx context.Context) (*smtp.Client, bool, error) {
	c, err := m.client.DialToSMTPClientWithContext(ctx)
	if err != nil {
		return nil, false, fmt.Errorf("SMTP connect: %w", err)
	}
	return c, false, nil
}

func (m *Mailer) put(c *smtp.Client) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed {
		_ = m.client.CloseWithSMTPClient(c)
		return
	}
	select {
	case m.idle <- c:
	default:
		_ = m.client.CloseWithSMTPClient(c)
	}
}

// Close closes the idle connections.
func (m *Mailer) Close() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.closed = true
	var errs []error
	for {
		select {
		case c := <-m.idle:
			errs = append(errs, m.client.CloseWithSMTPClient(c))
		default:
			return errors.Join(errs...)
		}
	}
}
