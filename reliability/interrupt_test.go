//go:build unix

package reliability

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/athanor-iac/athanor/localcc"
	"github.com/athanor-iac/athanor/reliability/internal/fleet"
	"github.com/athanor-iac/athanor/state"
)

// interrupt starts an apply of n flow logs and sends SIGINT times times
// once the first creates are in flight, each once the program has said
// it took the one before: two signals sent at once may arrive as one.
func (b *bench) interrupt(times int, args ...string) result {
	b.t.Helper()
	start := time.Now()
	env := []string{"FLEET_GENERATION=i", "FLEET_TAG="}
	inFlight := b.hook.After("CreateResource", "CreateResource", "CreateResource", "CreateResource")
	cmd, out := b.start(env, append([]string{"--parallelism", "4"}, args...)...)
	select {
	case <-inFlight:
	case <-time.After(time.Minute):
		cmd.Process.Kill()
		b.t.Fatalf("the program never submitted its first creates:\n%s", out)
	}
	said := []string{"interrupted: starting nothing new", "interrupted again", "interrupted a third time"}
	for i := 0; i < times; i++ {
		cmd.Process.Signal(syscall.SIGINT)
		if !out.waitFor(said[i]) {
			cmd.Process.Kill()
			b.t.Fatalf("the program did not take interrupt %d:\n%s", i+1, out)
		}
	}
	return finish(cmd, out, start)
}

// The first Ctrl-C starts nothing new and waits for the requests in
// flight, which end up in state; the next run does the rest.
func TestInterruptOnceWaitsForRequestsInFlight(t *testing.T) {
	t.Parallel()
	const n = 12
	b := newBench(t, n, localcc.Options{Latency: map[string]localcc.Range{"*": {Min: 400 * time.Millisecond, Max: 600 * time.Millisecond}}})
	r := b.interrupt(1)
	if r.code != 1 || !strings.Contains(r.out, "interrupted: starting nothing new") {
		t.Fatalf("exit %d\n%s", r.code, r.out)
	}
	created := len(b.srv.Resources("AWS::EC2::FlowLog"))
	if created == 0 || created == n {
		t.Fatalf("%d of %d flow logs exist after one interrupt; want the ones in flight, not all", created, n)
	}
	// Everything that was started finished and is recorded: no intent is
	// left pending, every flow log that exists is in state.
	store, err := state.Open(context.Background(), b.state, fleet.App, b.stage)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := store.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	tracked := map[string]bool{}
	for _, rec := range recs {
		if rec.Pending != nil || len(rec.Superseded) > 0 {
			t.Errorf("%s left unsettled after one interrupt: %+v", rec.LogicalID, rec.Pending)
		}
		tracked[rec.Identifier] = true
	}
	for _, fl := range b.srv.Resources("AWS::EC2::FlowLog") {
		if !tracked[fl.Identifier] {
			t.Errorf("%s exists but is not in state", fl.Identifier)
		}
	}
	if len(recs) != created {
		t.Errorf("%d records for %d flow logs", len(recs), created)
	}
	if r := b.run(kill{}, []string{"FLEET_GENERATION=i", "FLEET_TAG="}); r.code != 0 {
		t.Fatalf("rerun: exit %d\n%s", r.code, r.out)
	}
	if tl := b.check(n, "i", ""); !tl.clean() {
		t.Fatalf("after the rerun: %v", tl)
	}
}

// A second Ctrl-C cancels the requests in flight; their intents stay in
// state, and the next run converges without leaks or duplicates.
func TestInterruptTwiceCancels(t *testing.T) {
	t.Parallel()
	const n = 12
	b := newBench(t, n, localcc.Options{Latency: map[string]localcc.Range{"*": {Min: 2 * time.Second, Max: 3 * time.Second}}})
	r := b.interrupt(2)
	if r.code != 1 || !strings.Contains(r.out, "cancelling requests in flight") {
		t.Fatalf("exit %d\n%s", r.code, r.out)
	}
	if !strings.Contains(r.out, "cancelled 4 requests in flight") {
		t.Fatalf("the requests in flight were not cancelled:\n%s", r.out)
	}
	if r.took > 2*time.Second {
		t.Fatalf("the run took %s after two interrupts; it should not wait for its requests", r.took)
	}
	if r := b.run(kill{}, []string{"FLEET_GENERATION=i", "FLEET_TAG="}); r.code != 0 {
		t.Fatalf("rerun: exit %d\n%s", r.code, r.out)
	}
	if tl := b.check(n, "i", ""); !tl.clean() {
		t.Fatalf("after the rerun: %v", tl)
	}
}
