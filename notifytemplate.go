// SPDX-License-Identifier: EUPL-1.2

package pactum

import (
	"bytes"
	"fmt"
	"strings"
	"text/template"
)

// NotifyTemplate words the e-mail of one kind of notification: Subject and
// Body are text/template texts over NotifyData. Kind "default" words the
// kinds without their own.
type NotifyTemplate struct {
	Kind    string `json:"kind"`
	Subject string `json:"subject"`
	Body    string `json:"body"`
}

// NotifyData is what a template sees.
type NotifyData struct {
	Kind, Subject, Body, ProposalID, NotificationID string
	// To is the recipient's address.
	To string
}

// NotifyTemplates are the e-mail templates (catalog/notify.json). Use
// them after Compile.
type NotifyTemplates struct {
	Templates []NotifyTemplate `json:"templates"`

	compiled map[string][2]*template.Template
}

// sampleNotice is what Compile renders every template with, so that a
// template failing on real data fails at load.
var sampleNotice = NotifyData{Kind: NotifyDecision, Subject: "Decision on “Sample”: accepted", Body: "Reason.\nSecond line.",
	ProposalID: "p-1", NotificationID: "n-1", To: "someone@example.eu"}

// Compile checks and parses the templates: known kinds (or "default"),
// each once, a default present, subjects and bodies that parse and render
// the sample notice (a subject to one line).
func (t *NotifyTemplates) Compile() error {
	var v Validator
	t.compiled = map[string][2]*template.Template{}
	if len(t.Templates) > 100 {
		return Errorf(EINVALID, "The notification templates are too many (%d, at most 100).", len(t.Templates))
	}
	for i, nt := range t.Templates {
		field := fmt.Sprintf("templates[%d]", i)
		if nt.Kind != "default" && ValidNotifyKind(field+".kind", nt.Kind) != nil {
			v.Add(field+".kind", "%q is not a notification kind (%s) nor default", nt.Kind, strings.Join(NotifyKinds, ", "))
			continue
		}
		if _, dup := t.compiled[nt.Kind]; dup {
			v.Add(field+".kind", "%q has a template already", nt.Kind)
			continue
		}
		var pair [2]*template.Template
		ok := true
		for j, src := range []string{nt.Subject, nt.Body} {
			name := [2]string{"subject", "body"}[j]
			if strings.TrimSpace(src) == "" || len(src) > 20000 {
				v.Add(field+"."+name, "give a template of 1 to 20000 bytes")
				ok = false
				continue
			}
			tp, err := template.New(nt.Kind + "." + name).Option("missingkey=error").Parse(src)
			if err == nil {
				var b bytes.Buffer
				err = tp.Execute(&b, sampleNotice)
			}
			if err != nil {
				v.Add(field+"."+name, "%v", err)
				ok = false
				continue
			}
			pair[j] = tp
		}
		if ok {
			t.compiled[nt.Kind] = pair
		}
	}
	if err := v.Err("The notification templates are not valid."); err != nil {
		return err
	}
	if _, ok := t.compiled["default"]; !ok {
		return Errorf(EINVALID, "The notification templates lack the default template.")
	}
	return nil
}

// Render words the e-mail of n to address to; the subject is one line.
func (t *NotifyTemplates) Render(n *Notification, to string) (subject, body string, err error) {
	pair, ok := t.compiled[n.Kind]
	if !ok {
		pair, ok = t.compiled["default"]
	}
	if !ok {
		return "", "", fmt.Errorf("notification templates: not compiled")
	}
	data := NotifyData{Kind: n.Kind, Subject: n.Subject, Body: n.Body, ProposalID: n.ProposalID, NotificationID: n.ID, To: to}
	var s, b bytes.Buffer
	if err := pair[0].Execute(&s, data); err != nil {
		return "", "", err
	}
	if err := pair[1].Execute(&b, data); err != nil {
		return "", "", err
	}
	return strings.Join(strings.Fields(s.String()), " "), b.String(), nil
}
