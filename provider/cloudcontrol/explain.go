package cloudcontrol

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	sdk "github.com/aws/aws-sdk-go-v2/service/cloudcontrol"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// TargetError says that Cloud Control cannot be used at all as configured:
// the endpoint does not answer, or there are no credentials, or AWS
// refuses them. Every request would fail the same way, so it is reported
// once, as its cause and the fix, instead of as an SDK error per resource.
type TargetError struct {
	Cause string // what is wrong, in a line
	Fix   string // what to change
	// NotSent says the request certainly never reached the endpoint (no
	// credentials to sign it with, say).
	NotSent bool
	Err     error
}

func (e *TargetError) Error() string { return e.Cause + "; " + e.Fix }

func (e *TargetError) Unwrap() error { return e.Err }

// CredentialsError is a failure to obtain credentials from the credential
// chain: no request was sent.
type CredentialsError struct{ Err error }

func (e *CredentialsError) Error() string { return "get AWS credentials: " + e.Err.Error() }

func (e *CredentialsError) Unwrap() error { return e.Err }

// markedCredentials marks the errors of the credential chain, so that they
// can be told apart (errors.As) from the other errors of a call.
type markedCredentials struct{ aws.CredentialsProvider }

func (m markedCredentials) Retrieve(ctx context.Context) (aws.Credentials, error) {
	c, err := m.CredentialsProvider.Retrieve(ctx)
	if err != nil {
		return c, &CredentialsError{Err: err}
	}
	return c, nil
}

// authCodes are the API errors that say the credentials themselves were
// refused (not that they lack a permission).
var authCodes = map[string]bool{
	"UnrecognizedClientException": true, "InvalidClientTokenId": true, "InvalidSignatureException": true,
	"SignatureDoesNotMatch": true, "ExpiredTokenException": true, "ExpiredToken": true,
	"MissingAuthenticationTokenException": true, "IncompleteSignatureException": true,
}

// credentialFix is the advice for missing or refused credentials.
const credentialFix = "configure the AWS credential chain (AWS_PROFILE or --profile, `aws sso login`, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY), or use --local for the embedded local endpoint"

// explain returns err as a *TargetError when it says that the endpoint
// cannot be reached or the credentials are missing or refused, and nil
// otherwise.
func (p *Provider) explain(err error) *TargetError {
	var te *TargetError
	if errors.As(err, &te) {
		return te
	}
	var ce *CredentialsError
	if errors.As(err, &ce) {
		return &TargetError{Cause: credentialsCause(ce.Err), Fix: credentialFix, NotSent: true, Err: err}
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		if authCodes[ae.ErrorCode()] {
			return &TargetError{Cause: fmt.Sprintf("AWS refused the credentials (%s: %s)", ae.ErrorCode(), ae.ErrorMessage()), Fix: credentialFix + "; check that --region or AWS_REGION is right", Err: err}
		}
		return nil
	}
	var se *smithyhttp.RequestSendError
	if !errors.As(err, &se) {
		return nil
	}
	where := "Cloud Control in " + p.region
	fix := "check the network, and the region (--region or AWS_REGION)"
	if p.endpoint != "" {
		where = "the Cloud Control endpoint " + p.endpoint
		fix = "check that it is running and that --endpoint is right, or use --local for the embedded local endpoint"
	}
	if p.opts.Local {
		fix = "the local endpoint stopped; run again"
	}
	// Not NotSent even when the last attempt could not connect: an earlier
	// attempt of the SDK's retries may have been received. Check, before
	// the first intent, is what keeps a run against an endpoint that is
	// down from writing any.
	return &TargetError{Cause: fmt.Sprintf("cannot reach %s (%s)", where, innermost(se.Err)), Fix: fix, Err: err}
}

// credentialsCause says why the credential chain gave none. When every
// source came up empty, the chain's error is its last source's, instance
// metadata's, which says little to someone at a laptop.
func credentialsCause(err error) string {
	var oe *smithy.OperationError
	if errors.As(err, &oe) && oe.ServiceID == "ec2imds" {
		return "no AWS credentials found (not in the environment, the shared config and credentials files, or EC2 instance metadata)"
	}
	return "cannot get AWS credentials: " + innermost(err)
}

// describe renders an SDK error as its cause, without the SDK's wrapping
// ("operation error CloudControl: CreateResource, https response error
// StatusCode: 0, RequestID: , ..."): the API's message, or the innermost
// error, with the number of attempts when the SDK gave up retrying.
func (p *Provider) describe(err error) string {
	if te := p.explain(err); te != nil {
		return te.Error()
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorMessage()
	}
	msg := innermost(err)
	var me *retry.MaxAttemptsError
	if errors.As(err, &me) {
		msg += fmt.Sprintf(" (gave up after %d attempts)", me.Attempt)
	}
	return msg
}

// innermost is the message of the deepest error worth reading: the
// network error inside a URL error, the cause inside the SDK's wrappers.
func innermost(err error) string {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		return op.Err.Error()
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return dns.Error()
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		switch err.(type) {
		case *smithy.OperationError, *retry.MaxAttemptsError, *smithyhttp.RequestSendError, *smithyhttp.ResponseError:
			err = next
		default:
			return err.Error()
		}
	}
}

// Check makes one cheap call (ListResourceRequests for one request) to
// confirm that the endpoint answers and the credentials resolve and are
// accepted, before a run writes its first intent. It fails fast with a
// *TargetError saying what is wrong and how to fix it; any other answer,
// AccessDenied included, shows that the endpoint and the credentials work.
func (p *Provider) Check(ctx context.Context) error {
	if p.creds != nil {
		if _, err := p.creds.Retrieve(ctx); err != nil {
			if ctx.Err() != nil {
				return err
			}
			return p.explain(&CredentialsError{Err: err})
		}
	}
	_, err := call(ctx, p, Call{Operation: "ListResourceRequests"}, func() (*sdk.ListResourceRequestsOutput, error) {
		return p.api.ListResourceRequests(ctx, &sdk.ListResourceRequestsInput{MaxResults: aws.Int32(1)}, func(o *sdk.Options) {
			o.Retryer = retry.AddWithMaxAttempts(o.Retryer, 2)
		})
	})
	if err == nil || ctx.Err() != nil {
		return err
	}
	if te := p.explain(err); te != nil {
		return te
	}
	return nil
}
