package secrets

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"filippo.io/age"
	"golang.org/x/crypto/scrypt"
)

// dataKeySize is the size of a data key: 256 bits.
const dataKeySize = 32

// Scrypt parameters for new passphrase-wrapped keys: N=2^15, r=8, p=1, the
// figures the scrypt authors and x/crypto recommend for interactive use
// (about 50-100 ms and 32 MiB on current machines, paid once per run). They
// are stored with each wrapped key, so that raising them later does not
// lock anyone out.
const (
	scryptN       = 1 << 15
	scryptR       = 8
	scryptP       = 1
	scryptSaltLen = 16
)

// Key is a stage's data key, ready to encrypt and fingerprint values. Its
// two working keys are derived with HKDF-SHA256, one for AES-256-GCM and one
// for HMAC-SHA256, so that neither use can weaken the other.
type Key struct {
	// ID names the key in every value it encrypted, so that a value
	// encrypted before a rotation is opened with the key that sealed it.
	ID string

	raw   []byte
	aead  cipher.AEAD
	fpKey []byte
}

// NewKey makes a random data key.
func NewKey() (*Key, error) {
	raw := make([]byte, dataKeySize)
	if _, err := rand.Read(raw); err != nil {
		return nil, err
	}
	id := make([]byte, 6)
	if _, err := rand.Read(id); err != nil {
		return nil, err
	}
	return newKey(hex.EncodeToString(id), raw)
}

func newKey(id string, raw []byte) (*Key, error) {
	if len(raw) != dataKeySize {
		return nil, fmt.Errorf("data key %s has %d bytes, not %d", id, len(raw), dataKeySize)
	}
	encKey, err := hkdf.Key(sha256.New, raw, nil, "athanor/secrets/encrypt/v1", 32)
	if err != nil {
		return nil, err
	}
	fpKey, err := hkdf.Key(sha256.New, raw, nil, "athanor/secrets/fingerprint/v1", 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(encKey)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Key{ID: id, raw: raw, aead: aead, fpKey: fpKey}, nil
}

// WrappedKey is a data key as stored with a stage: encrypted under the
// user's passphrase or to their age recipients.
type WrappedKey struct {
	ID     string `json:"id"`
	Method string `json:"method"` // MethodPassphrase or MethodAge
	// Scrypt are the parameters that stretch the passphrase (passphrase
	// method only).
	Scrypt *ScryptParams `json:"scrypt,omitempty"`
	// Wrapped is base64: for a passphrase, the GCM nonce and the sealed
	// data key; for age, the age file holding it.
	Wrapped string `json:"wrapped"`
}

// ScryptParams are the parameters of a passphrase's key derivation.
type ScryptParams struct {
	Salt string `json:"salt"` // base64
	N    int    `json:"n"`
	R    int    `json:"r"`
	P    int    `json:"p"`
}

// Wrap encrypts the data key under creds: to the age recipients when there
// are any, else under the passphrase.
func (k *Key) Wrap(creds Credentials) (WrappedKey, error) {
	switch creds.method() {
	case MethodAge:
		var buf bytes.Buffer
		w, err := age.Encrypt(&buf, creds.Recipients...)
		if err != nil {
			return WrappedKey{}, fmt.Errorf("wrap the data key to the age recipients: %w", err)
		}
		if _, err := w.Write(k.raw); err != nil {
			return WrappedKey{}, err
		}
		if err := w.Close(); err != nil {
			return WrappedKey{}, err
		}
		return WrappedKey{ID: k.ID, Method: MethodAge, Wrapped: base64.StdEncoding.EncodeToString(buf.Bytes())}, nil
	case MethodPassphrase:
		salt := make([]byte, scryptSaltLen)
		if _, err := rand.Read(salt); err != nil {
			return WrappedKey{}, err
		}
		p := &ScryptParams{Salt: base64.StdEncoding.EncodeToString(salt), N: scryptN, R: scryptR, P: scryptP}
		aead, err := passphraseAEAD(creds.Passphrase, p)
		if err != nil {
			return WrappedKey{}, err
		}
		nonce := make([]byte, aead.NonceSize())
		if _, err := rand.Read(nonce); err != nil {
			return WrappedKey{}, err
		}
		sealed := aead.Seal(nonce, nonce, k.raw, []byte("athanor data key "+k.ID))
		return WrappedKey{ID: k.ID, Method: MethodPassphrase, Scrypt: p, Wrapped: base64.StdEncoding.EncodeToString(sealed)}, nil
	}
	return WrappedKey{}, &MissingKeyError{Why: "a secret is to be encrypted"}
}

// Unwrap decrypts a stored data key with creds. It fails with a
// *MissingKeyError when creds hold nothing of the key's method, and with a
// *WrongKeyError when what they hold does not open it.
func Unwrap(wk WrappedKey, creds Credentials) (*Key, error) {
	data, err := base64.StdEncoding.DecodeString(wk.Wrapped)
	if err != nil {
		return nil, &CorruptError{Where: "data key " + wk.ID, Err: err}
	}
	switch wk.Method {
	case MethodAge:
		if len(creds.Identities) == 0 {
			return nil, &MissingKeyError{Method: MethodAge, Why: "cannot decrypt the stage's secrets"}
		}
		r, err := age.Decrypt(bytes.NewReader(data), creds.Identities...)
		var nomatch *age.NoIdentityMatchError
		if errors.As(err, &nomatch) {
			return nil, &WrongKeyError{Method: MethodAge, Err: err}
		}
		if err != nil {
			return nil, &CorruptError{Where: "data key " + wk.ID, Err: err}
		}
		raw, err := io.ReadAll(io.LimitReader(r, dataKeySize+1))
		if err != nil {
			return nil, &CorruptError{Where: "data key " + wk.ID, Err: err}
		}
		return newKey(wk.ID, raw)
	case MethodPassphrase:
		if creds.Passphrase == "" {
			return nil, &MissingKeyError{Method: MethodPassphrase, Why: "cannot decrypt the stage's secrets"}
		}
		if wk.Scrypt == nil {
			return nil, &CorruptError{Where: "data key " + wk.ID, Err: errors.New("no scrypt parameters")}
		}
		aead, err := passphraseAEAD(creds.Passphrase, wk.Scrypt)
		if err != nil {
			return nil, &CorruptError{Where: "data key " + wk.ID, Err: err}
		}
		if len(data) < aead.NonceSize() {
			return nil, &CorruptError{Where: "data key " + wk.ID, Err: errors.New("too short")}
		}
		raw, err := aead.Open(nil, data[:aead.NonceSize()], data[aead.NonceSize():], []byte("athanor data key "+wk.ID))
		if err != nil {
			// GCM cannot tell a wrong passphrase from a changed wrapped
			// key; the former is by far the likelier.
			return nil, &WrongKeyError{Method: MethodPassphrase}
		}
		return newKey(wk.ID, raw)
	}
	return nil, &CorruptError{Where: "data key " + wk.ID, Err: fmt.Errorf("unknown wrapping method %q", wk.Method)}
}

// passphraseAEAD stretches a passphrase into an AES-256-GCM key.
func passphraseAEAD(passphrase string, p *ScryptParams) (cipher.AEAD, error) {
	salt, err := base64.StdEncoding.DecodeString(p.Salt)
	if err != nil {
		return nil, err
	}
	// Refuse parameters that would take minutes or gigabytes: a stored key
	// must not be able to hang a run.
	if p.N > 1<<22 || p.R > 32 || p.P > 16 {
		return nil, fmt.Errorf("scrypt parameters N=%d r=%d p=%d are beyond what athanor accepts", p.N, p.R, p.P)
	}
	kek, err := scrypt.Key([]byte(passphrase), salt, p.N, p.R, p.P, 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(kek)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}
