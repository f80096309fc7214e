package secrets

import (
	"errors"
	"fmt"
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
