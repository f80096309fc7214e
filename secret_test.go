package athanor_test

import (
	"strings"
	"testing"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/localcc"
)

func parameter(id string, props map[string]any) func(*athanor.App) error {
	return func(app *athanor.App) error {
		_, err := app.Resource("AWS::SSM::Parameter", id, props)
		return err
	}
}

// A secret with no key to encrypt it is refused while planning: nothing
// is sent, and the message says what to set.
func TestSecretWithoutKeyIsRefused(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	t.Setenv("ATHANOR_PASSPHRASE", "")
	prog := parameter("token", map[string]any{"Name": "token", "Type": "String", "Value": athanor.Secret("s3cr3t-value")})
	for _, cmd := range []string{"plan", "up"} {
		code, out := e.run(prog, cmd)
		if code != 1 || !strings.Contains(out, "token (AWS::SSM::Parameter): this resource holds a secret, but no key is configured") ||
			!strings.Contains(out, "ATHANOR_PASSPHRASE") || !strings.Contains(out, "nothing was changed") || strings.Contains(out, "s3cr3t") {
			t.Fatalf("%s without a key: exit %d\n%s", cmd, code, out)
		}
	}
	if m := e.srv.Metrics(); m.TotalCalls != 0 {
		t.Fatalf("%d API calls", m.TotalCalls)
	}
	// A schema-implied secret needs a key too.
	code, out := e.run(func(app *athanor.App) error {
		_, err := app.Resource("AWS::SecretsManager::Secret", "db", map[string]any{"SecretString": "unmarked-password"})
		return err
	}, "up")
	if code != 1 || !strings.Contains(out, "no key is configured") || strings.Contains(out, "unmarked-password") {
		t.Fatalf("a SecretString without a key: exit %d\n%s", code, out)
	}
}

// A secret cannot be part of an identifier, which state and plans show;
// the stage's key record's ID cannot be declared.
func TestSecretWhereItCannotStaySecret(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	t.Setenv("ATHANOR_PASSPHRASE", "p")
	code, out := e.run(parameter("token", map[string]any{"Name": "token-" + athanor.Secret("n4me"), "Type": "String", "Value": "v"}), "plan")
	if code != 1 || !strings.Contains(out, "Name holds a secret, but it forms the resource's identifier") || strings.Contains(out, "n4me") {
		t.Fatalf("a secret in the identifier: exit %d\n%s", code, out)
	}
	code, out = e.run(parameter("_athanor-secrets", map[string]any{"Name": "x", "Type": "String", "Value": "v"}), "plan")
	if code != 1 || !strings.Contains(out, "reserved for the stage's encryption keys") {
		t.Fatalf("the reserved logical ID: exit %d\n%s", code, out)
	}
}

// Validation sees the revealed value and its messages do not quote it.
func TestSecretValidationMessagesAreScrubbed(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	t.Setenv("ATHANOR_PASSPHRASE", "p")
	code, out := e.run(parameter("token", map[string]any{"Name": "token", "Type": athanor.Secret("Sekret-Type"), "Value": "v"}), "plan")
	if code != 1 || !strings.Contains(out, "Type") || strings.Contains(out, "Sekret-Type") || !strings.Contains(out, "(sensitive)") {
		t.Fatalf("an invalid secret: exit %d\n%s", code, out)
	}
	// A valid secret passes validation, which saw the value, not the mark.
	code, out = e.run(parameter("token", map[string]any{"Name": "token", "Type": athanor.Secret("String"), "Value": "v"}), "plan")
	if code != 0 || !strings.Contains(out, "Type: (sensitive)") {
		t.Fatalf("a valid secret enum: exit %d\n%s", code, out)
	}
}
