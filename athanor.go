package athanor

import (
	"context"
	"fmt"
	"sync"

	"github.com/athanor-iac/athanor/internal/cli/runner"
	"github.com/athanor-iac/athanor/internal/engine"
	"github.com/athanor-iac/athanor/internal/secrets"
	"github.com/athanor-iac/athanor/state"
)

// Tag is an AWS tag, as CloudFormation writes tags: a list of Key/Value
// pairs. Order does not matter: reordering tags is no change.
type Tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

// App is one run of a program over one stage. Declarations made through it
// are planned or applied; its methods are safe for concurrent use from the
// goroutines started with Go.
type App struct {
	name, stage string
	ctx         context.Context
	eng         *engine.Engine
	scopes      runner.Scopes // nil when the run reads nothing
	planning    bool
	logf        func(format string, args ...any)

	stop     <-chan struct{}
	slots    *goSlots // bound the functions started with Go
	wg       sync.WaitGroup
	errMu    sync.Mutex
	firstErr error
	waits    waits // what each function waits for, for Await

	tagsMu      sync.Mutex
	defaultTags map[string]string // see DefaultTags

	outMu   sync.Mutex
	outputs map[string]any // see Output
}

// Name is the app's name, as given to Run.
func (a *App) Name() string { return a.name }

// Stage is the stage being run (--stage, ATHANOR_STAGE, or the user name).
func (a *App) Stage() string { return a.stage }

// Context is cancelled when the run is interrupted.
func (a *App) Context() context.Context { return a.ctx }

// Planning reports whether this pass only plans. Outputs of resources that
// do not exist yet are unknown while planning; see [IsUnknown].
func (a *App) Planning() bool { return a.planning }

// Log prints a line in the run's output, with secrets shown as
// "(sensitive)".
func (a *App) Log(format string, args ...any) {
	a.logf("%s", secrets.RedactText(fmt.Sprintf(format, args...)))
}

// Go runs fn concurrently with the rest of the program, so that
// independent resources are created at the same time. The run waits for
// all of them, and the first error fails it, as with errgroup.
//
// At most max(--parallelism, 256) functions run at once: enough that
// functions waiting for one another do not deadlock in any program of a
// sensible shape (--parallelism itself, 10 by default, was not), few
// enough that a program declaring 10,000 resources this way does not hold
// 10,000 declarations in memory at once; the others wait their turn in a
// queue, which costs no goroutine. --parallelism bounds the
// resource operations in flight separately, in the engine.
func (a *App) Go(fn func() error) {
	a.wg.Add(1)
	a.waits.begin()
	a.slots.start(func() {
		defer a.wg.Done()
		defer a.waits.end()
		// A function still queued when the run is cut short is not
		// started.
		if err := a.ctx.Err(); err != nil {
			a.fail(err)
			return
		}
		select {
		case <-a.stop:
			a.fail(engine.ErrInterrupted)
			return
		default:
		}
		if err := a.call(fn); err != nil {
			a.fail(err)
		}
	})
}

// minGoSlots is the least number of functions Go lets run at once.
const minGoSlots = 256

func (a *App) fail(err error) {
	a.errMu.Lock()
	defer a.errMu.Unlock()
	if a.firstErr == nil {
		a.firstErr = err
	}
}

// wait waits for the functions started with Go.
func (a *App) wait() error {
	a.wg.Wait()
	a.errMu.Lock()
	defer a.errMu.Unlock()
	return a.firstErr
}

// Resource is a declared resource as AWS reports it.
type Resource struct {
	LogicalID string
	Type      string
	// Identifier is the primary identifier (for a flow log, its fl- ID).
	Identifier string
	// Properties are every property AWS reports, read-only ones included,
	// as JSON decodes into any: numbers are float64 whether the resource
	// was created this run or read from the state.
	Properties map[string]any
}

// String returns a property as a string, or "" when it is absent or not a
// string. While planning it may be an unknown value (see [IsUnknown]).
func (r *Resource) String(name string) string {
	s, _ := r.Properties[name].(string)
	return s
}

// ResourceID returns the logical ID, so that a resource can be passed to
// [DependsOn].
func (r *Resource) ResourceID() string { return r.LogicalID }

// IsUnknown reports whether v holds a value that is known only after
// apply. While planning, the outputs of resources that will be created are
// such values, and so is any string built from them.
func IsUnknown(v any) bool { return engine.IsUnknown(v) }

// Resource declares a resource of any Cloud Control type by its
// CloudFormation type name and properties (a map, or a struct that encodes
// to the property object). It returns when AWS matches the declaration.
func (a *App) Resource(typeName, logicalID string, props any, opts ...ResourceOption) (*Resource, error) {
	return a.declare(nil, typeName, logicalID, props, opts)
}

// declare declares a resource in scope (nil: the run's own).
func (a *App) declare(scope *state.Scope, typeName, logicalID string, props any, opts []ResourceOption) (*Resource, error) {
	var o resourceOptions
	for _, opt := range opts {
		opt.applyResource(&o)
	}
	m, err := engine.NormalizeProps(props)
	if err != nil {
		err = fmt.Errorf("%s %q: %w", typeName, logicalID, err)
		a.waits.declare(logicalID, nil, err)
		return nil, err
	}
	res, err := a.eng.Declare(a.ctx, engine.Declaration{LogicalID: logicalID, Type: typeName, Props: m, DependsOn: o.dependsOn, Options: o.engine, DefaultTags: a.tags(), Scope: scope})
	if err != nil {
		a.waits.declare(logicalID, nil, err)
		return nil, err
	}
	r := &Resource{LogicalID: logicalID, Type: typeName, Identifier: res.Identifier, Properties: programProperties(res.Properties)}
	a.waits.declare(logicalID, r, nil)
	a.waits.noteDeclared(r, a.planning)
	return r, nil
}
