package engine

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/athanor-iac/athanor/schema"
)

// DefaultOperationTimeout bounds one operation (create, update or delete,
// with its resubmissions and waiting) of a type whose schema gives its
// handler no timeoutInMinutes.
const DefaultOperationTimeout = 120 * time.Minute

// OperationTimeoutEnv overrides every operation's timeout with a Go
// duration ("90s", "3h"), when Options.OperationTimeout does not.
const OperationTimeoutEnv = "ATHANOR_OPERATION_TIMEOUT"

// operationTimeoutFromEnv reads OperationTimeoutEnv; 0 when it is unset.
func operationTimeoutFromEnv() (time.Duration, error) {
	v := os.Getenv(OperationTimeoutEnv)
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s=%q: want a positive duration such as 90s or 3h", OperationTimeoutEnv, v)
	}
	return d, nil
}

// operationTimeout is how long op ("create", "update", "delete") may take
// on sc's type, and where that figure comes from.
func (e *Engine) operationTimeout(logicalID string, sc *schema.Schema, op string) (time.Duration, string) {
	if d := e.optionsOf(logicalID).Timeout; d > 0 {
		return d, timeoutOptionSource
	}
	if e.opts.OperationTimeout > 0 {
		return e.opts.OperationTimeout, "the override"
	}
	if sc == nil {
		return DefaultOperationTimeout, "the default"
	}
	if m := sc.HandlerTimeoutMinutes(op); m > 0 {
		return time.Duration(m) * time.Minute, "the timeoutInMinutes of the type's " + op + " handler"
	}
	return DefaultOperationTimeout, "the default for types without a handler timeout"
}

// TimeoutError is an operation that did not finish within its timeout. Its
// intent stays in state: the request may still finish, and the next run
// finds it again.
type TimeoutError struct {
	Op      string
	Timeout time.Duration
	Source  string
	Err     error
}

// timeoutOptionSource is the Source of a timeout set by athanor.Timeout.
const timeoutOptionSource = "the resource's athanor.Timeout option"

func (e *TimeoutError) Error() string {
	if e.Source == timeoutOptionSource {
		return fmt.Sprintf("%s did not finish within %s (%s; change it there); its request stays recorded and the next run picks it up: %v",
			e.Op, e.Timeout, e.Source, e.Err)
	}
	return fmt.Sprintf("%s did not finish within %s (%s; run again with a longer --timeout, or set %s); its request stays recorded and the next run picks it up: %v",
		e.Op, e.Timeout, e.Source, OperationTimeoutEnv, e.Err)
}

func (e *TimeoutError) Unwrap() error { return e.Err }

// opContext bounds one operation on logicalID, of sc's type, by its
// timeout. done cancels
// the context and turns an error caused by the deadline into a
// *TimeoutError.
func (e *Engine) opContext(ctx context.Context, logicalID string, sc *schema.Schema, op string) (context.Context, func(error) error) {
	d, source := e.operationTimeout(logicalID, sc, op)
	octx, cancel := context.WithTimeout(ctx, d)
	return octx, func(err error) error {
		cancel()
		if err != nil && errors.Is(octx.Err(), context.DeadlineExceeded) && ctx.Err() == nil {
			return &TimeoutError{Op: op, Timeout: d, Source: source, Err: err}
		}
		return err
	}
}

// schemaOf looks a type's schema up; nil when it is unknown.
func schemaOf(typeName string) *schema.Schema {
	sc, err := schema.Default().Lookup(typeName)
	if err != nil {
		return nil
	}
	return sc
}
