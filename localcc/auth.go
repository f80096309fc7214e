package localcc

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// signingName is Cloud Control's SigV4 signing name.
const signingName = "cloudcontrolapi"

// signatureWindow is how far a signature's time may be from now.
const signatureWindow = 5 * time.Minute

var authRE = regexp.MustCompile(`^AWS4-HMAC-SHA256 Credential=([^/,\s]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request,\s*SignedHeaders=([a-z0-9;\-]+),\s*Signature=([0-9a-f]{64})$`)

// authenticate checks the SigV4 Authorization header. Without configured
// credentials any well-formed header passes, so every client works out of
// the box; with them, the signature is recomputed with the SDK's own signer
// over the headers the client signed and must match, and AWS's errors
// answer a wrong key or signature.
func (s *Server) authenticate(r *http.Request, body []byte) *apiError {
	h := r.Header.Get("Authorization")
	if h == "" {
		return &apiError{Shape: "MissingAuthenticationTokenException", Namespace: nsService, Status: 400, Message: "Missing Authentication Token"}
	}
	m := authRE.FindStringSubmatch(h)
	if m == nil {
		return &apiError{Shape: "IncompleteSignatureException", Namespace: nsService, Status: 400, Message: "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters of AWS Signature Version 4: " + clip(h)}
	}
	creds := s.opts.Credentials
	if creds == nil {
		return nil
	}
	keyID, region, svc, signedHeaders, sig := m[1], m[3], m[4], m[5], m[6]
	if keyID != creds.AccessKeyID {
		return &apiError{Shape: "UnrecognizedClientException", Namespace: nsService, Status: 400, Message: "The security token included in the request is invalid."}
	}
	when, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return &apiError{Shape: "IncompleteSignatureException", Namespace: nsService, Status: 400, Message: "X-Amz-Date header is missing or malformed"}
	}
	if svc != signingName {
		return &apiError{Shape: "InvalidSignatureException", Namespace: nsService, Status: 400, Message: fmt.Sprintf("Credential should be scoped to correct service: '%s'. ", signingName)}
	}
	// Signatures are good for 5 minutes either way, measured on the wall
	// clock: the endpoint's own clock may be a test's manual one.
	if now := time.Now().UTC(); when.Before(now.Add(-signatureWindow)) || when.After(now.Add(signatureWindow)) {
		const f = "20060102T150405Z"
		return &apiError{Shape: "InvalidSignatureException", Namespace: nsService, Status: 400,
			Message: fmt.Sprintf("Signature expired: %s is now earlier than %s (%s - 5 min.)", when.Format(f), now.Add(-signatureWindow).Format(f), now.Format(f))}
	}
	// Rebuild the request with only the signed headers and sign it again.
	re, err := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), bytes.NewReader(body))
	if err != nil {
		return &apiError{Shape: "IncompleteSignatureException", Namespace: nsService, Status: 400, Message: err.Error()}
	}
	for _, name := range strings.Split(signedHeaders, ";") {
		if name == "host" {
			continue
		}
		for _, v := range r.Header.Values(name) {
			re.Header.Add(name, v)
		}
	}
	sum := sha256.Sum256(body)
	payloadHash := hex.EncodeToString(sum[:])
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	cred := aws.Credentials{AccessKeyID: creds.AccessKeyID, SecretAccessKey: creds.SecretAccessKey, SessionToken: r.Header.Get("X-Amz-Security-Token")}
	if err := signer.SignHTTP(context.Background(), cred, re, payloadHash, svc, region, when); err != nil {
		return &apiError{Shape: "IncompleteSignatureException", Namespace: nsService, Status: 400, Message: err.Error()}
	}
	if got := authRE.FindStringSubmatch(re.Header.Get("Authorization")); got == nil || got[6] != sig {
		return &apiError{Shape: "InvalidSignatureException", Namespace: nsService, Status: 400, Message: "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}
	}
	return nil
}
