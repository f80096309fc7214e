package localcc

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"regexp"
	"slices"
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

// caller is who made a call and where it lands.
type caller struct {
	Scope       // the credentials' account and the signature's region
	ARN, UserID string
	session     *session // nil for plain credentials
}

// authenticate checks the SigV4 Authorization header and tells who the
// caller is. Without configured credentials any well-formed header with
// plain keys passes, so every client works out of the box; with them, the
// signature is recomputed with the SDK's own signer over the headers the
// client signed and must match, and AWS's errors answer a wrong key or
// signature. Credentials the endpoint's STS issued are always checked
// against their secret and session token. service is the signing name the
// operation expects.
func (s *Server) authenticate(r *http.Request, body []byte, service string) (caller, *apiError) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return caller{}, &apiError{Shape: "MissingAuthenticationTokenException", Namespace: nsService, Status: 400, Message: "Missing Authentication Token"}
	}
	m := authRE.FindStringSubmatch(h)
	if m == nil {
		return caller{}, &apiError{Shape: "IncompleteSignatureException", Namespace: nsService, Status: 400, Message: "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters of AWS Signature Version 4: " + clip(h)}
	}
	keyID, region := m[1], m[3]
	who := s.plainCaller(keyID, region)
	secret := ""
	if sess := s.session(keyID); sess != nil {
		if aerr := sess.check(r.Header.Get("X-Amz-Security-Token"), time.Now()); aerr != nil {
			return caller{}, aerr
		}
		who, secret = sess.caller(region), sess.SecretAccessKey
	} else if creds := s.opts.Credentials; creds != nil {
		if keyID != creds.AccessKeyID {
			return caller{}, invalidToken()
		}
		secret = creds.SecretAccessKey
	}
	if aerr := s.checkRegion(region); aerr != nil {
		return caller{}, aerr
	}
	if secret == "" {
		return who, nil
	}
	return who, verifySignature(r, body, m, service, secret)
}

// plainCaller is the identity of long-term keys: an access key that is a
// 12-digit account ID acts in that account (as on LocalStack), any other in
// Options.Account, as the account's root.
func (s *Server) plainCaller(keyID, region string) caller {
	acct := s.opts.Account
	if accountRE.MatchString(keyID) {
		acct = keyID
	}
	return caller{Scope: Scope{Account: acct, Region: region}, ARN: fmt.Sprintf("arn:aws:iam::%s:root", acct), UserID: acct}
}

// checkRegion refuses a region outside Options.Regions.
func (s *Server) checkRegion(region string) *apiError {
	if len(s.opts.Regions) == 0 || slices.Contains(s.opts.Regions, region) {
		return nil
	}
	return &apiError{Shape: "RegionDisabledException", Namespace: nsService, Status: 403,
		Message: fmt.Sprintf("The region %s is not enabled on this endpoint, which serves %s; sign requests for one of those, or start the endpoint with that region added to --regions.", region, strings.Join(s.opts.Regions, ", "))}
}

func invalidToken() *apiError {
	return &apiError{Shape: "UnrecognizedClientException", Namespace: nsService, Status: 400, Message: "The security token included in the request is invalid."}
}

// verifySignature signs the request again with secret and compares.
func verifySignature(r *http.Request, body []byte, m []string, service, secret string) *apiError {
	keyID, region, svc, signedHeaders, sig := m[1], m[3], m[4], m[5], m[6]
	when, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil {
		return &apiError{Shape: "IncompleteSignatureException", Namespace: nsService, Status: 400, Message: "X-Amz-Date header is missing or malformed"}
	}
	if svc != service {
		return &apiError{Shape: "InvalidSignatureException", Namespace: nsService, Status: 400, Message: fmt.Sprintf("Credential should be scoped to correct service: '%s'. ", service)}
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
	// Go's signer signs Content-Length whenever a body has a length;
	// clients such as botocore do not, so it is signed only if they did.
	if !slices.Contains(strings.Split(signedHeaders, ";"), "content-length") {
		re.ContentLength = 0
	}
	for _, name := range strings.Split(signedHeaders, ";") {
		if name == "host" || name == "content-length" {
			continue
		}
		for _, v := range r.Header.Values(name) {
			re.Header.Add(name, v)
		}
	}
	sum := sha256.Sum256(body)
	payloadHash := hex.EncodeToString(sum[:])
	signer := v4.NewSigner(func(o *v4.SignerOptions) { o.DisableURIPathEscaping = true })
	cred := aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret, SessionToken: r.Header.Get("X-Amz-Security-Token")}
	if err := signer.SignHTTP(context.Background(), cred, re, payloadHash, svc, region, when); err != nil {
		return &apiError{Shape: "IncompleteSignatureException", Namespace: nsService, Status: 400, Message: err.Error()}
	}
	if got := authRE.FindStringSubmatch(re.Header.Get("Authorization")); got == nil || got[6] != sig {
		return &apiError{Shape: "InvalidSignatureException", Namespace: nsService, Status: 400, Message: "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}
	}
	return nil
}
