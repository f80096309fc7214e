// Package localendpoint is where a program's --local finds the embedded
// local Cloud Control endpoint. Package localcc registers its starter here
// from init, the way a database/sql driver registers itself, so that a
// program links the endpoint only when it imports localcc:
//
//	import _ "github.com/athanor-iac/athanor/localcc"
//
// The runner asks for it with [Start] and never imports localcc itself.
package localendpoint

import (
	"errors"
	"sync"
)

// Import is the import line that links the local endpoint into a program.
const Import = `import _ "github.com/athanor-iac/athanor/localcc"`

// ErrNotLinked is returned by [Start] in a program that does not import
// localcc.
var ErrNotLinked = errors.New("localendpoint: the local endpoint is not linked into this program")

// Endpoint is a running local endpoint.
type Endpoint interface {
	// URL is the endpoint's base URL, for the Cloud Control client.
	URL() string
	// Close stops it, saving its data.
	Close() error
}

// StartFunc starts an endpoint that keeps its data under dir, creating dir
// when it is missing.
type StartFunc func(dir string) (Endpoint, error)

// The starter is registered once, from localcc's init, and only read after.
var (
	mu      sync.RWMutex
	starter StartFunc
)

// Register makes start the starter of --local. It panics when start is nil
// or a starter is already registered: both are programming errors found at
// start-up.
func Register(start StartFunc) {
	if start == nil {
		panic("localendpoint: Register needs a StartFunc")
	}
	mu.Lock()
	defer mu.Unlock()
	if starter != nil {
		panic("localendpoint: Register called twice")
	}
	starter = start
}

// Linked reports whether a starter is registered, so that a run can refuse
// --local as a usage error before it opens anything.
func Linked() bool {
	mu.RLock()
	defer mu.RUnlock()
	return starter != nil
}

// Start starts the registered endpoint with its data under dir, or returns
// ErrNotLinked.
func Start(dir string) (Endpoint, error) {
	mu.RLock()
	start := starter
	mu.RUnlock()
	if start == nil {
		return nil, ErrNotLinked
	}
	return start(dir)
}
