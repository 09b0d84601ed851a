// SPDX-License-Identifier: EUPL-1.2

package catalog_test

import (
	"strings"
	"testing"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/catalog"
)

// TestNotifyTemplatesLint: the embedded templates compile, and every kind
// renders (its own template or the default) with a one-line subject that
// carries the notice's subject and a body that carries its body.
func TestNotifyTemplatesLint(t *testing.T) {
	tpl, err := catalog.NotifyTemplates()
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range pactum.NotifyKinds {
		n := &pactum.Notification{ID: "n1", Kind: kind, ProposalID: "p1", Subject: "Sub\r\nBcc: evil@example.eu", Body: "Line one.\nLine two."}
		subject, body, err := tpl.Render(n, "a@example.eu")
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if strings.ContainsAny(subject, "\r\n") || !strings.Contains(subject, "Sub Bcc:") {
			t.Errorf("%s: subject %q is not the notice's subject on one line", kind, subject)
		}
		if !strings.Contains(body, "Line one.\nLine two.") || !strings.Contains(body, "n1") {
			t.Errorf("%s: body %q lacks the notice", kind, body)
		}
	}
}

// TestParseNotifyTemplatesRefuses names the field of each problem.
func TestParseNotifyTemplatesRefuses(t *testing.T) {
	for _, c := range []struct{ data, want string }{
		{`{"templates": [{"kind": "review.assigned", "subject": "s", "body": "b"}]}`, "default"},
		{`{"templates": [{"kind": "nope", "subject": "s", "body": "b"}]}`, "templates[0].kind"},
		{`{"templates": [{"kind": "default", "subject": "{{.Nope}}", "body": "b"}]}`, "templates[0].subject"},
		{`{"templates": [{"kind": "default", "subject": "s", "body": "{{if}}"}]}`, "templates[0].body"},
		{`{"templates": [{"kind": "default", "subject": "s", "body": "b"}, {"kind": "default", "subject": "s", "body": "b"}]}`, "templates[1].kind"},
		{`{"templates": [], "extra": 1}`, "unknown field"},
	} {
		_, err := catalog.ParseNotifyTemplates([]byte(c.data))
		if pactum.ErrorCode(err) != pactum.EINVALID || !strings.Contains(errorText(err), c.want) {
			t.Errorf("%s: got %v, want EINVALID naming %s", c.data, err, c.want)
		}
	}
}

func errorText(err error) string {
	var b strings.Builder
	b.WriteString(err.Error())
	if e, ok := err.(*pactum.Error); ok {
		for _, f := range e.Fields {
			b.WriteString(" " + f.Field + ": " + f.Message)
		}
	}
	return b.String()
}

// FuzzParseNotifyTemplates: any input is parsed or refused, never a
// panic, and accepted templates render any notice.
func FuzzParseNotifyTemplates(f *testing.F) {
	f.Add([]byte(`{"templates": [{"kind": "default", "subject": "[pactum] {{.Subject}}", "body": "{{.Body}}"}]}`))
	f.Add([]byte(`{"templates": [{"kind": "default", "subject": "{{.Kind}}", "body": "{{range .Body}}{{end}}"}, {"kind": "proposal.decision", "subject": "x", "body": "{{.To}}"}]}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tpl, err := catalog.ParseNotifyTemplates(data)
		if err != nil {
			return
		}
		for _, kind := range pactum.NotifyKinds {
			subject, _, err := tpl.Render(&pactum.Notification{ID: "n", Kind: kind, Subject: "s", Body: "b"}, "a@example.eu")
			if err != nil {
				t.Fatalf("accepted templates fail on %s: %v", kind, err)
			}
			if strings.ContainsAny(subject, "\r\n") {
				t.Fatalf("subject %q spans lines", subject)
			}
		}
	})
}
