package athanor

import "github.com/athanor-iac/athanor/internal/secrets"

// Secret marks v as a secret. The value is sent to AWS as it is, but it is
// encrypted in state, and plans, progress, logs and errors show
// "(sensitive)" instead. Like an unknown value, the mark survives being
// built into a larger string, which then is secret as a whole:
//
//	secretsmanager.Secret(app, "db", secretsmanager.SecretProps{
//		SecretString: `{"password":"` + athanor.Secret(os.Getenv("DB_PASSWORD")) + `"}`,
//	})
//
// Properties the schemas say hold secrets (a database's
// MasterUserPassword, a secret's SecretString; docs/secret-properties.md)
// are secret without marking. A stage that holds secrets needs a key:
// ATHANOR_PASSPHRASE, or age keys in ATHANOR_AGE_RECIPIENTS and
// ATHANOR_AGE_IDENTITY_FILE (docs/secrets.md). An empty string stays
// empty and unmarked.
//
// The returned string holds not v but a token: v encrypted under a key
// that exists only in this process, so a program that prints or logs it
// (fmt.Println, slog) shows nothing of the secret. Use [RevealSecret] for
// the value, and [IsSecret] to tell a marked string.
func Secret(v string) string { return secrets.Mark(v) }

// IsSecret reports whether s holds a value marked secret, or one the
// engine found to be a copy of a secret in what AWS returned.
func IsSecret(s string) bool { return secrets.IsMarked(s) }

// RevealSecret returns s with its secrets in plain text, for a program that
// must hand the value to something outside Athanor. What it returns is no
// longer protected: neither encrypted in state nor redacted in output.
func RevealSecret(s string) string { return secrets.RevealString(s) }
