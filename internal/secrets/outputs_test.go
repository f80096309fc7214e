package secrets

import (
	"bytes"
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/athanor-iac/athanor/state"
)

// Secret outputs are stored encrypted under the stage's key; plain ones
// need no key to read.
func TestStoreEncryptsSecretOutputs(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	creds := ageCreds(t)
	outs := map[string]any{"region": "us-east-1", "password": Mark(plain), "db": map[string]any{"url": "pg://app:" + Mark(plain) + "@db", "port": 5432.0}}

	var missing *MissingKeyError
	if err := NewStore(fileStore(t, dir), Credentials{}).PutOutputs(ctx, outs); !errors.As(err, &missing) {
		t.Fatalf("a secret output without a key: %v", err)
	}
	if err := NewStore(fileStore(t, dir), creds).PutOutputs(ctx, outs); err != nil {
		t.Fatal(err)
	}
	first := stored(t, dir)
	for _, leak := range leaks(plain) {
		if bytes.Contains(first, []byte(leak)) {
			t.Fatalf("%q at rest:\n%s", leak, first)
		}
	}
	if !bytes.Contains(first, []byte(`"@secret"`)) || !bytes.Contains(first, []byte(`"us-east-1"`)) {
		t.Fatalf("outputs at rest:\n%s", first)
	}

	// The next run reads them back marked, and writing them again keeps
	// their ciphertext.
	s := NewStore(fileStore(t, dir), creds)
	got, err := s.LoadOutputs(ctx)
	if err != nil || !reflect.DeepEqual(got, outs) {
		t.Fatalf("loaded %v, %v", got, err)
	}
	if err := NewStore(fileStore(t, dir), creds).PutOutputs(ctx, outs); err != nil || !bytes.Equal(first, stored(t, dir)) {
		t.Fatalf("rewriting unchanged secret outputs changed the stored bytes (%v)", err)
	}

	// Without the key: an error that says what to set; the stored form
	// redacts.
	_, err = NewStore(fileStore(t, dir), Credentials{}).LoadOutputs(ctx)
	if !errors.As(err, &missing) || !strings.Contains(err.Error(), EnvAgeIdentityFile) {
		t.Fatalf("outputs without the key: %v", err)
	}
	raw, err := state.LoadOutputs(ctx, fileStore(t, dir))
	if err != nil {
		t.Fatal(err)
	}
	if r := RedactStoredOutputs(raw); r["password"] != Redacted || r["region"] != "us-east-1" || r["db"].(map[string]any)["url"] != Redacted {
		t.Fatalf("redacted %v", r)
	}

	// A rekey re-encrypts them with the records.
	if err := s.Put(ctx, secretRecord()); err != nil {
		t.Fatal(err)
	}
	newCreds := Credentials{Passphrase: "new"}
	if _, err := Rekey(ctx, fileStore(t, dir), creds, newCreds); err != nil {
		t.Fatal(err)
	}
	if got, err := NewStore(fileStore(t, dir), newCreds).LoadOutputs(ctx); err != nil || !reflect.DeepEqual(got, outs) {
		t.Fatalf("outputs after rekey: %v, %v", got, err)
	}

	// Plain outputs need no key.
	plainDir := t.TempDir()
	if err := NewStore(fileStore(t, plainDir), Credentials{}).PutOutputs(ctx, map[string]any{"region": "x"}); err != nil {
		t.Fatal(err)
	}
	if got, err := NewStore(fileStore(t, plainDir), Credentials{}).LoadOutputs(ctx); err != nil || got["region"] != "x" {
		t.Fatalf("plain outputs: %v, %v", got, err)
	}
}
