package s3store_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/athanor-iac/athanor/state"
	"github.com/athanor-iac/athanor/state/s3store/s3test"
	"github.com/athanor-iac/athanor/state/statetest"
)

// TestStoreErrors provokes each way a bucket can be unusable and checks the
// error at the first request, which a run makes (Lock, or Load for a plan)
// before it touches any resource.
func TestStoreErrors(t *testing.T) {
	srv := s3test.Start(t)
	ctx := context.Background()
	bucket := srv.Bucket(t)
	lock := func(url string) error {
		s, err := state.Open(ctx, url, app, "dev")
		if err != nil {
			return err
		}
		defer s.Close()
		u, err := s.Lock(ctx, state.NewLockInfo("up", "test"))
		if err == nil {
			u.Unlock()
		}
		return err
	}
	load := func(url string) error {
		s, err := state.Open(ctx, url, app, "dev")
		if err != nil {
			return err
		}
		defer s.Close()
		_, err = s.Load(ctx)
		return err
	}

	t.Run("BucketMissing", func(t *testing.T) {
		url := s3test.URL(srv.Endpoint, "athanor-no-such-bucket", "p", 0)
		statetest.WantStoreError(t, "Lock", lock(url), "bucket athanor-no-such-bucket does not exist", "create it, or correct the bucket")
		statetest.WantStoreError(t, "Load", load(url), "bucket athanor-no-such-bucket does not exist")
	})
	t.Run("AccessDenied", func(t *testing.T) {
		proxy := srv.Proxy(t)
		proxy.Fail(func(*http.Request) bool { return true }, 403, "AccessDenied")
		url := s3test.URL(proxy.URL, bucket, "p", 0)
		statetest.WantStoreError(t, "Lock", lock(url), "access denied to s3://"+bucket+"/p/shop/dev/", "s3:ListBucket", "s3:PutObject")
		statetest.WantStoreError(t, "Load", load(url), "access denied")
	})
	t.Run("WrongSecretKey", func(t *testing.T) {
		t.Setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
		statetest.WantStoreError(t, "Lock", lock(s3test.URL(srv.Endpoint, bucket, "p", 0)), "rejected the AWS credentials (SignatureDoesNotMatch)", "AWS_PROFILE")
	})
	t.Run("UnknownAccessKey", func(t *testing.T) {
		t.Setenv("AWS_ACCESS_KEY_ID", "nobody")
		statetest.WantStoreError(t, "Load", load(s3test.URL(srv.Endpoint, bucket, "p", 0)), "rejected the AWS credentials (InvalidAccessKeyId)")
	})
	t.Run("NoCredentials", func(t *testing.T) {
		t.Setenv("AWS_ACCESS_KEY_ID", "")
		t.Setenv("AWS_SECRET_ACCESS_KEY", "")
		_, err := state.Open(ctx, s3test.URL(srv.Endpoint, bucket, "p", 0), app, "dev")
		statetest.WantStoreError(t, "Open", err, "no AWS credentials", "AWS_PROFILE")
	})
	t.Run("EndpointUnreachable", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		s, err := state.Open(ctx, s3test.URL("http://127.0.0.1:1", bucket, "p", 0), app, "dev")
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.Lock(ctx, state.NewLockInfo("up", "test"))
		statetest.WantStoreError(t, "Lock", err, "cannot connect to 127.0.0.1:1", "check that the endpoint is running")
	})
}
