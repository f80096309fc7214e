package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/athanor-iac/athanor/internal/secrets"
	"github.com/athanor-iac/athanor/state"
)

const cliSecret = "hunter2-cli-secret"

// sealedStage writes a record holding a secret through the encrypting
// store, as a run does, with ATHANOR_PASSPHRASE=pass.
func sealedStage(t *testing.T, url string) {
	t.Helper()
	t.Setenv(secrets.EnvPassphrase, "pass")
	s, err := secrets.OpenStore(context.Background(), url, "net", "prod")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rec := state.Record{LogicalID: "db", Type: "AWS::SecretsManager::Secret", Identifier: "arn:db",
		Props: map[string]any{"Name": "db", "SecretString": secrets.Mark(cliSecret)}}
	if err := s.Put(context.Background(), rec); err != nil {
		t.Fatal(err)
	}
}

func TestStateCommandsKeepSecrets(t *testing.T) {
	url := fileURL(t)
	sealedStage(t, url)
	t.Setenv(secrets.EnvPassphrase, "") // show, list and migrate need no key
	base := []string{"--state", url, "--app", "net", "--stage", "prod"}
	args := func(a ...string) []string { return append(append([]string{"state"}, a...), base...) }

	code, out, errOut := run(t, "", args("show", "db")...)
	var shown RecordDocument
	if code != 0 || json.Unmarshal([]byte(out), &shown) != nil || shown.Record.Props["SecretString"] != secrets.Redacted || strings.Contains(out, "hunter2") {
		t.Errorf("show = %d %s %s", code, out, errOut)
	}
	code, out, _ = run(t, "", args("list")...)
	if code != 0 || strings.Contains(out, secrets.KeyRecordID) || !strings.Contains(out, "db") {
		t.Errorf("list = %d\n%s", code, out)
	}
	if code, _, errOut := run(t, "", args("rm", secrets.KeyRecordID, "--yes")...); code != 2 || !strings.Contains(errOut, "state rekey") {
		t.Errorf("rm of the key record = %d %s", code, errOut)
	}

	// migrate copies the ciphertext and the key as they are.
	dst := fileURL(t)
	if code, out, errOut := run(t, "", "state", "migrate", "--app", "net", "--stage", "prod", "--from", url, "--to", dst); code != 0 {
		t.Fatalf("migrate = %d %s %s", code, out, errOut)
	}
	a, _ := openStage(t, url, "net", "prod").Load(context.Background())
	b, _ := openStage(t, dst, "net", "prod").Load(context.Background())
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) || !bytes.Contains(jb, []byte(`"@secret"`)) || bytes.Contains(jb, []byte("hunter2")) {
		t.Fatalf("migrated records differ or hold plain text:\n%s\n%s", ja, jb)
	}
	t.Setenv(secrets.EnvPassphrase, "pass")
	got, err := secrets.NewStore(openStage(t, dst, "net", "prod"), secrets.Credentials{Passphrase: "pass"}).Load(context.Background())
	if err != nil || got[0].Props["SecretString"] != secrets.Mark(cliSecret) {
		t.Fatalf("the migrated copy does not open with the passphrase: %v %v", got, err)
	}
}

func TestStateRekey(t *testing.T) {
	url := fileURL(t)
	sealedStage(t, url)
	base := []string{"--state", url, "--app", "net", "--stage", "prod"}
	args := append([]string{"state", "rekey"}, base...)

	t.Setenv(secrets.EnvPassphrase, "wrong")
	if code, _, errOut := run(t, "", args...); code != 1 || !strings.Contains(errOut, "not the passphrase") {
		t.Errorf("rekey with a wrong passphrase = %d %s", code, errOut)
	}
	t.Setenv(secrets.EnvPassphrase, "pass")
	t.Setenv("ATHANOR_NEW_PASSPHRASE", "new pass")
	code, out, errOut := run(t, "", args...)
	if code != 0 || !strings.Contains(out, "re-encrypted the secrets of 1 records") {
		t.Fatalf("rekey = %d %s %s", code, out, errOut)
	}
	open := func(pass string) ([]state.Record, error) {
		return secrets.NewStore(openStage(t, url, "net", "prod"), secrets.Credentials{Passphrase: pass}).Load(context.Background())
	}
	if _, err := open("pass"); err == nil {
		t.Fatal("the old passphrase still opens the stage")
	}
	recs, err := open("new pass")
	if err != nil || recs[0].Props["SecretString"] != secrets.Mark(cliSecret) {
		t.Fatalf("after rekey: %v %v", recs, err)
	}
	// Without ATHANOR_NEW_*, the data key changes and the passphrase stays.
	t.Setenv(secrets.EnvPassphrase, "new pass")
	t.Setenv("ATHANOR_NEW_PASSPHRASE", "")
	if code, out, errOut := run(t, "", args...); code != 0 || !strings.Contains(out, "same passphrase") {
		t.Fatalf("rekey with the same passphrase = %d %s %s", code, out, errOut)
	}
	if _, err := open("new pass"); err != nil {
		t.Fatal(err)
	}
}

// A renamed record's secrets are encrypted again for its new logical ID,
// to which they are bound.
func TestStateMvKeepsSecretsReadable(t *testing.T) {
	url := fileURL(t)
	sealedStage(t, url)
	base := []string{"--state", url, "--app", "net", "--stage", "prod"}
	if code, out, errOut := run(t, "", append([]string{"state", "mv", "db", "database"}, base...)...); code != 0 {
		t.Fatalf("mv = %d %s %s", code, out, errOut)
	}
	recs, err := secrets.NewStore(openStage(t, url, "net", "prod"), secrets.Credentials{Passphrase: "pass"}).Load(context.Background())
	if err != nil || len(recs) != 1 || recs[0].LogicalID != "database" || recs[0].Props["SecretString"] != secrets.Mark(cliSecret) {
		t.Fatalf("after mv: %v %v", recs, err)
	}
}

// rekey --rewrap changes the passphrase and re-encrypts nothing: every
// record but the key record is left byte for byte, under the same data key.
func TestStateRekeyRewrap(t *testing.T) {
	url := fileURL(t)
	sealedStage(t, url)
	args := []string{"state", "rekey", "--rewrap", "--state", url, "--app", "net", "--stage", "prod"}
	raw := func() ([]byte, string) {
		recs, err := openStage(t, url, "net", "prod").Load(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var ring map[string]any
		for _, r := range recs {
			if r.LogicalID == secrets.KeyRecordID {
				ring = r.Props
			}
		}
		b, _ := json.Marshal(withoutKeyRecord(recs))
		current, _ := ring["current"].(string)
		return b, current
	}
	before, kid := raw()

	t.Setenv(secrets.EnvPassphrase, "pass")
	if code, _, errOut := run(t, "", args...); code != 2 || !strings.Contains(errOut, "ATHANOR_NEW_PASSPHRASE") {
		t.Fatalf("--rewrap without a new key = %d %s", code, errOut)
	}
	t.Setenv("ATHANOR_NEW_PASSPHRASE", "rewrapped")
	code, out, errOut := run(t, "", args...)
	if code != 0 || !strings.Contains(out, "rewrapped 1 data keys") {
		t.Fatalf("rekey --rewrap = %d %s %s", code, out, errOut)
	}
	after, kidAfter := raw()
	if !bytes.Equal(before, after) || kid != kidAfter || kid == "" {
		t.Fatalf("rewrap changed the records or the data key (%s → %s):\n%s\n%s", kid, kidAfter, before, after)
	}
	open := func(pass string) ([]state.Record, error) {
		return secrets.NewStore(openStage(t, url, "net", "prod"), secrets.Credentials{Passphrase: pass}).Load(context.Background())
	}
	if _, err := open("pass"); err == nil {
		t.Fatal("the old passphrase still opens the stage")
	}
	if recs, err := open("rewrapped"); err != nil || recs[0].Props["SecretString"] != secrets.Mark(cliSecret) {
		t.Fatalf("after rewrap: %v %v", recs, err)
	}
}
