package cloudcontrol

import (
	"errors"

	"github.com/aws/aws-sdk-go-v2/service/cloudcontrol/types"
)

// HandlerErrorCode is the code a resource handler gives a request that
// ended FAILED: the SDK's type, so its constants (types.HandlerErrorCode*)
// compare with it directly.
type HandlerErrorCode = types.HandlerErrorCode

// The handler error codes callers act on.
const (
	// HandlerAlreadyExists: a resource with the same identity exists.
	HandlerAlreadyExists = types.HandlerErrorCodeAlreadyExists
	// HandlerServiceLimitExceeded: a quota is reached; for a replacement,
	// often one the old resource still counts against.
	HandlerServiceLimitExceeded = types.HandlerErrorCodeServiceLimitExceeded
	// HandlerNotFound: the resource does not exist.
	HandlerNotFound = types.HandlerErrorCodeNotFound
)

// HandlerCode returns the handler error code of a request that ended
// FAILED, and "" for any other error.
func HandlerCode(err error) HandlerErrorCode {
	var oe *OperationError
	if errors.As(err, &oe) {
		return oe.HandlerCode
	}
	return ""
}

// IsCancelled reports whether err is a request that ended CANCEL_COMPLETE:
// it was cancelled, possibly after its handler had gone part of the way.
func IsCancelled(err error) bool {
	var oe *OperationError
	return errors.As(err, &oe) && oe.Status == types.OperationStatusCancelComplete
}

// IsRequestTokenNotFound reports whether Cloud Control does not know a
// request token (it never received the request, or has forgotten it).
func IsRequestTokenNotFound(err error) bool {
	var e *types.RequestTokenNotFoundException
	return errors.As(err, &e)
}
