// Package s3test finds the S3 server that tests of the S3 state backend run
// against: MinIO, started on loopback by .ci/minio.sh, as package pgtest
// finds PostgreSQL. It also offers a proxy in front of the server that
// counts requests and fails chosen ones, for tests of request costs and of
// errors a healthy server does not make.
package s3test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// The environment variables .ci/minio.sh exports.
const (
	EnvEndpoint  = "ATHANOR_TEST_S3_ENDPOINT"   // http://127.0.0.1:port
	EnvAccessKey = "ATHANOR_TEST_S3_ACCESS_KEY" // MinIO's root user
	EnvSecretKey = "ATHANOR_TEST_S3_SECRET_KEY"
)

// Region is the region the test server answers for (MinIO's default).
const Region = "us-east-1"

// Server is the test S3 server.
type Server struct {
	Endpoint             string
	AccessKey, SecretKey string
}

// Start returns the test server and points the AWS SDK's default
// configuration at its credentials through the environment (t.Setenv, so
// that child processes inherit them and nothing reaches real AWS). Without
// a server, the test fails when CI is set, because a CI run that skipped
// the S3 tests would pass without testing the backend, and is skipped
// otherwise; either way it says how to provide one.
func Start(t testing.TB) *Server {
	t.Helper()
	srv := &Server{Endpoint: os.Getenv(EnvEndpoint), AccessKey: os.Getenv(EnvAccessKey), SecretKey: os.Getenv(EnvSecretKey)}
	if srv.Endpoint == "" || srv.AccessKey == "" || srv.SecretKey == "" {
		msg := EnvEndpoint + ", " + EnvAccessKey + " and " + EnvSecretKey + " are not all set, so the S3 state backend is not tested against a real S3 server. " +
			"Run `bash .ci/run`, which starts MinIO, or `source .ci/minio.sh && athanor_start_minio` in your shell and run the tests from it"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	t.Setenv("AWS_ACCESS_KEY_ID", srv.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", srv.SecretKey)
	t.Setenv("AWS_SESSION_TOKEN", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_REGION", Region)
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_CONFIG_FILE", os.DevNull)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", os.DevNull)
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_ENDPOINT_URL_S3", "")
	return srv
}

// Client returns an S3 client of the server, for tests that create buckets
// or change objects behind the store's back.
func (s *Server) Client() *s3.Client {
	return s3.New(s3.Options{
		Region:       Region,
		BaseEndpoint: aws.String(s.Endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, ""),
	})
}

// Bucket creates a bucket with a fresh name and returns the name. Buckets
// are not removed: the server's data directory is thrown away.
func (s *Server) Bucket(t testing.TB) string {
	t.Helper()
	var b [5]byte
	_, _ = rand.Read(b[:])
	name := "athanor-test-" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := s.Client().CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("create test bucket %s on %s: %v", name, s.Endpoint, err)
	}
	return name
}

// URL returns a state URL for prefix in bucket on endpoint, with lock TTL
// ttl (0: the default).
func URL(endpoint, bucket, prefix string, ttl time.Duration) string {
	u := fmt.Sprintf("s3://%s/%s?endpoint=%s", bucket, prefix, url.QueryEscape(endpoint))
	if ttl > 0 {
		u += "&lock_ttl=" + ttl.String()
	}
	return u
}

// Proxy is a reverse proxy in front of the server that counts requests by
// method and answers chosen requests with an S3 error instead of passing
// them on. The SDK signs the proxy's host, which the proxy passes on, so
// the server accepts the signatures.
type Proxy struct {
	URL string

	mu     sync.Mutex
	counts map[string]int
	fail   func(*http.Request) bool
	status int
	code   string
	lose   func(*http.Request) bool
}

// Proxy starts a proxy in front of the server, closed when the test ends.
func (s *Server) Proxy(t testing.TB) *Proxy {
	t.Helper()
	target, err := url.Parse(s.Endpoint)
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{counts: map[string]int{}}
	rp := httputil.NewSingleHostReverseProxy(target)
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.counts[r.Method]++
		failing := p.fail != nil && p.fail(r)
		status, code := p.status, p.code
		losing := p.lose != nil && p.lose(r)
		if losing {
			p.lose = nil
		}
		p.mu.Unlock()
		if losing {
			rp.ServeHTTP(httptest.NewRecorder(), r)
			failing, status, code = true, http.StatusInternalServerError, "InternalError"
		}
		if failing {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(status)
			fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>injected by s3test.Proxy</Message></Error>`, code)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(hs.Close)
	p.URL = hs.URL
	return p
}

// Count returns how many requests of method the proxy has seen.
func (p *Proxy) Count(method string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.counts[method]
}

// LoseNext passes the next request match selects on to the server, then
// answers it 500 InternalError instead of with the server's answer, as when
// a response is lost after the write landed. The SDK retries such a
// request, and the retry meets the state the first attempt left.
func (p *Proxy) LoseNext(match func(*http.Request) bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lose = match
}

// Fail makes the proxy answer the requests match selects with an S3 error
// of that HTTP status and code; a nil match passes everything on again.
func (p *Proxy) Fail(match func(*http.Request) bool, status int, code string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fail, p.status, p.code = match, status, code
}
