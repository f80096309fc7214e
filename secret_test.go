package athanor_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/athanor-iac/athanor"
	"github.com/athanor-iac/athanor/internal/cli"
	"github.com/athanor-iac/athanor/internal/secrets"
	"github.com/athanor-iac/athanor/localcc"
	"github.com/athanor-iac/athanor/state"
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

// A resumed update of a readable secret (the run that sent it died before
// hearing back) reads the resource and takes what AWS reports as applied:
// the secret AWS echoes must count as the declared, marked value, or it
// would be written to state in plain text and updated a second time.
func TestResumedUpdateKeepsSecretMarked(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	t.Setenv("ATHANOR_PASSPHRASE", "p")
	prog := func(v string) func(*athanor.App) error {
		return parameter("token", map[string]any{"Name": "token", "Type": "String", "Value": "Bearer " + athanor.Secret(v)})
	}
	if code, out := e.run(prog("new-token-value")); code != 0 {
		t.Fatalf("up: %d\n%s", code, out)
	}
	// What a run killed right after sending the update leaves: the old
	// value as applied, and an update intent without its request token.
	ctx := context.Background()
	inner, err := state.Open(ctx, e.state, "flowlogs", "test")
	if err != nil {
		t.Fatal(err)
	}
	store := secrets.NewStore(inner, secrets.Credentials{Passphrase: "p"})
	recs, err := store.Load(ctx)
	if err != nil || len(recs) != 1 {
		t.Fatalf("load: %v %v", recs, err)
	}
	rec := recs[0]
	rec.Props = map[string]any{"Name": "token", "Type": "String", "Value": "Bearer " + athanor.Secret("old-token-value")}
	rec.Pending = &state.Intent{Operation: state.OpUpdate, Identifier: rec.Identifier, ClientToken: "resumed-update", StartedAt: time.Now().UTC()}
	if err := store.Put(ctx, rec); err != nil {
		t.Fatal(err)
	}
	e.srv.ResetMetrics()
	code, out := e.run(prog("new-token-value"), "--verbose")
	if code != 0 || !strings.Contains(out, "finishing an operation") {
		t.Fatalf("resume: %d\n%s", code, out)
	}
	if n := e.srv.Metrics().Calls["UpdateResource"]; n != 0 {
		t.Fatalf("%d updates after the resumed one had taken\n%s", n, out)
	}
	raw, err := inner.Load(ctx)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(raw)
	if strings.Contains(string(b), "new-token-value") || !strings.Contains(string(b), `"@secret"`) {
		t.Fatalf("state after the resumed update:\n%s", b)
	}
}

// A secret AWS makes (a user pool client's read-only ClientSecret) is
// marked in what the program gets back and encrypted in state, and needs
// a key before anything is sent, like a declared one.
func TestSecretAWSReturns(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	t.Setenv("ATHANOR_PASSPHRASE", "")
	var got *athanor.Resource
	prog := func(app *athanor.App) error {
		r, err := app.Resource("AWS::Cognito::UserPoolClient", "client", map[string]any{"UserPoolId": "us-east-1_abcdefghi", "ClientName": "web", "GenerateSecret": true})
		got = r
		return err
	}
	code, out := e.run(prog, "up", "--yes")
	if code != 1 || !strings.Contains(out, "AWS returns a secret for this type (/ClientSecret), but no key is configured") {
		t.Fatalf("without a key: exit %d\n%s", code, out)
	}
	if n := e.srv.Metrics().Calls["CreateResource"]; n != 0 {
		t.Fatalf("%d creates without a key", n)
	}
	t.Setenv("ATHANOR_PASSPHRASE", "p")
	if code, out := e.run(prog, "up", "--yes"); code != 0 {
		t.Fatalf("up: %d\n%s", code, out)
	}
	secret, _ := got.Properties["ClientSecret"].(string)
	if !athanor.IsSecret(secret) || athanor.RevealSecret(secret) == "" {
		t.Fatalf("ClientSecret returned as %q", secret)
	}
	inner, err := state.Open(context.Background(), e.state, "flowlogs", "test")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := inner.Load(context.Background())
	b, _ := json.Marshal(raw)
	if strings.Contains(string(b), athanor.RevealSecret(secret)) || !strings.Contains(string(b), `"@secret"`) {
		t.Fatalf("state:\n%s", b)
	}
}

// athanor import of a resource whose reads return a secret stores it
// encrypted and prints it as (sensitive).
func TestImportKeepsSecret(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	t.Setenv("ATHANOR_PASSPHRASE", "p")
	id := e.createDirectly("AWS::Cognito::UserPoolClient", map[string]any{"UserPoolId": "us-east-1_abcdefghi", "ClientName": "web", "GenerateSecret": true}, "")
	live := e.srv.Resources("AWS::Cognito::UserPoolClient")
	secret, _ := live[0].Properties["ClientSecret"].(string)
	if secret == "" {
		t.Fatalf("the endpoint made no ClientSecret: %v", live)
	}
	var out, errOut bytes.Buffer
	code := cli.Execute(context.Background(), []string{"import", "AWS::Cognito::UserPoolClient", id, "--as", "client", "--json",
		"--endpoint", e.srv.URL(), "--state", e.state, "--stage", "test", "--app", "flowlogs"}, nil, &out, &errOut)
	if code != 0 || strings.Contains(out.String()+errOut.String(), secret) || !strings.Contains(out.String(), `"ClientSecret": "(sensitive)"`) {
		t.Fatalf("import: exit %d\n%s%s", code, out.String(), errOut.String())
	}
	inner, err := state.Open(context.Background(), e.state, "flowlogs", "test")
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := inner.Load(context.Background())
	b, _ := json.Marshal(raw)
	if strings.Contains(string(b), secret) || !strings.Contains(string(b), `"@secret"`) {
		t.Fatalf("state after import:\n%s", b)
	}
}

// A secret and a value known only after apply in one string: the plan
// keeps both (the property is unknown, the dependency recorded), and AWS
// gets the secret with the value filled in.
func TestSecretBesideUnknownValue(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	t.Setenv("ATHANOR_PASSPHRASE", "p")
	prog := func(app *athanor.App) error {
		lg, err := app.Resource("AWS::Logs::LogGroup", "logs", map[string]any{"LogGroupName": "app-logs"})
		if err != nil {
			return err
		}
		_, err = app.Resource("AWS::SSM::Parameter", "token", map[string]any{"Name": "token", "Type": "String",
			"Value": athanor.Secret("tok-value") + "@" + lg.String("Arn")})
		return err
	}
	code, out := e.run(prog, "plan")
	if code != 0 || !strings.Contains(out, "Value: (known after apply)") || strings.Contains(out, "tok-value") {
		t.Fatalf("plan: exit %d\n%s", code, out)
	}
	if code, out := e.run(prog, "up", "--yes"); code != 0 || strings.Contains(out, "tok-value") {
		t.Fatalf("up: exit %d\n%s", code, out)
	}
	got := e.srv.Resources("AWS::SSM::Parameter")
	if len(got) != 1 || got[0].Properties["Value"] != "tok-value@arn:aws:logs:us-east-1:123456789012:log-group:app-logs:*" {
		t.Fatalf("the endpoint holds %v", got)
	}
}

// leaks are the forms of a secret no byte written may hold: the value and
// its base64 and hex encodings.
func leaks(v string) []string {
	b := []byte(v)
	return []string{v, base64.StdEncoding.EncodeToString(b), base64.RawStdEncoding.EncodeToString(b),
		base64.URLEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b), hex.EncodeToString(b)}
}

// A secret stage output needs a key, is stored encrypted, printed as
// (sensitive), shown by state outputs only when asked with the key, and
// read by another program still marked.
func TestSecretOutputs(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	const pw = "out-s3cret-value"
	prog := func(app *athanor.App) error {
		app.Output("password", athanor.Secret(pw))
		app.Output("db", map[string]any{"url": "pg://app:" + athanor.Secret(pw) + "@db", "port": 5432})
		app.Output("region", "us-east-1")
		return nil
	}
	t.Setenv("ATHANOR_PASSPHRASE", "")
	for _, cmd := range []string{"plan", "up"} {
		code, out := e.run(prog, cmd)
		if code != 1 || !strings.Contains(out, `output "password" holds a secret, but no key is configured`) || !strings.Contains(out, "ATHANOR_PASSPHRASE") || strings.Contains(out, pw) {
			t.Fatalf("%s of a secret output without a key: exit %d\n%s", cmd, code, out)
		}
	}
	t.Setenv("ATHANOR_PASSPHRASE", "p")
	code, out := e.run(prog, "up")
	if code != 0 || !strings.Contains(out, "password = (sensitive)") || !strings.Contains(out, `db = {"port":5432,"url":"(sensitive)"}`) {
		t.Fatalf("up: exit %d\n%s", code, out)
	}
	written := out
	state := func(args ...string) (int, string, string) {
		var o, eo bytes.Buffer
		code := cli.Execute(context.Background(), append([]string{"state", "outputs", "--state", e.state, "--app", "flowlogs", "--stage", "test"}, args...), strings.NewReader(""), &o, &eo)
		written += o.String() + eo.String()
		return code, o.String(), eo.String()
	}
	code, shown, _ := state()
	if code != 0 || !strings.Contains(shown, "password  (sensitive)") || !strings.Contains(shown, "region    us-east-1") {
		t.Fatalf("state outputs: %d\n%s", code, shown)
	}
	code, shown, _ = state("--json")
	var doc cli.StateOutputs
	if code != 0 || json.Unmarshal([]byte(shown), &doc) != nil || doc.Outputs["password"] != "(sensitive)" {
		t.Fatalf("state outputs --json: %d\n%s", code, shown)
	}
	for _, b := range [][]byte{treeBytes(t, e.state), []byte(written)} {
		for _, leak := range leaks(pw) {
			if bytes.Contains(b, []byte(leak)) {
				t.Fatalf("%q written:\n%s", leak, b)
			}
		}
	}
	code, shown, _ = state("--show-secrets", "--json")
	if code != 0 || json.Unmarshal([]byte(shown), &doc) != nil || doc.Outputs["password"] != pw || doc.Outputs["db"].(map[string]any)["url"] != "pg://app:"+pw+"@db" {
		t.Fatalf("state outputs --show-secrets --json: %d\n%s", code, shown)
	}

	got, err := athanor.ReadOutputs(context.Background(), e.state, "flowlogs", "test")
	if err != nil || !athanor.IsSecret(got["password"].(string)) || athanor.RevealSecret(got["password"].(string)) != pw || got["region"] != "us-east-1" {
		t.Fatalf("outputs %v, %v", got, err)
	}
	t.Setenv("ATHANOR_PASSPHRASE", "")
	if _, err := athanor.ReadOutputs(context.Background(), e.state, "flowlogs", "test"); err == nil || !strings.Contains(err.Error(), "ATHANOR_PASSPHRASE is not set") {
		t.Fatalf("reading secret outputs without the key: %v", err)
	}
	if code, _, errOut := state("--show-secrets"); code != 1 || !strings.Contains(errOut, "ATHANOR_PASSPHRASE is not set") {
		t.Fatalf("state outputs --show-secrets without the key: %d %s", code, errOut)
	}
}

// treeBytes is every byte of the files under dir.
func treeBytes(t *testing.T, dir string) []byte {
	t.Helper()
	var all []byte
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		all = append(all, b...)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// A program that prints a secret, or a resource holding one, with fmt or
// slog, prints neither the value nor an encoding of it.
func TestPrintedSecretRevealsNothing(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	t.Setenv("ATHANOR_PASSPHRASE", "p")
	const pw = "printed-s3cret-value"
	var printed bytes.Buffer
	code, out := e.run(func(app *athanor.App) error {
		v := "token=" + athanor.Secret(pw)
		r, err := app.Resource("AWS::SSM::Parameter", "token", map[string]any{"Name": "token", "Type": "String", "Value": v})
		if err != nil {
			return err
		}
		for _, verb := range []string{"%v", "%+v", "%s", "%q", "%#v"} {
			fmt.Fprintf(&printed, verb+"\n", v)
			fmt.Fprintf(&printed, verb+"\n", r)
		}
		slog.New(slog.NewTextHandler(&printed, nil)).Info("made", "value", v, "resource", r)
		slog.New(slog.NewJSONHandler(&printed, nil)).Info("made", "value", v, "resource", r)
		return nil
	}, "up", "--yes")
	if code != 0 {
		t.Fatalf("up: %d\n%s", code, out)
	}
	for _, leak := range leaks(pw) {
		if strings.Contains(printed.String(), leak) {
			t.Fatalf("printed %q:\n%s", leak, printed.String())
		}
	}
	if !strings.Contains(printed.String(), "Value:(sensitive)") || !strings.Contains(printed.String(), `&athanor.Resource{LogicalID:"token"`) {
		t.Fatalf("the resource does not print as itself with its secret redacted:\n%s", printed.String())
	}
}
