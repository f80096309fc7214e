package athanor_test

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/athanor-iac/athanor/aws/ec2"
	"github.com/athanor-iac/athanor/localcc"
)

// A second run on a stage that is being applied fails fast and names the
// holder of the lock.
func TestConcurrentRunIsRefused(t *testing.T) {
	e := newEnv(t, localcc.Options{})
	decls := map[string]ec2.FlowLogProps{"vpcFlowLog": seedProps()["vpcFlowLog"]}
	// The first run's create stays in flight, and the run holds the lock,
	// until the endpoint's clock moves again.
	e.clock.Stop()
	defer e.clock.Start() // also when the test fails before it starts the clock
	submitted := e.calls.After("CreateResource")
	firstDone := make(chan string)
	go func() {
		code, out := e.run(programOf(decls, nil))
		firstDone <- fmt.Sprintf("exit %d\n%s", code, out)
	}()
	e.await(submitted, "the first run's create")
	start := time.Now()
	code, out := e.run(programOf(decls, nil))
	if code != 1 || !strings.Contains(out, "locked by") || !strings.Contains(out, fmt.Sprintf("pid %d", os.Getpid())) {
		t.Fatalf("second run: exit %d\n%s", code, out)
	}
	if time.Since(start) > time.Second {
		t.Fatalf("the refused run took %s; it should fail fast", time.Since(start))
	}
	e.clock.Start()
	if res := <-firstDone; !strings.HasPrefix(res, "exit 0") {
		t.Fatalf("first run: %s", res)
	}
}
