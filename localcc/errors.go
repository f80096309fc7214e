package localcc

import (
	"fmt"
	"net/http"
)

// apiError is an error answered synchronously, in the shape Cloud Control
// uses: {"__type": "<namespace>#<Shape>", "Message": "..."} with the shape's
// HTTP status.
type apiError struct {
	Shape     string // ResourceNotFoundException
	Namespace string // com.amazon.cloudapiservice
	Status    int
	Message   string
}

func (e *apiError) Error() string { return e.Shape + ": " + e.Message }

// typeField is the __type value. Real Cloud Control sends namespaced shapes
// and some published clients compare the whole string, so the endpoint sends
// the same forms; SDKs strip the namespace.
func (e *apiError) typeField() string {
	if e.Namespace == "" {
		return e.Shape
	}
	return e.Namespace + "#" + e.Shape
}

const (
	nsCloudAPI     = "com.amazon.cloudapiservice"
	nsValidate     = "com.amazon.coral.validate"
	nsAvailability = "com.amazon.coral.availability"
	nsService      = "com.amazon.coral.service"
)

// statusOf gives each modelled exception the HTTP status of the newest API
// model (research/cloudcontrol-spec.md, section 1, "Errors").
var statusOf = map[string]int{
	"AlreadyExistsException":          400,
	"ClientTokenConflictException":    409,
	"ConcurrentModificationException": 500,
	"ConcurrentOperationException":    409,
	"GeneralServiceException":         400,
	"HandlerFailureException":         502,
	"HandlerInternalFailureException": 502,
	"InvalidCredentialsException":     401,
	"InvalidRequestException":         400,
	"NetworkFailureException":         502,
	"NotStabilizedException":          400,
	"NotUpdatableException":           400,
	"PrivateTypeException":            400,
	"RequestTokenNotFoundException":   404,
	"ResourceConflictException":       409,
	"ResourceNotFoundException":       404,
	"ServiceInternalErrorException":   502,
	"ServiceLimitExceededException":   400,
	"ThrottlingException":             429,
	"TypeNotFoundException":           404,
	"UnsupportedActionException":      405,
}

// ccError builds a modelled Cloud Control exception.
func ccError(shape, format string, args ...any) *apiError {
	st, ok := statusOf[shape]
	if !ok {
		st = http.StatusBadRequest
	}
	return &apiError{Shape: shape, Namespace: nsCloudAPI, Status: st, Message: fmt.Sprintf(format, args...)}
}

// validationError is the unmodelled but real ValidationException.
func validationError(format string, args ...any) *apiError {
	return &apiError{Shape: "ValidationException", Namespace: nsValidate, Status: 400, Message: fmt.Sprintf(format, args...)}
}

func throttlingError() *apiError {
	return &apiError{Shape: "ThrottlingException", Namespace: nsAvailability, Status: 429, Message: "Rate exceeded"}
}

func serializationError(format string, args ...any) *apiError {
	return &apiError{Shape: "SerializationException", Namespace: nsService, Status: 400, Message: fmt.Sprintf(format, args...)}
}

func internalFailure() *apiError {
	return &apiError{Shape: "InternalFailure", Namespace: nsService, Status: 500, Message: "The request processing has failed because of an unknown error, exception or failure."}
}

// handlerErrorShape maps a HandlerErrorCode to the exception a synchronous
// read or list answers with (spec section 2: GetResource/ListResources).
var handlerErrorShape = map[string]string{
	"NotFound":                "ResourceNotFoundException",
	"AlreadyExists":           "AlreadyExistsException",
	"InvalidRequest":          "InvalidRequestException",
	"Throttling":              "ThrottlingException",
	"InternalFailure":         "HandlerInternalFailureException",
	"ServiceInternalError":    "ServiceInternalErrorException",
	"NetworkFailure":          "NetworkFailureException",
	"NotStabilized":           "NotStabilizedException",
	"NotUpdatable":            "NotUpdatableException",
	"ResourceConflict":        "ResourceConflictException",
	"ServiceLimitExceeded":    "ServiceLimitExceededException",
	"InvalidCredentials":      "InvalidCredentialsException",
	"GeneralServiceException": "GeneralServiceException",
	"AccessDenied":            "HandlerFailureException",
}

// handlerFailure is a handler's FAILED outcome: a HandlerErrorCode and a
// message a person can act on.
type handlerFailure struct {
	Code    string
	Message string
}

func fail(code, format string, args ...any) *handlerFailure {
	return &handlerFailure{Code: code, Message: fmt.Sprintf(format, args...)}
}

// asAPIError turns a failure of a synchronous read handler into the
// exception Cloud Control answers with, naming the type, code and token.
func (f *handlerFailure) asAPIError(typeName, requestToken string) *apiError {
	shape, ok := handlerErrorShape[f.Code]
	if !ok {
		shape = "GeneralServiceException"
	}
	return ccError(shape, "%s Handler returned status FAILED: %s (HandlerErrorCode: %s, RequestToken: %s)", typeName, f.Message, f.Code, requestToken)
}
