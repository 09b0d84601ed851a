// SPDX-License-Identifier: EUPL-1.2

package usecase_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/audit"
	"github.com/pactum/pactum/sqlstore/storetest"
	"github.com/pactum/pactum/usecase"
)

// TestVerifyCheckpoints: a checkpoint of the chain signed with the trusted
// key holds; one signed by another key, one stating another hash and one
// past the chain's end each fail with the reason; an applicant may not
// verify; bad text and keys are EINVALID naming the field.
func TestVerifyCheckpoints(t *testing.T) {
	storetest.Run(t, func(t *testing.T, dialect string) {
		w := newWorld(t, dialect)
		aud := storetest.As(w.f.Auditor)
		evs, _, err := w.uc.FindAuditEvents(aud, pactum.AuditFilter{Limit: 3})
		if err != nil || len(evs) < 3 {
			t.Fatalf("events %v %v", evs, err)
		}
		priv, pub, _ := audit.NewKey()
		otherPriv, _, _ := audit.NewKey()
		good, _ := audit.Sign(priv, evs[2].Seq, evs[2].Hash, t0)
		foreign, _ := audit.Sign(otherPriv, evs[1].Seq, evs[1].Hash, t0)
		rewritten, _ := audit.Sign(priv, evs[0].Seq, strings.Repeat("ab", 32), t0)
		beyond, _ := audit.Sign(priv, 1<<40, evs[0].Hash, t0)
		var text strings.Builder
		for _, c := range []*audit.Checkpoint{good, foreign, rewritten, beyond} {
			b, _ := json.MarshalIndent(c, "", "  ")
			text.Write(b)
			text.WriteString("\n")
		}
		rep, err := w.uc.VerifyCheckpoints(aud, text.String(), pub)
		if err != nil {
			t.Fatal(err)
		}
		if rep.OK || !rep.Chain.OK || len(rep.Checkpoints) != 4 {
			t.Fatalf("report %+v", rep)
		}
		if c := rep.Checkpoints[0]; !c.OK || !c.SignatureOK || !c.Trusted || !c.InChain || c.KeyID != usecase.KeyID(pub) || len(c.KeyID) != 16 || c.Problem != "" {
			t.Errorf("good: %+v", c)
		}
		if c := rep.Checkpoints[1]; c.OK || !c.SignatureOK || c.Trusted || !c.InChain || !strings.Contains(c.Problem, "not the trusted key") {
			t.Errorf("foreign: %+v", c)
		}
		if c := rep.Checkpoints[2]; c.OK || !c.Trusted || c.InChain || !strings.Contains(c.Problem, "rewritten") {
			t.Errorf("rewritten: %+v", c)
		}
		if c := rep.Checkpoints[3]; c.OK || c.InChain || !strings.Contains(c.Problem, "no event") {
			t.Errorf("beyond: %+v", c)
		}
		// One good checkpoint as an array, trusted: all holds.
		arr, _ := json.Marshal([]*audit.Checkpoint{good})
		if rep, err = w.uc.VerifyCheckpoints(storetest.As(w.f.Manager), string(arr), pub); err != nil || !rep.OK {
			t.Errorf("array: %+v %v", rep, err)
		}
		if rep, err = w.uc.VerifyCheckpoints(aud, string(arr), ""); err != nil || rep.OK || !strings.Contains(rep.Checkpoints[0].Problem, "no trusted key") {
			t.Errorf("untrusted: %+v %v", rep, err)
		}
		_, err = w.uc.VerifyCheckpoints(storetest.As(w.f.ApplicantA), string(arr), pub)
		wantCode(t, err, pactum.EFORBIDDEN)
		for _, bad := range []struct{ text, key, field string }{
			{"", pub, "checkpoints"}, {"{", pub, "checkpoints"}, {`{"seq": 1}`, pub, "checkpoints[0]"},
			{string(arr), "not a key", "trusted"}, {"[" + strings.Repeat(string(arr[1:len(arr)-1])+",", 100) + string(arr[1:]), pub, "checkpoints"},
		} {
			_, err := w.uc.VerifyCheckpoints(aud, bad.text, bad.key)
			wantCode(t, err, pactum.EINVALID)
			if fs := pactum.ErrorFields(err); len(fs) != 1 || fs[0].Field != bad.field {
				t.Errorf("%.30q: fields %+v", bad.text, fs)
			}
		}
	})
}

// FuzzParseCheckpoints: any text parses to 1–MaxCheckpoints complete
// checkpoints or is EINVALID naming a field; it never panics.
func FuzzParseCheckpoints(f *testing.F) {
	priv, _, _ := audit.NewKey()
	c, _ := audit.Sign(priv, 7, strings.Repeat("0f", 32), t0)
	b, _ := json.Marshal(c)
	f.Add(string(b))
	f.Add("[" + string(b) + "," + string(b) + "]")
	f.Add(string(b) + "\n" + string(b))
	f.Add(`{"seq":-1}`)
	f.Fuzz(func(t *testing.T, text string) {
		cps, err := usecase.ParseCheckpoints(text)
		if err != nil {
			if pactum.ErrorCode(err) != pactum.EINVALID || len(pactum.ErrorFields(err)) != 1 {
				t.Fatalf("error %v", err)
			}
			return
		}
		if len(cps) == 0 || len(cps) > pactum.MaxCheckpoints {
			t.Fatalf("%d checkpoints", len(cps))
		}
		for _, c := range cps {
			if c.Seq <= 0 || len(c.Hash) != 64 || c.Signature == "" {
				t.Fatalf("incomplete %+v", c)
			}
		}
	})
}
