package secrets

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
)

// Envelope is one encrypted value as stored: the ID of the data key that
// sealed it, its keyed fingerprint and its ciphertext.
type Envelope struct {
	KeyID       string `json:"kid"`
	Fingerprint string `json:"fp"`
	Ciphertext  string `json:"ct"` // base64 of nonce ‖ AES-256-GCM ciphertext and tag
}

// padBlock is the bucket plaintexts are padded to, so that a ciphertext
// tells a secret's length only to within 32 bytes.
const padBlock = 32

// fingerprintVersion prefixes fingerprints, so that the scheme can change.
const fingerprintVersion = "v1:"

// placeOf binds a value to where it is stored (the record's logical ID and
// the property's JSON pointer): used as the GCM additional data and in the
// fingerprint, so that a ciphertext moved to another property fails to
// open and equal secrets in two places do not show as equal.
func placeOf(parts []string) []byte {
	var b []byte
	for _, p := range parts {
		b = binary.AppendUvarint(b, uint64(len(p)))
		b = append(b, p...)
	}
	return b
}

// Seal encrypts plaintext for the place named by where (logical ID,
// pointer). Each call uses a fresh random nonce.
func (k *Key) Seal(plaintext string, where ...string) (Envelope, error) {
	nonce := make([]byte, k.aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return Envelope{}, err
	}
	ct := k.aead.Seal(nonce, nonce, pad([]byte(plaintext)), placeOf(where))
	return Envelope{KeyID: k.ID, Fingerprint: k.Fingerprint(plaintext, where...), Ciphertext: base64.StdEncoding.EncodeToString(ct)}, nil
}

// Open decrypts an envelope sealed for the same place.
func (k *Key) Open(e Envelope, where ...string) (string, error) {
	data, err := base64.StdEncoding.DecodeString(e.Ciphertext)
	if err != nil || len(data) < k.aead.NonceSize() {
		return "", errors.New("ciphertext is not valid base64 of the right length")
	}
	pt, err := k.aead.Open(nil, data[:k.aead.NonceSize()], data[k.aead.NonceSize():], placeOf(where))
	if err != nil {
		return "", err
	}
	out, ok := unpad(pt)
	if !ok {
		return "", errors.New("bad padding")
	}
	return string(out), nil
}

// Fingerprint is a keyed hash of a value in its place: HMAC-SHA256 under a
// key derived from the data key, truncated to 128 bits. Equal
// fingerprints mean an unchanged value; without the data key they reveal
// nothing of it.
func (k *Key) Fingerprint(plaintext string, where ...string) string {
	m := hmac.New(sha256.New, k.fpKey)
	m.Write(placeOf(where))
	m.Write([]byte(plaintext))
	return fingerprintVersion + base64.RawStdEncoding.EncodeToString(m.Sum(nil)[:16])
}

// SameFingerprint compares two fingerprints in constant time.
func SameFingerprint(a, b string) bool { return hmac.Equal([]byte(a), []byte(b)) }

// pad appends 0x80 and zeros up to a multiple of padBlock (ISO/IEC 7816-4).
func pad(b []byte) []byte {
	n := padBlock - len(b)%padBlock
	out := make([]byte, len(b), len(b)+n)
	copy(out, b)
	out = append(out, 0x80)
	return append(out, make([]byte, n-1)...)
}

func unpad(b []byte) ([]byte, bool) {
	for i := len(b) - 1; i >= 0; i-- {
		switch b[i] {
		case 0:
			continue
		case 0x80:
			return b[:i], true
		}
		return nil, false
	}
	return nil, false
}
