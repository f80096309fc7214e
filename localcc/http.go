package localcc

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// maxBody bounds a request body. Cloud Control's largest member
// (DesiredState) is 64 KiB; a body far beyond that is refused before it is
// read whole.
const maxBody = 1 << 20

const targetPrefix = "CloudApiService."

// ServeHTTP answers Cloud Control calls on POST (any path; the X-Amz-Target
// header selects the operation), STS calls (form posts without
// X-Amz-Target), plus the endpoint's own JSON pages under /_athanor/. Each
// call lands in the account of its credentials and the region of its
// signature.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/_athanor/") {
		s.serveControl(w, r)
		return
	}
	reqID := newUUID(s.lockedRand())
	w.Header().Set("x-amzn-RequestId", reqID)
	if isSTS(r) {
		s.serveSTS(w, r, reqID)
		return
	}
	if r.Method != http.MethodPost {
		writeError(w, &apiError{Shape: "UnknownOperationException", Namespace: nsService, Status: 404, Message: "Cloud Control calls are POST requests with an X-Amz-Target header"})
		return
	}
	target := r.Header.Get("X-Amz-Target")
	op, ok := strings.CutPrefix(target, targetPrefix)
	if !ok || operations[op] == nil {
		s.metrics.count(Scope{}, "Unknown")
		writeError(w, &apiError{Shape: "UnknownOperationException", Namespace: nsService, Status: 400, Message: fmt.Sprintf("Unknown operation %q", target)})
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		writeError(w, serializationError("could not read the request body: %v", err))
		return
	}
	if len(body) > maxBody {
		writeError(w, &apiError{Shape: "RequestEntityTooLargeException", Namespace: nsService, Status: 413, Message: fmt.Sprintf("Request body of more than %d bytes", maxBody)})
		return
	}
	c, aerr := s.authenticate(r, body, signingName)
	if aerr != nil {
		s.metrics.count(Scope{}, op)
		writeError(w, aerr)
		return
	}
	sp := c.Scope
	s.metrics.count(sp, op)
	if !s.allow(sp) {
		s.metrics.throttle(c)
		writeError(w, throttlingError())
		return
	}
	s.metrics.serve(c, op)
	fault := s.drawFault()
	switch fault {
	case faultServer:
		writeError(w, internalFailure())
		return
	case faultDropBefore:
		dropConnection(w)
		return
	}
	start := time.Now()
	resp, aerr := operations[op](s, sp, body)
	s.log.Debug("call", "op", op, "scope", sp, "duration", time.Since(start), "err", aerr)
	if fault == faultDropAfter {
		dropConnection(w)
		return
	}
	if aerr != nil {
		writeError(w, aerr)
		return
	}
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	json.NewEncoder(w).Encode(resp)
}

func writeError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amzn-ErrorType", e.Shape)
	w.WriteHeader(e.Status)
	json.NewEncoder(w).Encode(map[string]string{"__type": e.typeField(), "Message": e.Message})
}

// dropConnection closes the connection without an answer, as a network
// failure would.
func dropConnection(w http.ResponseWriter) {
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			conn.Close()
			return
		}
	}
	panic(http.ErrAbortHandler)
}

// decodeInput reads a request body into in, refusing malformed JSON and
// members of the wrong type as AWS does (SerializationException).
func decodeInput(body []byte, in any) *apiError {
	if len(strings.TrimSpace(string(body))) == 0 {
		body = []byte("{}")
	}
	if err := json.Unmarshal(body, in); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field == "" {
			return serializationError("the request body must be a JSON object, found %s", te.Value)
		}
		if errors.As(err, &te) {
			return serializationError("%s: expected %s, found %s", te.Field, te.Type, te.Value)
		}
		return serializationError("malformed request body: %v", err)
	}
	return nil
}

// constraints collects violations of the API model's member constraints and
// reports them the way AWS does: "N validation errors detected: ...".
type constraints []string

var (
	typeNameRE  = regexp.MustCompile(`^[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}::[A-Za-z0-9]{2,64}$`)
	tokenRE     = regexp.MustCompile(`^[-A-Za-z0-9+/=]+$`)
	roleArnRE   = regexp.MustCompile(`^arn:.+:iam::[0-9]{12}:role/.+$`)
	versionIDRE = regexp.MustCompile(`^[A-Za-z0-9-]+$`)
)

func (c *constraints) required(member string, v *string) bool {
	if v == nil {
		*c = append(*c, fmt.Sprintf("Value null at '%s' failed to satisfy constraint: Member must not be null", member))
		return false
	}
	return true
}

func (c *constraints) length(member string, v *string, min, max int) {
	if v == nil {
		return
	}
	if n := len(*v); n < min || n > max {
		*c = append(*c, fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: Member must have length between %d and %d", clip(*v), member, min, max))
	}
}

func (c *constraints) pattern(member string, v *string, re *regexp.Regexp) {
	if v == nil || re.MatchString(*v) {
		return
	}
	*c = append(*c, fmt.Sprintf("Value '%s' at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: %s", clip(*v), member, strings.Trim(re.String(), "^$")))
}

func (c *constraints) err() *apiError {
	switch len(*c) {
	case 0:
		return nil
	case 1:
		return validationError("1 validation error detected: %s", (*c)[0])
	default:
		return validationError("%d validation errors detected: %s", len(*c), strings.Join(*c, "; "))
	}
}

func clip(s string) string {
	if len(s) > 64 {
		return s[:64] + "..."
	}
	return s
}

// common checks the members most operations share.
func (c *constraints) common(typeName, typeVersionID, roleArn *string) {
	if c.required("typeName", typeName) {
		c.length("typeName", typeName, 10, 196)
		c.pattern("typeName", typeName, typeNameRE)
	}
	c.length("typeVersionId", typeVersionID, 1, 128)
	c.pattern("typeVersionId", typeVersionID, versionIDRE)
	c.length("roleArn", roleArn, 20, 2048)
	c.pattern("roleArn", roleArn, roleArnRE)
}
