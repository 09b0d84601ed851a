// SPDX-License-Identifier: EUPL-1.2

package mail_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/mail"
	"github.com/pactum/pactum/mail/mailtest"
)

// TestSendMail: messages reach the real test SMTP server with their
// subject, body and Message-ID, over one reused connection; a header
// injection in the subject stays in the subject.
func TestSendMail(t *testing.T) {
	srv := mailtest.Get(t)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	domain := "t" + hex.EncodeToString(b) + ".pactum.test"
	m := srv.Mailer(t, "pactum@"+domain, 1)
	for i, id := range []string{"a", "b"} {
		err := m.SendMail(context.Background(), &pactum.EmailMessage{To: "ada@aleph.example", Subject: "Hello\r\nBcc: eve@evil.example",
			Body: "Line one.\nLine two.", MessageID: "<" + id + "@" + domain + ">"})
		if err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	msgs, total := srv.Search(t, "from:pactum@"+domain, 10)
	if total != 2 {
		t.Fatalf("%d messages arrived", total)
	}
	for _, msg := range msgs {
		if msg.MessageID != "a@"+domain && msg.MessageID != "b@"+domain {
			t.Errorf("Message-ID %q", msg.MessageID)
		}
		if len(msg.To) != 1 || msg.To[0].Address != "ada@aleph.example" || !strings.HasPrefix(msg.Subject, "Hello") {
			t.Errorf("message %+v", msg)
		}
		if text := srv.Text(t, msg.ID); !strings.Contains(strings.ReplaceAll(text, "\r\n", "\n"), "Line one.\nLine two.") {
			t.Errorf("body %q", text)
		}
	}
	if _, err := mail.New(mail.Config{Host: "h", Port: 25, From: "not an address"}); pactum.ErrorCode(err) != pactum.EINVALID {
		t.Errorf("bad from: %v", err)
	}
	if _, err := mail.New(mail.Config{Host: "h", Port: 25, From: "a@b.example", TLS: "sometimes"}); pactum.ErrorCode(err) != pactum.EINVALID {
		t.Errorf("bad TLS policy: %v", err)
	}
}

// BenchmarkSendMail is the test SMTP server's ceiling as the delivery
// benchmark meets it: e-mails sent over 16 reused connections at once,
// without the store (compare usecase's BenchmarkDeliver10k).
func BenchmarkSendMail(b *testing.B) {
	srv := mailtest.Get(b)
	m := srv.Mailer(b, "bench@pactum.test", 16)
	b.SetParallelism(8) // 16 senders on 2 cores
	var n atomicCounter
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := n.next()
			if err := m.SendMail(context.Background(), &pactum.EmailMessage{To: "ada@aleph.example", Subject: "bench",
				Body: "A notice of the delivery benchmark.", MessageID: "<" + id + "@bench.pactum.test>"}); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "mails/s")
}

type atomicCounter struct{ v atomic.Int64 }

func (c *atomicCounter) next() string {
	return strconv.FormatInt(c.v.Add(1), 10) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
}
