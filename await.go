package athanor

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Await waits until another function of the program (one started with
// [App.Go], or the main function) has declared the resource logicalID in
// this pass, and returns it as that declaration did, error included.
//
// Use it instead of a channel when one function needs a resource another
// declares: the run then knows what each function waits for. When every
// function still running is waiting in Await, nothing can ever be declared
// again, so the run stops with an error that names the logical IDs waited
// for, instead of hanging. (Functions that wait on channels of their own
// cannot be seen: such a run is stopped with a third interrupt.)
func (a *App) Await(logicalID string) (*Resource, error) {
	w := &a.waits
	w.mu.Lock()
	if d, ok := w.done[logicalID]; ok {
		w.mu.Unlock()
		return d.res, d.err
	}
	ch := make(chan declared, 1)
	if w.waiting == nil {
		w.waiting = map[string][]chan declared{}
	}
	w.waiting[logicalID] = append(w.waiting[logicalID], ch)
	w.running--
	w.checkStuck()
	w.mu.Unlock()

	// A function waiting here is not running: its slot (see Go) goes to a
	// function queued behind it, which may be the one it waits for.
	lent := a.slots.lend()
	var d declared
	select {
	case d = <-ch:
	case <-a.ctx.Done():
		d = a.stopWaiting(logicalID, ch, a.ctx.Err())
	case <-a.stop:
		d = a.stopWaiting(logicalID, ch, errInterruptedWaiting(logicalID))
	}
	if lent {
		a.slots.reclaim(a.ctx.Done())
	}
	return d.res, d.err
}

func errInterruptedWaiting(logicalID string) error {
	return fmt.Errorf("interrupted while waiting for %q", logicalID)
}

// stopWaiting takes a waiter out after the run was cut short, unless its
// answer came meanwhile.
func (a *App) stopWaiting(logicalID string, ch chan declared, err error) declared {
	w := &a.waits
	w.mu.Lock()
	defer w.mu.Unlock()
	select {
	case d := <-ch:
		return d // answered (and counted running again) meanwhile
	default:
	}
	list := w.waiting[logicalID]
	for i, c := range list {
		if c == ch {
			w.waiting[logicalID] = append(list[:i:i], list[i+1:]...)
			break
		}
	}
	if len(w.waiting[logicalID]) == 0 {
		delete(w.waiting, logicalID)
	}
	w.running++
	return declared{err: err}
}

// declared is what one declaration returned.
type declared struct {
	res *Resource
	err error
}

// waits knows which of the program's functions are running and which wait
// in Await for what, so that a program whose functions all wait for one
// another is stopped instead of hanging. It decides from these counts
// alone, at the moment the last running function starts to wait or ends:
// no timer is involved.
type waits struct {
	mu      sync.Mutex
	running int                        // functions neither finished nor waiting
	done    map[string]declared        // logical ID → what its declaration returned
	waiting map[string][]chan declared // logical ID → functions waiting for it

	last        string   // the last declaration, for a panic's message
	lastUnknown []string // its placeholders, while planning
}

// begin counts a function that starts (or is queued to start) running.
func (w *waits) begin() {
	w.mu.Lock()
	w.running++
	w.mu.Unlock()
}

// end counts a function that returned.
func (w *waits) end() {
	w.mu.Lock()
	w.running--
	w.checkStuck()
	w.mu.Unlock()
}

// declare records a declaration's result and wakes those waiting for it.
func (w *waits) declare(logicalID string, res *Resource, err error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done == nil {
		w.done = map[string]declared{}
	}
	if _, ok := w.done[logicalID]; ok {
		return // declared twice: the engine reports it
	}
	d := declared{res: res, err: err}
	w.done[logicalID] = d
	for _, ch := range w.waiting[logicalID] {
		ch <- d
		w.running++
	}
	delete(w.waiting, logicalID)
}

// checkStuck fails every waiter when no function is left running: none of
// them can be woken. Callers hold mu.
func (w *waits) checkStuck() {
	if w.running > 0 || len(w.waiting) == 0 {
		return
	}
	err := &StuckError{Waiting: map[string]int{}}
	for id, chs := range w.waiting {
		err.Waiting[id] = len(chs)
	}
	for _, chs := range w.waiting {
		for _, ch := range chs {
			ch <- declared{err: err}
			w.running++
		}
	}
	w.waiting = nil
}

// StuckError is returned by Await when every function of the program is
// waiting for a resource that no running function will declare: functions
// that wait for each other, or for a logical ID the program never declares.
type StuckError struct {
	// Waiting counts the functions waiting for each logical ID.
	Waiting map[string]int
}

func (e *StuckError) Error() string {
	ids := make([]string, 0, len(e.Waiting))
	for id := range e.Waiting {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	parts := make([]string, len(ids))
	for i, id := range ids {
		parts[i] = fmt.Sprintf("%q", id)
		if n := e.Waiting[id]; n > 1 {
			parts[i] += fmt.Sprintf(" (%d functions)", n)
		}
	}
	return fmt.Sprintf("every function of the program is waiting, so none of them can go on: they wait for %s, which no running function declares; "+
		"declare each resource before awaiting it in a function that does not wait for its own dependents", strings.Join(parts, ", "))
}
