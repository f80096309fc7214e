package localcctest

import (
	"path/filepath"
	"testing"
)

// AWSEnv gives the test plain access keys and a region, and no shared
// configuration or credentials files, as a test against a local endpoint
// needs: the SDK's default configuration then reads nothing of the
// machine's (a developer's profile or region cannot change the test).
func AWSEnv(t testing.TB) {
	t.Helper()
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
}
