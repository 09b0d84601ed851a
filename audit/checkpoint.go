// SPDX-License-Identifier: EUPL-1.2

package audit

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// A hash chain shows that no event was changed after a later one was
// written; it cannot stop someone with write access to the database from
// recomputing the whole chain. Checkpoints close that gap: a signed
// statement "event N has hash H", kept outside the database (published,
// mailed to auditors), that any later verification can hold the chain to.

// checkpointVersion prefixes the signed message.
const checkpointVersion = "pactum-audit-checkpoint-v1"

// Checkpoint is a signed statement of the chain's head at a time.
type Checkpoint struct {
	Seq       int64     `json:"seq"`
	Hash      string    `json:"hash"`
	At        time.Time `json:"at"`
	PublicKey string    `json:"public_key"` // base64 Ed25519
	Signature string    `json:"signature"`  // base64 Ed25519 over Message()
}

// Message is the exact byte string signed.
func (c *Checkpoint) Message() []byte {
	return []byte(checkpointVersion + "\n" + strconv.FormatInt(c.Seq, 10) + "\n" + c.Hash + "\n" + c.At.UTC().Format(TimeFormat))
}

// NewKey returns a new Ed25519 signing key, encoded for a key file.
func NewKey() (private string, public string, err error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", "", fmt.Errorf("generate key: %w", err)
	}
	return base64.StdEncoding.EncodeToString(priv), base64.StdEncoding.EncodeToString(pub), nil
}

// Sign returns a checkpoint of (seq, hash) at time at, signed with the
// base64 private key.
func Sign(privateKey string, seq int64, hash string, at time.Time) (*Checkpoint, error) {
	raw, err := base64.StdEncoding.DecodeString(privateKey)
	if err != nil || len(raw) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("the signing key is not a base64 Ed25519 private key")
	}
	priv := ed25519.PrivateKey(raw)
	c := &Checkpoint{Seq: seq, Hash: hash, At: at.UTC().Truncate(time.Microsecond),
		PublicKey: base64.StdEncoding.EncodeToString(priv.Public().(ed25519.PublicKey))}
	c.Signature = base64.StdEncoding.EncodeToString(ed25519.Sign(priv, c.Message()))
	return c, nil
}

// VerifySignature checks the checkpoint's signature, and, when trusted is
// not empty, that it was made with that base64 public key (otherwise anyone
// could sign a checkpoint of a rewritten chain).
func (c *Checkpoint) VerifySignature(trusted string) error {
	if trusted != "" && trusted != c.PublicKey {
		return fmt.Errorf("checkpoint of event %d is signed with key %s, not the trusted key", c.Seq, c.PublicKey)
	}
	pub, err := base64.StdEncoding.DecodeString(c.PublicKey)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("checkpoint of event %d: the public key is not a base64 Ed25519 key", c.Seq)
	}
	sig, err := base64.StdEncoding.DecodeString(c.Signature)
	if err != nil || !ed25519.Verify(pub, c.Message(), sig) {
		return fmt.Errorf("checkpoint of event %d: the signature does not verify", c.Seq)
	}
	return nil
}

// ParseCheckpoint reads a checkpoint from JSON.
func ParseCheckpoint(data []byte) (*Checkpoint, error) {
	var c Checkpoint
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("not a checkpoint: %w", err)
	}
	if c.Seq <= 0 || len(c.Hash) != 64 || c.Signature == "" {
		return nil, fmt.Errorf("not a complete checkpoint (seq, hash and signature are required)")
	}
	return &c, nil
}
