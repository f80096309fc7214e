package s3store

import (
	"errors"
	"fmt"
	"net"

	"github.com/aws/smithy-go"

	"github.com/athanor-iac/athanor/state"
)

// classify turns the errors that make the bucket unusable as a whole
// (missing, wrong region, access refused, credentials rejected, endpoint
// unreachable) into a one-line *state.StoreError saying what to check;
// other errors are returned as they are.
func (s *Store) classify(err error) error {
	if err == nil {
		return nil
	}
	var se *state.StoreError
	if errors.As(err, &se) {
		return err
	}
	where := "s3://" + s.bucket + "/" + s.pfx
	e := &state.StoreError{Where: where, Err: err}
	var ae smithy.APIError
	var dnsErr *net.DNSError
	var opErr *net.OpError
	code := ""
	if errors.As(err, &ae) {
		code = ae.ErrorCode()
	}
	switch {
	case code == "NoSuchBucket":
		e.Cause = fmt.Sprintf("bucket %s does not exist", s.bucket)
		e.Check = "create it, or correct the bucket in the state URL" + s.regionHint()
	case code == "PermanentRedirect" || code == "AuthorizationHeaderMalformed" || httpStatus(err) == 301:
		e.Cause = fmt.Sprintf("bucket %s is not in region %s", s.bucket, s.region)
		e.Check = "add the bucket's region to the state URL (?region=...) or set AWS_REGION"
	case code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch" || code == "ExpiredToken" || code == "InvalidToken" || code == "TokenRefreshRequired":
		e.Cause = fmt.Sprintf("the endpoint rejected the AWS credentials (%s)", code)
		e.Check = "check AWS_PROFILE or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, and log in again if the session expired"
	case code == "AccessDenied" || code == "AllAccessDisabled" || httpStatus(err) == 403:
		e.Cause = fmt.Sprintf("access denied to %s", where)
		e.Check = fmt.Sprintf("check that the credentials' IAM policy allows s3:ListBucket on bucket %s and s3:GetObject, s3:PutObject and s3:DeleteObject on arn:aws:s3:::%s/%s*, and that no bucket policy or KMS key policy denies them", s.bucket, s.bucket, s.appPfx)
	case errors.As(err, &dnsErr):
		e.Cause = fmt.Sprintf("host %s is unknown", dnsErr.Name)
		e.Check = "check the endpoint in the state URL or AWS_ENDPOINT_URL_S3, and the network"
	case errors.As(err, &opErr) && opErr.Op == "dial":
		e.Cause = fmt.Sprintf("cannot connect to %v (%v)", opErr.Addr, opErr.Err)
		e.Check = "check that the endpoint is running and that the endpoint in the state URL or AWS_ENDPOINT_URL_S3 is right"
	default:
		return err
	}
	return e
}

func (s *Store) regionHint() string {
	if s.endpoint != "" {
		return " (endpoint " + s.endpoint + ")"
	}
	return " (region " + s.region + ")"
}

// fail reports err of the operation what ("load state", "put record X").
func (s *Store) fail(what string, err error) error {
	return state.WrapBackendError(what, s.location, s.classify(err))
}
