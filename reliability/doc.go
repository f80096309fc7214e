// Package reliability holds Athanor's reliability suite: tests that kill a
// program with SIGKILL at random points of an apply, a replacement and a
// destroy, inject throttling, server errors, handler failures and dropped
// connections through the local endpoint, race two runs for one stage's
// lock, and feed corrupted state to a run, checking every time that nothing
// is leaked, duplicated or lost. See docs/reliability.md.
//
// The default mode fits in CI; ATHANOR_SOAK=1 (or go test -args -soak)
// runs more iterations.
package reliability
