//go:build unix

package reliability

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	neturl "net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/jackc/pgx/v5"

	"github.com/athanor-iac/athanor/localcc"
	"github.com/athanor-iac/athanor/localcc/localcctest"
	"github.com/athanor-iac/athanor/state/pgstore/pgtest"
	"github.com/athanor-iac/athanor/state/s3store/s3test"
)

var (
	secretAppOnce sync.Once
	secretAppPath string
	secretAppErr  error
)

// secretApp builds the secrets test's program once per test binary.
func secretApp(t *testing.T) string {
	t.Helper()
	secretAppOnce.Do(func() {
		dir := filepath.Join(os.TempDir(), fmt.Sprintf("athanor-secretapp-%d", os.Getpid()))
		if secretAppErr = os.MkdirAll(dir, 0o700); secretAppErr != nil {
			return
		}
		secretAppPath = filepath.Join(dir, "secretapp")
		out, err := exec.Command("go", "build", "-o", secretAppPath, "github.com/athanor-iac/athanor/reliability/internal/secretapp").CombinedOutput()
		if err != nil {
			secretAppErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if secretAppErr != nil {
		t.Fatal(secretAppErr)
	}
	return secretAppPath
}

// stateBackend is where a secrets test keeps its state, and how to read
// back every byte it stored.
type stateBackend struct {
	url     string
	bytes   func(t *testing.T) []byte // every byte the backend holds
	records func(t *testing.T) []byte // the bytes of the records alone
	// unlock breaks the lock a killed run left, as `athanor state unlock`
	// does, for backends that cannot tell that its holder is gone.
	unlock func(t *testing.T)
	// env is what the program needs to reach the backend (credentials).
	env []string
}

func fileBackend(t *testing.T) stateBackend {
	dir := t.TempDir()
	return stateBackend{url: dir, bytes: func(t *testing.T) []byte { return treeBytes(t, dir, "") },
		records: func(t *testing.T) []byte { return treeBytes(t, dir, "resources") }}
}

// s3Backend keeps state in a fresh bucket of the test S3 server (MinIO).
// s3test.Start sets the AWS credentials in the environment, so a test
// using it cannot run in parallel with others.
func s3Backend(t *testing.T) stateBackend {
	srv := s3test.Start(t)
	bucket := srv.Bucket(t)
	client := srv.Client()
	ctx := context.Background()
	keys := func(t *testing.T) []string {
		var out []string
		p := s3.NewListObjectsV2Paginator(client, &s3.ListObjectsV2Input{Bucket: aws.String(bucket)})
		for p.HasMorePages() {
			page, err := p.NextPage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range page.Contents {
				out = append(out, aws.ToString(o.Key))
			}
		}
		return out
	}
	objects := func(t *testing.T, under string) []byte {
		var all []byte
		for _, k := range keys(t) {
			if !strings.Contains(k, under) {
				continue
			}
			o, err := client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(k)})
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(o.Body)
			o.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			all = append(append(all, k...), b...)
		}
		return all
	}
	return stateBackend{
		url:     s3test.URL(srv.Endpoint, bucket, "athanor", 0),
		env:     []string{"AWS_ACCESS_KEY_ID=" + srv.AccessKey, "AWS_SECRET_ACCESS_KEY=" + srv.SecretKey},
		bytes:   func(t *testing.T) []byte { return objects(t, "") },
		records: func(t *testing.T) []byte { return objects(t, "/resources/") },
		unlock: func(t *testing.T) {
			for _, k := range keys(t) {
				if strings.HasSuffix(k, "/lock.json") {
					if _, err := client.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(bucket), Key: aws.String(k)}); err != nil {
						t.Fatal(err)
					}
				}
			}
		},
	}
}

func pgBackend(t *testing.T) stateBackend {
	url := pgSchema(t, pgtest.URL(t))
	rows := func(t *testing.T, tables ...string) []byte {
		ctx := context.Background()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var all []byte
		for _, table := range tables {
			var exists bool
			if err := conn.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL", table).Scan(&exists); err != nil {
				t.Fatal(err)
			}
			if !exists { // athanor_outputs is made on first use
				continue
			}
			rows, err := conn.Query(ctx, "SELECT t::text FROM "+table+" t ORDER BY t::text")
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var s string
				if err := rows.Scan(&s); err != nil {
					t.Fatal(err)
				}
				all = append(append(all, s...), '\n')
			}
			rows.Close()
		}
		return all
	}
	return stateBackend{
		url: url,
		bytes: func(t *testing.T) []byte {
			return rows(t, "athanor_records", "athanor_stages", "athanor_locks", "athanor_outputs")
		},
		records: func(t *testing.T) []byte { return rows(t, "athanor_records") },
	}
}

// pgSchema returns base with a fresh schema of its own first in the
// search path, dropped when the test ends: other packages' tests write to
// the same database at the same time, and what this test reads back
// (every byte, and the records before and after a run) must be its own.
func pgSchema(t *testing.T, base string) string {
	t.Helper()
	u, err := neturl.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	var b [6]byte
	rand.Read(b[:])
	schema := "secrets_" + hex.EncodeToString(b[:])
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if conn, err := pgx.Connect(ctx, base); err == nil {
			conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
			conn.Close(ctx)
		}
	})
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// treeBytes returns the names and contents of the files under dir (only
// those in a directory named under, when given).
func treeBytes(t *testing.T, dir, under string) []byte {
	t.Helper()
	var all []byte
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() || under != "" && filepath.Base(filepath.Dir(p)) != under {
			return err
		}
		b, err := os.ReadFile(p)
		all = append(append(all, p...), b...)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// secretRun is one run of the secrets program.
type secretRun struct {
	code   int
	out    string
	killed bool
}

type secretBench struct {
	t        *testing.T
	bin      string
	srv      *localcc.Server
	data     string
	hook     *localcctest.Calls
	backend  stateBackend
	stage    string
	key      []string // the environment that configures the key
	written  bytes.Buffer
	baseline []string
}

// run runs the program; with killAt set, it is killed right after the
// endpoint carried out the first call of that operation, before the
// program hears of it.
func (b *secretBench) run(killAt string, env []string, args ...string) secretRun {
	b.t.Helper()
	if args[0] == "up" || args[0] == "destroy" {
		args = append(args, "--yes") // no terminal: up and destroy need it
	}
	args = append(args, "--endpoint", b.srv.URL(), "--state", b.backend.url, "--stage", b.stage)
	cmd := exec.Command(b.bin, args...)
	cmd.Env = append(append(append(append(os.Environ(), b.baseline...), b.backend.env...), b.key...), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		b.t.Fatal(err)
	}
	if killAt != "" {
		var once sync.Once
		f := func(op string) {
			if op == killAt {
				once.Do(func() { cmd.Process.Signal(syscall.SIGKILL) })
			}
		}
		b.hook.OnEach(f)
		defer b.hook.OnEach(nil)
	}
	cmd.Wait()
	// Everything the run wrote: its output and the state as it left it
	// (a later run may overwrite what this one stored).
	b.written.Write(stdout.Bytes())
	b.written.Write(stderr.Bytes())
	b.written.Write(b.backend.bytes(b.t))
	r := secretRun{code: cmd.ProcessState.ExitCode(), out: stdout.String() + stderr.String()}
	if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		r.killed = true
	}
	return r
}

func (b *secretBench) mustRun(env []string, args ...string) string {
	b.t.Helper()
	r := b.run("", env, args...)
	if r.code != 0 {
		b.t.Fatalf("%v exited %d:\n%s", args, r.code, r.out)
	}
	return r.out
}

// received returns property prop of the resource named name as the
// endpoint stores it, write-only values included: the value it received.
func (b *secretBench) received(name, prop string) any {
	b.t.Helper()
	if err := b.srv.Save(); err != nil {
		b.t.Fatal(err)
	}
	data, err := os.ReadFile(b.data)
	if err != nil {
		b.t.Fatal(err)
	}
	var saved struct {
		Resources []struct {
			Model map[string]any `json:"model"`
		} `json:"resources"`
	}
	if err := json.Unmarshal(data, &saved); err != nil {
		b.t.Fatal(err)
	}
	for _, r := range saved.Resources {
		if r.Model["Name"] == name {
			return r.Model[prop]
		}
	}
	return nil
}

// TestSecretsNeverInPlainText declares secrets both ways (a write-only
// SecretString the schema makes secret, and athanor.Secret inside an SSM
// parameter's Value), runs plan, up --verbose, a change of the secret,
// refresh, a SIGKILL right after a create took effect and the recovery,
// and destroy, against each state backend, then searches every byte the
// runs wrote (state, stdout, stderr, plan JSON) for the secrets: none may
// be there, while the endpoint received every one.
//
// The S3 case runs first and alone: the test S3 server's credentials are
// set in the environment. The others then run in parallel.
func TestSecretsNeverInPlainText(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	idFile := filepath.Join(t.TempDir(), "age-key.txt")
	if err := os.WriteFile(idFile, []byte(id.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	backends := []struct {
		name string
		open func(t *testing.T) stateBackend
		key  []string
	}{
		{"s3", s3Backend, []string{"ATHANOR_AGE_IDENTITY_FILE=" + idFile}},
		{"file", fileBackend, []string{"ATHANOR_PASSPHRASE=correct horse battery staple"}},
		{"postgres", pgBackend, []string{"ATHANOR_AGE_RECIPIENTS=" + id.Recipient().String(), "ATHANOR_AGE_IDENTITY_FILE=" + idFile}},
	}
	for _, bk := range backends {
		t.Run(bk.name, func(t *testing.T) {
			if bk.name != "s3" {
				t.Parallel()
			}
			secretsLifecycle(t, bk.open(t), bk.key)
		})
	}
}

// encryptedOutput finds the apiToken output stored as an envelope, its
// quotes doubled or not (PostgreSQL's text form of a row doubles them).
var encryptedOutput = regexp.MustCompile(`apiToken"+: \{\s*"+@secret`)

func secretsLifecycle(t *testing.T, backend stateBackend, key []string) {
	hook := &localcctest.Calls{}
	data := filepath.Join(t.TempDir(), "endpoint.json")
	srv, err := localcc.Start(localcc.Options{Logger: slog.New(hook), DataFile: data, Seed: seed(t),
		Latency: map[string]localcc.Range{"*": {Min: 20 * time.Millisecond, Max: 50 * time.Millisecond}}}, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	none := filepath.Join(t.TempDir(), "none")
	b := &secretBench{t: t, bin: secretApp(t), srv: srv, data: data, hook: hook, backend: backend, key: key,
		stage: fmt.Sprintf("secrets-%d", time.Now().UnixNano()),
		baseline: []string{"AWS_ACCESS_KEY_ID=AKIDSECRETS", "AWS_SECRET_ACCESS_KEY=secret", "AWS_REGION=us-east-1",
			"AWS_CONFIG_FILE=" + none, "AWS_SHARED_CREDENTIALS_FILE=" + none, "AWS_EC2_METADATA_DISABLED=true", "NO_COLOR=1",
			"ATHANOR_PASSPHRASE=", "ATHANOR_AGE_RECIPIENTS=", "ATHANOR_AGE_IDENTITY_FILE="}}
	const (
		pw1    = "pw-one-Zx81kQ-do-not-leak"
		pw2    = "pw-two-Mv42rT-do-not-leak"
		pw3    = "pw-three-Jq77sW-do-not-leak"
		token  = "tok-Hh39pL-do-not-leak"
		token2 = "tok-Rr55nB-do-not-leak"
	)
	v1 := []string{"DB_PASSWORD=" + pw1, "API_TOKEN=" + token}
	v2 := []string{"DB_PASSWORD=" + pw2, "API_TOKEN=" + token}

	// Without a key nothing is sent, and the message says what to set.
	saved := b.key
	b.key = nil
	r := b.run("", v1, "up")
	if r.code == 0 || !strings.Contains(r.out, "ATHANOR_PASSPHRASE") || !strings.Contains(r.out, "nothing was changed") {
		t.Fatalf("up without a key: exit %d\n%s", r.code, r.out)
	}
	if got := srv.Metrics().TotalCalls; got != 0 {
		t.Fatalf("%d API calls without a key", got)
	}
	b.key = saved

	out := b.mustRun(v1, "plan")
	if !strings.Contains(out, "SecretString: (sensitive)") || !strings.Contains(out, "Value: (sensitive)") {
		t.Fatalf("plan does not show the secrets as (sensitive):\n%s", out)
	}
	b.mustRun(v1, "plan", "--json")
	out = b.mustRun(v1, "up", "--verbose")
	if !strings.Contains(out, "api CreateResource AWS::SecretsManager::Secret") || !strings.Contains(out, "declared (sensitive)") ||
		!strings.Contains(out, "apiToken = (sensitive)") || !strings.Contains(out, "printed by the program: ⟦secret:") {
		t.Fatalf("up --verbose:\n%s", out)
	}
	if got, tok := b.received("app-db-password", "SecretString"), b.received("app-api-token", "Value"); got != pw1 || tok != "Bearer "+token {
		t.Fatalf("the endpoint received %v and %v", got, tok)
	}
	out = b.mustRun(v1, "plan", "--detailed-exitcode")
	if !strings.Contains(out, "No changes") {
		t.Fatalf("plan after up is not empty:\n%s", out)
	}

	// A change of the secret is found by comparing, and shown without it.
	r = b.run("", v2, "plan", "--detailed-exitcode")
	if r.code != 2 || !strings.Contains(r.out, "SecretString: (sensitive value changed)") {
		t.Fatalf("plan of a changed secret: exit %d\n%s", r.code, r.out)
	}
	b.mustRun(v2, "plan", "--json")
	b.mustRun(v2, "up", "--verbose")
	if got := b.received("app-db-password", "SecretString"); got != pw2 {
		t.Fatalf("the endpoint holds %v after the change", got)
	}

	// Refresh reads the parameter's Value back: no drift, nothing shown.
	out = b.mustRun(v2, "refresh", "--verbose")
	if !strings.Contains(out, "No drift") {
		t.Fatalf("refresh:\n%s", out)
	}
	b.mustRun(v2, "refresh", "--json")

	// Killed right after the endpoint updated the parameter's marked
	// Value: the next run reads it back and takes it as applied.
	vt := []string{"DB_PASSWORD=" + pw2, "API_TOKEN=" + token2}
	if r := b.run("UpdateResource", vt, "up", "--verbose"); !r.killed {
		t.Fatalf("the update was not killed:\n%s", r.out)
	}
	if backend.unlock != nil {
		backend.unlock(t)
	}
	b.mustRun(vt, "up", "--verbose")
	if got := b.received("app-api-token", "Value"); got != "Bearer "+token2 {
		t.Fatalf("the endpoint holds %v after the resumed update", got)
	}
	v2 = vt

	// A wrong key is refused and changes nothing (the run takes the lock
	// before it reads state, which the stage's lock records show).
	before := backend.records(t)
	b.key = []string{"ATHANOR_PASSPHRASE=wrong"}
	if strings.Contains(strings.Join(saved, " "), "AGE") {
		other, _ := age.GenerateX25519Identity()
		f := filepath.Join(t.TempDir(), "other.txt")
		os.WriteFile(f, []byte(other.String()+"\n"), 0o600)
		b.key = []string{"ATHANOR_AGE_IDENTITY_FILE=" + f}
	}
	r = b.run("", v2, "up")
	if r.code == 0 || !strings.Contains(r.out, "nothing was changed") {
		t.Fatalf("up with a wrong key: exit %d\n%s", r.code, r.out)
	}
	b.key = saved
	if after := backend.records(t); !bytes.Equal(before, after) {
		t.Fatalf("a run with a wrong key changed the state:\nbefore: %s\nafter:  %s", before, after)
	}

	// Killed right after the endpoint created the extra secret: the next
	// run resends the create from state (decrypted) and adopts its result.
	v3 := append(v2, "EXTRA_PASSWORD="+pw3)
	if r := b.run("CreateResource", v3, "up", "--verbose"); !r.killed {
		t.Fatalf("the run was not killed:\n%s", r.out)
	}
	if backend.unlock != nil {
		backend.unlock(t)
	}
	out = b.mustRun(v3, "up", "--verbose")
	if !strings.Contains(out, "finishing an operation an earlier run left in flight") {
		t.Fatalf("the rerun did not recover the create:\n%s", out)
	}
	extras := 0
	for _, res := range srv.Resources("AWS::SecretsManager::Secret") {
		if res.Properties["Name"] == "app-extra-password" {
			extras++
		}
	}
	if got := b.received("app-extra-password", "SecretString"); extras != 1 || got != pw3 {
		t.Fatalf("%d extra secrets after recovery, holding %v", extras, got)
	}
	b.mustRun(v3, "plan", "--detailed-exitcode")

	stored := backend.bytes(t)
	if !bytes.Contains(stored, []byte(`"@secret"`)) || !encryptedOutput.Match(stored) {
		t.Fatalf("no encrypted value in state, or an output not encrypted: the search below proves nothing\n%s", stored)
	}
	b.mustRun(v3, "destroy", "--verbose")
	if n := len(srv.Resources("AWS::SecretsManager::Secret")) + len(srv.Resources("AWS::SSM::Parameter")); n != 0 {
		t.Fatalf("%d resources left after destroy", n)
	}

	written := b.written.Bytes()
	for _, s := range []string{pw1, pw2, pw3, token, token2} {
		for _, form := range []string{s, base64.RawURLEncoding.EncodeToString([]byte(s)), base64.StdEncoding.EncodeToString([]byte(s)), hex.EncodeToString([]byte(s))} {
			if i := bytes.Index(written, []byte(form)); i >= 0 {
				lo, hi := max(0, i-200), min(len(written), i+200)
				t.Errorf("%q written in plain text (as %q):\n...%s...", s, form, written[lo:hi])
			}
		}
	}
}
