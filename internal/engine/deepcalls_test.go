package engine

import (
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// Calls run one at a time on deepCalls' goroutine, return their results
// to the caller, and keep working when the goroutine ends between them
// (an idle of a nanosecond makes it end after nearly every call).
func TestDeepCallsRunEveryCall(t *testing.T) {
	d := &deepCalls{idle: time.Nanosecond}
	var wg sync.WaitGroup
	results := make([]int, 200)
	inside := 0
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			d.run(func() {
				inside++ // unsynchronised: the race detector sees calls that overlap
				results[i] = i * i
				inside--
			})
		}()
	}
	wg.Wait()
	for i, r := range results {
		if r != i*i {
			t.Fatalf("call %d returned before it ran (result %d)", i, r)
		}
	}
}

// A panic in a call goes on in the caller, as it would have without
// deepCalls, so that the program's panic handling sees it.
func TestDeepCallsPanicInTheCaller(t *testing.T) {
	var d deepCalls
	defer func() {
		if v := recover(); v != "boom" {
			t.Fatalf("recovered %v, want the call's panic", v)
		}
		d.run(func() {}) // and the goroutine still takes calls
	}()
	d.run(func() { panic("boom") })
	t.Fatal("run returned after a panic")
}

// Calls run on deepCalls' own goroutine, not the caller's (whose stack is
// what must not grow), and calls in a row on the same one.
func TestDeepCallsRunOnTheirOwnGoroutine(t *testing.T) {
	var d deepCalls
	caller := goroutineID()
	var first, second string
	d.run(func() { first = goroutineID() })
	d.run(func() { second = goroutineID() })
	if first == caller {
		t.Fatalf("the call ran on the caller's goroutine %s", caller)
	}
	if second != first {
		t.Fatalf("calls in a row ran on goroutines %s and %s, want one", first, second)
	}
}

// goroutineID is the number the runtime gives the calling goroutine, as
// its stack trace shows it ("goroutine 7 [running]:").
func goroutineID() string {
	buf := make([]byte, 64)
	buf = buf[:runtime.Stack(buf, false)]
	id, _, _ := strings.Cut(strings.TrimPrefix(string(buf), "goroutine "), " ")
	return id
}
