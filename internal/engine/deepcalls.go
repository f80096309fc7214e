package engine

import (
	"sync"
	"time"
)

// deepCalls runs calls that need a deep stack on one goroutine of its
// own. Validating a declaration against its schema (jsonschema recurses
// through the schema) grows the stack of the goroutine that does it to
// 32 KB, and a goroutine keeps what its stack grew to: run on the
// program's goroutines, of which there are up to max(--parallelism, 256),
// validation held 24 MB of stacks at --parallelism 1000. Validations are
// made one at a time under the engine's lock anyway, so one goroutine
// loses no parallelism. It ends once no call came for idle, and starts
// again with the next. The zero value is ready to use.
type deepCalls struct {
	idle time.Duration // 0 means deepCallsIdle

	mu      sync.Mutex
	calls   chan func()
	pending int  // calls sent or about to be sent
	running bool // the goroutine runs, and will take every pending call
}

const deepCallsIdle = 100 * time.Millisecond

// run runs fn on the goroutine and returns when it has; a panic of fn
// goes on in the caller.
func (d *deepCalls) run(fn func()) {
	d.mu.Lock()
	d.pending++
	if d.calls == nil {
		d.calls = make(chan func())
	}
	if !d.running {
		d.running = true
		go d.loop()
	}
	d.mu.Unlock()
	done := make(chan any, 1)
	d.calls <- func() {
		defer func() { done <- recover() }()
		fn()
	}
	if p := <-done; p != nil {
		panic(p)
	}
}

func (d *deepCalls) loop() {
	idle := d.idle
	if idle <= 0 {
		idle = deepCallsIdle
	}
	t := time.NewTimer(idle)
	defer t.Stop()
	for {
		select {
		case fn := <-d.calls:
			fn()
			d.mu.Lock()
			d.pending--
			d.mu.Unlock()
		case <-t.C:
			d.mu.Lock()
			if d.pending == 0 {
				d.running = false
				d.mu.Unlock()
				return
			}
			d.mu.Unlock()
		}
		t.Reset(idle)
	}
}
