package state

import "testing"

func TestResolveStageAndURL(t *testing.T) {
	t.Setenv(StageEnv, "")
	t.Setenv(URLEnv, "")
	if got := ResolveStage("prod"); got != "prod" {
		t.Errorf("flag: %q", got)
	}
	if got := ResolveStage(""); got == "" {
		t.Error("no stage from the user name")
	}
	t.Setenv(StageEnv, "ci")
	if got := ResolveStage(""); got != "ci" {
		t.Errorf("$%s: %q", StageEnv, got)
	}
	if got := ResolveURL(""); got != DefaultURL {
		t.Errorf("default URL: %q", got)
	}
	t.Setenv(URLEnv, "s3://bucket/athanor")
	if got := ResolveURL(""); got != "s3://bucket/athanor" {
		t.Errorf("$%s: %q", URLEnv, got)
	}
	if got := ResolveURL("file:///tmp/x"); got != "file:///tmp/x" {
		t.Errorf("flag: %q", got)
	}
}
