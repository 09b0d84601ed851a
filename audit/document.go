// SPDX-License-Identifier: EUPL-1.2

package audit

import (
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
)

// Documents pactum issues about the log (a model's compute documentation)
// are signed with the checkpoint key, over their payload and the audit
// position it was computed at, so that anyone holding the public key can
// check that pactum issued them unchanged and can hold the figures to the
// chain at that position.

// documentVersion prefixes a signed document's message.
const documentVersion = "pactum-signed-document-v1\n"

// SignDocument signs payload with the base64 private key and returns the
// base64 public key and signature.
func SignDocument(privateKey string, payload []byte) (publicKey, signature string, err error) {
	raw, err := base64.StdEncoding.DecodeString(privateKey)
	if err != nil || len(raw) != ed25519.PrivateKeySize {
		return "", "", fmt.Errorf("the signing key is not a base64 Ed25519 private key")
	}
	priv := ed25519.PrivateKey(raw)
	sig := ed25519.Sign(priv, append([]byte(documentVersion), payload...))
	return base64.StdEncoding.EncodeToString(priv.Public().(ed25519.PublicKey)), base64.StdEncoding.EncodeToString(sig), nil
}

// VerifyDocument checks a document's signature over payload, and, when
// trusted is not empty, that publicKey is that key.
func VerifyDocument(publicKey, signature string, payload []byte, trusted string) error {
	if signature == "" {
		return fmt.Errorf("the document is not signed (the server has no document key)")
	}
	if trusted != "" && trusted != publicKey {
		return fmt.Errorf("the document is signed with key %s, not the trusted key", publicKey)
	}
	pub, err := base64.StdEncoding.DecodeString(publicKey)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("the document's public key is not a base64 Ed25519 key")
	}
	sig, err := base64.StdEncoding.DecodeString(signature)
	if err != nil || !ed25519.Verify(pub, append([]byte(documentVersion), payload...), sig) {
		return fmt.Errorf("the signature does not verify: the document was changed, or not signed by this key")
	}
	return nil
}

// PublicKey returns the base64 public key of the base64 private key.
func PublicKey(privateKey string) (string, error) {
	raw, err := base64.StdEncoding.DecodeString(privateKey)
	if err != nil || len(raw) != ed25519.PrivateKeySize {
		return "", fmt.Errorf("the signing key is not a base64 Ed25519 private key")
	}
	return base64.StdEncoding.EncodeToString(ed25519.PrivateKey(raw).Public().(ed25519.PublicKey)), nil
}
