package s3store_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/athanor-iac/athanor/state/s3store"
)

// Without a region, opening says where to give one instead of failing at
// the first request with "Invalid region: region was not a valid DNS name".
func TestOpenWithoutRegion(t *testing.T) {
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", "/nonexistent")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
	t.Setenv("AWS_ACCESS_KEY_ID", "test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "test")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	u, _ := url.Parse("s3://my-bucket/athanor")
	_, err := s3store.Open(context.Background(), u, "app", "dev")
	if err == nil || !strings.Contains(err.Error(), "?region=") {
		t.Fatalf("err = %v", err)
	}
	u, _ = url.Parse("s3://my-bucket/athanor?region=eu-west-1")
	if _, err := s3store.Open(context.Background(), u, "app", "dev"); err != nil {
		t.Fatalf("with ?region=: %v", err)
	}
}
