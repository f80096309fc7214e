package secrets

import (
	"fmt"
	"strings"
)

// configureHint says how to configure a key, in every error that lacks one.
const configureHint = "set ATHANOR_PASSPHRASE to a passphrase, or ATHANOR_AGE_RECIPIENTS to age public keys (age1...) and ATHANOR_AGE_IDENTITY_FILE to a file holding a matching private key; see docs/secrets.md"

// MissingKeyError says that no key is configured to encrypt or decrypt a
// stage's secrets. Method is how the stage's data key is wrapped ("" when
// the stage has none yet).
type MissingKeyError struct {
	Method string // MethodPassphrase, MethodAge or ""
	Why    string // what needed the key
}

func (e *MissingKeyError) Error() string {
	switch e.Method {
	case MethodPassphrase:
		return fmt.Sprintf("%s: the secrets of this stage are encrypted with a passphrase, and ATHANOR_PASSPHRASE is not set; set it to the stage's passphrase", e.Why)
	case MethodAge:
		return fmt.Sprintf("%s: the secrets of this stage are encrypted to age recipients, and ATHANOR_AGE_IDENTITY_FILE is not set; set it to a file holding one of their private keys (AGE-SECRET-KEY-1...)", e.Why)
	}
	return fmt.Sprintf("%s, but no key is configured to encrypt secrets: %s", e.Why, configureHint)
}

// WrongKeyError says that the configured key does not open the stage's data
// key: a wrong passphrase, or an age identity that is not one of the
// recipients. Nothing was changed.
type WrongKeyError struct {
	Method string
	Err    error // the underlying failure, if any
}

func (e *WrongKeyError) Error() string {
	if e.Method == MethodAge {
		return fmt.Sprintf("the age identities in ATHANOR_AGE_IDENTITY_FILE cannot decrypt this stage's data key (%v): use a private key of one of the recipients the stage was encrypted to; nothing was changed", e.Err)
	}
	return "ATHANOR_PASSPHRASE is not the passphrase this stage's secrets are encrypted with; nothing was changed"
}

func (e *WrongKeyError) Unwrap() error { return e.Err }

// ConfigError is a key configuration that cannot be used as given.
type ConfigError struct {
	Var string // the environment variable at fault
	Msg string
}

func (e *ConfigError) Error() string { return e.Var + ": " + e.Msg }

// CorruptError is stored key material or ciphertext that fails its
// authentication or cannot be parsed: it was changed after it was written,
// or belongs to another record.
type CorruptError struct {
	Where string
	Err   error
}

func (e *CorruptError) Error() string {
	fix := "restore the record from a backup, or remove it from state and import the resource again"
	if strings.Contains(e.Where, KeyRecordID) || strings.HasPrefix(e.Where, "data key") {
		fix = "restore the stage's key record from a backup"
	}
	return fmt.Sprintf("%s cannot be decrypted: %v; it was changed after it was written, or copied from another record or stage (%s)", e.Where, e.Err, fix)
}

func (e *CorruptError) Unwrap() error { return e.Err }
