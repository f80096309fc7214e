package secrets

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"sync"
)

// markKey is this process's key for marks (see Mark): a random data key
// made on first use and never changed after, so that what a program prints
// of a marked string (fmt.Println, a log line) is ciphertext under a key
// that exists only in this process's memory.
//
// It is package-level because marks are made where no run or App is at
// hand: athanor.Secret takes only the value, and may be called before
// athanor.Run; the engine's MarkSchema and MarkKnown, and the stores that
// decrypt state and outputs, mark too. A key per run would also make a
// value marked by one App unreadable by another in the same process (a
// test, a program that reads another stage's outputs). sync.OnceValue makes
// it immutable after first use, so it is no mutable state.
var markKey = sync.OnceValue(func() *Key {
	k, err := NewKey()
	if err != nil {
		// crypto/rand does not fail on the platforms Go supports (it
		// crashes the process instead), and newKey fails only on a key
		// of the wrong size.
		panic("secrets: cannot make the process's mark key: " + err.Error())
	}
	return k
})

// markAD is the additional data of every mark token, so that the process
// key's ciphertexts cannot be taken for anything else.
var markAD = []byte("athanor/secrets/mark/v1")

// sealMark returns the token that stands for plain in a mark: AES-256-GCM
// of plain padded to a multiple of padBlock, so that the token tells its
// length only to within 32 bytes. The nonce is synthetic, as in SIV
// (RFC 5297): HMAC-SHA256 of plain under the key's second working key,
// truncated to 96 bits. Equal values so get equal tokens, which the engine
// relies on to compare a program's values with state, and a nonce repeats
// only with its plaintext, which reveals nothing but that equality.
func (k *Key) sealMark(plain string) string {
	m := hmac.New(sha256.New, k.fpKey)
	m.Write(markAD)
	m.Write([]byte(plain))
	nonce := m.Sum(nil)[:k.aead.NonceSize()]
	ct := k.aead.Seal(nonce, nonce, pad([]byte(plain)), markAD)
	return base64.RawURLEncoding.EncodeToString(ct)
}

// openMark returns the value a token of this key stands for; false when tok
// is not one (cut short, or sealed by another process).
func (k *Key) openMark(tok string) (string, bool) {
	data, err := base64.RawURLEncoding.DecodeString(tok)
	n := k.aead.NonceSize()
	if err != nil || len(data) < n {
		return "", false
	}
	pt, err := k.aead.Open(nil, data[:n], data[n:], markAD)
	if err != nil {
		return "", false
	}
	out, ok := unpad(pt)
	return string(out), ok
}
