package secrets

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/athanor-iac/athanor/state"
)

const plain = "hunter2-super-secret"

func fileStore(t *testing.T, dir string) state.Store {
	t.Helper()
	s, err := state.Open(context.Background(), dir, "app", "dev")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// stored returns every byte of the stage's state files.
func stored(t *testing.T, dir string) []byte {
	t.Helper()
	var all []byte
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			b, _ := os.ReadFile(p)
			all = append(all, b...)
		}
		return nil
	})
	return all
}

// ageCreds are age keys: quick to use, unlike a passphrase's scrypt.
func ageCreds(t *testing.T) Credentials {
	t.Helper()
	path, _ := ageIdentityFile(t)
	c, err := CredentialsFromEnv(env2(EnvAgeIdentityFile, path))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func secretRecord() state.Record {
	return state.Record{
		LogicalID: "db", Type: "AWS::SecretsManager::Secret", Identifier: "arn:db",
		Props:      map[string]any{"Name": "db", "SecretString": Mark(plain), "Tags": []any{map[string]any{"Key": "k", "Value": "url:" + Mark(plain)}}},
		Outputs:    map[string]any{"Id": "arn:db", "Name": "db"},
		Pending:    &state.Intent{Operation: state.OpUpdate, ClientToken: "t", Props: map[string]any{"SecretString": Mark(plain)}},
		Superseded: []state.Superseded{{Identifier: "arn:old", Props: map[string]any{"SecretString": Mark("old-" + plain)}}},
		UpdatedAt:  time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
	}
}

func TestStoreEncryptsAtRest(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	creds := ageCreds(t)
	s := NewStore(fileStore(t, dir), creds)
	if err := s.SealReady(); err != nil {
		t.Fatal(err)
	}
	rec := secretRecord()
	if err := s.Put(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, state.Record{LogicalID: "plain", Type: "AWS::Logs::LogGroup", Props: map[string]any{"LogGroupName": "x"}}); err != nil {
		t.Fatal(err)
	}
	raw := stored(t, dir)
	if bytes.Contains(raw, []byte("hunter2")) || bytes.Contains(raw, []byte(markOpen)) {
		t.Fatalf("plain text or marks at rest:\n%s", raw)
	}
	if !bytes.Contains(raw, []byte(`"@secret"`)) || !bytes.Contains(raw, []byte(KeyRecordID)) {
		t.Fatal("no envelope or key record at rest")
	}
	// Inside the encryption the value is in the stored form, not this
	// process's token, which no later run could open.
	sealed, _ := fileStore(t, dir).Load(ctx)
	var env Envelope
	for _, r := range sealed {
		if r.LogicalID == "db" {
			env, _ = envelopeOf(r.Props["SecretString"])
		}
	}
	if pt, err := s.keys[env.KeyID].Open(env, "db", "/SecretString"); err != nil || pt != toStored(Mark(plain)) {
		t.Fatalf("sealed %q, %v", pt, err)
	}
	// A second store (the next run) reads the secrets back as they were.
	got, err := NewStore(fileStore(t, dir), creds).Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].LogicalID != "db" || got[1].LogicalID != "plain" {
		t.Fatalf("records %v (the key record must stay hidden)", got)
	}
	if !reflect.DeepEqual(got[0].Props["SecretString"], rec.Props["SecretString"]) ||
		got[0].Props["Tags"].([]any)[0].(map[string]any)["Value"] != "url:"+Mark(plain) ||
		got[0].Pending.Props["SecretString"] != Mark(plain) ||
		got[0].Superseded[0].Props["SecretString"] != Mark("old-"+plain) {
		t.Fatalf("decrypted %+v", got[0])
	}
	if rec.Props["SecretString"] != Mark(plain) {
		t.Fatal("Put changed the caller's record")
	}
}

func TestStoreKeepsCiphertextOfUnchangedSecrets(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	creds := ageCreds(t)
	s := NewStore(fileStore(t, dir), creds)
	rec := secretRecord()
	if err := s.Put(ctx, rec); err != nil {
		t.Fatal(err)
	}
	first := stored(t, dir)
	// The next run: load, write the same record again.
	s2 := NewStore(fileStore(t, dir), creds)
	if _, err := s2.Load(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s2.Put(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, stored(t, dir)) {
		t.Fatal("rewriting unchanged secrets changed the stored bytes")
	}
	rec.Props["SecretString"] = Mark("changed")
	if err := s2.Put(ctx, rec); err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(first, stored(t, dir)) {
		t.Fatal("a changed secret left the stored bytes as they were")
	}
}

func TestStoreMissingAndWrongKey(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	// A stage without secrets needs no key.
	none := NewStore(fileStore(t, dir), Credentials{})
	if err := none.Put(ctx, state.Record{LogicalID: "plain", Type: "AWS::Logs::LogGroup", Props: map[string]any{"LogGroupName": "x"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := none.Load(ctx); err != nil {
		t.Fatal(err)
	}
	var missing *MissingKeyError
	if err := none.SealReady(); !errors.As(err, &missing) || !strings.Contains(err.Error(), EnvPassphrase) {
		t.Fatalf("SealReady without a key: %v", err)
	}
	if err := none.Put(ctx, secretRecord()); !errors.As(err, &missing) {
		t.Fatalf("Put of a secret without a key: %v", err)
	}
	if bytes.Contains(stored(t, dir), []byte("hunter2")) {
		t.Fatal("a refused secret reached the store")
	}

	if err := NewStore(fileStore(t, dir), Credentials{Passphrase: "right"}).Put(ctx, secretRecord()); err != nil {
		t.Fatal(err)
	}
	before := stored(t, dir)
	_, err := NewStore(fileStore(t, dir), Credentials{}).Load(ctx)
	if !errors.As(err, &missing) || missing.Method != MethodPassphrase {
		t.Fatalf("Load without the passphrase: %v", err)
	}
	wrong := NewStore(fileStore(t, dir), Credentials{Passphrase: "wrong"})
	_, err = wrong.Load(ctx)
	var wk *WrongKeyError
	if !errors.As(err, &wk) {
		t.Fatalf("Load with a wrong passphrase: %v", err)
	}
	if err := wrong.SealReady(); !errors.As(err, &wk) {
		t.Fatalf("SealReady with a wrong passphrase: %v", err)
	}
	if err := wrong.Put(ctx, secretRecord()); !errors.As(err, &wk) {
		t.Fatalf("Put with a wrong passphrase: %v", err)
	}
	if !bytes.Equal(before, stored(t, dir)) {
		t.Fatal("a wrong passphrase changed the state")
	}
}

func TestStoreRefusesMovedCiphertext(t *testing.T) {
	ctx := context.Background()
	inner := fileStore(t, t.TempDir())
	creds := ageCreds(t)
	s := NewStore(inner, creds)
	if err := s.Put(ctx, secretRecord()); err != nil {
		t.Fatal(err)
	}
	recs, _ := inner.Load(ctx)
	for _, r := range recs {
		if r.LogicalID == "db" {
			// Copy the envelope into another record.
			r.LogicalID = "thief"
			if err := inner.Put(ctx, r); err != nil {
				t.Fatal(err)
			}
		}
	}
	_, err := NewStore(inner, creds).Load(ctx)
	var ce *CorruptError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "thief") {
		t.Fatalf("moved ciphertext: %v", err)
	}
}

func TestStoreReservesKeyRecord(t *testing.T) {
	s := NewStore(fileStore(t, t.TempDir()), Credentials{Passphrase: "p"})
	if err := s.Put(context.Background(), state.Record{LogicalID: KeyRecordID, Type: "x"}); err == nil {
		t.Fatal("Put of the key record succeeded")
	}
	if err := s.Delete(context.Background(), KeyRecordID); err == nil {
		t.Fatal("Delete of the key record succeeded")
	}
}

// failingStore fails every Put after the first n.
type failingStore struct {
	state.Store
	n int
}

func (f *failingStore) Put(ctx context.Context, r state.Record) error {
	if f.n == 0 {
		return errors.New("disk full")
	}
	f.n--
	return f.Store.Put(ctx, r)
}

func TestRekey(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	// From age keys to a passphrase: the new key is wrapped the new way.
	oldCreds, newCreds := ageCreds(t), Credentials{Passphrase: "new"}
	s := NewStore(fileStore(t, dir), oldCreds)
	rec := secretRecord()
	rec2 := secretRecord()
	rec2.LogicalID = "db2"
	for _, r := range []state.Record{rec, rec2} {
		if err := s.Put(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	before := stored(t, dir)
	if _, err := Rekey(ctx, fileStore(t, dir), ageCreds(t), newCreds); err == nil {
		t.Fatal("rekey with a wrong passphrase succeeded")
	}
	if !bytes.Equal(before, stored(t, dir)) {
		t.Fatal("a refused rekey changed the state")
	}

	// Interrupted after the new key and one record were written: both
	// records open with the new passphrase, and a second rekey finishes.
	_, err := Rekey(ctx, &failingStore{Store: fileStore(t, dir), n: 2}, oldCreds, newCreds)
	if err == nil {
		t.Fatal("the failing store did not fail")
	}
	recs, err := NewStore(fileStore(t, dir), newCreds).Load(ctx)
	if err != nil {
		t.Fatalf("load after an interrupted rekey: %v", err)
	}
	if len(recs) != 2 || recs[1].Props["SecretString"] != Mark(plain) {
		t.Fatalf("records after an interrupted rekey: %+v", recs)
	}
	n, err := Rekey(ctx, fileStore(t, dir), newCreds, newCreds)
	if err != nil || n != 2 {
		t.Fatalf("finishing rekey: %d, %v", n, err)
	}
	recs, err = NewStore(fileStore(t, dir), newCreds).Load(ctx)
	if err != nil || recs[0].Props["SecretString"] != Mark(plain) {
		t.Fatalf("after rekey: %v %v", recs, err)
	}
	var missing *MissingKeyError
	if _, err := NewStore(fileStore(t, dir), oldCreds).Load(ctx); !errors.As(err, &missing) || missing.Method != MethodPassphrase {
		t.Fatalf("the old age key after rekey: %v", err)
	}
	raw, _ := fileStore(t, dir).Load(ctx)
	_, ring, _ := splitKeyring(raw)
	if len(ring.Keys) != 1 {
		t.Fatalf("%d keys left after rekey", len(ring.Keys))
	}
	if bytes.Contains(stored(t, dir), []byte("hunter2")) {
		t.Fatal("plain text after rekey")
	}
	if _, err := Rekey(ctx, fileStore(t, t.TempDir()), newCreds, newCreds); err == nil || !strings.Contains(err.Error(), "nothing to rekey") {
		t.Fatalf("rekey of a stage without secrets: %v", err)
	}
}

// The engine writes records from many goroutines: the first secrets of a
// stage must make one data key, not one per writer.
func TestStoreConcurrentFirstSecrets(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	creds := ageCreds(t)
	s := NewStore(fileStore(t, dir), creds)
	errs := make(chan error, 16)
	for i := 0; i < 16; i++ {
		go func() {
			r := secretRecord()
			r.LogicalID = "db" + string(rune('a'+i))
			errs <- s.Put(ctx, r)
		}()
	}
	for i := 0; i < 16; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	raw, _ := fileStore(t, dir).Load(ctx)
	_, ring, err := splitKeyring(raw)
	if err != nil || ring == nil || len(ring.Keys) != 1 {
		t.Fatalf("keyring %+v, %v", ring, err)
	}
	recs, err := NewStore(fileStore(t, dir), creds).Load(ctx)
	if err != nil || len(recs) != 16 {
		t.Fatalf("%d records, %v", len(recs), err)
	}
}
