package statetest

import (
	"errors"
	"strings"
	"testing"

	"github.com/athanor-iac/athanor/state"
)

// WantStoreError fails t unless err is a one-line *state.StoreError whose
// message holds each of want (the cause, and what to check), for backends'
// tests of an unusable bucket or database.
func WantStoreError(t testing.TB, what string, err error, want ...string) {
	t.Helper()
	var se *state.StoreError
	if !errors.As(err, &se) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("%s: %v; want a one-line *state.StoreError", what, err)
	}
	t.Logf("%s: %v", what, err)
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%s: %v; want it to say %q", what, err, w)
		}
	}
}

// WantLockLost fails t unless err is a one-line *state.LockLostError whose
// message holds cause, for backends' tests of a lost lock.
func WantLockLost(t testing.TB, what string, err error, cause string) {
	t.Helper()
	var ll *state.LockLostError
	if !errors.As(err, &ll) || !strings.Contains(err.Error(), cause) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("%s: %v; want a one-line *state.LockLostError saying %q", what, err, cause)
	}
}
