package localcc_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/athanor-iac/athanor/localcc"
)

// A file without a "resources" list (a props file, a misspelt key) is
// refused instead of loading nothing.
func TestLoadFixturesWithoutResources(t *testing.T) {
	for _, body := range []string{
		`{"ResourceType": "VPC", "ResourceId": "vpc-12345678"}`,
		`{"resource": [{"type": "AWS::EC2::VPC", "properties": {"VpcId": "vpc-1"}}]}`,
	} {
		path := filepath.Join(t.TempDir(), "fx.json")
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := localcc.LoadFixtures(path)
		if err == nil || !strings.Contains(err.Error(), `no "resources" list`) {
			t.Errorf("%s: err = %v", body, err)
		}
	}
	path := filepath.Join(t.TempDir(), "empty.json")
	if err := os.WriteFile(path, []byte(`{"resources": []}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if fx, err := localcc.LoadFixtures(path); err != nil || len(fx) != 0 {
		t.Errorf("empty list: %v, %v", fx, err)
	}
}
