//go:build unix

package reliability

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/athanor-iac/athanor/localcc"
)

// killStats are the figures docs/reliability.md reports.
type killStats struct {
	runs, kills, killsAtCall, killsAtTime int
	killsIn                               map[string]int // by phase: create, replace, update, destroy
	checks                                int
	found                                 tally
}

func (s *killStats) add(t tally) {
	s.checks++
	s.found.leaked += t.leaked
	s.found.duplicated += t.duplicated
	s.found.missing += t.missing
	s.found.wrong += t.wrong
	s.found.pending += t.pending
}

// TestKillAnywhere SIGKILLs the program at random points while it creates,
// replaces (a createOnly change), updates (a tag change) and destroys a
// fleet of flow logs, and reruns it each time. Whenever a run is allowed
// to finish, the endpoint must hold exactly the declared flow logs and the
// state exactly one settled record for each, naming it.
//
// Half the kills land right after the endpoint carried out a randomly
// chosen API call, before the program hears the answer (the call took
// effect and its answer is lost); the other half after a random delay
// within a run's expected duration, wherever the program is then (between
// calls, writing state, starting up, planning).
func TestKillAnywhere(t *testing.T) {
	t.Parallel()
	n, minKills := 50, 20 // minKills during applies (create, replace, update); destroys get more
	if soak() {
		n, minKills = 100, 200
	}
	const parallelism = 25
	lat := localcc.Range{Min: 50 * time.Millisecond, Max: 300 * time.Millisecond}
	b := newBench(t, n, localcc.Options{Latency: map[string]localcc.Range{"*": lat}})
	r := rng(t, 1)
	// A run makes a mutation and a few status polls per flow log, and
	// takes about n/parallelism latencies: kill points are drawn from
	// those ranges.
	expectedCalls := 3 * n
	expected := time.Duration(n/parallelism+1) * lat.Max
	// Kills are shared out over the phases; kills a phase did not use (its
	// work finished first) go to the next one.
	quota := map[string]int{"create": minKills * 2 / 5, "replace": minKills * 3 / 10, "update": minKills / 10, "destroy": minKills / 5}
	st := killStats{killsIn: map[string]int{}}
	carry := 0
	for cycle := 0; cycle == 0 || st.kills-st.killsIn["destroy"] < minKills; cycle++ {
		gen1, gen2 := fmt.Sprintf("c%da", cycle), fmt.Sprintf("c%db", cycle)
		phases := []struct {
			name, gen, tag string
			args           []string
		}{
			{"create", gen1, "", nil},
			{"replace", gen2, "", nil},
			{"update", gen2, "x", nil},
			{"destroy", gen2, "x", []string{"destroy"}},
		}
		for _, ph := range phases {
			env := []string{"FLEET_GENERATION=" + ph.gen, "FLEET_TAG=" + ph.tag}
			args := append([]string{"--parallelism", fmt.Sprint(parallelism)}, ph.args...)
			q := quota[ph.name] + carry
			killed, finished := 0, false
			for killed < q {
				// Each rerun has less left to do: draw later kills from a
				// shorter range, so that they still interrupt work.
				var k kill
				if r.IntN(2) == 0 {
					k.afterCalls = 1 + r.IntN(expectedCalls/(killed+1))
				} else {
					k.after = time.Duration(r.Int64N(int64(expected) / int64(killed+1)))
				}
				res := b.run(k, env, args...)
				st.runs++
				if !res.killed {
					if res.code != 0 {
						t.Fatalf("%s run %d (after %d kills) exited %d:\n%s", ph.name, st.runs, st.kills, res.code, res.out)
					}
					finished = true
					break
				}
				killed++
				st.kills++
				st.killsIn[ph.name]++
				if k.afterCalls > 0 {
					st.killsAtCall++
				} else {
					st.killsAtTime++
				}
			}
			carry = q - killed
			if !finished {
				res := b.run(kill{}, env, args...)
				st.runs++
				if res.code != 0 {
					t.Fatalf("%s: the run after %d kills exited %d:\n%s", ph.name, killed, res.code, res.out)
				}
			}
			want := n
			if ph.name == "destroy" {
				want = 0
			}
			tl := b.check(want, ph.gen, ph.tag)
			st.add(tl)
			if !tl.clean() {
				t.Fatalf("after the %s phase: %s", ph.name, tl)
			}
		}
	}
	m := b.srv.Metrics()
	t.Logf("kill test: %d flow logs, %d runs, %d kills (%d right after an API call took effect, %d at a random time), kills by phase %s; %d checks: %s; endpoint: %d API calls, %d requests finished",
		n, st.runs, st.kills, st.killsAtCall, st.killsAtTime, fmtMap(st.killsIn), st.checks, st.found, m.TotalCalls, m.Finished)
}

func fmtMap(m map[string]int) string {
	var parts []string
	for _, k := range []string{"create", "replace", "update", "destroy"} {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}
