package main

import (
	"bytes"
	"fmt"
	"os"
	"runtime/metrics"
	"runtime/pprof"
	"strings"
	"time"
)

// childMemProfileEnv, set by -memprofile, makes the child of scenarios c
// and f write memory profiles: path gets the allocations of the whole run
// (go tool pprof -sample_index=alloc_space), path+".peak" the heap in use
// at the largest live heap seen (sampled every 10 ms), and path+".txt"
// where the runtime's memory was when it held the most (heap, stacks,
// free pages not yet returned), which is what the peak RSS the
// scenarios report is made of.
const childMemProfileEnv = "ATHANOR_BENCH_MEMPROFILE"

// memProfiled runs fn and writes the memory profiles described at
// childMemProfileEnv.
func memProfiled(path string, fn func() int) int {
	stop := make(chan struct{})
	done := make(chan []byte)
	classes := make(chan string)
	stopClasses := make(chan struct{})
	go func() { done <- peakHeapProfile(stop) }()
	go func() { classes <- peakMemoryClasses(stopClasses) }()
	code := fn()
	close(stop)
	close(stopClasses)
	peak, breakdown := <-done, <-classes
	if err := writeProfile(path, "allocs"); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
	}
	if err := os.WriteFile(path+".peak", peak, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
	}
	if err := os.WriteFile(path+".txt", []byte(breakdown), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
	}
	return code
}

// peakMemoryClasses samples the runtime's memory classes every 10 ms until
// stop closes and describes them at the sample where the runtime held the
// most memory in all.
func peakMemoryClasses(stop <-chan struct{}) string {
	var samples []metrics.Sample
	total := -1
	for _, d := range metrics.All() {
		if strings.HasPrefix(d.Name, "/memory/classes/") || d.Name == "/gc/heap/live:bytes" || d.Name == "/gc/heap/goal:bytes" || d.Name == "/sched/goroutines:goroutines" {
			if d.Name == "/memory/classes/total:bytes" {
				total = len(samples)
			}
			samples = append(samples, metrics.Sample{Name: d.Name})
		}
	}
	var best string
	var peak uint64
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		metrics.Read(samples)
		if v := samples[total].Value.Uint64(); v > peak {
			peak = v
			var b strings.Builder
			for _, s := range samples {
				fmt.Fprintf(&b, "%-50s %10.1f\n", s.Name, float64(s.Value.Uint64())/(1<<20))
			}
			best = b.String()
		}
		select {
		case <-stop:
			return best
		case <-t.C:
		}
	}
}

// peakHeapProfile samples the live heap until stop closes and returns a
// heap profile taken when it was largest. A heap profile reports the
// objects live at the last garbage collection, so the profile is taken
// again after each collection that follows a new peak.
func peakHeapProfile(stop <-chan struct{}) []byte {
	samples := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/gc/cycles/total:gc-cycles"}}
	var best []byte
	var peak, lastCycle uint64
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	for {
		metrics.Read(samples)
		live, cycle := samples[0].Value.Uint64(), samples[1].Value.Uint64()
		if live > peak && cycle != lastCycle {
			peak, lastCycle = live, cycle
			var buf bytes.Buffer
			if err := pprof.Lookup("heap").WriteTo(&buf, 0); err == nil {
				best = buf.Bytes()
			}
		}
		select {
		case <-stop:
			return best
		case <-t.C:
		}
	}
}

func writeProfile(path, name string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup(name).WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
