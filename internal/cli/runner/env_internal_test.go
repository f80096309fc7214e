package runner

import (
	"path/filepath"
	"testing"
)

// localAWSEnv gives the test plain keys and a region, and no shared
// configuration files, as the local endpoint's tests need: the SDK's
// default configuration then reads nothing of the machine's.
func localAWSEnv(t *testing.T) {
	t.Helper()
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
}
