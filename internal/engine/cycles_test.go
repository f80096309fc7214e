package engine

import (
	"fmt"
	"testing"
)

func TestBreakCyclesLeavesAnOrder(t *testing.T) {
	ids := []string{"a", "b", "c", "d"}
	// a waits for b, b for c, c for a (a cycle); d for a.
	dependents := map[string][]string{"b": {"a"}, "c": {"b"}, "a": {"c", "d"}}
	breakCycles(ids, dependents)
	// Every node must be reachable in a topological order: no cycle left.
	state := map[string]int{}
	var cyclic func(string) bool
	cyclic = func(id string) bool {
		if state[id] == 1 {
			return true
		}
		if state[id] == 2 {
			return false
		}
		state[id] = 1
		for _, d := range dependents[id] {
			if cyclic(d) {
				return true
			}
		}
		state[id] = 2
		return false
	}
	for _, id := range ids {
		if cyclic(id) {
			t.Fatalf("a cycle is left: %v", dependents)
		}
	}
	if fmt.Sprint(dependents["a"]) != "[c d]" || len(dependents["a"])+len(dependents["b"])+len(dependents["c"]) != 3 {
		t.Fatalf("more than one edge was dropped: %v", dependents)
	}
}
