package secrets

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"filippo.io/age"
)

// Environment variables that configure the key wrapping a stage's data key.
const (
	EnvPassphrase      = "ATHANOR_PASSPHRASE"
	EnvPassphraseFile  = "ATHANOR_PASSPHRASE_FILE"
	EnvAgeRecipients   = "ATHANOR_AGE_RECIPIENTS"
	EnvAgeIdentityFile = "ATHANOR_AGE_IDENTITY_FILE"
)

// Methods of wrapping a data key.
const (
	MethodPassphrase = "passphrase"
	MethodAge        = "age"
)

// Credentials are the keys a user configures: a passphrase, or age
// recipients (to wrap a data key) and identities (to unwrap it). The zero
// value configures nothing.
type Credentials struct {
	Passphrase string
	Recipients []age.Recipient
	Identities []age.Identity
}

// Configured reports whether any key is configured.
func (c Credentials) Configured() bool {
	return c.Passphrase != "" || len(c.Recipients) > 0 || len(c.Identities) > 0
}

// method is how a new data key is wrapped with these credentials.
func (c Credentials) method() string {
	switch {
	case len(c.Recipients) > 0:
		return MethodAge
	case c.Passphrase != "":
		return MethodPassphrase
	}
	return ""
}

// CredentialsFromEnv reads the key configuration from the environment:
//
//	ATHANOR_PASSPHRASE         the passphrase (or ATHANOR_PASSPHRASE_FILE: a file holding it)
//	ATHANOR_AGE_RECIPIENTS     age public keys (age1...), separated by commas, spaces or newlines
//	ATHANOR_AGE_IDENTITY_FILE  a file of age private keys (AGE-SECRET-KEY-1...), as age-keygen writes
//
// With an identity file and no recipients, new data keys are wrapped to
// the identities' own public keys. A passphrase together with age
// recipients is refused: the choice would be a guess.
func CredentialsFromEnv(getenv func(string) string) (Credentials, error) {
	var c Credentials
	var errs []error
	c.Passphrase = getenv(EnvPassphrase)
	if f := getenv(EnvPassphraseFile); f != "" {
		if c.Passphrase != "" {
			errs = append(errs, &ConfigError{EnvPassphraseFile, "set either ATHANOR_PASSPHRASE or ATHANOR_PASSPHRASE_FILE, not both"})
		} else if data, err := os.ReadFile(f); err != nil {
			errs = append(errs, &ConfigError{EnvPassphraseFile, fmt.Sprintf("cannot read the passphrase file: %v", err)})
		} else if c.Passphrase = strings.TrimRight(string(data), "\r\n"); c.Passphrase == "" {
			errs = append(errs, &ConfigError{EnvPassphraseFile, fmt.Sprintf("%s is empty", f)})
		}
	}
	if r := getenv(EnvAgeRecipients); strings.TrimSpace(r) != "" {
		lines := strings.Join(strings.FieldsFunc(r, func(c rune) bool { return c == ',' || c == ' ' || c == '\n' || c == '\t' }), "\n")
		rs, err := age.ParseRecipients(strings.NewReader(lines))
		if err != nil {
			errs = append(errs, &ConfigError{EnvAgeRecipients, fmt.Sprintf("not a list of age public keys (age1...): %v", err)})
		}
		c.Recipients = rs
	}
	if f := getenv(EnvAgeIdentityFile); f != "" {
		ids, err := readIdentities(f)
		if err != nil {
			errs = append(errs, err)
		}
		c.Identities = ids
		if getenv(EnvAgeRecipients) == "" {
			c.Recipients = recipientsOf(ids)
		}
	}
	if c.Passphrase != "" && len(c.Recipients) > 0 {
		errs = append(errs, &ConfigError{EnvPassphrase, "both a passphrase and age keys are configured; unset one of ATHANOR_PASSPHRASE and ATHANOR_AGE_RECIPIENTS/ATHANOR_AGE_IDENTITY_FILE"})
	}
	if err := errors.Join(errs...); err != nil {
		return Credentials{}, err
	}
	return c, nil
}

// CredentialsFromOSEnv is CredentialsFromEnv(os.Getenv).
func CredentialsFromOSEnv() (Credentials, error) { return CredentialsFromEnv(os.Getenv) }

func readIdentities(path string) ([]age.Identity, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &ConfigError{EnvAgeIdentityFile, fmt.Sprintf("cannot read the identity file: %v", err)}
	}
	defer f.Close()
	ids, err := age.ParseIdentities(f)
	if err != nil {
		return nil, &ConfigError{EnvAgeIdentityFile, fmt.Sprintf("%s is not an age identity file (age-keygen -o FILE writes one): %v", path, err)}
	}
	return ids, nil
}

// recipientsOf returns the public keys of identities that can tell theirs.
func recipientsOf(ids []age.Identity) []age.Recipient {
	var out []age.Recipient
	for _, id := range ids {
		switch id := id.(type) {
		case *age.X25519Identity:
			out = append(out, id.Recipient())
		case *age.HybridIdentity:
			out = append(out, id.Recipient())
		}
	}
	return out
}
