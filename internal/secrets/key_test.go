package secrets

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
)

func mustKey(t *testing.T) *Key {
	t.Helper()
	k, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func ageIdentityFile(t *testing.T) (string, *age.X25519Identity) {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "key.txt")
	if err := os.WriteFile(path, []byte("# test key\n"+id.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, id
}

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestPassphraseWrapUnwrap(t *testing.T) {
	k := mustKey(t)
	wk, err := k.Wrap(Credentials{Passphrase: "correct horse"})
	if err != nil {
		t.Fatal(err)
	}
	if wk.Method != MethodPassphrase || wk.Scrypt == nil || wk.Scrypt.N != scryptN {
		t.Fatalf("wrapped key %+v", wk)
	}
	got, err := Unwrap(wk, Credentials{Passphrase: "correct horse"})
	if err != nil {
		t.Fatal(err)
	}
	env, err := k.Seal("hunter2", "db", "/MasterUserPassword")
	if err != nil {
		t.Fatal(err)
	}
	if pt, err := got.Open(env, "db", "/MasterUserPassword"); err != nil || pt != "hunter2" {
		t.Fatalf("open with the unwrapped key: %q, %v", pt, err)
	}

	_, err = Unwrap(wk, Credentials{Passphrase: "wrong horse"})
	var wrong *WrongKeyError
	if !errors.As(err, &wrong) || !strings.Contains(err.Error(), "ATHANOR_PASSPHRASE is not the passphrase") {
		t.Fatalf("wrong passphrase: %v", err)
	}
	_, err = Unwrap(wk, Credentials{})
	var missing *MissingKeyError
	if !errors.As(err, &missing) || missing.Method != MethodPassphrase || !strings.Contains(err.Error(), "set it to the stage's passphrase") {
		t.Fatalf("no passphrase: %v", err)
	}
}

func TestAgeWrapUnwrap(t *testing.T) {
	path, _ := ageIdentityFile(t)
	creds, err := CredentialsFromEnv(env(map[string]string{EnvAgeIdentityFile: path}))
	if err != nil {
		t.Fatal(err)
	}
	k := mustKey(t)
	wk, err := k.Wrap(creds)
	if err != nil {
		t.Fatal(err)
	}
	if wk.Method != MethodAge {
		t.Fatalf("method %q", wk.Method)
	}
	if _, err := Unwrap(wk, creds); err != nil {
		t.Fatal(err)
	}

	// Another identity is not one of the recipients.
	other, _ := ageIdentityFile(t)
	oc, err := CredentialsFromEnv(env(map[string]string{EnvAgeIdentityFile: other}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Unwrap(wk, oc)
	var wrong *WrongKeyError
	if !errors.As(err, &wrong) || wrong.Method != MethodAge {
		t.Fatalf("wrong identity: %v", err)
	}
	// Recipients alone can wrap but not unwrap.
	rc, err := CredentialsFromEnv(env(map[string]string{EnvAgeRecipients: creds.Recipients[0].(*age.X25519Recipient).String()}))
	if err != nil {
		t.Fatal(err)
	}
	_, err = Unwrap(wk, rc)
	var missing *MissingKeyError
	if !errors.As(err, &missing) || !strings.Contains(err.Error(), EnvAgeIdentityFile) {
		t.Fatalf("no identity: %v", err)
	}
}

// TestRewrap changes the key that wraps a data key: values sealed before
// open with the rewrapped key, and the old passphrase no longer opens it.
func TestRewrap(t *testing.T) {
	k := mustKey(t)
	old, err := k.Wrap(Credentials{Passphrase: "old"})
	if err != nil {
		t.Fatal(err)
	}
	env, err := k.Seal("s3cret", "x", "/P")
	if err != nil {
		t.Fatal(err)
	}
	dk, err := Unwrap(old, Credentials{Passphrase: "old"})
	if err != nil {
		t.Fatal(err)
	}
	path, _ := ageIdentityFile(t)
	creds, err := CredentialsFromEnv(env2(EnvAgeIdentityFile, path))
	if err != nil {
		t.Fatal(err)
	}
	nw, err := dk.Wrap(creds)
	if err != nil {
		t.Fatal(err)
	}
	dk2, err := Unwrap(nw, creds)
	if err != nil {
		t.Fatal(err)
	}
	if pt, err := dk2.Open(env, "x", "/P"); err != nil || pt != "s3cret" {
		t.Fatalf("open after rewrap: %q %v", pt, err)
	}
	if _, err := Unwrap(nw, Credentials{Passphrase: "old"}); err == nil {
		t.Fatal("the old passphrase opens the rewrapped key")
	}
}

func env2(k, v string) func(string) string { return env(map[string]string{k: v}) }

func TestSealBindsPlaceAndHidesLength(t *testing.T) {
	k := mustKey(t)
	e, err := k.Seal("hunter2", "db", "/MasterUserPassword")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(e.Ciphertext, "hunter2") || strings.Contains(e.Fingerprint, "hunter2") {
		t.Fatal("plaintext in the envelope")
	}
	if _, err := k.Open(e, "other", "/MasterUserPassword"); err == nil {
		t.Fatal("a ciphertext opens in another record")
	}
	if _, err := k.Open(e, "db", "/Other"); err == nil {
		t.Fatal("a ciphertext opens in another property")
	}
	if _, err := mustKey(t).Open(e, "db", "/MasterUserPassword"); err == nil {
		t.Fatal("a ciphertext opens under another key")
	}
	short, _ := k.Seal("a", "db", "/P")
	long, _ := k.Seal(strings.Repeat("a", 30), "db", "/P")
	if len(short.Ciphertext) != len(long.Ciphertext) {
		t.Fatalf("lengths 1 and 30 give ciphertexts of %d and %d characters", len(short.Ciphertext), len(long.Ciphertext))
	}
	for _, s := range []string{"", "a", strings.Repeat("é", 40), "x\x80\x00"} {
		e, _ := k.Seal(s, "r", "/p")
		if got, err := k.Open(e, "r", "/p"); err != nil || got != s {
			t.Fatalf("round trip of %q: %q %v", s, got, err)
		}
	}
}

func TestFingerprint(t *testing.T) {
	k := mustKey(t)
	a := k.Fingerprint("hunter2", "db", "/P")
	if !SameFingerprint(a, k.Fingerprint("hunter2", "db", "/P")) {
		t.Fatal("fingerprint is not stable")
	}
	if SameFingerprint(a, k.Fingerprint("hunter3", "db", "/P")) {
		t.Fatal("a changed value keeps its fingerprint")
	}
	if SameFingerprint(a, k.Fingerprint("hunter2", "db2", "/P")) {
		t.Fatal("equal values in two records have one fingerprint")
	}
	if SameFingerprint(a, mustKey(t).Fingerprint("hunter2", "db", "/P")) {
		t.Fatal("the fingerprint does not depend on the key")
	}
	// Place parts are length-prefixed: ("ab","c") is not ("a","bc").
	if SameFingerprint(k.Fingerprint("v", "ab", "c"), k.Fingerprint("v", "a", "bc")) {
		t.Fatal("place parts run into one another")
	}
}

func TestCredentialsFromEnv(t *testing.T) {
	path, id := ageIdentityFile(t)
	cases := []struct {
		name    string
		env     map[string]string
		wantErr string
		method  string
	}{
		{"nothing", nil, "", ""},
		{"passphrase", map[string]string{EnvPassphrase: "p"}, "", MethodPassphrase},
		{"recipients", map[string]string{EnvAgeRecipients: id.Recipient().String() + ", " + id.Recipient().String()}, "", MethodAge},
		{"identity", map[string]string{EnvAgeIdentityFile: path}, "", MethodAge},
		{"both", map[string]string{EnvPassphrase: "p", EnvAgeIdentityFile: path}, "both a passphrase and age keys", ""},
		{"bad recipient", map[string]string{EnvAgeRecipients: "age1nope"}, EnvAgeRecipients, ""},
		{"missing identity file", map[string]string{EnvAgeIdentityFile: filepath.Join(t.TempDir(), "none")}, "cannot read the identity file", ""},
		{"passphrase and file", map[string]string{EnvPassphrase: "p", EnvPassphraseFile: path}, "not both", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cr, err := CredentialsFromEnv(env(c.env))
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if cr.method() != c.method {
				t.Fatalf("method %q, want %q", cr.method(), c.method)
			}
		})
	}
	pf := filepath.Join(t.TempDir(), "pass")
	os.WriteFile(pf, []byte("from a file\n"), 0o600)
	cr, err := CredentialsFromEnv(env2(EnvPassphraseFile, pf))
	if err != nil || cr.Passphrase != "from a file" {
		t.Fatalf("passphrase file: %q %v", cr.Passphrase, err)
	}
	_, err = (&Key{}).Wrap(Credentials{})
	var missing *MissingKeyError
	if !errors.As(err, &missing) || !strings.Contains(err.Error(), EnvPassphrase) {
		t.Fatalf("wrap without credentials: %v", err)
	}
}
