package secrets

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"
)

func TestMarkSurvivesConcatenation(t *testing.T) {
	pw := "hunter2⟧ with ⟦ brackets"
	url := "postgres://app:" + Mark(pw) + "@db:5432/app"
	if strings.Contains(url, "hunter2") {
		t.Fatalf("plain text in the marked string %q", url)
	}
	if !IsMarked(url) || !Contains(map[string]any{"a": []any{url}}) {
		t.Fatal("a concatenated secret is not recognised")
	}
	if got := RevealString(url); got != "postgres://app:"+pw+"@db:5432/app" {
		t.Fatalf("reveal %q", got)
	}
	if got := RedactString(url); got != Redacted {
		t.Fatalf("redact %q", got)
	}
	if got := RedactText("connect to " + url); got != "connect to postgres://app:(sensitive)@db:5432/app" {
		t.Fatalf("redact text %q", got)
	}
	if Mark(Mark(pw)) != Mark(pw) || Mark("") != "" {
		t.Fatal("Mark is not idempotent")
	}
}

func TestMarkKeepsPlaceholders(t *testing.T) {
	unknown := "⟦known after apply: vpc.VpcId⟧"
	m := Mark("pre-" + unknown + "-post")
	if !strings.Contains(m, unknown) {
		t.Fatalf("placeholder hidden in %q", m)
	}
	if RevealString(m) != "pre-"+unknown+"-post" {
		t.Fatalf("reveal %q", RevealString(m))
	}
	if Mark(unknown) != unknown {
		t.Fatal("a lone placeholder was marked")
	}
}

func TestRevealAndRedactCopyOnlyWhatChanges(t *testing.T) {
	plain := map[string]any{"A": "x", "B": []any{"y", map[string]any{"C": "z"}}}
	if got := Reveal(plain).(map[string]any); reflect.ValueOf(got).Pointer() != reflect.ValueOf(plain).Pointer() {
		t.Fatal("a value without secrets was copied")
	}
	props := map[string]any{"Name": "n", "Tags": []any{map[string]any{"Key": "k", "Value": Mark("v")}}}
	r := RevealProps(props)
	if r["Tags"].([]any)[0].(map[string]any)["Value"] != "v" {
		t.Fatalf("reveal %v", r)
	}
	if props["Tags"].([]any)[0].(map[string]any)["Value"] != Mark("v") {
		t.Fatal("Reveal changed its argument")
	}
	if got := Redact(props).(map[string]any)["Tags"].([]any)[0].(map[string]any)["Value"]; got != Redacted {
		t.Fatalf("redact %v", got)
	}
	set := map[string]bool{}
	Plaintexts(props, set)
	if !reflect.DeepEqual(set, map[string]bool{"v": true}) {
		t.Fatalf("plaintexts %v", set)
	}
}

func TestMarkSchema(t *testing.T) {
	props := map[string]any{"Name": "db-secret", "SecretString": "hunter2"}
	got := MarkSchema("AWS::SecretsManager::Secret", props)
	if got["SecretString"] != Mark("hunter2") || got["Name"] != "db-secret" {
		t.Fatalf("marked %v", got)
	}
	if props["SecretString"] != "hunter2" {
		t.Fatal("MarkSchema changed its argument")
	}
	// Under a list: every element.
	lr := map[string]any{"Actions": []any{
		map[string]any{"Type": "authenticate-oidc", "AuthenticateOidcConfig": map[string]any{"ClientId": "id", "ClientSecret": "s1"}},
		map[string]any{"Type": "forward"},
	}}
	got = MarkSchema("AWS::ElasticLoadBalancingV2::ListenerRule", lr)
	cfg := got["Actions"].([]any)[0].(map[string]any)["AuthenticateOidcConfig"].(map[string]any)
	if cfg["ClientSecret"] != Mark("s1") || cfg["ClientId"] != "id" {
		t.Fatalf("listener rule %v", cfg)
	}
	// A list of secrets.
	u := MarkSchema("AWS::ElastiCache::User", map[string]any{"Passwords": []any{"p1", "p2"}})
	if !reflect.DeepEqual(u["Passwords"], []any{Mark("p1"), Mark("p2")}) {
		t.Fatalf("passwords %v", u["Passwords"])
	}
	// Harmless write-only properties stay as they are.
	db := MarkSchema("AWS::RDS::DBInstance", map[string]any{"MasterUserPassword": "pw", "ApplyImmediately": true, "DeleteAutomatedBackups": true, "MasterUsername": "admin"})
	if db["MasterUserPassword"] != Mark("pw") || db["ApplyImmediately"] != true || db["MasterUsername"] != "admin" {
		t.Fatalf("db instance %v", db)
	}
	for _, p := range SchemaPaths("AWS::RDS::DBInstance") {
		if strings.Contains(p, "ApplyImmediately") || strings.Contains(p, "KmsKey") {
			t.Fatalf("harmless property %s listed as secret", p)
		}
	}
	if len(SchemaPaths("AWS::Cognito::UserPoolClient")) == 0 {
		t.Fatal("the read-only ClientSecret of a user pool client is not listed")
	}
}

func TestMarkKnown(t *testing.T) {
	plains := map[string]bool{"topsecret": true, "ab": true}
	out := MarkKnown(map[string]any{
		"Value":  "topsecret",
		"Arn":    "arn:aws:ssm:us-east-1:1:parameter/topsecret-name",
		"Short":  "ab",
		"Other":  "a cab ride",
		"Marked": Mark("topsecret"),
	}, plains).(map[string]any)
	want := map[string]any{
		"Value":  Mark("topsecret"),
		"Arn":    "arn:aws:ssm:us-east-1:1:parameter/" + Mark("topsecret") + "-name",
		"Short":  Mark("ab"),
		"Other":  "a cab ride", // too short to mark inside other text
		"Marked": Mark("topsecret"),
	}
	if !reflect.DeepEqual(out, want) {
		t.Fatalf("got %v\nwant %v", out, want)
	}
}

func TestScrubber(t *testing.T) {
	s := NewScrubber(map[string]bool{"hunter2": true, "hunter": true, "": true})
	err := fmt.Errorf("create: %w", errors.New(`Properties validation failed: "hunter2" does not match pattern; also hunter`))
	got := s.Error(err)
	if strings.Contains(got.Error(), "hunter") || !strings.Contains(got.Error(), `"(sensitive)" does not match`) {
		t.Fatalf("scrubbed %q", got)
	}
	if !errors.Is(got, err) || !IsScrubbed(got) {
		t.Fatal("the scrubbed error does not wrap the original")
	}
	clean := errors.New("nothing to hide")
	if s.Error(clean) != clean {
		t.Fatal("an error without secrets was wrapped")
	}
	if got := s.String("x " + Mark("other") + " y"); got != "x (sensitive) y" {
		t.Fatalf("marked text %q", got)
	}
}

// leaks returns the forms of plain that printed text must not hold: the
// value and its base64 and hex encodings.
func leaks(plain string) []string {
	b := []byte(plain)
	return []string{plain, base64.StdEncoding.EncodeToString(b), base64.RawStdEncoding.EncodeToString(b),
		base64.URLEncoding.EncodeToString(b), base64.RawURLEncoding.EncodeToString(b), hex.EncodeToString(b)}
}

// A marked string printed by the program, alone, inside other text or
// inside a struct, shows nothing of the secret; this process still reads
// it.
func TestPrintedMarkRevealsNothing(t *testing.T) {
	pw := "correct horse battery staple"
	url := "postgres://app:" + Mark(pw) + "@db/app"
	props := struct {
		Name, URL string
		Tags      map[string]any
	}{"db", url, map[string]any{"token": Mark(pw)}}
	var printed bytes.Buffer
	for _, verb := range []string{"%v", "%+v", "%s", "%q", "%#v", "%x"} {
		fmt.Fprintf(&printed, verb+"\n", url)
		fmt.Fprintf(&printed, verb+"\n", props)
	}
	fmt.Fprintln(&printed, props, &props)
	slog.New(slog.NewTextHandler(&printed, nil)).Info("connect", "url", url, "props", props)
	slog.New(slog.NewJSONHandler(&printed, nil)).Info("connect", "url", url, "props", props)
	for _, l := range leaks(pw) {
		if bytes.Contains(printed.Bytes(), []byte(l)) {
			t.Fatalf("printed text holds %q:\n%s", l, printed.String())
		}
	}
	if !strings.Contains(printed.String(), markOpen) {
		t.Fatalf("the mark is not printed:\n%s", printed.String())
	}
	if RevealString(url) != "postgres://app:"+pw+"@db/app" || Mark(pw) != Mark(pw) || Mark(pw) == Mark(pw+"!") {
		t.Fatal("marks do not open, or equal values do not get equal marks")
	}
	// The token tells the length only to within 32 bytes.
	if len(Mark("a")) != len(Mark(strings.Repeat("b", 31))) {
		t.Fatal("the token tells the length of the value")
	}
	// A token cut short is text, not a secret.
	cut := Mark(pw)[:len(Mark(pw))-10] + markClose
	if RevealString(cut) != cut {
		t.Fatalf("a damaged token opened: %q", RevealString(cut))
	}
}

// At rest a value is in the stored form, which any process reads back
// into its own tokens.
func TestStoredFormRoundTrips(t *testing.T) {
	unknown := "⟦known after apply: vpc.VpcId⟧"
	v := "a-" + Mark("s3cret") + "-" + unknown + Mark("two")
	st := toStored(v)
	if strings.Contains(st, markOpen) || strings.Contains(st, "s3cret") || !strings.Contains(st, storedOpen) || !strings.Contains(st, unknown) {
		t.Fatalf("stored form %q", st)
	}
	if fromStored(st) != v {
		t.Fatalf("round trip %q, want %q", fromStored(st), v)
	}
	// What earlier versions kept in memory, and so in state, opens too.
	if fromStored(storedOpen+"aHVudGVyMg"+markClose) != Mark("hunter2") {
		t.Fatal("a stored mark does not open as a token")
	}
}
