// SPDX-License-Identifier: EUPL-1.2

package usecase

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/pactum/pactum"
	"github.com/pactum/pactum/audit"
)

// maxCheckpointText bounds the checkpoints' text.
const maxCheckpointText = 256 << 10

// ParseCheckpoints reads signed checkpoints (pactum audit checkpoint's
// output) from text: one JSON object, several one after another, or a JSON
// array of them. EINVALID, naming the field, for anything else or more
// than pactum.MaxCheckpoints.
func ParseCheckpoints(text string) ([]*audit.Checkpoint, error) {
	if len(text) > maxCheckpointText {
		return nil, invalid("The checkpoints are not valid.", "checkpoints", fmt.Sprintf("must be at most %d KiB", maxCheckpointText>>10))
	}
	text = strings.TrimSpace(text)
	if text == "" {
		return nil, invalid("The checkpoints are not valid.", "checkpoints", "paste one or more checkpoints (the JSON pactum audit checkpoint writes)")
	}
	var raws []json.RawMessage
	if strings.HasPrefix(text, "[") {
		if err := json.Unmarshal([]byte(text), &raws); err != nil {
			return nil, invalid("The checkpoints are not valid.", "checkpoints", "is not a JSON array of checkpoints")
		}
	} else {
		dec := json.NewDecoder(strings.NewReader(text))
		for {
			var r json.RawMessage
			err := dec.Decode(&r)
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, invalid("The checkpoints are not valid.", "checkpoints", "is not JSON: one checkpoint object after another")
			}
			raws = append(raws, r)
			if len(raws) > pactum.MaxCheckpoints {
				break
			}
		}
	}
	if len(raws) == 0 || len(raws) > pactum.MaxCheckpoints {
		return nil, invalid("The checkpoints are not valid.", "checkpoints", fmt.Sprintf("must hold 1 to %d checkpoints", pactum.MaxCheckpoints))
	}
	out := make([]*audit.Checkpoint, len(raws))
	for i, r := range raws {
		c, err := audit.ParseCheckpoint(bytes.TrimSpace(r))
		if err != nil {
			return nil, invalid("The checkpoints are not valid.", fmt.Sprintf("checkpoints[%d]", i), err.Error())
		}
		out[i] = c
	}
	return out, nil
}

// KeyID names a base64 Ed25519 public key shortly: the first 16 hex
// digits of the SHA-256 of its bytes ("" for a key that does not decode).
func KeyID(publicKey string) string {
	raw, err := base64.StdEncoding.DecodeString(publicKey)
	if err != nil || len(raw) == 0 {
		return ""
	}
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:8])
}

// VerifyCheckpoints holds signed checkpoints (ParseCheckpoints) to the
// audit chain: the chain is verified whole, in one walk on one snapshot,
// and each checkpoint's
// signature, its key against trusted (a base64 Ed25519 public key; a
// checkpoint signed by anyone else proves nothing) and its hash against
// the chain's event. Access managers and auditors only; EINVALID for bad
// checkpoints or a trusted key that is not one.
func (a *App) VerifyCheckpoints(ctx context.Context, text, trusted string) (*pactum.CheckpointReport, error) {
	if _, err := reader(ctx, "verify audit checkpoints"); err != nil {
		return nil, err
	}
	trusted = strings.TrimSpace(trusted)
	if raw, err := base64.StdEncoding.DecodeString(trusted); trusted != "" && (err != nil || len(raw) != 32) {
		return nil, invalid("The trusted key is not valid.", "trusted", "must be a base64 Ed25519 public key (the .pub file of pactum audit keygen)")
	}
	cps, err := ParseCheckpoints(text)
	if err != nil {
		return nil, err
	}
	if err := a.store.SealAudit(ctx); err != nil {
		return nil, err
	}
	rep := &pactum.CheckpointReport{Trusted: trusted, TrustedID: KeyID(trusted), Checkpoints: make([]pactum.CheckpointCheck, len(cps))}
	// One walk verifies the chain and keeps the hashes of the events the
	// checkpoints name, each judged on its own below (a pin in the
	// verifier would stop the walk at the first that differs).
	named := map[int64]bool{}
	for _, c := range cps {
		named[c.Seq] = true
	}
	hashes := map[int64]string{}
	if err := pactum.View(ctx, a.store, func(q pactum.Queries) error {
		var err error
		rep.Chain, err = verifyChain(ctx, q, nil, func(r *pactum.AuditRow) {
			if named[r.Seq] {
				hashes[r.Seq] = string(r.Hash)
			}
		})
		return err
	}); err != nil {
		return nil, err
	}
	rep.OK = rep.Chain.OK
	for i, c := range cps {
		ch := pactum.CheckpointCheck{Seq: c.Seq, Hash: c.Hash, At: c.At.UTC(), PublicKey: c.PublicKey, KeyID: KeyID(c.PublicKey)}
		var problems []string
		if err := c.VerifySignature(""); err != nil {
			problems = append(problems, err.Error())
		} else {
			ch.SignatureOK = true
		}
		switch {
		case trusted == "":
			problems = append(problems, "no trusted key was given: anyone can sign a checkpoint")
		case c.PublicKey != trusted:
			problems = append(problems, "signed with key "+ch.KeyID+", not the trusted key "+KeyID(trusted))
		default:
			ch.Trusted = true
		}
		hash, found := hashes[c.Seq]
		switch {
		case !found && rep.Chain.FirstBad != nil && c.Seq >= rep.Chain.FirstBad.Seq:
			problems = append(problems, fmt.Sprintf("the chain breaks at event %d, before event %d could be checked", rep.Chain.FirstBad.Seq, c.Seq))
		case !found:
			problems = append(problems, fmt.Sprintf("the chain has no event %d", c.Seq))
		case hash != c.Hash:
			problems = append(problems, fmt.Sprintf("event %d has another hash: the history before it was rewritten", c.Seq))
		default:
			ch.InChain = true
		}
		ch.OK = ch.SignatureOK && ch.Trusted && ch.InChain
		ch.Problem = strings.Join(problems, "; ")
		rep.OK = rep.OK && ch.OK
		rep.Checkpoints[i] = ch
	}
	return rep, nil
}
