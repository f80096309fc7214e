package localcc_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudcontrol"

	"github.com/athanor-iac/athanor/localcc"
)

func clientWithKeys(t *testing.T, url, keyID, secret, session string) *cloudcontrol.Client {
	t.Helper()
	cfg, err := config.LoadDefaultConfig(context.Background(),
		config.WithRegion("us-east-1"),
		config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(keyID, secret, session)),
		config.WithRetryMaxAttempts(1),
	)
	if err != nil {
		t.Fatal(err)
	}
	return cloudcontrol.NewFromConfig(cfg, func(o *cloudcontrol.Options) { o.BaseEndpoint = aws.String(url) })
}

func TestSignatures(t *testing.T) {
	srv, clock := startLocal(t, localcc.Options{Credentials: &localcc.Credentials{AccessKeyID: "AKIDRIGHT", SecretAccessKey: "right-secret"}})
	ctx := context.Background()
	get := &cloudcontrol.GetResourceInput{TypeName: aws.String("AWS::EC2::VPC"), Identifier: aws.String("vpc-12345678")}

	// The right keys work, for reads and writes, with and without a session
	// token.
	for _, session := range []string{"", "session-token"} {
		cc := clientWithKeys(t, srv.URL(), "AKIDRIGHT", "right-secret", session)
		if _, err := cc.GetResource(ctx, get); err != nil {
			t.Fatalf("right keys (session %q): %v", session, err)
		}
		out, err := cc.CreateResource(ctx, &cloudcontrol.CreateResourceInput{TypeName: aws.String("AWS::Logs::LogGroup"), DesiredState: aws.String(`{"LogGroupName":"signed-` + session + `"}`)})
		if err != nil {
			t.Fatalf("right keys create: %v", err)
		}
		clock.Advance(time.Second)
		if _, err := cc.GetResourceRequestStatus(ctx, &cloudcontrol.GetResourceRequestStatusInput{RequestToken: out.ProgressEvent.RequestToken}); err != nil {
			t.Fatal(err)
		}
	}

	_, err := clientWithKeys(t, srv.URL(), "AKIDRIGHT", "wrong-secret", "").GetResource(ctx, get)
	wantAPIError(t, err, "InvalidSignatureException", "signature")
	_, err = clientWithKeys(t, srv.URL(), "AKIDWRONG", "right-secret", "").GetResource(ctx, get)
	wantAPIError(t, err, "UnrecognizedClientException", "security token")

	// A signature from 20 minutes ago, and one for another service, are
	// refused even with the right keys.
	for _, tc := range []struct {
		service string
		at      time.Time
		want    string
	}{
		{"cloudcontrolapi", time.Now().Add(-20 * time.Minute), "Signature expired"},
		{"ec2", time.Now(), "Credential should be scoped to correct service: 'cloudcontrolapi'"},
	} {
		body := []byte(`{"TypeName":"AWS::EC2::VPC","Identifier":"vpc-12345678"}`)
		req, _ := http.NewRequest("POST", srv.URL()+"/", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/x-amz-json-1.0")
		req.Header.Set("X-Amz-Target", "CloudApiService.GetResource")
		sum := sha256.Sum256(body)
		if err := v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: "AKIDRIGHT", SecretAccessKey: "right-secret"}, req, hex.EncodeToString(sum[:]), tc.service, "us-east-1", tc.at); err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		buf.ReadFrom(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 400 || !bytes.Contains(buf.Bytes(), []byte("InvalidSignatureException")) || !bytes.Contains(buf.Bytes(), []byte(tc.want)) {
			t.Errorf("%s at %s: %d %s", tc.service, tc.at.Format(time.RFC3339), resp.StatusCode, buf.String())
		}
	}

	// On the wire: the fake signature with the right key ID is refused, and
	// so is a body changed after signing.
	r := rawCall(t, srv.URL(), "GetResource", []byte(getVPCBody), func(r *http.Request) {
		r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDRIGHT/20261124/us-east-1/cloudcontrolapi/aws4_request, SignedHeaders=host;x-amz-date;x-amz-target, Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
	})
	wantShape(t, r, 400, "InvalidSignatureException")
	r = rawCall(t, srv.URL(), "GetResource", []byte(getVPCBody), func(r *http.Request) {
		r.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDRIGHT/20261124/us-east-1/cloudcontrolapi/aws4_request, SignedHeaders=host;x-amz-target, Signature=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
		r.Header.Del("X-Amz-Date")
	})
	wantShape(t, r, 400, "IncompleteSignatureException")

	// A client that posts to /?Action=... and signs only host, x-amz-date
	// and x-amz-target (not the content type) is accepted.
	signed := func(body, signedBody []byte) *rawResponse {
		return rawCall(t, srv.URL(), "GetResource", body, func(r *http.Request) {
			r.URL.RawQuery = "Action=GetResource&Version=2021-09-30"
			r.Header.Del("Content-Type")
			r.Header.Del("Authorization")
			r.Header.Del("X-Amz-Date")
			sum := sha256.Sum256(signedBody)
			err := v4.NewSigner().SignHTTP(ctx, aws.Credentials{AccessKeyID: "AKIDRIGHT", SecretAccessKey: "right-secret"}, r, hex.EncodeToString(sum[:]), "cloudcontrolapi", "us-east-1", time.Now())
			if err != nil {
				t.Fatal(err)
			}
			r.Header.Set("Content-Type", "application/x-amz-json-1.0")
		})
	}
	if r := signed([]byte(getVPCBody), []byte(getVPCBody)); r.Status != 200 {
		t.Fatalf("minimal signature: %d %s", r.Status, r.Body)
	}
	tampered := bytes.Replace([]byte(getVPCBody), []byte("vpc-12345678"), []byte("vpc-87654321"), 1)
	wantShape(t, signed(tampered, []byte(getVPCBody)), 400, "InvalidSignatureException")
}
