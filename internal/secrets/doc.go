// Package secrets keeps secret property values out of plain text: in memory
// they travel as marked strings (see Mark), at rest they are encrypted with a
// per-stage data key, and everything printed shows "(sensitive)" instead.
//
// Keys. Each stage has one random 256-bit data key. Values are encrypted
// with AES-256-GCM under a key derived from it with HKDF-SHA256; a keyed
// fingerprint (HMAC-SHA256 under a second derived key) is stored beside
// each ciphertext, so that an unchanged secret keeps its ciphertext and
// anyone holding the key can tell a changed one without decrypting. The
// data key itself is stored with the stage, wrapped by what the user
// configures: a passphrase (ATHANOR_PASSPHRASE, stretched with scrypt) or
// age recipients (ATHANOR_AGE_RECIPIENTS, unwrapped with the identities in
// ATHANOR_AGE_IDENTITY_FILE). Changing the passphrase or recipients
// rewraps the data key; rotating the data key re-encrypts every secret.
//
// See docs/secrets.md for the model and its limits.
package secrets

//go:generate go run ../tools/secretprops -go schemasecrets.go -md ../../docs/secret-properties.md

// KeyRecordID is the logical ID under which a stage's wrapped data keys are
// stored, as a record of type KeyRecordType, so that every store keeps
// them beside the records they protect and `athanor state migrate` copies
// them. Programs cannot declare a resource with this ID.
const (
	KeyRecordID   = "_athanor-secrets"
	KeyRecordType = "Athanor::State::Secrets"
)

// Sealer is implemented by state stores that encrypt secrets (see
// NewStore). The engine asks it, before anything is sent, whether the
// secrets a program declares can be encrypted.
type Sealer interface {
	// SealReady returns nil when secrets can be written: a key is
	// configured and opens the stage's data key, if it has one.
	SealReady() error
}
